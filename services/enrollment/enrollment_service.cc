#include "services/enrollment/enrollment_service.h"

#include <cppconn/exception.h>

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/auth/access.h"
#include "common/db/idempotency.h"
#include "common/db/rows.h"
#include "common/events/outbox.h"
#include "common/util/bounds.h"
#include "common/util/filter.h"
#include "common/util/ids.h"
#include "common/util/names.h"
#include "common/util/paging.h"
#include "common/util/status.h"
#include "google/protobuf/util/field_mask_util.h"
#include "grpcpp/support/method_handler.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"
#include "services/enrollment/domain/enrollment_rules.h"

namespace peixun::enrollment {
namespace {

using auth::Role;

std::string CodeOf(const std::string& region_name) {
  return region_name.substr(region_name.rfind('/') + 1);
}

// the masked ID number, and nothing beside it that rebuilds it (the birth date is
// digits 7 to 14 of the ID number).
v1::Teacher Masked(v1::Teacher teacher) {
  teacher.set_id_number(domain::MaskIdNumber(teacher.id_number()));
  teacher.clear_birth_date();
  return teacher;
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
  }
  return x.SerializeAsString() == y.SerializeAsString();
}

// The city a county belongs to, as a metrics label: its first four digits; 济源示范区 (419001,
// county-level and run as a city) is its own.
std::string CityLabel(const std::string& region_code) {
  if (region_code.size() < 4) return region_code.empty() ? "none" : region_code;
  return region_code.rfind("4190", 0) == 0 ? region_code : region_code.substr(0, 4);
}

}  // namespace

EnrollmentService::EnrollmentService(server::Platform& platform, CatalogMirror& catalog,
                                     int nomination_batches)
    : platform_(platform),
      handlers_(platform),
      catalog_(catalog),
      nominations_(prometheus::BuildCounter()
                       .Name("peixun_enrollment_nominations_total")
                       .Help("Nomination attempts by outcome (accepted or the rule that refused).")
                       .Register(platform.metrics().registry())),
      imported_rows_(prometheus::BuildCounter()
                         .Name("peixun_enrollment_imported_rows_total")
                         .Help("Teacher import rows by outcome.")
                         .Register(platform.metrics().registry())),
      city_quota_(prometheus::BuildGauge()
                      .Name("peixun_enrollment_city_quota_seats")
                      .Help("Seats of the county quotas of this year's and next year's plans, by "
                            "city and year.")
                      .Register(platform.metrics().registry())),
      city_nominated_(prometheus::BuildGauge()
                          .Name("peixun_enrollment_city_nominated_seats")
                          .Help("Seats held by nominations, by city and year (quota fill).")
                          .Register(platform.metrics().registry())),
      desk_(platform, catalog, nomination_batches),
      city_fill_(platform.background().AddLoop("city quota fill gauges", absl::Seconds(30),
                                               [this] { RefreshCityFill(); })) {
  // ImportTeachers is served over bytes and parses each row itself: a typed reader ends the
  // stream on a row it cannot parse exactly as it ends on the client's last row, and the call
  // would end OK with that row and every later one unanswered. The method keeps its place and
  // its synchronous API; only its handler's message types change.
  const int import_index = v1::ImportTeachersRequest::descriptor()
                               ->file()
                               ->FindServiceByName("EnrollmentService")
                               ->FindMethodByName("ImportTeachers")
                               ->index();
  MarkMethodStreamed(import_index,
                     new grpc::internal::BidiStreamingHandler<EnrollmentService, grpc::ByteBuffer,
                                                              grpc::ByteBuffer>(
                         [](EnrollmentService* service, grpc::ServerContext* context,
                            grpc::ServerReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>* stream) {
                           return service->ImportTeachers(context, stream);
                         },
                         this));
}

absl::CivilDay EnrollmentService::Today() const {
  return absl::ToCivilDay(platform_.clock().Now(), ChinaTimeZone());
}

bool EnrollmentService::SeesIdNumber(const auth::Caller& caller, const v1::Teacher& teacher) {
  return caller.role == Role::kProvinceAdmin ||
         (caller.role == Role::kCountyAdmin && teacher.county() == "regions/" + caller.region_code);
}

// ---- Teachers -----------------------------------------------------------------------------

namespace {

void Reject(v1::ImportTeacherResult& result, const absl::Status& status) {
  result.set_outcome(v1::ImportTeacherResult::REJECTED);
  result.clear_teacher();
  result.set_reason(std::string(status.message()));
}

}  // namespace

std::vector<v1::ImportTeacherResult> EnrollmentService::ImportBatch(
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
    if (status.ok())
      status = ParseName(teacher.county(), "regions/{code}", "teacher.county").status();
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
    for (size_t i : repeated) again.push_back(rows[i]);
    std::vector<v1::ImportTeacherResult> later = ImportBatch(caller, again, row_entry);
    for (size_t k = 0; k < repeated.size(); ++k) results[repeated[k]] = std::move(later[k]);
  }
  return results;
}

absl::Status EnrollmentService::ApplyTeachers(const auth::Access& caller,
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
    resource.county = CodeOf(county_name);
    resource.city = CodeOf(city_name);
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
      auto it = regions.find(CodeOf(county_name));
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
      try {
        EnrollmentStore::InsertTeachers(c, new_ids, new_teachers);
        break;
      } catch (const sql::SQLException& e) {
        if (e.getErrorCode() != db::kErrDuplicateKey || attempt == 2) throw;
      }
    }
    std::vector<events::PendingEvent> events;
    for (size_t i : allowed) {
      v1::Teacher event = teachers[i];
      auto found = existing.find(event.id_number());
      if (found == existing.end()) {
        event.set_name(results[i].teacher());
        events.push_back(
            events::PendingEvent::Of("enrollment.teacher.created", event.name(), Masked(event)));
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
      events.push_back(
          events::PendingEvent::Of("enrollment.teacher.updated", event.name(), Masked(event)));
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

grpc::Status EnrollmentService::ImportTeachers(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>* stream) {
  auto caller = handlers_.Admit(context, "ImportTeachers");
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  // an entry per teacher the import creates or changes, and one for the stream.
  server::AuditEntry entry;
  entry.set_kind(server::AuditEntry::CHANGE);
  entry.set_subject(caller->subject);
  entry.set_role(std::string(auth::RoleName(caller->role)));
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
    const std::vector<v1::ImportTeacherResult> results = ImportBatch(*caller, batch, entry);
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

grpc::Status EnrollmentService::GetTeacher(grpc::ServerContext* context,
                                           const v1::GetTeacherRequest* request,
                                           v1::Teacher* response) {
  return Handle(context, "GetTeacher", *request, [&](const auth::Access& caller) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(std::string id,
                            ParseId(request->name(), "teachers/{teacher}", "teacher", "name"));
    return handlers_.Read([&](db::Connection& c) -> absl::Status {
      auto row = EnrollmentStore::FindTeacher(c, id);
      if (!row) return absl::NotFoundError(absl::StrCat(request->name(), " does not exist"));
      PEIXUN_RETURN_IF_ERROR(caller.Check(TeacherResource(c, caller, row->teacher)));
      *response = SeesIdNumber(caller, row->teacher) ? row->teacher : Masked(row->teacher);
      return absl::OkStatus();
    });
  });
}

grpc::Status EnrollmentService::ListTeachers(grpc::ServerContext* context,
                                             const v1::ListTeachersRequest* request,
                                             v1::ListTeachersResponse* response) {
  return Handle(context, "ListTeachers", *request, [&](const auth::Access& caller) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request->page_size()));
    PEIXUN_ASSIGN_OR_RETURN(auto terms, ParseFilter(request->filter(), {"county"}));
    std::string county;
    if (auto it = terms.find("county"); it != terms.end()) {
      PEIXUN_ASSIGN_OR_RETURN(auto parts, ParseName(it->second, "regions/{code}", "filter county"));
      county = parts["code"];
    }
    PEIXUN_ASSIGN_OR_RETURN(std::string after,
                            DecodePageToken(request->page_token(), request->filter()));
    std::vector<TeacherRow> rows;
    PEIXUN_RETURN_IF_ERROR(handlers_.Read([&](db::Connection& c) -> absl::Status {
      std::string city;
      std::string teacher;
      PEIXUN_RETURN_IF_ERROR(NarrowToScope(c, caller, county, city, teacher));
      rows = EnrollmentStore::ListTeachers(c, county, city, after, page_size + 1);
      return absl::OkStatus();
    }));
    if (static_cast<int>(rows.size()) > page_size) {
      rows.resize(page_size);
      response->set_next_page_token(EncodePageToken(rows.back().teacher_id, request->filter()));
    }
    for (auto& row : rows) {
      *response->add_teachers() =
          SeesIdNumber(caller, row.teacher) ? row.teacher : Masked(row.teacher);
    }
    return absl::OkStatus();
  });
}

grpc::Status EnrollmentService::UpdateTeacher(grpc::ServerContext* context,
                                              const v1::UpdateTeacherRequest* request,
                                              v1::Teacher* response) {
  return Handle(
      context, "UpdateTeacher", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(
            std::string id,
            ParseId(request->teacher().name(), "teachers/{teacher}", "teacher", "teacher.name"));
        static const std::set<std::string> kUpdatable = {
            "display_name",        "gender", "school", "county", "stage", "subjects", "rural",
            "teaching_since_year", "roles"};
        if (request->update_mask().paths_size() == 0) {
          return FieldError("update_mask", "must name the fields to change");
        }
        for (const auto& path : request->update_mask().paths()) {
          if (kUpdatable.count(path) == 0) {
            return FieldError(
                "update_mask",
                absl::StrCat("'", path, "' cannot be updated",
                             path == "id_number" ? " (the ID number never changes)" : ""));
          }
        }
        const v1::Teacher& given = request->teacher();
        const int year = static_cast<int>(Today().year());
        return Mutate(caller, "UpdateTeacher", *request, request->request_id(), response,
                      [&](db::Connection& c) -> absl::Status {
                        auto current = EnrollmentStore::FindTeacher(c, id, /*for_update=*/true);
                        if (!current) {
                          return absl::NotFoundError(absl::StrCat(given.name(), " does not exist"));
                        }
                        v1::Teacher teacher = current->teacher;
                        if (!given.etag().empty() && given.etag() != teacher.etag()) {
                          return absl::AbortedError(
                              absl::StrCat("etag: ", teacher.name(), " changed since it was read"));
                        }
                        auto allowed = [&](const std::string& county) -> absl::Status {
                          auto region = EnrollmentStore::FindRegion(c, CodeOf(county));
                          if (!region || !domain::IsCountyLevelUnit(*region)) {
                            return FieldError("teacher.county",
                                              absl::StrCat(county, " is not a known county"));
                          }
                          auth::Resource resource;
                          resource.name = county;
                          resource.county = CodeOf(county);
                          resource.city = domain::CityCodeOf(*region);
                          return caller.Check(resource);
                        };
                        PEIXUN_RETURN_IF_ERROR(allowed(teacher.county()));
                        google::protobuf::util::FieldMaskUtil::MergeOptions options;
                        options.set_replace_message_fields(true);
                        options.set_replace_repeated_fields(true);
                        google::protobuf::util::FieldMaskUtil::MergeMessageTo(
                            given, request->update_mask(), options, &teacher);
                        PEIXUN_RETURN_IF_ERROR(domain::ValidateTeacher(teacher, year));
                        PEIXUN_RETURN_IF_ERROR(allowed(teacher.county()));
                        EnrollmentStore::UpdateTeacher(c, id, teacher);
                        auto updated = EnrollmentStore::FindTeacher(c, id);
                        *response = SeesIdNumber(caller, updated->teacher)
                                        ? updated->teacher
                                        : Masked(updated->teacher);
                        events::AppendEvent(c, "enrollment.teacher.updated",
                                            updated->teacher.name(), Masked(updated->teacher));
                        return absl::OkStatus();
                      });
      });
}

// ---- Nominations (R-7, R-9, R-13) ---------------------------------------------------------

grpc::Status EnrollmentService::NominateTeacher(grpc::ServerContext* context,
                                                const v1::NominateTeacherRequest* request,
                                                v1::Enrollment* response) {
  return Handle(
      context, "NominateTeacher", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(
            auto project_parts,
            ParseName(request->project(), "years/{year}/projects/{project}", "project"));
        NominationDesk::Nomination pending;
        PEIXUN_ASSIGN_OR_RETURN(pending.judged.project.first,
                                ParseYear(project_parts["year"], "project"));
        pending.judged.project.second = project_parts["project"];
        PEIXUN_RETURN_IF_ERROR(ValidateId(pending.judged.project.second, "project"));
        PEIXUN_ASSIGN_OR_RETURN(
            pending.judged.teacher_id,
            ParseId(request->teacher(), "teachers/{teacher}", "teacher", "teacher"));
        PEIXUN_RETURN_IF_ERROR(db::ValidateRequestId(request->request_id()));
        pending.request = request;
        pending.judged.county = caller.region_code;
        pending.judged.today = Today();
        pending.actor = caller.subject;
        pending.caller_key = auth::IdentityKey(caller);
        pending.audit = server::Handlers::TakeCurrentAuditEntry();
        if (!request->request_id().empty()) pending.request_hash = db::RequestHash(*request);
        desk_.Nominate(&pending);
        // By city too, for the dashboards' seats filled per city (18 cities, a handful of
        // outcomes).
        nominations_
            .Add({{"outcome", pending.status.ok()
                                  ? "accepted"
                                  : (pending.refused_by.empty() ? "error" : pending.refused_by)},
                  {"city", CityLabel(caller.region_code)}})
            .Increment();
        if (!pending.status.ok() && pending.audit) {
          pending.audit->set_outcome(absl::StatusCodeToString(pending.status.code()));
          platform_.audit().Record(*std::move(pending.audit));
        }
        if (pending.status.ok()) *response = std::move(pending.response);
        return pending.status;
      });
}

grpc::Status EnrollmentService::CreateEnrollmentPolicy(
    grpc::ServerContext* context, const v1::CreateEnrollmentPolicyRequest* request,
    v1::EnrollmentPolicy* response) {
  return Handle(
      context, "CreateEnrollmentPolicy", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(auto parts, ParseName(request->parent(), "years/{year}", "parent"));
        PEIXUN_ASSIGN_OR_RETURN(int year, ParseYear(parts["year"], "parent"));
        PEIXUN_RETURN_IF_ERROR(domain::ValidateEnrollmentPolicy(request->enrollment_policy()));
        return Mutate(caller, "CreateEnrollmentPolicy", *request, request->request_id(), response,
                      [&](db::Connection& c) -> absl::Status {
                        PEIXUN_ASSIGN_OR_RETURN(
                            *response, EnrollmentStore::InsertPolicy(
                                           c, year, request->enrollment_policy(), caller.subject));
                        events::AppendEvent(c, "enrollment.policy.created", response->name(),
                                            *response);
                        return absl::OkStatus();
                      });
      });
}

grpc::Status EnrollmentService::GetEnrollmentPolicy(grpc::ServerContext* context,
                                                    const v1::GetEnrollmentPolicyRequest* request,
                                                    v1::EnrollmentPolicy* response) {
  return Handle(context, "GetEnrollmentPolicy", *request, [&](const auth::Caller&) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(
        auto parts,
        ParseName(request->name(), "years/{year}/enrollmentPolicies/{version}", "name"));
    PEIXUN_ASSIGN_OR_RETURN(int year, ParseYear(parts["year"], "name"));
    PEIXUN_ASSIGN_OR_RETURN(int version, ParseVersion(parts["version"], "name"));
    return handlers_.Read([&](db::Connection& c) -> absl::Status {
      PEIXUN_ASSIGN_OR_RETURN(*response, EnrollmentStore::GetPolicy(c, year, version));
      return absl::OkStatus();
    });
  });
}

grpc::Status EnrollmentService::GetEnrollment(grpc::ServerContext* context,
                                              const v1::GetEnrollmentRequest* request,
                                              v1::Enrollment* response) {
  return Handle(
      context, "GetEnrollment", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(std::string id, ParseId(request->name(), "enrollments/{enrollment}",
                                                        "enrollment", "name"));
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          PEIXUN_ASSIGN_OR_RETURN(v1::Enrollment enrollment, EnrollmentStore::GetEnrollment(c, id));
          PEIXUN_RETURN_IF_ERROR(caller.Check(EnrollmentResource(c, enrollment)));
          *response = std::move(enrollment);
          return absl::OkStatus();
        });
      });
}

auth::Resource EnrollmentService::TeacherResource(db::Connection& c, const auth::Access& access,
                                                  const v1::Teacher& teacher) {
  auth::Resource resource;
  resource.name = teacher.name();
  resource.teacher = teacher.name();
  resource.county = CodeOf(teacher.county());
  if (auto region = EnrollmentStore::FindRegion(c, resource.county))
    resource.city = domain::CityCodeOf(*region);
  if (access.scope == auth::Scope::kOwnHost) {
    // a host reads the trainees of its own projects' enrollments.
    for (const auto& e : EnrollmentStore::TeacherEnrollments(c, CodeOf(teacher.name()))) {
      if (e.project.host() == access.host) resource.host = access.host;
    }
  }
  return resource;
}

auth::Resource EnrollmentService::EnrollmentResource(db::Connection& c,
                                                     const v1::Enrollment& enrollment) {
  auth::Resource resource;
  resource.name = enrollment.name();
  resource.teacher = enrollment.teacher();
  resource.county = CodeOf(enrollment.county());
  if (auto region = EnrollmentStore::FindRegion(c, resource.county))
    resource.city = domain::CityCodeOf(*region);
  auto parts = ParseName(enrollment.project(), "years/{year}/projects/{project}", "project");
  int year = 0;
  if (parts.ok() && absl::SimpleAtoi((*parts)["year"], &year)) {
    if (auto project = EnrollmentStore::FindProject(c, year, (*parts)["project"]))
      resource.host = project->host();
  }
  return resource;
}

absl::Status EnrollmentService::NarrowToScope(db::Connection& c, const auth::Access& access,
                                              std::string& county_code, std::string& city_code,
                                              std::string& teacher_id) {
  auth::Resource named;
  switch (access.scope) {
    case auth::Scope::kAll:
      return absl::OkStatus();
    case auth::Scope::kOwnCounty:
    case auth::Scope::kOwnCity:
      if (county_code.empty()) {
        (access.scope == auth::Scope::kOwnCounty ? county_code : city_code) = access.region_code;
        return absl::OkStatus();
      }
      named.name = "regions/" + county_code;
      named.county = county_code;
      if (auto region = EnrollmentStore::FindRegion(c, county_code))
        named.city = domain::CityCodeOf(*region);
      return access.Check(named);
    case auth::Scope::kSelf:
      named.name = teacher_id.empty() ? "" : "teachers/" + teacher_id;
      named.teacher = named.name;
      if (!teacher_id.empty()) PEIXUN_RETURN_IF_ERROR(access.Check(named));
      teacher_id = CodeOf(access.subject);
      return absl::OkStatus();
    default:
      return absl::PermissionDeniedError(absl::StrCat("role ", auth::RoleName(access.role),
                                                      " may not ", access.policy->action,
                                                      " by region or teacher"));
  }
}

grpc::Status EnrollmentService::ListEnrollments(grpc::ServerContext* context,
                                                const v1::ListEnrollmentsRequest* request,
                                                v1::ListEnrollmentsResponse* response) {
  return Handle(
      context, "ListEnrollments", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request->page_size()));
        PEIXUN_ASSIGN_OR_RETURN(
            auto terms,
            ParseFilter(request->filter(), {"year", "project", "county", "teacher", "state"}));
        EnrollmentStore::EnrollmentFilter filter;
        if (auto it = terms.find("year"); it != terms.end()) {
          PEIXUN_ASSIGN_OR_RETURN(filter.year, ParseYear(it->second, "filter year"));
        }
        if (auto it = terms.find("project"); it != terms.end()) {
          PEIXUN_ASSIGN_OR_RETURN(
              auto parts,
              ParseName(it->second, "years/{year}/projects/{project}", "filter project"));
          PEIXUN_ASSIGN_OR_RETURN(filter.year, ParseYear(parts["year"], "filter project"));
          filter.project_id = parts["project"];
        }
        if (auto it = terms.find("county"); it != terms.end()) {
          PEIXUN_ASSIGN_OR_RETURN(auto parts,
                                  ParseName(it->second, "regions/{code}", "filter county"));
          filter.county_code = parts["code"];
        }
        if (auto it = terms.find("teacher"); it != terms.end()) {
          PEIXUN_ASSIGN_OR_RETURN(filter.teacher_id, ParseId(it->second, "teachers/{teacher}",
                                                             "teacher", "filter teacher"));
        }
        if (auto it = terms.find("state"); it != terms.end()) {
          v1::EnrollmentState state;
          if (!v1::EnrollmentState_Parse(it->second, &state) ||
              state == v1::ENROLLMENT_STATE_UNSPECIFIED) {
            return FieldError("filter",
                              absl::StrCat("'", it->second, "' is not an enrollment state"));
          }
          filter.state = state;
        }
        PEIXUN_ASSIGN_OR_RETURN(std::string after,
                                DecodePageToken(request->page_token(), request->filter()));
        std::vector<v1::Enrollment> items;
        PEIXUN_RETURN_IF_ERROR(handlers_.Read([&](db::Connection& c) -> absl::Status {
          if (caller.scope == auth::Scope::kOwnHost) {
            // a host lists the enrollments of one of its own projects at a time.
            if (filter.project_id.empty()) {
              return FieldError("filter",
                                "a host lists the enrollments of one of its projects: "
                                "project = \"years/{year}/projects/{project}\"");
            }
            auto project = EnrollmentStore::FindProject(c, filter.year, filter.project_id);
            auth::Resource resource;
            resource.name = absl::StrCat("years/", filter.year, "/projects/", filter.project_id);
            if (project) resource.host = project->host();
            PEIXUN_RETURN_IF_ERROR(caller.Check(resource));
          } else {
            PEIXUN_RETURN_IF_ERROR(
                NarrowToScope(c, caller, filter.county_code, filter.city_code, filter.teacher_id));
          }
          items = EnrollmentStore::ListEnrollments(c, filter, after, page_size + 1);
          return absl::OkStatus();
        }));
        if (static_cast<int>(items.size()) > page_size) {
          items.resize(page_size);
          response->set_next_page_token(
              EncodePageToken(CodeOf(items.back().name()), request->filter()));
        }
        for (auto& e : items) *response->add_enrollments() = std::move(e);
        return absl::OkStatus();
      });
}

grpc::Status EnrollmentService::GetTrainingArchive(grpc::ServerContext* context,
                                                   const v1::GetTrainingArchiveRequest* request,
                                                   v1::TrainingArchive* response) {
  return Handle(
      context, "GetTrainingArchive", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(std::string id, ParseId(request->teacher(), "teachers/{teacher}",
                                                        "teacher", "teacher"));
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          auto teacher = EnrollmentStore::FindTeacher(c, id);
          if (!teacher)
            return absl::NotFoundError(absl::StrCat(request->teacher(), " does not exist"));
          PEIXUN_RETURN_IF_ERROR(caller.Check(TeacherResource(c, caller, teacher->teacher)));
          response->set_teacher(teacher->teacher.name());
          // every enrollment with its outcome, newest first.
          for (const auto& e : EnrollmentStore::TeacherEnrollments(c, id)) {
            auto* entry = response->add_entries();
            entry->set_enrollment("enrollments/" + e.enrollment_id);
            entry->set_project(e.project.name());
            entry->set_project_display_name(e.project.display_name());
            entry->set_year(e.year);
            entry->set_plan_level(e.project.plan_level());
            entry->set_outcome(e.state);
            entry->set_credit_hours(e.credit_hours);
            *entry->mutable_start_date() = e.project.start_date();
            *entry->mutable_end_date() = e.project.end_date();
          }
          return absl::OkStatus();
        });
      });
}

grpc::Status EnrollmentService::GetCycleProgress(grpc::ServerContext* context,
                                                 const v1::GetCycleProgressRequest* request,
                                                 v1::CycleProgress* response) {
  return Handle(
      context, "GetCycleProgress", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(std::string id, ParseId(request->teacher(), "teachers/{teacher}",
                                                        "teacher", "teacher"));
        const int year = static_cast<int>(Today().year());
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          auto teacher = EnrollmentStore::FindTeacher(c, id);
          if (!teacher)
            return absl::NotFoundError(absl::StrCat(request->teacher(), " does not exist"));
          PEIXUN_RETURN_IF_ERROR(caller.Check(TeacherResource(c, caller, teacher->teacher)));
          std::vector<domain::CompletedTraining> completed;
          for (const auto& e : EnrollmentStore::TeacherEnrollments(c, id)) {
            if (e.state != v1::COMPLETED) continue;
            completed.push_back(
                {e.year, e.credit_hours,
                 e.project.format().centralized_days() + e.project.format().shadowing_days()});
          }
          PEIXUN_ASSIGN_OR_RETURN(v1::EnrollmentPolicy policy,
                                  EnrollmentStore::GetPolicy(c, year, 0));
          *response = domain::ComputeCycleProgress(teacher->teacher.name(), completed, year,
                                                   domain::CyclePolicyOf(policy));
          return absl::OkStatus();
        });
      });
}

grpc::Status EnrollmentService::ListAtRiskTeachers(grpc::ServerContext* context,
                                                   const v1::ListAtRiskTeachersRequest* request,
                                                   v1::ListAtRiskTeachersResponse* response) {
  return Handle(
      context, "ListAtRiskTeachers", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(auto parts,
                                ParseName(request->county(), "regions/{code}", "county"));
        const std::string county = parts["code"];
        PEIXUN_ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request->page_size()));
        PEIXUN_ASSIGN_OR_RETURN(std::string after,
                                DecodePageToken(request->page_token(), request->county()));
        domain::CyclePolicy policy;
        const int year = static_cast<int>(Today().year());
        std::vector<std::pair<std::string, std::vector<domain::CompletedTraining>>> teachers;
        PEIXUN_RETURN_IF_ERROR(handlers_.Read([&](db::Connection& c) -> absl::Status {
          auto region = EnrollmentStore::FindRegion(c, county);
          if (!region || !domain::IsCountyLevelUnit(*region)) {
            return FieldError("county", absl::StrCat(request->county(), " is not a known county"));
          }
          auth::Resource resource;
          resource.name = request->county();
          resource.county = county;
          resource.city = domain::CityCodeOf(*region);
          PEIXUN_RETURN_IF_ERROR(caller.Check(resource));
          PEIXUN_ASSIGN_OR_RETURN(v1::EnrollmentPolicy in_force,
                                  EnrollmentStore::GetPolicy(c, year, 0));
          policy = domain::CyclePolicyOf(in_force);
          auto [from, to] = domain::CycleOf(year, policy);
          teachers = EnrollmentStore::CountyCompletions(c, county, from, to);
          return absl::OkStatus();
        }));
        for (const auto& [teacher_id, completed] : teachers) {
          if (teacher_id <= after) continue;
          v1::CycleProgress progress =
              domain::ComputeCycleProgress("teachers/" + teacher_id, completed, year, policy);
          if (!domain::AtRisk(progress)) continue;
          if (response->teachers_size() == page_size) {
            response->set_next_page_token(EncodePageToken(
                CodeOf(response->teachers(page_size - 1).teacher()), request->county()));
            break;
          }
          *response->add_teachers() = std::move(progress);
        }
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::RateReport> EnrollmentService::ComputeRateReport(
    int year, const std::string& project_id, v1::GetRateReportRequest::Scope scope,
    const std::string& region_filter, const std::set<int>& plan_levels) const {
  std::vector<EnrollmentStore::OutcomeCount> outcomes;
  std::vector<EnrollmentStore::SeatRow> quotas;
  std::vector<EnrollmentStore::SeatRow> ineligible;
  std::vector<EnrollmentStore::SeatRow> found_ineligible;
  std::vector<catalog_v1::Project> projects;
  std::vector<catalog_v1::Region> regions;
  PEIXUN_RETURN_IF_ERROR(handlers_.Read([&](db::Connection& c) {
    outcomes = EnrollmentStore::CountOutcomes(c, year, project_id);
    quotas = EnrollmentStore::QuotaSeats(c, year, project_id);
    ineligible = EnrollmentStore::CountIneligible(c, year, project_id);
    found_ineligible = EnrollmentStore::CountFoundIneligible(c, year, project_id);
    projects = EnrollmentStore::ProjectsOfYear(c, year);
    regions = EnrollmentStore::Regions(c);
    return absl::OkStatus();
  }));
  std::map<std::string, const catalog_v1::Region*> region_by_name;
  for (const auto& r : regions) region_by_name[r.name()] = &r;
  std::map<std::string, std::string> host_of;
  std::set<std::string> counted;  // projects of the levels asked for
  for (const auto& p : projects) {
    host_of[CodeOf(p.name())] = p.host();
    if (plan_levels.empty() || plan_levels.count(p.plan_level())) counted.insert(CodeOf(p.name()));
  }
  // The city a county-level unit reports under (R-1a: 济源 under itself, R-1b: a directly
  // administered county under its city).
  auto parent_of = [&](const std::string& county) {
    auto it = region_by_name.find(county);
    return it == region_by_name.end() ? std::string()
                                      : "regions/" + domain::CityCodeOf(*it->second);
  };
  // Which row a (project, county) pair adds to; empty when the region filter leaves it out.
  auto row_key = [&](const std::string& project, const std::string& county_code) -> std::string {
    if (!plan_levels.empty() && counted.count(project) == 0) return "";
    const std::string county = "regions/" + county_code;
    const std::string city = parent_of(county);
    if (!region_filter.empty() && county != region_filter && city != region_filter) return "";
    switch (scope) {
      case v1::GetRateReportRequest::COUNTY:
        return county;
      case v1::GetRateReportRequest::CITY:
        return city.empty() ? county : city;
      default:
        return host_of.count(project) ? host_of[project] : "hosts/unknown";
    }
  };
  std::map<std::string, domain::SeatCounts> rows;
  for (const auto& o : outcomes) {
    std::string key = row_key(o.project_id, o.county_code);
    if (!key.empty()) domain::AddOutcome(rows[key], o.state, o.rural, o.count);
  }
  for (const auto& q : quotas) {
    std::string key = row_key(q.project_id, q.county_code);
    if (!key.empty()) rows[key].quota += q.value;
  }
  for (const auto& i : ineligible) {
    std::string key = row_key(i.project_id, i.county_code);
    if (!key.empty()) rows[key].ineligible += i.value;
  }
  for (const auto& f : found_ineligible) {
    std::string key = row_key(f.project_id, f.county_code);
    if (!key.empty()) rows[key].found_ineligible += f.value;
  }
  v1::RateReport report;
  report.set_scope(scope);
  for (const auto& [key, counts] : rows) {
    auto region = region_by_name.find(key);
    std::string display = region != region_by_name.end() ? region->second->display_name() : key;
    *report.add_rows() = domain::ToRateRow(key, display, counts);
  }
  return report;
}

void EnrollmentService::RefreshCityFill() {
  // This year and the next: next year's plan is nominated for late in this one.
  const int this_year = static_cast<int>(Today().year());
  for (int year : {this_year, this_year + 1}) {
    auto report = ComputeRateReport(year, "", v1::GetRateReportRequest::CITY, "");
    if (!report.ok()) return;  // the database is away; the gauges keep their last figures
    for (const auto& row : report->rows()) {
      const std::map<std::string, std::string> labels = {{"city", LastSegment(row.key())},
                                                         {"year", std::to_string(year)}};
      city_quota_.Add(labels).Set(row.quota());
      city_nominated_.Add(labels).Set(row.nominated());
    }
  }
}

grpc::Status EnrollmentService::GetRateReport(grpc::ServerContext* context,
                                              const v1::GetRateReportRequest* request,
                                              v1::RateReport* response) {
  return Handle(context, "GetRateReport", *request, [&](const auth::Caller&) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(auto year_parts, ParseName(request->year(), "years/{year}", "year"));
    PEIXUN_ASSIGN_OR_RETURN(int year, ParseYear(year_parts["year"], "year"));
    std::string project_id;
    if (!request->project().empty()) {
      PEIXUN_ASSIGN_OR_RETURN(
          auto parts, ParseName(request->project(), "years/{year}/projects/{project}", "project"));
      if (parts["year"] != year_parts["year"])
        return FieldError("project", "must be a project of the report's year");
      project_id = parts["project"];
      PEIXUN_RETURN_IF_ERROR(ValidateId(project_id, "project"));
    }
    const auto scope = request->scope();
    if (scope == v1::GetRateReportRequest::SCOPE_UNSPECIFIED ||
        !v1::GetRateReportRequest::Scope_IsValid(scope)) {
      return FieldError("scope", "must be COUNTY, CITY or HOST");
    }
    std::string region_filter;
    if (!request->region().empty()) {
      PEIXUN_ASSIGN_OR_RETURN(auto parts, ParseName(request->region(), "regions/{code}", "region"));
      region_filter = "regions/" + parts["code"];
    }
    if (request->plan_levels_size() > 4)
      return FieldError("plan_levels", "must name at most 4 plan levels");
    std::set<int> plan_levels;
    for (int level : request->plan_levels()) {
      if (level == common::v1::PLAN_LEVEL_UNSPECIFIED || !common::v1::PlanLevel_IsValid(level))
        return FieldError("plan_levels", "must be NATIONAL, PROVINCIAL, CITY, COUNTY or SCHOOL");
      plan_levels.insert(level);
    }
    PEIXUN_ASSIGN_OR_RETURN(*response,
                            ComputeRateReport(year, project_id, scope, region_filter, plan_levels));
    response->set_year(request->year());
    response->set_project(request->project());
    absl::Time now = platform_.clock().Now();
    response->mutable_as_of()->set_seconds(absl::ToUnixSeconds(now));
    return absl::OkStatus();
  });
}

grpc::Status EnrollmentService::ListAuditEntries(grpc::ServerContext* context,
                                                 const common::v1::ListAuditEntriesRequest* request,
                                                 common::v1::ListAuditEntriesResponse* response) {
  return handlers_.ListAuditEntries(context, request, response);
}

grpc::Status EnrollmentService::WatchEvents(grpc::ServerContext* context,
                                            const common::v1::WatchEventsRequest* request,
                                            grpc::ServerWriter<common::v1::Event>* writer) {
  // Policies are the only events without teachers' personal data in them.
  return handlers_.WatchEvents(context, request, writer, {"enrollment.policy."});
}

}  // namespace peixun::enrollment
