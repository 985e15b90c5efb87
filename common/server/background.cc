#include "common/server/background.h"

#include <algorithm>
#include <utility>

namespace peixun::server {

Background::Registration& Background::Registration::operator=(Registration&& other) noexcept {
  if (this != &other) {
    if (owner_ != nullptr) owner_->Remove(id_);
    owner_ = std::exchange(other.owner_, nullptr);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

Background::Registration::~Registration() {
  if (owner_ != nullptr) owner_->Remove(id_);
}

Background::Registration Background::AddLoop(std::string name, absl::Duration period,
                                             std::function<void()> tick) {
  auto task = std::make_unique<Task>();
  task->name = std::move(name);
  task->period = period;
  task->tick = std::move(tick);
  return Add(std::move(task));
}

Background::Registration Background::AddComponent(std::string name, std::function<void()> start,
                                                  std::function<void()> stop) {
  auto task = std::make_unique<Task>();
  task->name = std::move(name);
  task->start = std::move(start);
  task->stop = std::move(stop);
  return Add(std::move(task));
}

Background::Registration Background::Add(std::unique_ptr<Task> task) {
  absl::MutexLock lock(&run_mu_);
  task->id = next_id_++;
  Task& added = *task;
  tasks_.push_back(std::move(task));
  if (started_ && !stopped_) Launch(added);
  return Registration(this, added.id);
}

void Background::Remove(int id) {
  absl::MutexLock lock(&run_mu_);
  auto it = std::find_if(tasks_.begin(), tasks_.end(), [id](const auto& t) { return t->id == id; });
  if (it == tasks_.end()) return;
  Halt(**it);
  tasks_.erase(it);
}

void Background::Start() {
  absl::MutexLock lock(&run_mu_);
  if (started_ || stopped_) return;
  started_ = true;
  for (auto& task : tasks_) Launch(*task);
}

void Background::Stop() {
  absl::MutexLock lock(&run_mu_);
  stopped_ = true;
  for (auto it = tasks_.rbegin(); it != tasks_.rend(); ++it) Halt(**it);
}

std::vector<std::string> Background::Names() const {
  absl::MutexLock lock(&run_mu_);
  std::vector<std::string> names;
  for (const auto& task : tasks_) names.push_back(task->name);
  return names;
}

void Background::Launch(Task& task) {
  if (task.running) return;
  task.running = true;
  if (!task.tick) {
    task.start();
    return;
  }
  {
    absl::MutexLock lock(&wake_mu_);
    task.stopping = false;
  }
  Task* t = &task;
  task.thread = std::thread([this, t] {
    for (;;) {
      t->tick();
      absl::MutexLock lock(&wake_mu_);
      if (wake_mu_.AwaitWithTimeout(absl::Condition(&t->stopping), t->period)) return;
    }
  });
}

void Background::Halt(Task& task) {
  if (!task.running) return;
  task.running = false;
  if (!task.tick) {
    task.stop();
    return;
  }
  {
    absl::MutexLock lock(&wake_mu_);
    task.stopping = true;
  }
  if (task.thread.joinable()) task.thread.join();
}

}  // namespace peixun::server
