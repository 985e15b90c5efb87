// The shared database platform against a real MariaDB: deadlock retry, the pool's bound and
// its error, migrations applied once, gap-free outbox sequences under concurrency, and
// idempotent execution exactly once.
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <atomic>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/barrier.h"
#include "absl/synchronization/notification.h"
#include "common/db/idempotency.h"
#include "common/db/migrations.h"
#include "common/db/pool.h"
#include "common/db/script.h"
#include "common/events/outbox.h"
#include "common/metrics/metrics.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "tests/support/harness.h"

namespace peixun::db {
namespace {

class PlatformDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    scratch_.Execute(
        "CREATE TABLE counters (id INT PRIMARY KEY, value INT NOT NULL) ENGINE=InnoDB");
    scratch_.Execute("INSERT INTO counters VALUES (1, 0), (2, 0)");
  }
  DbConfig Config(int pool_size) {
    DbConfig config = scratch_.config();
    config.pool_size = pool_size;
    return config;
  }
  int64_t Counter(int id) {
    return std::stoll(
        scratch_.QueryValue("SELECT value FROM counters WHERE id = " + std::to_string(id)));
  }
  static void Bump(Connection& c, int id) {
    auto& update = c.Prepare("UPDATE counters SET value = value + 1 WHERE id = ?");
    update.setInt(1, id);
    update.executeUpdate();
  }

  testing::ScratchDatabase scratch_;
  metrics::MetricsRegistry metrics_;
};

TEST_F(PlatformDbTest, DeadlockedTransactionIsRetriedAndBothCommit) {
  ConnectionPool pool(Config(4), &metrics_.db());
  // Two transactions lock the rows in opposite orders, meeting in the middle: InnoDB kills one
  // (error 1213) and the pool runs it again.
  absl::Barrier* both_hold_first_lock = new absl::Barrier(2);
  std::atomic<int> attempts{0};
  auto transfer = [&](int first, int second) {
    bool first_attempt = true;
    return pool.RunInTransaction([&, first, second](Connection& c) {
      attempts++;
      Bump(c, first);
      if (first_attempt) {
        first_attempt = false;
        if (both_hold_first_lock->Block()) delete both_hold_first_lock;
      }
      Bump(c, second);
      return absl::OkStatus();
    });
  };
  absl::Status a;
  absl::Status b;
  std::thread ta([&] { a = transfer(1, 2); });
  std::thread tb([&] { b = transfer(2, 1); });
  ta.join();
  tb.join();
  EXPECT_TRUE(a.ok()) << a;
  EXPECT_TRUE(b.ok()) << b;
  EXPECT_EQ(Counter(1), 2);
  EXPECT_EQ(Counter(2), 2);
  EXPECT_GE(attempts.load(), 3);
  EXPECT_GE(metrics_.db().transaction_retries->Value(), 1);
}

TEST_F(PlatformDbTest, FailedWorkRollsBackEverything) {
  ConnectionPool pool(Config(2), &metrics_.db());
  absl::Status status = pool.RunInTransaction([](Connection& c) {
    Bump(c, 1);
    return absl::FailedPreconditionError("R-0 refused after a write");
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Counter(1), 0);
}

TEST_F(PlatformDbTest, ExhaustedPoolAnswersUnavailableInsteadOfQueueingForever) {
  DbConfig config = Config(1);
  config.acquire_timeout = absl::Milliseconds(200);
  ConnectionPool pool(config, &metrics_.db());
  absl::Notification holding;
  absl::Notification release;
  std::thread holder([&] {
    (void)pool.RunInTransaction([&](Connection&) {
      holding.Notify();
      release.WaitForNotification();
      return absl::OkStatus();
    });
  });
  holding.WaitForNotification();
  absl::Status waited = pool.RunRead([](Connection&) { return absl::OkStatus(); });
  release.Notify();
  holder.join();
  ASSERT_EQ(waited.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(waited.message().find("no free connection"), std::string::npos);
  EXPECT_EQ(metrics_.db().pool_timeouts->Value(), 1);
  EXPECT_TRUE(pool.Ping().ok());
}

TEST_F(PlatformDbTest, ScriptSendsStatementsTogetherAndQuotesHostileText) {
  ConnectionPool pool(Config(1), &metrics_.db());
  scratch_.Execute(
      "CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(64) NOT NULL, raw BLOB) ENGINE=InnoDB");
  const std::string hostile = "河南'); DROP TABLE counters; -- \\' \"";
  const std::string bytes("\0\x01'\xff", 4);
  std::vector<std::string> bodies;
  int64_t counted = -1;
  absl::Status status = pool.RunInTransaction([&](Connection& c) {
    Script script(c);
    script.Add(absl::StrCat("INSERT INTO notes VALUES (1, ", script.Quote(hostile), ", ",
                            Script::Hex(bytes), ")"));
    script.Add("UPDATE counters SET value = value + 5 WHERE id = 1");
    script.Add(absl::StrCat("SELECT body, raw FROM notes WHERE body IN ",
                            script.QuotedList({hostile, "x"})),
               [&](sql::ResultSet& rows) {
                 while (rows.next()) {
                   bodies.push_back(rows.getString(1));
                   bodies.push_back(ReadBlob(rows, 2));
                 }
               });
    script.Add("SELECT COUNT(*) FROM counters", [&](sql::ResultSet& rows) {
      rows.next();
      counted = rows.getInt64(1);
    });
    script.Run();
    return absl::OkStatus();
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(bodies, (std::vector<std::string>{hostile, bytes}));
  EXPECT_EQ(counted, 2);
  EXPECT_EQ(Counter(1), 5);

  // A statement failing mid-script: the ones before it roll back with the transaction, the
  // ones after it never run, and the pooled connection still works for the next caller.
  status = pool.RunInTransaction([&](Connection& c) {
    Script script(c);
    script.Add("UPDATE counters SET value = value + 1 WHERE id = 2");
    script.Add("INSERT INTO notes VALUES (1, 'again', NULL)");  // duplicate key
    script.Add("UPDATE counters SET value = value + 100 WHERE id = 1");
    script.Run();
    return absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
  EXPECT_NE(std::string(status.message()).find("1062"), std::string::npos) << status;
  EXPECT_EQ(Counter(1), 5);
  EXPECT_EQ(Counter(2), 0);
  status = pool.RunInTransaction([&](Connection& c) {
    Bump(c, 2);
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(Counter(2), 1);
}

TEST_F(PlatformDbTest, SelfCommittingWorkCommitsInItsScriptAndRollsBackOnFailure) {
  ConnectionPool pool(Config(1), &metrics_.db());
  auto bump_in_script = [&](bool commit, absl::Status outcome) {
    return pool.RunSelfCommitting([&](Connection& c) {
      Script script(c);
      script.Add("START TRANSACTION");
      script.Add("UPDATE counters SET value = value + 1 WHERE id = 1");
      if (commit) script.Add("COMMIT");
      script.Run();
      return outcome;
    });
  };
  EXPECT_TRUE(bump_in_script(true, absl::OkStatus()).ok());
  EXPECT_EQ(Counter(1), 1);
  // The work fails before its COMMIT: the open transaction is rolled back, not left on the
  // pooled connection for the next caller to commit.
  EXPECT_EQ(bump_in_script(false, absl::FailedPreconditionError("R-0")).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(pool.RunInTransaction([](Connection& c) {
                    Bump(c, 2);
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(Counter(1), 1);
  EXPECT_EQ(Counter(2), 1);
}

TEST_F(PlatformDbTest, MigrationsApplyOnceAndRecordThemselves) {
  ConnectionPool pool(Config(2), nullptr);
  std::vector<Migration> migrations = {
      {1, "001_things",
       "CREATE TABLE things (id INT PRIMARY KEY);\nINSERT INTO things VALUES (1);"},
      {2, "002_more", "INSERT INTO things VALUES (2);"},
  };
  ASSERT_TRUE(ApplyMigrations(pool, migrations).ok());
  ASSERT_TRUE(ApplyMigrations(pool, migrations).ok());
  EXPECT_EQ(scratch_.QueryValue("SELECT COUNT(*) FROM things"), "2");
  EXPECT_EQ(scratch_.QueryValue("SELECT COUNT(*) FROM schema_migrations WHERE version > 0"), "2");
  EXPECT_EQ(scratch_.QueryValue("SELECT name FROM schema_migrations WHERE version = 2"),
            "002_more");
  migrations.push_back({3, "003_broken", "INSERT INTO nowhere VALUES (1);"});
  absl::Status broken = ApplyMigrations(pool, migrations);
  EXPECT_EQ(broken.code(), absl::StatusCode::kInternal);
  EXPECT_NE(broken.message().find("003_broken"), std::string::npos);
  EXPECT_EQ(scratch_.QueryValue("SELECT COUNT(*) FROM schema_migrations WHERE version = 3"), "0");
}

TEST_F(PlatformDbTest, OutboxSequencesHaveNoGapsUnderConcurrency) {
  ConnectionPool pool(Config(12), nullptr);
  ASSERT_TRUE(ApplyMigrations(pool, {}).ok());
  // Two replicas' sequencers number events while eight writers commit them.
  events::EventFeed replica_a(pool);
  events::EventFeed replica_b(pool);
  replica_a.StartSequencer();
  replica_b.StartSequencer();
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        google::protobuf::Int32Value payload;
        payload.set_value(t * 100 + i);
        ASSERT_TRUE(pool.RunInTransaction([&](Connection& c) {
                          events::AppendEvent(c, "test.event", absl::StrCat("things/", t), payload);
                          return absl::OkStatus();
                        })
                        .ok());
        replica_a.NotifyCommitted();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  replica_a.StopSequencer();
  replica_b.StopSequencer();
  EXPECT_EQ(scratch_.QueryValue("SELECT COUNT(*) FROM outbox"), "200");
  EXPECT_EQ(scratch_.QueryValue("SELECT COUNT(DISTINCT sequence) FROM outbox"), "200");
  EXPECT_EQ(scratch_.QueryValue("SELECT MIN(sequence) FROM outbox"), "1");
  EXPECT_EQ(scratch_.QueryValue("SELECT MAX(sequence) FROM outbox"), "200");
  // Each writer's events keep the order it committed them in.
  std::vector<common::v1::Event> all;
  ASSERT_TRUE(replica_b.ReadAfter(0, "test.", 1000, &all).ok());
  ASSERT_EQ(all.size(), 200u);
  std::map<std::string, int> last_value;
  for (const auto& event : all) {
    google::protobuf::Int32Value payload;
    ASSERT_TRUE(event.payload().UnpackTo(&payload));
    auto [it, first] = last_value.emplace(event.resource(), payload.value());
    if (!first) {
      EXPECT_GT(payload.value(), it->second) << event.resource();
      it->second = payload.value();
    }
  }
  std::vector<common::v1::Event> read;
  ASSERT_TRUE(replica_a.ReadAfter(150, "test.", 100, &read).ok());
  ASSERT_EQ(read.size(), 50u);
  EXPECT_EQ(read.front().sequence(), 151);
  EXPECT_EQ(read.back().sequence(), 200);
}

TEST_F(PlatformDbTest, AnEventCommittedLateIsNumberedAfterThoseAlreadyServed) {
  ConnectionPool pool(Config(4), nullptr);
  ASSERT_TRUE(ApplyMigrations(pool, {}).ok());
  events::EventFeed feed(pool);
  google::protobuf::Int32Value payload;
  // A slow transaction inserts its event first and commits last.
  absl::Notification inserted, release;
  std::thread slow([&] {
    ASSERT_TRUE(pool.RunInTransaction([&](Connection& c) {
                      payload.set_value(1);
                      events::AppendEvent(c, "test.slow", "things/slow", payload);
                      inserted.Notify();
                      release.WaitForNotification();
                      return absl::OkStatus();
                    })
                    .ok());
  });
  inserted.WaitForNotification();
  ASSERT_TRUE(pool.RunInTransaction([&](Connection& c) {
                    events::AppendEvent(c, "test.fast", "things/fast", payload);
                    return absl::OkStatus();
                  })
                  .ok());
  ASSERT_EQ(*feed.SequencePending(), 1);  // the slow event is not committed: not numbered
  std::vector<common::v1::Event> read;
  ASSERT_TRUE(feed.ReadAfter(0, "test.", 10, &read).ok());
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].type(), "test.fast");
  release.Notify();
  slow.join();
  ASSERT_EQ(*feed.SequencePending(), 1);
  // A follower that already read sequence 1 finds the late event after it.
  ASSERT_TRUE(feed.ReadAfter(read[0].sequence(), "test.", 10, &read).ok());
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].type(), "test.slow");
  EXPECT_EQ(read[0].sequence(), 2);
}

TEST_F(PlatformDbTest, IdempotentWorkRunsOnceAndRefusesAChangedRequest) {
  ConnectionPool pool(Config(4), nullptr);
  ASSERT_TRUE(ApplyMigrations(pool, {}).ok());
  google::protobuf::StringValue request;
  request.set_value("bump counter 1");
  int runs = 0;
  auto bump_as = [&](const std::string& caller, google::protobuf::Int64Value* response) {
    return RunIdempotent(pool, caller, "Bump", request, "req-1", response, [&](Connection& c) {
      ++runs;
      Bump(c, 1);
      response->set_value(40 + runs);
      return absl::OkStatus();
    });
  };
  auto bump = [&](google::protobuf::Int64Value* response) { return bump_as("caller-a", response); };
  google::protobuf::Int64Value first;
  google::protobuf::Int64Value second;
  ASSERT_TRUE(bump(&first).ok());
  ASSERT_TRUE(bump(&second).ok());
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(second.value(), 41);
  EXPECT_EQ(Counter(1), 1);
  // Another caller using the same request id neither replays the first caller's answer nor
  // collides with it: its own change runs, under its own key.
  google::protobuf::Int64Value other;
  ASSERT_TRUE(bump_as("caller-b", &other).ok());
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(other.value(), 42);
  EXPECT_EQ(Counter(1), 2);
  request.set_value("something else");
  google::protobuf::Int64Value third;
  absl::Status changed = bump(&third);
  EXPECT_EQ(changed.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Counter(1), 2);
  EXPECT_EQ(ValidateRequestId(std::string(129, 'x')).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateRequestId("has space").code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace peixun::db
