// Claims of hours earned elsewhere (学时申报, R-33): filed by a teacher or its county, reviewed by
// the county they were filed in; an approval registers the hours granted in the ledger once.
#include "absl/strings/str_cat.h"
#include "common/events/outbox.h"
#include "common/util/filter.h"
#include "common/util/ids.h"
#include "common/util/names.h"
#include "common/util/paging.h"
#include "common/util/status.h"
#include "common/util/updates.h"
#include "services/enrollment/domain/hour_claims.h"
#include "services/enrollment/enrollment_service.h"

namespace peixun::enrollment {
namespace {

// "teachers/{teacher}/hourClaims/{claim}".
struct ClaimName {
  std::string teacher;
  std::string claim;
};

absl::StatusOr<ClaimName> ParseClaimName(absl::string_view name, absl::string_view field) {
  PEIXUN_ASSIGN_OR_RETURN(auto parts,
                          ParseName(name, "teachers/{teacher}/hourClaims/{claim}", field));
  PEIXUN_RETURN_IF_ERROR(ValidateId(parts["teacher"], field));
  PEIXUN_RETURN_IF_ERROR(ValidateId(parts["claim"], field));
  return ClaimName{parts["teacher"], parts["claim"]};
}

// What the access policy needs to know of a claim: it belongs to its teacher and to the county
// it was filed in (which reviews it), and so to that county's city.
auth::Resource ClaimResource(db::Connection& c, const v1::HourClaim& claim, const ClaimName& name) {
  auth::Resource resource;
  resource.name = claim.name();
  resource.teacher = "teachers/" + name.teacher;
  resource.county = LastSegment(claim.county());
  if (auto region = EnrollmentStore::FindRegion(c, resource.county))
    resource.city = domain::CityCodeOf(*region);
  return resource;
}

// A claim read in the caller's scope; with for_update, locked for a review and checked
// against the etag the reviewer last read.
absl::StatusOr<v1::HourClaim> ClaimInScope(db::Connection& c, const auth::Access& caller,
                                           const std::string& full_name, const ClaimName& name,
                                           bool for_update, const std::string& etag = "") {
  auto claim = EnrollmentStore::FindHourClaim(c, name.teacher, name.claim, for_update);
  if (!claim) return absl::NotFoundError(absl::StrCat(full_name, " does not exist"));
  PEIXUN_RETURN_IF_ERROR(caller.Check(ClaimResource(c, *claim, name)));
  PEIXUN_RETURN_IF_ERROR(CheckEtag(etag, claim->etag(), claim->name()));
  return *std::move(claim);
}

}  // namespace

grpc::Status EnrollmentService::CreateHourClaim(grpc::ServerContext* context,
                                                const v1::CreateHourClaimRequest* request,
                                                v1::HourClaim* response) {
  return Handle(
      context, "CreateHourClaim", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const TeacherName parent,
                                TeacherName::Parse(request->parent(), "parent"));
        PEIXUN_RETURN_IF_ERROR(domain::ValidateHourClaim(request->hour_claim(), Today()));
        return Mutate(
            caller, "CreateHourClaim", *request, request->request_id(), response,
            [&](db::Connection& c) -> absl::Status {
              // The teacher's row is locked: claims of one teacher are filed one at a time, so
              // the duplicate and pending checks below see every other one.
              auto teacher = EnrollmentStore::FindTeacher(c, parent.teacher, true);
              if (!teacher)
                return absl::NotFoundError(absl::StrCat(request->parent(), " does not exist"));
              PEIXUN_RETURN_IF_ERROR(caller.Check(TeacherResource(c, caller, teacher->teacher)));
              if (auto same = EnrollmentStore::FindSameHourClaim(c, parent.teacher,
                                                                 request->hour_claim())) {
                return RuleError(absl::StatusCode::kAlreadyExists, "R-33",
                                 absl::StrCat(*same,
                                              " already claims this training (same title, "
                                              "provider and dates); it is counted once"));
              }
              if (const int pending = EnrollmentStore::CountPendingHourClaims(c, parent.teacher);
                  pending >= domain::kMaxPendingClaims) {
                return RuleError("R-33", absl::StrCat(request->parent(), " has ", pending,
                                                      " claims waiting for the county's review; "
                                                      "more can be filed once they are reviewed"));
              }
              const std::string claim_id = NewOrderedId("c");
              EnrollmentStore::InsertHourClaim(c, claim_id, parent.teacher,
                                               LastSegment(teacher->teacher.county()),
                                               request->hour_claim(), caller.subject);
              *response = *EnrollmentStore::FindHourClaim(c, parent.teacher, claim_id);
              events::AppendEvent(c, "enrollment.hour_claim.created", response->name(), *response);
              return absl::OkStatus();
            });
      });
}

grpc::Status EnrollmentService::GetHourClaim(grpc::ServerContext* context,
                                             const v1::GetHourClaimRequest* request,
                                             v1::HourClaim* response) {
  return Handle(context, "GetHourClaim", *request, [&](const auth::Access& caller) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(const ClaimName name, ParseClaimName(request->name(), "name"));
    return handlers_.Read([&](db::Connection& c) -> absl::Status {
      PEIXUN_ASSIGN_OR_RETURN(*response, ClaimInScope(c, caller, request->name(), name, false));
      return absl::OkStatus();
    });
  });
}

grpc::Status EnrollmentService::ListHourClaims(grpc::ServerContext* context,
                                               const v1::ListHourClaimsRequest* request,
                                               v1::ListHourClaimsResponse* response) {
  return Handle(
      context, "ListHourClaims", *request, [&](const auth::Access& caller) -> absl::Status {
        EnrollmentStore::HourClaimFilter filter;
        if (request->parent() != "teachers/-") {
          PEIXUN_ASSIGN_OR_RETURN(const TeacherName parent,
                                  TeacherName::Parse(request->parent(), "parent"));
          filter.teacher_id = parent.teacher;
        }
        PEIXUN_ASSIGN_OR_RETURN(auto terms, ParseFilter(request->filter(), {"county", "state"}));
        if (const std::string* county = FilterValue(terms, "county")) {
          PEIXUN_ASSIGN_OR_RETURN(const RegionName name,
                                  RegionName::Parse(*county, "filter county"));
          filter.county_code = name.code;
        }
        PEIXUN_ASSIGN_OR_RETURN(filter.state, EnumTerm<v1::HourClaim::State>(terms, "state"));
        PEIXUN_ASSIGN_OR_RETURN(const Page page,
                                Page::Of(request->page_size(), request->page_token(),
                                         absl::StrCat(request->parent(), " ", request->filter())));
        std::vector<v1::HourClaim> claims;
        PEIXUN_RETURN_IF_ERROR(handlers_.Read([&](db::Connection& c) -> absl::Status {
          if (!filter.teacher_id.empty()) {
            // One teacher's claims: refused outright to a caller who may not read the teacher.
            auto teacher = EnrollmentStore::FindTeacher(c, filter.teacher_id);
            if (!teacher)
              return absl::NotFoundError(absl::StrCat(request->parent(), " does not exist"));
            PEIXUN_RETURN_IF_ERROR(caller.Check(TeacherResource(c, caller, teacher->teacher)));
          } else {
            PEIXUN_RETURN_IF_ERROR(
                NarrowToScope(c, caller, filter.county_code, filter.city_code, filter.teacher_id));
          }
          claims = EnrollmentStore::ListHourClaims(c, filter, page.after, page.limit());
          return absl::OkStatus();
        }));
        response->set_next_page_token(page.Keep(claims, LastSegmentOf<v1::HourClaim>));
        for (auto& claim : claims) *response->add_hour_claims() = std::move(claim);
        return absl::OkStatus();
      });
}

grpc::Status EnrollmentService::ApproveHourClaim(grpc::ServerContext* context,
                                                 const v1::ApproveHourClaimRequest* request,
                                                 v1::HourClaim* response) {
  return Handle(
      context, "ApproveHourClaim", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const ClaimName name, ParseClaimName(request->name(), "name"));
        return Mutate(
            caller, "ApproveHourClaim", *request, request->request_id(), response,
            [&](db::Connection& c) -> absl::Status {
              PEIXUN_ASSIGN_OR_RETURN(
                  const v1::HourClaim claim,
                  ClaimInScope(c, caller, request->name(), name, true, request->etag()));
              PEIXUN_RETURN_IF_ERROR(domain::CheckReviewable(claim));
              PEIXUN_RETURN_IF_ERROR(domain::CheckApproval(
                  claim, request->credit_hours(), request->off_site_days(), request->reason()));
              // registered once, keyed by the claim, in the review's transaction.
              EnrollmentStore::RegisterHours(
                  c, domain::ClaimEntry(name.claim, name.teacher, claim, request->credit_hours(),
                                        request->off_site_days(), caller.subject));
              EnrollmentStore::ReviewHourClaim(
                  c, name.claim, v1::HourClaim::APPROVED, request->credit_hours(),
                  request->off_site_days(), request->reason(), caller.subject,
                  EnrollmentStore::HourEntryIdOf(c, domain::HourSource::kClaim, name.claim));
              *response = *EnrollmentStore::FindHourClaim(c, name.teacher, name.claim);
              events::AppendEvent(c, "enrollment.hour_claim.approved", response->name(), *response);
              return absl::OkStatus();
            });
      });
}

grpc::Status EnrollmentService::RefuseHourClaim(grpc::ServerContext* context,
                                                const v1::RefuseHourClaimRequest* request,
                                                v1::HourClaim* response) {
  return Handle(
      context, "RefuseHourClaim", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const ClaimName name, ParseClaimName(request->name(), "name"));
        PEIXUN_RETURN_IF_ERROR(domain::CheckRefusal(request->reason()));
        return Mutate(caller, "RefuseHourClaim", *request, request->request_id(), response,
                      [&](db::Connection& c) -> absl::Status {
                        PEIXUN_ASSIGN_OR_RETURN(
                            const v1::HourClaim claim,
                            ClaimInScope(c, caller, request->name(), name, true, request->etag()));
                        PEIXUN_RETURN_IF_ERROR(domain::CheckReviewable(claim));
                        EnrollmentStore::ReviewHourClaim(c, name.claim, v1::HourClaim::REFUSED, 0,
                                                         0, request->reason(), caller.subject, 0);
                        *response = *EnrollmentStore::FindHourClaim(c, name.teacher, name.claim);
                        events::AppendEvent(c, "enrollment.hour_claim.refused", response->name(),
                                            *response);
                        return absl::OkStatus();
                      });
      });
}

}  // namespace peixun::enrollment
