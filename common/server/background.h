// A process's background work in one place: periodic loops (a tick every period, on a thread of
// their own) and components that run threads of their own (started and stopped as a whole).
// The platform owns one (Platform::background()). Nothing registered runs before the
// platform has applied the migrations, so no loop reads a table that does not exist yet;
// everything stops, newest first, when the process shuts down, after in-flight calls have
// drained. docs/architecture.md lists each process's loops.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace peixun::server {

class Background {
 public:
  // Keeps a task registered: destroying it stops the task (joining its thread) and removes it.
  // The Background outlives every registration (the platform outlives what it is passed to).
  class Registration {
   public:
    Registration() = default;
    Registration(Registration&& other) noexcept { *this = std::move(other); }
    Registration& operator=(Registration&& other) noexcept;
    ~Registration();

   private:
    friend class Background;
    Registration(Background* owner, int id) : owner_(owner), id_(id) {}
    Background* owner_ = nullptr;
    int id_ = 0;
  };

  Background() = default;
  ~Background() { Stop(); }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  // Runs `tick` at start, then every `period` until stopped (a stop wakes it at once).
  [[nodiscard]] Registration AddLoop(std::string name, absl::Duration period,
                                     std::function<void()> tick);
  // Calls `start` at start and `stop` at the end (`stop` must make the component's threads end).
  [[nodiscard]] Registration AddComponent(std::string name, std::function<void()> start,
                                          std::function<void()> stop);

  // Starts everything registered, and from now on whatever is registered later. Once only.
  void Start();
  // Stops everything, newest first; nothing starts afterwards. Idempotent.
  void Stop();
  // What is registered, in order, e.g. for the log at start.
  std::vector<std::string> Names() const;

 private:
  struct Task {
    int id = 0;
    std::string name;
    absl::Duration period;
    std::function<void()> tick;   // loops
    std::function<void()> start;  // components
    std::function<void()> stop;
    std::thread thread;
    bool running = false;
    bool stopping = false;  // guarded by wake_mu_
  };
  Registration Add(std::unique_ptr<Task> task);
  void Remove(int id);
  void Launch(Task& task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(run_mu_);
  void Halt(Task& task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(run_mu_);

  // Serializes registration, start and stop; held while components start and stop.
  mutable absl::Mutex run_mu_;
  std::vector<std::unique_ptr<Task>> tasks_ ABSL_GUARDED_BY(run_mu_);
  int next_id_ ABSL_GUARDED_BY(run_mu_) = 1;
  bool started_ ABSL_GUARDED_BY(run_mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(run_mu_) = false;
  // What loop threads wait on between ticks.
  absl::Mutex wake_mu_;
};

}  // namespace peixun::server
