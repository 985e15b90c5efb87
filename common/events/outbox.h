// The transactional outbox: every state change appends an event in the transaction that makes
// the change, and WatchEvents serves the log in order from any sequence, then follows it.
// Sequences are assigned under a row lock held until commit, so they commit in order and a
// follower never skips an event that commits late.
#pragma once

#include <cstdint>
#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/db/pool.h"
#include "google/protobuf/message.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/sync_stream.h"
#include "peixun/common/v1/common.pb.h"

namespace peixun::events {

// Initial metadata a WatchEvents stream sends as soon as it serves: a follower that sees it
// knows it is connected and following, even before any event arrives.
inline constexpr absl::string_view kFeedOpenKey = "peixun-event-feed";

// Appends an event inside the caller's transaction; returns its sequence.
int64_t AppendEvent(db::Connection& connection, absl::string_view type, absl::string_view resource,
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
// Appends events in order inside the caller's transaction with one sequence reservation and
// multi-row inserts (bulk imports); returns the last sequence, or 0 when `events` is empty.
int64_t AppendEvents(db::Connection& connection, const std::vector<PendingEvent>& events);

// Serves WatchEvents for one service's outbox.
class EventFeed {
 public:
  explicit EventFeed(db::ConnectionPool& pool) : pool_(pool) {}

  // Wakes the watchers of this process after a commit (others notice within the poll period).
  void NotifyCommitted();
  // Makes every watcher return promptly (server shutdown).
  void Close();

  // Streams events after request.after_sequence until the client cancels or the feed closes.
  grpc::Status Serve(grpc::ServerContext* context,
                     const peixun::common::v1::WatchEventsRequest& request,
                     grpc::ServerWriter<peixun::common::v1::Event>* writer);

  // Reads up to `limit` events after `after`; for tests and catch-up readers.
  absl::Status ReadAfter(int64_t after, absl::string_view type_prefix, int limit,
                         std::vector<peixun::common::v1::Event>* events);

 private:
  db::ConnectionPool& pool_;
  absl::Mutex mu_;
  uint64_t commits_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace peixun::events
