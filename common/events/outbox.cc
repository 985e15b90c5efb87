#include "common/events/outbox.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/db/rows.h"
#include "common/util/status.h"

namespace peixun::events {
namespace {

constexpr int kBatch = 500;
constexpr absl::Duration kPollPeriod = absl::Milliseconds(250);

}  // namespace

int64_t AppendEvent(db::Connection& connection, absl::string_view type, absl::string_view resource,
                    const google::protobuf::Message& payload) {
  return AppendEvents(connection, {PendingEvent::Of(type, resource, payload)});
}

PendingEvent PendingEvent::Of(absl::string_view type, absl::string_view resource,
                              const google::protobuf::Message& payload) {
  return PendingEvent{std::string(type), std::string(resource), payload.GetDescriptor()->full_name(),
                      payload.SerializeAsString()};
}

int64_t AppendEvents(db::Connection& connection, const std::vector<PendingEvent>& events) {
  if (events.empty()) return 0;
  auto& reserve = connection.Prepare(
      "UPDATE outbox_sequence SET last_sequence = last_sequence + ? WHERE id = 1");
  reserve.setInt64(1, static_cast<int64_t>(events.size()));
  reserve.executeUpdate();
  int64_t last = 0;
  {
    std::unique_ptr<sql::ResultSet> row(
        connection.Prepare("SELECT last_sequence FROM outbox_sequence WHERE id = 1").executeQuery());
    row->next();
    last = row->getInt64(1);
  }
  const int64_t first = last - static_cast<int64_t>(events.size()) + 1;
  db::ForEachChunk(events.size(), [&](size_t begin, size_t count) {
    auto& insert = connection.Prepare(
        "INSERT INTO outbox (sequence, type, resource, payload_type, payload) VALUES " +
        db::RowPlaceholders(count, 5));
    std::vector<std::istringstream> blobs;
    blobs.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      const PendingEvent& event = events[begin + i];
      const int column = static_cast<int>(i) * 5;
      insert.setInt64(column + 1, first + static_cast<int64_t>(begin + i));
      insert.setString(column + 2, event.type);
      insert.setString(column + 3, event.resource);
      insert.setString(column + 4, event.payload_type);
      blobs.emplace_back(event.payload);
      insert.setBlob(column + 5, &blobs.back());
    }
    insert.executeUpdate();
  });
  return last;
}

void EventFeed::NotifyCommitted() {
  absl::MutexLock lock(&mu_);
  ++commits_;
}

void EventFeed::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

absl::Status EventFeed::ReadAfter(int64_t after, absl::string_view type_prefix, int limit,
                                  std::vector<peixun::common::v1::Event>* events) {
  events->clear();
  const std::string prefix = absl::StrCat(type_prefix, "%");
  return pool_.RunRead([&](db::Connection& connection) -> absl::Status {
    events->clear();
    auto& select = connection.Prepare(
        "SELECT sequence, type, resource, payload_type, payload, "
        "UNIX_TIMESTAMP(created_at) * 1000000 FROM outbox "
        "WHERE sequence > ? AND type LIKE ? ORDER BY sequence LIMIT ?");
    select.setInt64(1, after);
    select.setString(2, prefix);
    select.setInt(3, limit);
    std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
    while (rows->next()) {
      peixun::common::v1::Event& event = events->emplace_back();
      event.set_sequence(rows->getInt64(1));
      event.set_type(rows->getString(2));
      event.set_resource(rows->getString(3));
      event.mutable_payload()->set_type_url(
          absl::StrCat("type.googleapis.com/", std::string(rows->getString(4))));
      event.mutable_payload()->set_value(db::ReadBlob(*rows, 5));
      int64_t micros = static_cast<int64_t>(rows->getDouble(6));
      event.mutable_time()->set_seconds(micros / 1000000);
      event.mutable_time()->set_nanos(static_cast<int32_t>((micros % 1000000) * 1000));
    }
    return absl::OkStatus();
  });
}

grpc::Status EventFeed::Serve(grpc::ServerContext* context,
                              const peixun::common::v1::WatchEventsRequest& request,
                              grpc::ServerWriter<peixun::common::v1::Event>* writer) {
  if (request.after_sequence() < 0) {
    return ToGrpcStatus(FieldError("after_sequence", "must not be negative"));
  }
  int64_t after = request.after_sequence();
  // Tells followers at once that the feed is open, before any event arrives.
  context->AddInitialMetadata(std::string(kFeedOpenKey), "open");
  writer->SendInitialMetadata();
  std::vector<peixun::common::v1::Event> batch;
  while (!context->IsCancelled()) {
    uint64_t seen_commits;
    {
      absl::MutexLock lock(&mu_);
      if (closed_) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down");
      seen_commits = commits_;
    }
    absl::Status read = ReadAfter(after, request.type_prefix(), kBatch, &batch);
    if (!read.ok()) return ToGrpcStatus(read);
    for (const auto& event : batch) {
      if (!writer->Write(event)) return grpc::Status::CANCELLED;
      after = event.sequence();
    }
    if (static_cast<int>(batch.size()) == kBatch) continue;
    absl::MutexLock lock(&mu_);
    auto changed = [this, seen_commits]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return closed_ || commits_ != seen_commits;
    };
    mu_.AwaitWithTimeout(absl::Condition(&changed), kPollPeriod);
  }
  return grpc::Status::CANCELLED;
}

}  // namespace peixun::events
