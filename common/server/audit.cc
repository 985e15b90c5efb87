#include "common/server/audit.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <iostream>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/db/conditions.h"
#include "common/util/filter.h"
#include "common/util/paging.h"
#include "common/util/status.h"
#include "google/protobuf/descriptor.h"

namespace peixun::server {
namespace {

using google::protobuf::FieldDescriptor;

constexpr char kColumns[] =
    "id, CAST(UNIX_TIMESTAMP(time) * 1000000 AS SIGNED), kind, subject, role, client, request_id, "
    "method, "
    "resource, outcome";

std::string Cut(const std::string& s, size_t n) { return s.size() <= n ? s : s.substr(0, n); }

// FROM_UNIXTIME(seconds.micros) of a Timestamp (now when unset).
std::string TimeLiteral(const google::protobuf::Timestamp& time) {
  if (time.seconds() == 0 && time.nanos() == 0) return "CURRENT_TIMESTAMP(6)";
  return absl::StrFormat("FROM_UNIXTIME(%d.%06d)", time.seconds(), time.nanos() / 1000);
}

std::string Values(db::Script& script, const AuditEntry& e) {
  return absl::StrCat(
      "(", TimeLiteral(e.time()), ", ", static_cast<int>(e.kind()), ", ",
      script.Quote(Cut(e.subject(), 255)), ", ", script.Quote(Cut(e.role(), 32)), ", ",
      script.Quote(Cut(e.client(), 128)), ", ", script.Quote(Cut(e.request_id(), 128)), ", ",
      script.Quote(Cut(e.method(), 128)), ", ", script.Quote(Cut(e.resource(), 255)), ", ",
      script.Quote(Cut(e.outcome(), 32)), ")");
}

constexpr char kInsert[] =
    "INSERT INTO audit_log (time, kind, subject, role, client, request_id, method, resource, "
    "outcome) VALUES ";

}  // namespace

std::string ResourceOf(const google::protobuf::Message& request) {
  const auto* descriptor = request.GetDescriptor();
  const auto* reflection = request.GetReflection();
  for (const char* name :
       {"name", "teacher", "enrollment", "project", "parent", "county", "round", "year"}) {
    const FieldDescriptor* field = descriptor->FindFieldByName(name);
    if (field == nullptr || field->is_repeated()) continue;
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      std::string value = reflection->GetString(request, field);
      if (!value.empty()) return value;
    }
  }
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || field->is_repeated() ||
        !reflection->HasField(request, field)) {
      continue;
    }
    const auto& child = reflection->GetMessage(request, field);
    const FieldDescriptor* name = child.GetDescriptor()->FindFieldByName("name");
    if (name != nullptr && name->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
        !name->is_repeated()) {
      std::string value = child.GetReflection()->GetString(child, name);
      if (!value.empty()) return value;
    }
  }
  return "";
}

AuditLog::AuditLog(db::ConnectionPool& pool, prometheus::Registry& metrics,
                   absl::Duration retention)
    : pool_(pool),
      retention_(retention),
      written_(prometheus::BuildCounter()
                   .Name("peixun_audit_entries_total")
                   .Help("Audit entries written (R-37), changes and personal-data reads.")
                   .Register(metrics)
                   .Add({})),
      dropped_(prometheus::BuildCounter()
                   .Name("peixun_audit_dropped_total")
                   .Help("Audit entries not written because the writer's queue was full.")
                   .Register(metrics)
                   .Add({})) {}

AuditLog::~AuditLog() { Stop(); }

void AuditLog::Start() {
  absl::MutexLock lock(&mu_);
  if (writer_.joinable()) return;
  stopping_ = false;
  writer_ = std::thread([this] { Run(); });
}

void AuditLog::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (!writer_.joinable()) return;
    stopping_ = true;
  }
  writer_.join();
  (void)Flush();
}

void AuditLog::Run() {
  absl::Time next_prune = absl::Now();
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || queue_.size() >= 1000;
      };
      mu_.AwaitWithTimeout(absl::Condition(&wake), absl::Milliseconds(200));
      if (stopping_) return;
    }
    if (absl::Status flushed = Flush(); !flushed.ok()) {
      std::cerr << "audit: entries wait for the database: " << flushed.message() << "\n";
    }
    if (absl::Now() >= next_prune) {
      next_prune = absl::Now() + absl::Hours(1);
      if (auto pruned = Prune(absl::Now()); pruned.ok() && *pruned > 0) {
        std::cerr << "audit: pruned " << *pruned << " entries older than "
                  << absl::FormatDuration(retention_) << "\n";
      }
    }
  }
}

void AuditLog::Record(AuditEntry entry) {
  if (!entry.has_time()) {
    const absl::Time now = absl::Now();
    entry.mutable_time()->set_seconds(absl::ToUnixSeconds(now));
    entry.mutable_time()->set_nanos(static_cast<int32_t>(absl::ToUnixMicros(now) % 1000000 * 1000));
  }
  absl::MutexLock lock(&mu_);
  if (queue_.size() >= kMaxQueued) {
    dropped_.Increment();
    std::cerr << "audit: queue full, an entry of " << entry.method() << " is not recorded\n";
    return;
  }
  queue_.push_back(std::move(entry));
}

void AuditLog::Insert(db::Connection& connection, const AuditEntry& entry) {
  db::Script script(connection);
  AddInsert(script, {entry});
  script.Run();
}

void AuditLog::AddInsert(db::Script& script, const std::vector<AuditEntry>& entries) {
  if (entries.empty()) return;
  std::string sql = kInsert;
  for (size_t i = 0; i < entries.size(); ++i)
    absl::StrAppend(&sql, i == 0 ? "" : ", ", Values(script, entries[i]));
  script.Add(std::move(sql));
}

absl::Status AuditLog::Flush() {
  absl::MutexLock writer(&flush_mu_);
  for (;;) {
    std::vector<AuditEntry> batch;
    {
      absl::MutexLock lock(&mu_);
      while (!queue_.empty() && batch.size() < 1000) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (batch.empty()) return absl::OkStatus();
    absl::Status status = pool_.RunInTransaction([&](db::Connection& c) {
      db::Script script(c);
      AddInsert(script, batch);
      script.Run();
      return absl::OkStatus();
    });
    if (!status.ok()) {
      // Kept for the next attempt, in order.
      absl::MutexLock lock(&mu_);
      for (auto it = batch.rbegin(); it != batch.rend(); ++it) queue_.push_front(std::move(*it));
      return status;
    }
    written_.Increment(static_cast<double>(batch.size()));
  }
}

absl::StatusOr<int64_t> AuditLog::Prune(absl::Time now) {
  int64_t total = 0;
  const int64_t cutoff = absl::ToUnixSeconds(now - retention_);
  for (;;) {
    int deleted = 0;
    PEIXUN_RETURN_IF_ERROR(pool_.RunInTransaction([&](db::Connection& c) {
      auto& remove =
          c.Prepare("DELETE FROM audit_log WHERE time < FROM_UNIXTIME(?) ORDER BY id LIMIT 10000");
      remove.setInt64(1, cutoff);
      deleted = remove.executeUpdate();
      return absl::OkStatus();
    }));
    total += deleted;
    if (deleted < 10000) return total;
  }
}

absl::Status AuditLog::List(const common::v1::ListAuditEntriesRequest& request,
                            common::v1::ListAuditEntriesResponse* response) {
  PEIXUN_ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request.page_size()));
  PEIXUN_ASSIGN_OR_RETURN(
      auto terms, ParseFilter(request.filter(), {"subject", "resource", "method", "outcome"}));
  const std::string query = absl::StrCat(request.filter(), "|", request.start_time().seconds(), "|",
                                         request.end_time().seconds());
  PEIXUN_ASSIGN_OR_RETURN(std::string after, DecodePageToken(request.page_token(), query));
  int64_t before_id = 0;
  if (!after.empty() && !absl::SimpleAtoi(after, &before_id))
    return FieldError("page_token", "is not valid");
  auto term = [&](const char* key) {
    auto it = terms.find(key);
    return it == terms.end() ? std::string() : it->second;
  };
  const std::string subject = term("subject"), resource = term("resource"), method = term("method"),
                    outcome = term("outcome");
  std::vector<AuditEntry> entries;
  PEIXUN_RETURN_IF_ERROR(pool_.RunRead([&](db::Connection& c) {
    db::Conditions where;
    if (before_id != 0) where.Term("id < ?", {before_id});
    where.EqualUnlessEmpty("subject", subject)
        .EqualUnlessEmpty("resource", resource)
        .EqualUnlessEmpty("method", method)
        .EqualUnlessEmpty("outcome", outcome);
    if (const int64_t start = request.start_time().seconds(); start != 0)
      where.Term("time >= FROM_UNIXTIME(?)", {start});
    if (const int64_t end = request.end_time().seconds(); end != 0)
      where.Term("time < FROM_UNIXTIME(?)", {end});
    auto& select = c.Prepare(absl::StrCat("SELECT ", kColumns, " FROM audit_log WHERE TRUE",
                                          where.Sql(), " ORDER BY id DESC LIMIT ?"));
    unsigned int next = 1;
    where.Bind(select, &next);
    select.setInt(next, page_size + 1);
    std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
    while (rows->next()) {
      AuditEntry& e = entries.emplace_back();
      e.set_id(rows->getInt64(1));
      const int64_t micros = rows->getInt64(2);
      e.mutable_time()->set_seconds(micros / 1000000);
      e.mutable_time()->set_nanos(static_cast<int32_t>(micros % 1000000 * 1000));
      e.set_kind(static_cast<AuditEntry::Kind>(rows->getInt(3)));
      e.set_subject(rows->getString(4));
      e.set_role(rows->getString(5));
      e.set_client(rows->getString(6));
      e.set_request_id(rows->getString(7));
      e.set_method(rows->getString(8));
      e.set_resource(rows->getString(9));
      e.set_outcome(rows->getString(10));
    }
    return absl::OkStatus();
  }));
  if (static_cast<int>(entries.size()) > page_size) {
    entries.resize(static_cast<size_t>(page_size));
    response->set_next_page_token(EncodePageToken(std::to_string(entries.back().id()), query));
  }
  for (auto& e : entries) *response->add_entries() = std::move(e);
  return absl::OkStatus();
}

}  // namespace peixun::server
