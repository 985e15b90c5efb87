// The transactional outbox: every state change appends an event in the transaction that makes
// the change, and WatchEvents serves the log in order from any sequence, then follows it.
// Writers insert events without a sequence (no shared lock held through their commits); the
// sequencer numbers committed events under the outbox_sequence row lock, in id order, in
// every replica alike. A follower therefore never skips an event that commits late: an event
// gets its sequence only once it is committed, and sequences only grow.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/db/pool.h"
#include "common/db/script.h"
#include "google/protobuf/message.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/sync_stream.h"
#include "peixun/common/v1/common.pb.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace peixun::events {

// Initial metadata a WatchEvents stream sends as soon as it serves: a follower that sees it
// knows it is connected and following, even before any event arrives.
inline constexpr absl::string_view kFeedOpenKey = "peixun-event-feed";

// Appends an event inside the caller's transaction; it is numbered after the commit.
void AppendEvent(db::Connection& connection, absl::string_view type, absl::string_view resource,
                 const google::protobuf::Message& payload);

// An event to append in bulk.
struct PendingEvent {
  std::string type;
  std::string resource;
  std::string payload_type;  // full name of the payload message
  std::string payload;       // its serialized bytes
  static PendingEvent Of(absl::string_view type, absl::string_view resource,
                         const google::protobuf::Message& payload);
};
// Appends events in order inside the caller's transaction with multi-row inserts.
void AppendEvents(db::Connection& connection, const std::vector<PendingEvent>& events);

// The same insert added to a multi-statement script (see db::Script).
void AddAppendEvents(db::Script& script, const std::vector<PendingEvent>& events);

// The newest sequence number of the outbox, 0 while it holds none: where a follower that needs
// no history starts.
int64_t LatestSequence(db::Connection& connection);

// A change the outbox records: its sequence number and the resource it names.
struct ChangedResource {
  int64_t sequence = 0;
  std::string resource;
};
// The changes after `after`, oldest first, at most `limit`: what a cache of resources follows.
std::vector<ChangedResource> ChangedResourcesAfter(db::Connection& connection, int64_t after,
                                                   int limit);

// Serves WatchEvents for one service's outbox.
class EventFeed {
 public:
  // With `metrics`, each sequencing pass sets peixun_outbox_pending_events (committed events
  // not yet numbered, counted up to 100,000) and peixun_outbox_last_sequence.
  explicit EventFeed(db::ConnectionPool& pool, prometheus::Registry* metrics = nullptr);
  ~EventFeed();

  // Starts numbering committed events: at once after this process's commits, and every
  // sequencer period for other replicas' (or a crashed process's) events.
  void StartSequencer();
  // Numbers what is committed and stops numbering (after the server drained).
  void StopSequencer();
  // Numbers the committed events that have no sequence yet; returns how many.
  absl::StatusOr<int> SequencePending();

  // Wakes the sequencer after a commit of this process.
  void NotifyCommitted();
  // Makes every watcher return promptly (server shutdown).
  void Close();

  // The longest type_prefix a follower may give; it is matched literally.
  static constexpr size_t kMaxTypePrefix = 64;
  // Streams one caller may hold open at once, and streams of all callers together; beyond
  // them WatchEvents answers RESOURCE_EXHAUSTED. Each open stream holds a server thread.
  static constexpr int kMaxStreamsPerCaller = 8;
  static constexpr int kMaxStreams = 256;
  // The newest events kept in memory for the streams that follow the head of the feed.
  static constexpr size_t kTailEvents = 10000;
  static constexpr size_t kTailBytes = 16 << 20;

  // Streams events after request.after_sequence until the client cancels or the feed closes;
  // with `visible`, only the events it accepts (the others are passed over, not sent).
  // `caller` identifies the caller for the per-caller stream limit.
  //
  // Streams that follow the head of the feed share one reader of the outbox: whichever stream
  // needs newer events first reads them once into the in-memory tail, and every stream serves
  // itself from there, so ten followers cost the database what one does. A stream that starts
  // further back (or falls behind the tail) reads its own way forward until it reaches it.
  grpc::Status Serve(grpc::ServerContext* context,
                     const peixun::common::v1::WatchEventsRequest& request,
                     grpc::ServerWriter<peixun::common::v1::Event>* writer,
                     const std::function<bool(const peixun::common::v1::Event&)>& visible = nullptr,
                     const std::string& caller = "");

  // Reads up to `limit` events after `after`; for tests and catch-up readers.
  absl::Status ReadAfter(int64_t after, absl::string_view type_prefix, int limit,
                         std::vector<peixun::common::v1::Event>* events);

 private:
  void RunSequencer();
  // Reads the events after the tail's newest into the tail, as the one reader; called without
  // mu_ held, by the stream that set tail_reading_.
  absl::Status ReadIntoTail();

  db::ConnectionPool& pool_;
  prometheus::Gauge* pending_gauge_ = nullptr;
  prometheus::Gauge* last_sequence_gauge_ = nullptr;
  absl::Mutex mu_;
  uint64_t commits_ ABSL_GUARDED_BY(mu_) = 0;    // commits of this process
  uint64_t sequenced_ ABSL_GUARDED_BY(mu_) = 0;  // sequencing passes that numbered events
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool sequencer_stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread sequencer_;

  // The shared tail: every event with floor < sequence <= last, in order (floor < 0 until
  // the first read, which starts it at the newest event of the outbox).
  std::deque<peixun::common::v1::Event> tail_ ABSL_GUARDED_BY(mu_);
  int64_t tail_floor_ ABSL_GUARDED_BY(mu_) = -1;
  int64_t tail_last_ ABSL_GUARDED_BY(mu_) = 0;
  size_t tail_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool tail_reading_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t tail_read_sequenced_ ABSL_GUARDED_BY(mu_) = 0;  // sequenced_ when last read
  absl::Time tail_read_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::map<std::string, int> streams_of_caller_ ABSL_GUARDED_BY(mu_);
  int streams_ ABSL_GUARDED_BY(mu_) = 0;
  prometheus::Counter* tail_reads_ = nullptr;
  prometheus::Counter* catch_up_reads_ = nullptr;
  prometheus::Gauge* streams_gauge_ = nullptr;
};

}  // namespace peixun::events
