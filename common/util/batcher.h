// Smart batching without a timer: callers hand in one item each and wait for it to be done;
// whichever caller finds a free executor slot takes everything queued (up to a batch limit)
// and runs it as one batch. A lone request is run at once, alone; under load, requests that
// arrive while a batch runs are carried together by the next one. Used where a batch costs
// about what one item costs (one database transaction for many nominations).
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace peixun {

template <typename Item>
class Batcher {
 public:
  // `run` processes a batch and must finish every item in it (it is called without the lock,
  // by up to `max_running` callers at a time).
  Batcher(size_t max_batch, int max_running, std::function<void(std::vector<Item*>&)> run)
      : max_batch_(max_batch < 1 ? 1 : max_batch),
        max_running_(max_running < 1 ? 1 : max_running),
        run_(std::move(run)) {}

  // Queues `item` and returns once a batch containing it has run.
  void Submit(Item* item) {
    Entry entry{item, false};
    Waiter waiter{this, &entry};
    absl::MutexLock lock(&mu_);
    queue_.push_back(&entry);
    while (true) {
      // absl evaluates the condition in the releasing thread: a caller sleeps until its item
      // is done or it can take a batch, and no other wake-up reaches it.
      mu_.Await(absl::Condition(&Waiter::Ready, &waiter));
      if (entry.done) return;
      std::vector<Entry*> taken;
      while (!queue_.empty() && taken.size() < max_batch_) {
        taken.push_back(queue_.front());
        queue_.pop_front();
      }
      ++running_;
      ++batches_;
      items_ += taken.size();
      mu_.Unlock();
      std::vector<Item*> batch;
      batch.reserve(taken.size());
      for (Entry* e : taken) batch.push_back(e->item);
      run_(batch);
      mu_.Lock();
      --running_;
      for (Entry* e : taken) e->done = true;
    }
  }

  // Batches run and items carried so far (for metrics and benchmarks).
  size_t batches() const {
    absl::MutexLock lock(&mu_);
    return batches_;
  }
  size_t items() const {
    absl::MutexLock lock(&mu_);
    return items_;
  }

 private:
  struct Entry {
    Item* item;
    bool done;
  };
  struct Waiter {
    Batcher* batcher;
    Entry* entry;
    static bool Ready(Waiter* w) ABSL_NO_THREAD_SAFETY_ANALYSIS {
      return w->entry->done ||
             (w->batcher->running_ < w->batcher->max_running_ && !w->batcher->queue_.empty());
    }
  };

  const size_t max_batch_;
  const int max_running_;
  const std::function<void(std::vector<Item*>&)> run_;
  mutable absl::Mutex mu_;
  std::deque<Entry*> queue_ ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  size_t batches_ ABSL_GUARDED_BY(mu_) = 0;
  size_t items_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace peixun
