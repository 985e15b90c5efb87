// Enrollment's SQL: teachers, the copy of catalog facts, enrollments and their history.
// Every function runs inside the caller's transaction; nothing here decides a rule.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/db/pool.h"
#include "common/db/script.h"
#include "peixun/catalog/v1/catalog.pb.h"
#include "peixun/enrollment/v1/enrollment.pb.h"
#include "services/enrollment/domain/enrollment_rules.h"
#include "services/enrollment/domain/hour_ledger.h"
#include "services/enrollment/domain/hours_certificate.h"
#include "services/enrollment/domain/nomination_ledger.h"
#include "services/enrollment/domain/rate_report.h"
#include "services/enrollment/domain/school_hours_reports.h"

namespace peixun::enrollment {

namespace catalog_v1 = ::peixun::catalog::v1;

using domain::TeacherPlace;

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
  // ALREADY_EXISTS when another transaction committed one of the ID numbers first.
  static absl::Status InsertTeachers(db::Connection& c, const std::vector<std::string>& teacher_ids,
                                     const std::vector<const v1::Teacher*>& teachers);
  static void UpdateTeacher(db::Connection& c, const std::string& teacher_id, const v1::Teacher& t);
  // Teachers after `after_id`, of one county and/or one city (its counties, and the city
  // itself where it is its own county-level unit, R-1a) when those are not empty.
  static std::vector<TeacherRow> ListTeachers(db::Connection& c, const std::string& county_code,
                                              const std::string& city_code,
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
  // A county's seats in a project and how many are held (not WITHDRAWN). Nominations lock the
  // quota row until their transaction ends, so those for one county and project queue there,
  // in every enrollment process alike.
  using QuotaUse = domain::SeatUse;
  static int64_t SyncPosition(db::Connection& c);
  static void SetSyncPosition(db::Connection& c, int64_t after_sequence);
  // When the copy last caught up with catalog, if ever.
  static std::optional<absl::Time> LastSynced(db::Connection& c);

  // Enrollments
  static void AppendHistory(db::Connection& c, const std::string& enrollment_id,
                            v1::EnrollmentState from, v1::EnrollmentState to,
                            const std::string& actor, const std::string& reason);
  static absl::StatusOr<v1::Enrollment> GetEnrollment(db::Connection& c,
                                                      const std::string& enrollment_id,
                                                      bool for_update = false);
  static void SetState(db::Connection& c, const std::string& enrollment_id,
                       v1::EnrollmentState state, int credit_hours);

  // Enrollments (without history) in id order; empty filter values mean any.
  struct EnrollmentFilter {
    int year = 0;
    std::string project_id;
    std::string county_code;
    std::string city_code;  // the city's counties (R-1a: and the city itself)
    std::string teacher_id;
    int state = 0;
  };
  static std::vector<v1::Enrollment> ListEnrollments(db::Connection& c,
                                                     const EnrollmentFilter& filter,
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
  // The credit-hour ledger.
  // Registers `entry` unless an entry of its source is registered already (then nothing changes).
  static void RegisterHours(db::Connection& c, const domain::HourEntry& entry);
  // A teacher's entries as the cycle counts them, every year.
  static std::vector<domain::CompletedTraining> TeacherHours(db::Connection& c,
                                                             const std::string& teacher_id);
  // A teacher's entries after entry `after_id` (0: from the first), in the order registered.
  static std::vector<v1::HourEntry> ListHourEntries(db::Connection& c,
                                                    const std::string& teacher_id, int64_t after_id,
                                                    int limit);
  // The county's teachers after `after_teacher_id`, at most `limit`, each with the sums of its
  // ledger entries of [from_year, to_year] as one block of from_year (none when it has none):
  // what R-14's progress needs, one row a teacher.
  static std::vector<std::pair<std::string, std::vector<domain::CompletedTraining>>> CountyHours(
      db::Connection& c, const std::string& county_code, int from_year, int to_year,
      const std::string& after_teacher_id, int limit);
  // Completed enrollments after `after_id` (in id order) that have no entry, at most `limit`,
  // as the entries they register; `*last_id` is the last enrollment looked at ("" when none).
  static std::vector<domain::HourEntry> UnregisteredCompletions(db::Connection& c,
                                                                const std::string& after_id,
                                                                int limit, std::string* last_id);
  // The entry registered for a source (0 when there is none).
  static int64_t HourEntryIdOf(db::Connection& c, domain::HourSource source,
                               const std::string& source_key);

  // Claims of hours earned elsewhere.
  static void InsertHourClaim(db::Connection& c, const std::string& claim_id,
                              const std::string& teacher_id, const std::string& county_code,
                              const v1::HourClaim& claim, const std::string& creator);
  // With for_update, the row stays locked until the transaction ends: reviews of one claim
  // queue here, and the second finds it reviewed.
  static std::optional<v1::HourClaim> FindHourClaim(db::Connection& c,
                                                    const std::string& teacher_id,
                                                    const std::string& claim_id,
                                                    bool for_update = false);
  // How many of the teacher's claims wait for review.
  static int CountPendingHourClaims(db::Connection& c, const std::string& teacher_id);
  // The name of a pending or approved claim of the teacher for the same training (title,
  // provider and dates), if there is one.
  static std::optional<std::string> FindSameHourClaim(db::Connection& c,
                                                      const std::string& teacher_id,
                                                      const v1::HourClaim& claim);
  struct HourClaimFilter {
    std::string teacher_id;   // one teacher's, or every teacher's when empty
    std::string county_code;  // the county that reviews them
    std::string city_code;    // that county's city (R-1a: or the city itself)
    v1::HourClaim::State state = v1::HourClaim::STATE_UNSPECIFIED;
  };
  // Claims after `after_id`, oldest first.
  static std::vector<v1::HourClaim> ListHourClaims(db::Connection& c, const HourClaimFilter& filter,
                                                   const std::string& after_id, int limit);
  // Records a review; `hour_entry_id` is the ledger entry an approval registered (0: none).
  static void ReviewHourClaim(db::Connection& c, const std::string& claim_id,
                              v1::HourClaim::State state, int credit_hours, int off_site_days,
                              const std::string& reason, const std::string& reviewer,
                              int64_t hour_entry_id);

  // Schools
  // The county's schools, id → name, locked until the transaction ends (an import decides
  // against them).
  static std::map<std::string, std::string> LockCountySchools(db::Connection& c,
                                                              const std::string& county_code);
  // Registers a school or gives it its new name.
  static void UpsertSchool(db::Connection& c, const std::string& county_code,
                           const std::string& school_id, const std::string& display_name);
  static std::optional<v1::School> FindSchool(db::Connection& c, const std::string& county_code,
                                              const std::string& school_id);
  // The county's schools among `school_ids`, by id.
  static std::map<std::string, v1::School> FindSchools(db::Connection& c,
                                                       const std::string& county_code,
                                                       const std::vector<std::string>& school_ids);
  // The county's schools after `after_id` in id order, at most `limit`.
  static std::vector<v1::School> ListSchools(db::Connection& c, const std::string& county_code,
                                             const std::string& after_id, int limit);

  // Reported hours.
  // The teachers among `teacher_ids` with their county codes and registered schools, locked
  // until the transaction ends (reports for one teacher queue here, so the caps see every
  // other one).
  static std::map<std::string, TeacherPlace> LockTeacherPlaces(
      db::Connection& c, const std::vector<std::string>& teacher_ids);

  // Plans of school-based research
  // The county's approved plans: (school id, school year).
  static std::set<std::pair<std::string, int>> ApprovedResearchPlans(
      db::Connection& c, const std::string& county_code);
  static std::optional<v1::ResearchPlan> FindResearchPlan(db::Connection& c,
                                                          const std::string& county_code,
                                                          const std::string& school_id,
                                                          int school_year, bool for_update);
  // Records a (first or renewed) submission: SUBMITTED, by `submitter`, now.
  static void SubmitResearchPlan(db::Connection& c, const std::string& county_code,
                                 const std::string& school_id, const v1::ResearchPlan& plan,
                                 const std::string& submitter);
  static void ReviewResearchPlan(db::Connection& c, const std::string& county_code,
                                 const std::string& school_id, int school_year,
                                 v1::ResearchPlan::State state, const std::string& reviewer,
                                 const std::string& reason);
  // The county's plans (one school's when `school_id` is set) after (after_school, after_year)
  // in (school, school year) order, at most `limit`; state and school_year filter when not 0.
  static std::vector<v1::ResearchPlan> ListResearchPlans(
      db::Connection& c, const std::string& county_code, const std::string& school_id, int state,
      int school_year, const std::string& after_school, int after_year, int limit);

  // Schools' reports of research hours
  // A report with its rows (`with_rows`) or without (lists), locked with `for_update`.
  static std::optional<v1::SchoolHoursReport> FindSchoolHoursReport(
      db::Connection& c, const std::string& county_code, const std::string& school_id,
      int school_year, bool for_update, bool with_rows);
  // Stores a report as sent (rows with their results), SUBMITTED, replacing an earlier one.
  static void SubmitSchoolHoursReport(db::Connection& c, const std::string& county_code,
                                      const std::string& school_id,
                                      const v1::SchoolHoursReport& report,
                                      const std::string& submitter);
  // Records the review: VERIFIED with the rows' results and the hours registered, or RETURNED
  // with the reason (rows unchanged).
  static void ReviewSchoolHoursReport(db::Connection& c, const std::string& county_code,
                                      const std::string& school_id,
                                      const v1::SchoolHoursReport& reviewed,
                                      const std::string& reviewer);
  static std::vector<v1::SchoolHoursReport> ListSchoolHoursReports(
      db::Connection& c, const std::string& county_code, const std::string& school_id, int state,
      int school_year, const std::string& after_school, int after_year, int limit);
  // Entries registered under these source keys of `source`: key -> (entry id, hours).
  static std::map<std::string, std::pair<int64_t, int>> RegisteredBySourceKey(
      db::Connection& c, domain::HourSource source, const std::vector<std::string>& keys);
  // Workshop hours the ledger holds per (teacher, year) for these teachers.
  static std::map<std::pair<std::string, int>, int> WorkshopHoursHeld(
      db::Connection& c, const std::vector<std::string>& teacher_ids);
  // Registers `entries` with multi-row statements; an entry whose source is registered already
  // changes nothing.
  static void RegisterHoursBatch(db::Connection& c, const std::vector<domain::HourEntry>& entries);

  // Certificates of hours.
  // A teacher's entries of the years [from_year, to_year] as a certificate lists them, with
  // the project's name or the claim's title; at most `limit`, in the order registered.
  static std::vector<domain::CertifiedEntry> CertifiedEntries(db::Connection& c,
                                                              const std::string& teacher_id,
                                                              int from_year, int to_year,
                                                              int limit);
  // What the register keeps of a certificate.
  struct CertificateRecord {
    std::string code;
    std::string teacher_id;
    int cycle_start_year = 0;
    int cycle_end_year = 0;
    std::string ledger_digest;
    std::string holder;  // masked
    std::string county_code;
    int credit_hours = 0;
    int off_site_days = 0;
    int entry_count = 0;
    int64_t issue_us = 0;
  };
  // Registers `record` unless its teacher, cycle and digest are registered already; either way
  // the record registered for them (the first one's code and issue time).
  static CertificateRecord RegisterCertificate(db::Connection& c, const CertificateRecord& record);
  static std::optional<CertificateRecord> FindCertificate(db::Connection& c,
                                                          const std::string& code);

  // Whether the one-time fill `name` of the ledger is done, and recording that it is.
  static bool LedgerFilled(db::Connection& c, const std::string& name);
  static void MarkLedgerFilled(db::Connection& c, const std::string& name);

  // Rates: raw counts for a year (and optionally one project), per project and county.
  using OutcomeCount = domain::OutcomeCount;
  static std::vector<OutcomeCount> CountOutcomes(db::Connection& c, int year,
                                                 const std::string& project_id);
  using SeatRow = domain::SeatRow;
  static std::vector<SeatRow> QuotaSeats(db::Connection& c, int year,
                                         const std::string& project_id);
  static std::vector<SeatRow> CountIneligible(db::Connection& c, int year,
                                              const std::string& project_id);
  // trainees found not to meet the selection conditions at 报到, per project and
  // county, and the host's report of one (once per enrollment).
  static std::vector<SeatRow> CountFoundIneligible(db::Connection& c, int year,
                                                   const std::string& project_id);
  static void RecordFoundIneligible(db::Connection& c, const v1::Enrollment& enrollment, int year,
                                    const std::string& project_id, const std::string& condition,
                                    const std::string& reported_by);
  static void RecordIneligible(db::Connection& c, int year, const std::string& project_id,
                               const std::string& county_code, const std::string& teacher_id,
                               const std::string& reason);
  static std::vector<catalog_v1::Project> ProjectsOfYear(db::Connection& c, int year);
  // Whether the catalog copy holds a project of `host` ("hosts/{host}"); reads every project.
  static bool HostHasProjects(db::Connection& c, const std::string& host);
  static std::vector<catalog_v1::Region> Regions(db::Connection& c);

  // A batch of nominations (NominateBatch) reads everything its checks need in one round trip
  // and writes its rows in another (db::Script). Locks are taken in one global order: the
  // teachers (in id order), then the quotas (in key order).
  struct NominationKeys {
    std::vector<std::string> teacher_ids;               // sorted, distinct
    std::vector<std::pair<int, std::string>> projects;  // (year, project id), distinct
    std::vector<std::string> counties;                  // sorted, distinct
    // Quotas to lock: per (year, project id), the counties (sorted, distinct).
    std::map<std::pair<int, std::string>, std::vector<std::string>> quotas;
    absl::CivilDay today;
  };
  // What the checks read (domain/nomination_ledger.h); the teachers and quotas are locked.
  using NominationFacts = domain::NominationFacts;
  // Adds the reads to `script`; `facts` is filled when the script runs.
  static void AddNominationReads(db::Script& script, const NominationKeys& keys,
                                 NominationFacts* facts);
  struct Nomination {
    std::string enrollment_id;
    std::string teacher_id;
    int year = 0;
    std::string project_id;
    std::string county_code;
    bool rural = false;
    std::string actor;
  };
  // Adds the inserts of NOMINATED enrollments, stamped `now`, with their first history step
  // and their counts.
  static void AddNominationWrites(db::Script& script, const std::vector<Nomination>& nominations,
                                  absl::Time now);
  // The enrollment those inserts create, as GetEnrollment would read it back.
  static v1::Enrollment NominatedEnrollment(const Nomination& nomination, absl::Time now);
  // Adds the record of an ineligible nomination.
  static void AddIneligible(db::Script& script, int year, const std::string& project_id,
                            const std::string& county_code, const std::string& teacher_id,
                            const std::string& reason);

  // Policy versions
  // Inserts the next version of `year`; ABORTED if a concurrent insert took the number.
  static absl::StatusOr<v1::EnrollmentPolicy> InsertPolicy(db::Connection& c, int year,
                                                           const v1::EnrollmentPolicy& policy,
                                                           const std::string& creator);
  // Version `version` of `year`, or with version 0 the one in force in `year`: the newest of
  // that year or the closest earlier year with one, else the built-in defaults.
  static absl::StatusOr<v1::EnrollmentPolicy> GetPolicy(db::Connection& c, int year, int version);

  // Blacklist
  // A new etag and update time for a change outside the enrollment row (AIP-154).
  static void BumpVersion(db::Connection& c, const std::string& enrollment_id);
  static void SetNoShowReview(db::Connection& c, const std::string& enrollment_id,
                              const std::string& reason, v1::Enrollment::ReasonReview review);
  static void InsertBlacklistEntry(db::Connection& c, const std::string& entry_id,
                                   const v1::BlacklistEntry& entry, const std::string& teacher_id,
                                   const std::string& county_code,
                                   const std::string& enrollment_id);
  static std::optional<v1::BlacklistEntry> FindBlacklistEntry(db::Connection& c,
                                                              const std::string& entry_id,
                                                              bool for_update);
  // Filters: teacher id, county code, active (on `today`): -1 any, 0 inactive, 1 active.
  static std::vector<v1::BlacklistEntry> ListBlacklist(db::Connection& c,
                                                       const std::string& teacher_id,
                                                       const std::string& county_code,
                                                       const std::string& city_code, int active,
                                                       absl::CivilDay today,
                                                       const std::string& after_id, int limit);
  static void LiftBlacklistEntry(db::Connection& c, const std::string& entry_id,
                                 const std::string& actor, const std::string& reason);
};

}  // namespace peixun::enrollment
