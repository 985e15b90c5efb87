#include "services/enrollment/teacher_importer.h"

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/events/outbox.h"
#include "common/server/grpc_status.h"
#include "common/util/bounds.h"
#include "common/util/clock.h"
#include "common/util/ids.h"
#include "common/util/names.h"
#include "common/util/status.h"
#include "services/enrollment/domain/enrollment_rules.h"
#include "services/enrollment/enrollment_store.h"

namespace peixun::enrollment {

TeacherImporter::TeacherImporter(server::Platform& platform, CatalogMirror& catalog)
    : platform_(platform),
      catalog_(catalog),
      imported_rows_(prometheus::BuildCounter()
                         .Name("peixun_enrollment_imported_rows_total")
                         .Help("Teacher import rows by outcome.")
                         .Register(platform.metrics().registry())) {}

namespace {

void Reject(v1::ImportTeacherResult& result, const absl::Status& status) {
  result.set_outcome(v1::ImportTeacherResult::REJECTED);
  result.clear_teacher();
  result.set_reason(std::string(status.message()));
}

bool SameTeacherFields(const v1::Teacher& a, const v1::Teacher& b) {
  v1::Teacher x = a;
  v1::Teacher y = b;
  for (v1::Teacher* t : {&x, &y}) {
    t->clear_name();
    t->clear_etag();
    t->clear_create_time();
    t->clear_update_time();
    t->clear_birth_date();
    t->clear_registered_school();  // output only, read from the school registry
  }
  return x.SerializeAsString() == y.SerializeAsString();
}

}  // namespace

std::vector<v1::ImportTeacherResult> TeacherImporter::ImportBatch(
    const auth::Access& caller, const std::vector<v1::ImportTeachersRequest>& rows,
    const server::AuditEntry& row_entry) {
  std::vector<v1::ImportTeacherResult> results(rows.size());
  std::vector<v1::Teacher> teachers(rows.size());
  const int year =
      static_cast<int>(absl::ToCivilYear(platform_.clock().Now(), ChinaTimeZone()).year());
  // Checks that need no database, row by row.
  std::vector<size_t> apply;
  std::vector<size_t> repeated;
  std::set<absl::string_view> id_numbers;
  for (size_t i = 0; i < rows.size(); ++i) {
    results[i].set_row_id(rows[i].row_id());
    v1::Teacher& teacher = teachers[i];
    teacher = rows[i].teacher();
    if (teacher.id_number().size() == 18 && teacher.id_number()[17] == 'x') {
      teacher.mutable_id_number()->back() = 'X';
    }
    // A streamed row does not pass through Handle: its bounds are checked here.
    absl::Status status = CheckRequestBounds(rows[i]);
    if (status.ok()) status = domain::ValidateTeacher(teacher, year);
    if (status.ok()) status = RegionName::Parse(teacher.county(), "teacher.county").status();
    if (!status.ok()) {
      Reject(results[i], status);
    } else if (id_numbers.insert(teacher.id_number()).second) {
      apply.push_back(i);
    } else {
      repeated.push_back(i);
    }
  }
  absl::Status applied = ApplyTeachers(caller, teachers, apply, results, row_entry);
  if (!applied.ok() && apply.size() > 1) {
    for (size_t i : apply) {
      applied = ApplyTeachers(caller, teachers, {i}, results, row_entry);
      if (!applied.ok()) Reject(results[i], applied);
    }
  } else if (!applied.ok()) {
    for (size_t i : apply) Reject(results[i], applied);
  }
  if (!repeated.empty()) {
    std::vector<v1::ImportTeachersRequest> again;
    again.reserve(repeated.size());
    for (size_t i : repeated) again.push_back(rows[i]);
    std::vector<v1::ImportTeacherResult> later = ImportBatch(caller, again, row_entry);
    for (size_t k = 0; k < repeated.size(); ++k) results[repeated[k]] = std::move(later[k]);
  }
  return results;
}

absl::Status TeacherImporter::ApplyTeachers(const auth::Access& caller,
                                            const std::vector<v1::Teacher>& teachers,
                                            const std::vector<size_t>& apply,
                                            std::vector<v1::ImportTeacherResult>& results,
                                            const server::AuditEntry& row_entry,
                                            bool regions_confirmed) {
  if (apply.empty()) return absl::OkStatus();
  std::vector<size_t> unknown_county;
  auto scope_check = [&](const std::string& county_name, const std::string& city_name) {
    auth::Resource resource;
    resource.name = county_name;
    resource.county = LastSegment(county_name);
    resource.city = LastSegment(city_name);
    return caller.Check(resource);
  };
  const std::vector<v1::ImportTeacherResult> before = results;
  absl::Status status = platform_.pool().RunInTransaction([&](db::Connection& c) -> absl::Status {
    for (size_t i : apply) results[i] = before[i];  // a retried transaction starts afresh
    unknown_county.clear();
    std::map<std::string, catalog_v1::Region> regions;
    for (auto& region : EnrollmentStore::Regions(c))
      regions.emplace(region.code(), std::move(region));
    // The city code of a county-level unit (R-1a: 济源 is its own), none for anything else.
    auto city_of = [&](const std::string& county_name) -> std::optional<std::string> {
      auto it = regions.find(LastSegment(county_name));
      if (it == regions.end() || !domain::IsCountyLevelUnit(it->second)) return std::nullopt;
      return domain::CityCodeOf(it->second);
    };
    std::vector<size_t> allowed;
    std::vector<std::string> id_numbers;
    for (size_t i : apply) {
      const v1::Teacher& teacher = teachers[i];
      const std::optional<std::string> city = city_of(teacher.county());
      absl::Status in_scope = !city ? absl::OkStatus() : scope_check(teacher.county(), *city);
      if (!city) {
        Reject(results[i], FieldError("teacher.county",
                                      absl::StrCat(teacher.county(), " is not a known county")));
        unknown_county.push_back(i);
      } else if (!in_scope.ok()) {
        Reject(results[i],
               absl::PermissionDeniedError(absl::StrCat("teacher.county: ", in_scope.message())));
      } else {
        allowed.push_back(i);
        id_numbers.push_back(teacher.id_number());
      }
    }
    // New teachers first: if another import inserts one of the same numbers at this moment,
    // the insert fails as a whole and the rows are classified again against what committed.
    std::map<std::string, TeacherRow> existing;
    std::vector<size_t> created;
    for (int attempt = 0;; ++attempt) {
      existing.clear();
      for (auto& row :
           EnrollmentStore::FindTeachersByIdNumbers(c, id_numbers, /*for_update=*/true)) {
        std::string key = row.teacher.id_number();
        existing.emplace(std::move(key), std::move(row));
      }
      created.clear();
      std::vector<std::string> new_ids;
      std::vector<const v1::Teacher*> new_teachers;
      for (size_t i : allowed) {
        if (existing.count(teachers[i].id_number()) > 0) continue;
        created.push_back(i);
        new_ids.push_back(NewOrderedId("t"));
        new_teachers.push_back(&teachers[i]);
        results[i].set_teacher("teachers/" + new_ids.back());
        results[i].set_outcome(v1::ImportTeacherResult::CREATED);
      }
      absl::Status inserted = EnrollmentStore::InsertTeachers(c, new_ids, new_teachers);
      if (inserted.ok()) break;
      if (!absl::IsAlreadyExists(inserted) || attempt == 2) return inserted;
    }
    std::vector<events::PendingEvent> events;
    for (size_t i : allowed) {
      v1::Teacher event = teachers[i];
      auto found = existing.find(event.id_number());
      if (found == existing.end()) {
        event.set_name(results[i].teacher());
        events.push_back(events::PendingEvent::Of("enrollment.teacher.created", event.name(),
                                                  domain::MaskTeacher(event)));
        continue;
      }
      const TeacherRow& old = found->second;
      const std::optional<std::string> old_city = city_of(old.teacher.county());
      if (!scope_check(old.teacher.county(), old_city.value_or("")).ok()) {
        Reject(results[i], absl::PermissionDeniedError(
                               "teacher.id_number: this teacher is registered in another region"));
        continue;
      }
      results[i].set_teacher(old.teacher.name());
      if (SameTeacherFields(old.teacher, event)) {
        results[i].set_outcome(v1::ImportTeacherResult::UNCHANGED);
        continue;
      }
      EnrollmentStore::UpdateTeacher(c, old.teacher_id, event);
      results[i].set_outcome(v1::ImportTeacherResult::UPDATED);
      event.set_name(old.teacher.name());
      events.push_back(events::PendingEvent::Of("enrollment.teacher.updated", event.name(),
                                                domain::MaskTeacher(event)));
    }
    events::AppendEvents(c, events);
    // each teacher created or changed, in the transaction that changes it.
    std::vector<server::AuditEntry> audit;
    for (size_t i : allowed) {
      const auto outcome = results[i].outcome();
      if (outcome != v1::ImportTeacherResult::CREATED &&
          outcome != v1::ImportTeacherResult::UPDATED)
        continue;
      server::AuditEntry& entry = audit.emplace_back(row_entry);
      entry.set_resource(results[i].teacher());
      entry.set_outcome("OK");
    }
    if (!audit.empty()) {
      db::Script script(c);
      server::AuditLog::AddInsert(script, audit);
      script.Run();
    }
    return absl::OkStatus();
  });
  if (status.ok()) {
    platform_.events().NotifyCommitted();
  } else {
    for (size_t i : apply) results[i] = before[i];
  }
  if (!status.ok() || unknown_county.empty() || regions_confirmed) return status;
  // a county the copy of the catalog does not know may be new in catalog. Its regions are
  // pulled (at most once a second) and those rows applied again; with catalog out of reach
  // they are not rejected as unknown counties but as a copy that may be behind.
  absl::Status pulled = catalog_.RefreshRegions();
  for (size_t i : unknown_county) {
    if (!pulled.ok()) {
      Reject(results[i], absl::UnavailableError(absl::StrCat(
                             "teacher.county: ", teachers[i].county(),
                             " is not in the local copy of the catalog, which may be behind, and ",
                             pulled.message(), "; retry later")));
    } else {
      const std::string row_id = results[i].row_id();
      results[i].Clear();
      results[i].set_row_id(row_id);
    }
  }
  if (!pulled.ok()) return absl::OkStatus();
  return ApplyTeachers(caller, teachers, unknown_county, results, row_entry, true);
}

grpc::Status TeacherImporter::Serve(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>* stream,
    const auth::Access& caller) {
  // an entry per teacher the import creates or changes, and one for the stream.
  server::AuditEntry entry;
  entry.set_kind(server::AuditEntry::CHANGE);
  entry.set_subject(caller.subject);
  entry.set_role(std::string(auth::RoleName(caller.role)));
  entry.set_client(context->peer());
  entry.set_method("ImportTeachers");
  // Rows are read on their own thread and taken in batches of whatever has arrived (at most
  // kImportBatch): a bulk upload shares commits, a row sent alone is answered at once.
  constexpr size_t kImportBatch = 1000;
  constexpr size_t kMaxQueued = 10000;
  absl::Mutex mu;
  std::deque<v1::ImportTeachersRequest> queue;
  bool reading_done = false;
  bool stop = false;
  // The number of the first row that could not be read (0: every row sent was read). The
  // stream is read as bytes so that such a row ends the call with an error, never with OK
  // as if the client had finished sending.
  int64_t unreadable_row = 0;
  int64_t rows_read = 0;
  std::thread reader([&] {
    grpc::ByteBuffer bytes;
    while (stream->Read(&bytes)) {
      v1::ImportTeachersRequest row;
      const bool parsed =
          grpc::SerializationTraits<v1::ImportTeachersRequest>::Deserialize(&bytes, &row).ok();
      absl::MutexLock lock(&mu);
      if (!parsed) {
        unreadable_row = rows_read + 1;
        break;
      }
      ++rows_read;
      auto room = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
        return queue.size() < kMaxQueued || stop;
      };
      mu.Await(absl::Condition(&room));
      if (stop) break;
      queue.push_back(std::move(row));
    }
    absl::MutexLock lock(&mu);
    reading_done = true;
  });
  grpc::Status status = grpc::Status::OK;
  int64_t answered = 0;
  std::string answered_row_id;
  while (true) {
    std::vector<v1::ImportTeachersRequest> batch;
    {
      absl::MutexLock lock(&mu);
      auto ready = [&]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return !queue.empty() || reading_done; };
      mu.Await(absl::Condition(&ready));
      if (queue.empty() && reading_done) break;
      while (!queue.empty() && batch.size() < kImportBatch) {
        batch.push_back(std::move(queue.front()));
        queue.pop_front();
      }
    }
    const std::vector<v1::ImportTeacherResult> results = ImportBatch(caller, batch, entry);
    std::map<v1::ImportTeacherResult::Outcome, int> outcomes;
    for (size_t i = 0; i < results.size() && status.ok(); ++i) {
      ++outcomes[results[i].outcome()];
      grpc::ByteBuffer bytes;
      bool own_buffer = false;
      (void)grpc::SerializationTraits<v1::ImportTeacherResult>::Serialize(results[i], &bytes,
                                                                          &own_buffer);
      // No buffer hint: a synchronous Write with one waits until a later write flushes it.
      if (!stream->Write(bytes)) status = grpc::Status::CANCELLED;
      answered_row_id = results[i].row_id();
      ++answered;
    }
    for (const auto& [outcome, n] : outcomes) {
      imported_rows_.Add({{"outcome", v1::ImportTeacherResult::Outcome_Name(outcome)}})
          .Increment(n);
    }
    if (!status.ok()) {
      absl::MutexLock lock(&mu);
      stop = true;
      break;
    }
  }
  if (!status.ok()) context->TryCancel();
  reader.join();
  if (status.ok() && unreadable_row > 0) {
    // Every row before the unreadable one was answered above; nothing after it was read.
    status = grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat(
            "row ", unreadable_row,
            " of the stream is not a readable ImportTeachersRequest "
            "(e.g. a string that is not UTF-8); ",
            answered, " rows were answered",
            answered > 0 ? absl::StrCat(", the last with row_id \"", answered_row_id, "\"") : "",
            "; nothing after it was read, send the rest again from that row"));
  }
  // The stream's entry: its outcome (each refused row's reason went back to the caller).
  entry.set_resource("teachers");
  entry.set_outcome(absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())));
  platform_.audit().Record(std::move(entry));
  return status;
}

}  // namespace peixun::enrollment
