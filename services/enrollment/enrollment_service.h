// Enrollment's gRPC handlers: authenticate, translate, run store and domain rules in one
// transaction (idempotent for mutations), map the status.
#pragma once

#include <optional>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "common/server/handlers.h"
#include "common/server/platform.h"
#include "peixun/enrollment/v1/enrollment.grpc.pb.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "services/enrollment/catalog_mirror.h"
#include "services/enrollment/enrollment_store.h"
#include "services/enrollment/ledger_fill.h"
#include "services/enrollment/nomination_desk.h"
#include "services/enrollment/rate_reporter.h"
#include "services/enrollment/teacher_importer.h"

namespace peixun::enrollment {

class EnrollmentService final : public v1::EnrollmentService::Service {
 public:
  // `nomination_batches`: how many nomination batches run at a time (NominationDesk).
  EnrollmentService(server::Platform& platform, CatalogMirror& catalog, int nomination_batches = 1);

  // Served over bytes (see the constructor): a row that cannot be parsed ends the call with
  // INVALID_ARGUMENT naming it, where a typed reader would end the stream as if it were done.
  // (A name of its own: the generated typed ImportTeachers stays unimplemented, not hidden.)
  grpc::Status ImportTeachersOverBytes(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>* stream);
  grpc::Status GetTeacher(grpc::ServerContext* context, const v1::GetTeacherRequest* request,
                          v1::Teacher* response) override;
  grpc::Status ListTeachers(grpc::ServerContext* context, const v1::ListTeachersRequest* request,
                            v1::ListTeachersResponse* response) override;
  grpc::Status UpdateTeacher(grpc::ServerContext* context, const v1::UpdateTeacherRequest* request,
                             v1::Teacher* response) override;
  grpc::Status NominateTeacher(grpc::ServerContext* context,
                               const v1::NominateTeacherRequest* request,
                               v1::Enrollment* response) override;
  grpc::Status WithdrawEnrollment(grpc::ServerContext* context,
                                  const v1::TransitionRequest* request,
                                  v1::Enrollment* response) override;
  grpc::Status CheckIn(grpc::ServerContext* context, const v1::TransitionRequest* request,
                       v1::Enrollment* response) override;
  grpc::Status Complete(grpc::ServerContext* context, const v1::TransitionRequest* request,
                        v1::Enrollment* response) override;
  grpc::Status Dismiss(grpc::ServerContext* context, const v1::TransitionRequest* request,
                       v1::Enrollment* response) override;
  grpc::Status MarkNotCompleted(grpc::ServerContext* context, const v1::TransitionRequest* request,
                                v1::Enrollment* response) override;
  grpc::Status MarkNoShow(grpc::ServerContext* context, const v1::MarkNoShowRequest* request,
                          v1::Enrollment* response) override;
  grpc::Status ReportIneligibleTrainee(grpc::ServerContext* context,
                                       const v1::ReportIneligibleTraineeRequest* request,
                                       v1::Enrollment* response) override;
  grpc::Status ReviewNoShowReason(grpc::ServerContext* context,
                                  const v1::ReviewNoShowReasonRequest* request,
                                  v1::Enrollment* response) override;
  grpc::Status GetEnrollment(grpc::ServerContext* context, const v1::GetEnrollmentRequest* request,
                             v1::Enrollment* response) override;
  grpc::Status ListBlacklistEntries(grpc::ServerContext* context,
                                    const v1::ListBlacklistEntriesRequest* request,
                                    v1::ListBlacklistEntriesResponse* response) override;
  grpc::Status LiftBlacklistEntry(grpc::ServerContext* context,
                                  const v1::LiftBlacklistEntryRequest* request,
                                  v1::BlacklistEntry* response) override;
  grpc::Status ListEnrollments(grpc::ServerContext* context,
                               const v1::ListEnrollmentsRequest* request,
                               v1::ListEnrollmentsResponse* response) override;
  grpc::Status ListHourEntries(grpc::ServerContext* context,
                               const v1::ListHourEntriesRequest* request,
                               v1::ListHourEntriesResponse* response) override;
  grpc::Status RegisterHours(grpc::ServerContext* context, const v1::RegisterHoursRequest* request,
                             v1::RegisterHoursResponse* response) override;
  grpc::Status ImportSchools(grpc::ServerContext* context, const v1::ImportSchoolsRequest* request,
                             v1::ImportSchoolsResponse* response) override;
  grpc::Status GetSchool(grpc::ServerContext* context, const v1::GetSchoolRequest* request,
                         v1::School* response) override;
  grpc::Status ListSchools(grpc::ServerContext* context, const v1::ListSchoolsRequest* request,
                           v1::ListSchoolsResponse* response) override;
  grpc::Status SubmitResearchPlan(grpc::ServerContext* context,
                                  const v1::SubmitResearchPlanRequest* request,
                                  v1::ResearchPlan* response) override;
  grpc::Status GetResearchPlan(grpc::ServerContext* context,
                               const v1::GetResearchPlanRequest* request,
                               v1::ResearchPlan* response) override;
  grpc::Status ListResearchPlans(grpc::ServerContext* context,
                                 const v1::ListResearchPlansRequest* request,
                                 v1::ListResearchPlansResponse* response) override;
  grpc::Status ApproveResearchPlan(grpc::ServerContext* context,
                                   const v1::ReviewResearchPlanRequest* request,
                                   v1::ResearchPlan* response) override;
  grpc::Status ReturnResearchPlan(grpc::ServerContext* context,
                                  const v1::ReviewResearchPlanRequest* request,
                                  v1::ResearchPlan* response) override;
  grpc::Status SubmitSchoolHoursReport(grpc::ServerContext* context,
                                       const v1::SubmitSchoolHoursReportRequest* request,
                                       v1::SchoolHoursReport* response) override;
  grpc::Status GetSchoolHoursReport(grpc::ServerContext* context,
                                    const v1::GetSchoolHoursReportRequest* request,
                                    v1::SchoolHoursReport* response) override;
  grpc::Status ListSchoolHoursReports(grpc::ServerContext* context,
                                      const v1::ListSchoolHoursReportsRequest* request,
                                      v1::ListSchoolHoursReportsResponse* response) override;
  grpc::Status VerifySchoolHoursReport(grpc::ServerContext* context,
                                       const v1::VerifySchoolHoursReportRequest* request,
                                       v1::SchoolHoursReport* response) override;
  grpc::Status ReturnSchoolHoursReport(grpc::ServerContext* context,
                                       const v1::ReturnSchoolHoursReportRequest* request,
                                       v1::SchoolHoursReport* response) override;
  grpc::Status CreateHourClaim(grpc::ServerContext* context,
                               const v1::CreateHourClaimRequest* request,
                               v1::HourClaim* response) override;
  grpc::Status GetHourClaim(grpc::ServerContext* context, const v1::GetHourClaimRequest* request,
                            v1::HourClaim* response) override;
  grpc::Status ListHourClaims(grpc::ServerContext* context,
                              const v1::ListHourClaimsRequest* request,
                              v1::ListHourClaimsResponse* response) override;
  grpc::Status ApproveHourClaim(grpc::ServerContext* context,
                                const v1::ApproveHourClaimRequest* request,
                                v1::HourClaim* response) override;
  grpc::Status RefuseHourClaim(grpc::ServerContext* context,
                               const v1::RefuseHourClaimRequest* request,
                               v1::HourClaim* response) override;
  grpc::Status GetHoursCertificate(grpc::ServerContext* context,
                                   const v1::GetHoursCertificateRequest* request,
                                   v1::HoursCertificate* response) override;
  grpc::Status VerifyHoursCertificate(grpc::ServerContext* context,
                                      const v1::VerifyHoursCertificateRequest* request,
                                      v1::HoursCertificateVerification* response) override;
  grpc::Status GetCycleProgress(grpc::ServerContext* context,
                                const v1::GetCycleProgressRequest* request,
                                v1::CycleProgress* response) override;
  grpc::Status ListAtRiskTeachers(grpc::ServerContext* context,
                                  const v1::ListAtRiskTeachersRequest* request,
                                  v1::ListAtRiskTeachersResponse* response) override;
  grpc::Status GetTrainingArchive(grpc::ServerContext* context,
                                  const v1::GetTrainingArchiveRequest* request,
                                  v1::TrainingArchive* response) override;
  grpc::Status CreateEnrollmentPolicy(grpc::ServerContext* context,
                                      const v1::CreateEnrollmentPolicyRequest* request,
                                      v1::EnrollmentPolicy* response) override;
  grpc::Status GetEnrollmentPolicy(grpc::ServerContext* context,
                                   const v1::GetEnrollmentPolicyRequest* request,
                                   v1::EnrollmentPolicy* response) override;
  grpc::Status GetRateReport(grpc::ServerContext* context, const v1::GetRateReportRequest* request,
                             v1::RateReport* response) override;
  grpc::Status ListAuditEntries(grpc::ServerContext* context,
                                const common::v1::ListAuditEntriesRequest* request,
                                common::v1::ListAuditEntriesResponse* response) override;
  grpc::Status WatchEvents(grpc::ServerContext* context,
                           const common::v1::WatchEventsRequest* request,
                           grpc::ServerWriter<common::v1::Event>* writer) override;

  RateReporter& rates() { return rates_; }

 private:
  grpc::Status Handle(grpc::ServerContext* context, absl::string_view method,
                      const google::protobuf::Message& request,
                      const std::function<absl::Status(const auth::Access&)>& handler) {
    return handlers_.Handle(context, method, request, handler);
  }
  absl::Status Mutate(const auth::Caller& caller, absl::string_view method,
                      const google::protobuf::Message& request, const std::string& request_id,
                      google::protobuf::Message* response,
                      const std::function<absl::Status(db::Connection&)>& change) {
    return handlers_.Mutate(caller, method, request, request_id, response, change);
  }
  // checks, caps and registers reported rows for teachers of county
  // `county_code` in the caller's transaction, approved by `approver`: a result per row, in
  // order (RegisterHours, and the verification of a school's report). Access is the caller's.
  absl::Status RegisterReportedHours(
      db::Connection& c, const std::string& county_code,
      const google::protobuf::RepeatedPtrField<v1::HoursReport>& reports,
      const std::string& approver,
      google::protobuf::RepeatedPtrField<v1::HoursReportResult>* results);
  // approves or returns a school's plan.
  grpc::Status ReviewResearchPlan(grpc::ServerContext* context, absl::string_view method,
                                  const v1::ReviewResearchPlanRequest& request, bool approve,
                                  v1::ResearchPlan* response);
  // What a transition request carries, whichever message it came in.
  struct TransitionInput {
    std::string name;
    std::string etag;
    std::string reason;
    std::string request_id;
    std::string special_reason;  // MarkNoShow only
  };
  // Moves an enrollment to `to`, recording history, credit hours and, for
  // outcomes that bar, a blacklist entry.
  grpc::Status Transition(grpc::ServerContext* context, const google::protobuf::Message& request,
                          const TransitionInput& input, v1::EnrollmentState to,
                          absl::string_view method, v1::Enrollment* response);
  static TransitionInput InputOf(const v1::TransitionRequest& request);
  // Whether the caller sees teachers' ID numbers unmasked.
  static bool SeesIdNumber(const auth::Caller& caller, const v1::Teacher& teacher);
  absl::CivilDay Today() const;
  // What the access policy needs to know of a teacher (county, city; for a host, whether the
  // teacher is a trainee of one of its projects) and of an enrollment (also its host).
  static auth::Resource TeacherResource(db::Connection& c, const auth::Access& access,
                                        const v1::Teacher& teacher);
  static auth::Resource EnrollmentResource(db::Connection& c, const v1::Enrollment& enrollment);
  // Narrows a list's filter to the caller's scope: a county admin's county, a city
  // admin's city, a teacher's own records; a filter naming something outside it is refused.
  static absl::Status NarrowToScope(db::Connection& c, const auth::Access& access,
                                    std::string& county_code, std::string& city_code,
                                    std::string& teacher_id);

  server::Platform& platform_;
  server::Handlers handlers_;
  prometheus::Family<prometheus::Counter>& nominations_;
  TeacherImporter importer_;
  NominationDesk desk_;
  RateReporter rates_;  // its loop stops before the members it reads go
  LedgerFill ledger_fill_;
};

}  // namespace peixun::enrollment
