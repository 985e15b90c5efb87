// Enrollment's SQL: teachers, the copy of catalog facts, enrollments and their history.
// Every function runs inside the caller's transaction; nothing here decides a rule.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/db/pool.h"
#include "peixun/catalog/v1/catalog.pb.h"
#include "peixun/enrollment/v1/enrollment.pb.h"
#include "services/enrollment/domain/enrollment_rules.h"

namespace peixun::enrollment {

namespace v1 = ::peixun::enrollment::v1;
namespace catalog_v1 = ::peixun::catalog::v1;

// A teacher row with its unmasked ID number; masking is the handler's job.
struct TeacherRow {
  std::string teacher_id;
  v1::Teacher teacher;  // name filled, id_number unmasked
};

class EnrollmentStore {
 public:
  // Teachers
  // With for_update, the row stays locked until the transaction ends: changes to one teacher
  // (updates, nominations) queue here and always see the latest committed row.
  static std::optional<TeacherRow> FindTeacher(db::Connection& c, const std::string& teacher_id,
                                               bool for_update = false);
  // The teachers with these ID numbers (any order; absent numbers are skipped).
  static std::vector<TeacherRow> FindTeachersByIdNumbers(db::Connection& c,
                                                         const std::vector<std::string>& id_numbers,
                                                         bool for_update);
  // Inserts teachers[i] as teacher_ids[i] with multi-row statements.
  static void InsertTeachers(db::Connection& c, const std::vector<std::string>& teacher_ids,
                             const std::vector<const v1::Teacher*>& teachers);
  static void UpdateTeacher(db::Connection& c, const std::string& teacher_id, const v1::Teacher& t);
  static std::vector<TeacherRow> ListTeachers(db::Connection& c, const std::string& county_code,
                                              const std::string& after_id, int limit);

  // The copy of catalog facts
  static void UpsertRegion(db::Connection& c, const catalog_v1::Region& region);
  static std::optional<catalog_v1::Region> FindRegion(db::Connection& c, const std::string& code);
  static void UpsertYear(db::Connection& c, const catalog_v1::PlanYear& year);
  static std::optional<absl::CivilDay> FindDeadline(db::Connection& c, int year);
  static std::vector<int> KnownYears(db::Connection& c);
  static void UpsertProject(db::Connection& c, const catalog_v1::Project& project);
  static std::optional<catalog_v1::Project> FindProject(db::Connection& c, int year,
                                                        const std::string& project_id);
  static void UpsertQuota(db::Connection& c, int year, const std::string& project_id,
                          const std::string& county_code, int seats);
  // What a nomination checks from the catalog copy, in one round trip.
  struct NominationFacts {
    std::optional<catalog_v1::Project> project;
    std::optional<absl::CivilDay> deadline;
    std::optional<catalog_v1::Region> county;
  };
  static NominationFacts FindNominationFacts(db::Connection& c, int year, const std::string& project_id,
                                             const std::string& county_code);
  // A county's quota locked until the transaction ends (nominations for one county and
  // project queue here, in every enrollment process alike) with the seats held in it.
  struct QuotaUse {
    int seats = 0;
    int held = 0;
  };
  static std::optional<QuotaUse> LockQuota(db::Connection& c, int year, const std::string& project_id,
                                           const std::string& county_code);
  static int64_t SyncPosition(db::Connection& c);
  static void SetSyncPosition(db::Connection& c, int64_t after_sequence);
  // When the copy last caught up with catalog, if ever.
  static std::optional<absl::Time> LastSynced(db::Connection& c);

  // Enrollments
  // The teacher's enrollments that are not WITHDRAWN, with their projects' dates.
  static std::vector<domain::EnrollmentSpan> LiveSpans(db::Connection& c, const std::string& teacher_id);
  static void InsertEnrollment(db::Connection& c, const std::string& enrollment_id,
                               const std::string& teacher_id, int year, const std::string& project_id,
                               const std::string& county_code, bool rural);
  static void AppendHistory(db::Connection& c, const std::string& enrollment_id,
                            v1::EnrollmentState from, v1::EnrollmentState to,
                            const std::string& actor, const std::string& reason);
  static absl::StatusOr<v1::Enrollment> GetEnrollment(db::Connection& c,
                                                      const std::string& enrollment_id,
                                                      bool for_update = false);
  static void SetState(db::Connection& c, const std::string& enrollment_id, v1::EnrollmentState state,
                       int credit_hours);

  // Enrollments (without history) in id order; empty filter values mean any.
  struct EnrollmentFilter {
    int year = 0;
    std::string project_id;
    std::string county_code;
    std::string teacher_id;
    int state = 0;
  };
  static std::vector<v1::Enrollment> ListEnrollments(db::Connection& c, const EnrollmentFilter& filter,
                                                     const std::string& after_id, int limit);
  // A teacher's enrollments with their projects, newest year first.
  struct EnrollmentWithProject {
    std::string enrollment_id;
    int year = 0;
    v1::EnrollmentState state;
    int credit_hours = 0;
    catalog_v1::Project project;
  };
  static std::vector<EnrollmentWithProject> TeacherEnrollments(db::Connection& c,
                                                               const std::string& teacher_id);
  // Every teacher of a county with the trainings completed in [from_year, to_year].
  static std::vector<std::pair<std::string, std::vector<domain::CompletedTraining>>> CountyCompletions(
      db::Connection& c, const std::string& county_code, int from_year, int to_year);

  // Rates: raw counts for a year (and optionally one project), per project and county.
  struct OutcomeCount {
    std::string project_id;
    std::string county_code;
    v1::EnrollmentState state;
    bool rural;
    int64_t count;
  };
  static std::vector<OutcomeCount> CountOutcomes(db::Connection& c, int year, const std::string& project_id);
  struct SeatRow {
    std::string project_id;
    std::string county_code;
    int64_t value;
  };
  static std::vector<SeatRow> QuotaSeats(db::Connection& c, int year, const std::string& project_id);
  static std::vector<SeatRow> CountIneligible(db::Connection& c, int year, const std::string& project_id);
  static void RecordIneligible(db::Connection& c, int year, const std::string& project_id,
                               const std::string& county_code, const std::string& teacher_id,
                               const std::string& reason);
  static std::vector<catalog_v1::Project> ProjectsOfYear(db::Connection& c, int year);
  static std::vector<catalog_v1::Region> Regions(db::Connection& c);

  // Blacklist
  static void SetNoShowReview(db::Connection& c, const std::string& enrollment_id,
                              const std::string& reason, v1::Enrollment::ReasonReview review);
  static void InsertBlacklistEntry(db::Connection& c, const std::string& entry_id,
                                   const v1::BlacklistEntry& entry, const std::string& teacher_id,
                                   const std::string& county_code, const std::string& enrollment_id);
  // The teacher's entries that are not lifted and end on or after `today`.
  static std::vector<v1::BlacklistEntry> ActiveBlacklist(db::Connection& c, const std::string& teacher_id,
                                                         absl::CivilDay today);
  static std::optional<v1::BlacklistEntry> FindBlacklistEntry(db::Connection& c, const std::string& entry_id,
                                                              bool for_update);
  // Filters: teacher id, county code, active (on `today`): -1 any, 0 inactive, 1 active.
  static std::vector<v1::BlacklistEntry> ListBlacklist(db::Connection& c, const std::string& teacher_id,
                                                       const std::string& county_code, int active,
                                                       absl::CivilDay today, const std::string& after_id,
                                                       int limit);
  static void LiftBlacklistEntry(db::Connection& c, const std::string& entry_id,
                                 const std::string& actor, const std::string& reason);
};

}  // namespace peixun::enrollment
