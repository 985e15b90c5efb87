#include "common/events/outbox.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/db/rows.h"
#include "common/server/grpc_status.h"
#include "common/util/status.h"

namespace peixun::events {
namespace {

constexpr int kBatch = 500;
constexpr int kSequenceBatch = 1000;
// Watchers look for other replicas' events this often; this replica's wake them at once.
constexpr absl::Duration kPollPeriod = absl::Milliseconds(250);
// The sequencer numbers other replicas' events within this period.
constexpr absl::Duration kSequencerPeriod = absl::Milliseconds(50);
// Under a stream of commits, a pass numbers what the last few milliseconds committed: one
// sequencing transaction per gap rather than one per commit (events reach followers at most
// this much later).
constexpr absl::Duration kSequencerGap = absl::Milliseconds(20);

}  // namespace

void AppendEvent(db::Connection& connection, absl::string_view type, absl::string_view resource,
                 const google::protobuf::Message& payload) {
  AppendEvents(connection, {PendingEvent::Of(type, resource, payload)});
}

PendingEvent PendingEvent::Of(absl::string_view type, absl::string_view resource,
                              const google::protobuf::Message& payload) {
  return PendingEvent{std::string(type), std::string(resource),
                      payload.GetDescriptor()->full_name(), payload.SerializeAsString()};
}

void AppendEvents(db::Connection& connection, const std::vector<PendingEvent>& events) {
  db::ForEachChunk(events.size(), [&](size_t begin, size_t count) {
    auto& insert =
        connection.Prepare("INSERT INTO outbox (type, resource, payload_type, payload) VALUES " +
                           db::RowPlaceholders(count, 4));
    std::vector<std::istringstream> blobs;
    blobs.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      const PendingEvent& event = events[begin + i];
      const int column = static_cast<int>(i) * 4;
      insert.setString(column + 1, event.type);
      insert.setString(column + 2, event.resource);
      insert.setString(column + 3, event.payload_type);
      blobs.emplace_back(event.payload);
      insert.setBlob(column + 4, &blobs.back());
    }
    insert.executeUpdate();
  });
}

void AddAppendEvents(db::Script& script, const std::vector<PendingEvent>& events) {
  if (events.empty()) return;
  std::string sql = "INSERT INTO outbox (type, resource, payload_type, payload) VALUES ";
  for (size_t i = 0; i < events.size(); ++i) {
    const PendingEvent& event = events[i];
    absl::StrAppend(&sql, i == 0 ? "" : ", ", "(", script.Quote(event.type), ", ",
                    script.Quote(event.resource), ", ", script.Quote(event.payload_type), ", ",
                    db::Script::Hex(event.payload), ")");
  }
  script.Add(std::move(sql));
}

EventFeed::~EventFeed() { StopSequencer(); }

EventFeed::EventFeed(db::ConnectionPool& pool, prometheus::Registry* metrics) : pool_(pool) {
  if (metrics == nullptr) return;
  pending_gauge_ =
      &prometheus::BuildGauge()
           .Name("peixun_outbox_pending_events")
           .Help("Committed events not yet numbered for the feed (counted up to 100,000).")
           .Register(*metrics)
           .Add({});
  last_sequence_gauge_ = &prometheus::BuildGauge()
                              .Name("peixun_outbox_last_sequence")
                              .Help("Sequence number of the newest event in the feed.")
                              .Register(*metrics)
                              .Add({});
  auto& reads =
      prometheus::BuildCounter()
          .Name("peixun_event_feed_reads_total")
          .Help(
              "Outbox reads by WatchEvents streams: tail (one read shared by every stream at "
              "the head of the feed) or catch_up (a stream reading its way to the head).")
          .Register(*metrics);
  tail_reads_ = &reads.Add({{"kind", "tail"}});
  catch_up_reads_ = &reads.Add({{"kind", "catch_up"}});
  streams_gauge_ = &prometheus::BuildGauge()
                        .Name("peixun_event_feed_streams")
                        .Help("Open WatchEvents streams.")
                        .Register(*metrics)
                        .Add({});
}

absl::StatusOr<int> EventFeed::SequencePending() {
  // Most passes find nothing: look without a lock first, so idle replicas take no lock.
  int64_t pending = 0;
  PEIXUN_RETURN_IF_ERROR(pool_.RunRead([&](db::Connection& c) -> absl::Status {
    std::unique_ptr<sql::ResultSet> rows(
        c.Prepare(
             "SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE sequence IS NULL LIMIT 100000) p")
            .executeQuery());
    if (rows->next()) pending = rows->getInt64(1);
    if (last_sequence_gauge_ != nullptr && pending == 0) {
      std::unique_ptr<sql::ResultSet> last(
          c.Prepare("SELECT last_sequence FROM outbox_sequence WHERE id = 1").executeQuery());
      if (last->next()) last_sequence_gauge_->Set(static_cast<double>(last->getInt64(1)));
    }
    return absl::OkStatus();
  }));
  if (pending_gauge_ != nullptr) pending_gauge_->Set(static_cast<double>(pending));
  if (pending == 0) return 0;
  int numbered = 0;
  // Two round trips: lock the counter and read what waits, then number it and commit.
  absl::Status status = pool_.RunSelfCommitting([&](db::Connection& c) -> absl::Status {
    numbered = 0;
    std::optional<int64_t> last;
    std::vector<int64_t> ids;
    db::Script read(c);
    read.Add("START TRANSACTION");
    // The lock serializes sequencers of every replica; what they read after it is committed.
    read.Add("SELECT last_sequence FROM outbox_sequence WHERE id = 1 FOR UPDATE",
             [&](sql::ResultSet& rows) {
               if (rows.next()) last = rows.getInt64(1);
             });
    read.Add(absl::StrCat("SELECT id FROM outbox WHERE sequence IS NULL ORDER BY id LIMIT ",
                          kSequenceBatch),
             [&](sql::ResultSet& rows) {
               while (rows.next()) ids.push_back(rows.getInt64(1));
             });
    read.Run();
    if (!last) return absl::InternalError("outbox_sequence has no row");
    db::Script write(c);
    if (!ids.empty()) {
      // A CASE is searched linearly for every row it updates: statements of at most 64 rows
      // keep a pass of 1,000 events linear, all still in one request.
      constexpr size_t kRowsPerUpdate = 64;
      for (size_t begin = 0; begin < ids.size(); begin += kRowsPerUpdate) {
        const size_t end = std::min(ids.size(), begin + kRowsPerUpdate);
        std::string cases;
        std::string in;
        for (size_t i = begin; i < end; ++i) {
          absl::StrAppend(&cases, " WHEN ", ids[i], " THEN ", *last + static_cast<int64_t>(i) + 1);
          absl::StrAppend(&in, i == begin ? "" : ", ", ids[i]);
        }
        write.Add(absl::StrCat("UPDATE outbox SET sequence = CASE id", cases, " END WHERE id IN (",
                               in, ")"));
      }
      write.Add(absl::StrCat("UPDATE outbox_sequence SET last_sequence = ",
                             *last + static_cast<int64_t>(ids.size()), " WHERE id = 1"));
      if (last_sequence_gauge_ != nullptr) {
        last_sequence_gauge_->Set(static_cast<double>(*last + static_cast<int64_t>(ids.size())));
      }
    }
    write.Add("COMMIT");
    write.Run();
    numbered = static_cast<int>(ids.size());
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (numbered > 0) {
    if (pending_gauge_ != nullptr)
      pending_gauge_->Set(static_cast<double>(std::max<int64_t>(0, pending - numbered)));
    absl::MutexLock lock(&mu_);
    ++sequenced_;
  }
  return numbered;
}

void EventFeed::StartSequencer() {
  absl::MutexLock lock(&mu_);
  if (sequencer_.joinable()) return;
  sequencer_stopping_ = false;
  sequencer_ = std::thread([this] { RunSequencer(); });
}

void EventFeed::StopSequencer() {
  {
    absl::MutexLock lock(&mu_);
    if (!sequencer_.joinable()) return;
    sequencer_stopping_ = true;
  }
  sequencer_.join();
  sequencer_ = std::thread();
}

void EventFeed::RunSequencer() {
  while (true) {
    uint64_t commits_before;
    {
      absl::MutexLock lock(&mu_);
      if (sequencer_stopping_) break;
      commits_before = commits_;
    }
    const absl::Time pass = absl::Now();
    absl::StatusOr<int> numbered = SequencePending();
    if (numbered.ok() && *numbered == kSequenceBatch) continue;
    absl::MutexLock lock(&mu_);
    if (numbered.ok() && *numbered > 0) {
      mu_.AwaitWithDeadline(absl::Condition(&sequencer_stopping_), pass + kSequencerGap);
    }
    auto woken = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return sequencer_stopping_ || commits_ != commits_before;
    };
    mu_.AwaitWithTimeout(absl::Condition(&woken), numbered.ok() ? kSequencerPeriod : kPollPeriod);
  }
  (void)SequencePending();  // what the last calls committed
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
  const std::string prefix(type_prefix);
  return pool_.RunRead([&](db::Connection& connection) -> absl::Status {
    events->clear();
    auto& select = connection.Prepare(
        "SELECT sequence, type, resource, payload_type, payload, "
        "UNIX_TIMESTAMP(created_at) * 1000000 FROM outbox "
        "WHERE sequence > ? AND LEFT(type, ?) = ? ORDER BY sequence LIMIT ?");
    // A literal prefix: LEFT compares characters, so '%' and '_' match only themselves.
    select.setInt64(1, after);
    select.setInt(2, static_cast<int>(prefix.size()));
    select.setString(3, prefix);
    select.setInt(4, limit);
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

absl::Status EventFeed::ReadIntoTail() {
  int64_t last;
  bool started;
  {
    absl::MutexLock lock(&mu_);
    last = tail_last_;
    started = tail_floor_ >= 0;
  }
  if (tail_reads_ != nullptr) tail_reads_->Increment();
  std::vector<peixun::common::v1::Event> fresh;
  absl::Status status;
  if (!started) {
    // The tail starts at the head: streams from further back catch up from the database.
    status = pool_.RunRead([&](db::Connection& connection) -> absl::Status {
      last = LatestSequence(connection);
      return absl::OkStatus();
    });
  } else {
    status = ReadAfter(last, "", kBatch, &fresh);
  }
  absl::MutexLock lock(&mu_);
  tail_reading_ = false;
  if (!status.ok()) return status;
  if (!started) tail_floor_ = tail_last_ = last;
  for (auto& event : fresh) {
    tail_bytes_ += event.ByteSizeLong();
    tail_last_ = event.sequence();
    tail_.push_back(std::move(event));
  }
  while (!tail_.empty() && (tail_.size() > kTailEvents || tail_bytes_ > kTailBytes)) {
    tail_floor_ = tail_.front().sequence();
    tail_bytes_ -= tail_.front().ByteSizeLong();
    tail_.pop_front();
  }
  // A full batch means more is waiting: the next stream to look reads again at once.
  tail_read_at_ = static_cast<int>(fresh.size()) == kBatch ? absl::InfinitePast() : absl::Now();
  return absl::OkStatus();
}

grpc::Status EventFeed::Serve(grpc::ServerContext* context,
                              const peixun::common::v1::WatchEventsRequest& request,
                              grpc::ServerWriter<peixun::common::v1::Event>* writer,
                              const std::function<bool(const peixun::common::v1::Event&)>& visible,
                              const std::string& caller) {
  if (request.after_sequence() < 0) {
    return ToGrpcStatus(FieldError("after_sequence", "must not be negative"));
  }
  if (request.type_prefix().size() > kMaxTypePrefix) {
    return ToGrpcStatus(
        FieldError("type_prefix", absl::StrCat("must be at most ", kMaxTypePrefix,
                                               " characters, got ", request.type_prefix().size())));
  }
  for (char c : request.type_prefix()) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '.' && c != '_') {
      return ToGrpcStatus(FieldError(
          "type_prefix",
          "may hold only lower-case letters, digits, '.' and '_' (e.g. \"catalog.quota.\")"));
    }
  }
  {
    absl::MutexLock lock(&mu_);
    if (streams_of_caller_[caller] >= kMaxStreamsPerCaller) {
      return grpc::Status(
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          absl::StrCat("this caller already has ", kMaxStreamsPerCaller,
                       " WatchEvents streams open, the most one caller may; close one first"));
    }
    if (streams_ >= kMaxStreams) {
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          absl::StrCat("the server already serves ", kMaxStreams,
                                       " WatchEvents streams, the most it serves; retry later"));
    }
    ++streams_of_caller_[caller];
    ++streams_;
    if (streams_gauge_ != nullptr) streams_gauge_->Set(streams_);
  }
  struct Closer {
    EventFeed* feed;
    const std::string& caller;
    ~Closer() {
      absl::MutexLock lock(&feed->mu_);
      if (--feed->streams_of_caller_[caller] == 0) feed->streams_of_caller_.erase(caller);
      --feed->streams_;
      if (feed->streams_gauge_ != nullptr) feed->streams_gauge_->Set(feed->streams_);
    }
  } closer{this, caller};

  const std::string& prefix = request.type_prefix();
  int64_t after = request.after_sequence();
  // Tells followers at once that the feed is open, before any event arrives.
  context->AddInitialMetadata(std::string(kFeedOpenKey), "open");
  writer->SendInitialMetadata();
  std::vector<peixun::common::v1::Event> batch;
  while (!context->IsCancelled()) {
    enum { kFromTail, kCatchUp, kReadTail, kWait } next;
    int64_t tail_last = 0;
    batch.clear();
    {
      absl::MutexLock lock(&mu_);
      if (closed_) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down");
      tail_last = tail_last_;
      if (tail_floor_ >= 0 && after < tail_floor_) {
        next = kCatchUp;
      } else if (tail_floor_ >= 0 && after < tail_last_) {
        next = kFromTail;
        auto first = std::upper_bound(tail_.begin(), tail_.end(), after,
                                      [](int64_t sequence, const peixun::common::v1::Event& event) {
                                        return sequence < event.sequence();
                                      });
        for (auto it = first; it != tail_.end() && static_cast<int>(batch.size()) < kBatch; ++it) {
          batch.push_back(*it);
        }
      } else if (!tail_reading_ && (sequenced_ != tail_read_sequenced_ ||
                                    absl::Now() >= tail_read_at_ + kPollPeriod)) {
        next = kReadTail;
        tail_reading_ = true;
        tail_read_sequenced_ = sequenced_;
      } else {
        next = kWait;
        const uint64_t read_sequenced = tail_read_sequenced_;
        auto changed = [this, after, read_sequenced]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return closed_ || tail_last_ > after || (!tail_reading_ && sequenced_ != read_sequenced);
        };
        const absl::Time until = std::min(tail_read_at_ + kPollPeriod, absl::Now() + kPollPeriod);
        mu_.AwaitWithDeadline(absl::Condition(&changed),
                              std::max(until, absl::Now() + absl::Milliseconds(5)));
      }
    }
    switch (next) {
      case kWait:
        continue;
      case kReadTail: {
        absl::Status read = ReadIntoTail();
        if (!read.ok()) return ToGrpcStatus(read);
        continue;
      }
      case kCatchUp: {
        if (catch_up_reads_ != nullptr) catch_up_reads_->Increment();
        absl::Status read = ReadAfter(after, prefix, kBatch, &batch);
        if (!read.ok()) return ToGrpcStatus(read);
        break;
      }
      case kFromTail:
        break;
    }
    for (const auto& event : batch) {
      after = event.sequence();
      if (!absl::StartsWith(event.type(), prefix)) continue;
      if (visible && !visible(event)) continue;
      if (!writer->Write(event)) return grpc::Status::CANCELLED;
    }
    // A catch-up read that found the last matching event has passed every event the tail
    // held when it began (the tail holds only numbered, committed events).
    if (next == kCatchUp && static_cast<int>(batch.size()) < kBatch)
      after = std::max(after, tail_last);
  }
  return grpc::Status::CANCELLED;
}

int64_t LatestSequence(db::Connection& connection) {
  std::unique_ptr<sql::ResultSet> rows(
      connection.Prepare("SELECT COALESCE(MAX(sequence), 0) FROM outbox").executeQuery());
  return rows->next() ? rows->getInt64(1) : 0;
}

std::vector<ChangedResource> ChangedResourcesAfter(db::Connection& connection, int64_t after,
                                                   int limit) {
  auto& select = connection.Prepare(
      "SELECT sequence, resource FROM outbox WHERE sequence > ? ORDER BY sequence LIMIT ?");
  select.setInt64(1, after);
  select.setInt(2, limit);
  std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
  std::vector<ChangedResource> changes;
  while (rows->next()) changes.push_back({rows->getInt64(1), rows->getString(2)});
  return changes;
}

}  // namespace peixun::events
