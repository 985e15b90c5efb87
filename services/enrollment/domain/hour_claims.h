// Claims of hours earned elsewhere (学时申报, R-33), pure: what a claim must say, when the
// county may review it, what an approval may grant, and the ledger entry it registers.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "peixun/enrollment/v1/enrollment.pb.h"
#include "services/enrollment/domain/hour_ledger.h"

namespace peixun::enrollment::domain {

// The most hours one claim may carry: a whole cycle's requirement (R-14's default 360).
inline constexpr int kMaxClaimedHours = 360;
// Claims one teacher may have waiting for review at once; the county reviews before more come.
inline constexpr int kMaxPendingClaims = 20;
// Byte lengths of a claim's texts (and their columns).
inline constexpr size_t kMaxClaimTitleBytes = 200;
inline constexpr size_t kMaxClaimEvidenceBytes = 1000;
inline constexpr size_t kMaxReviewReasonBytes = 500;

// a claim as filed: a title, a provider and evidence within their lengths, real dates in
// order with the last not after `today`, 1 to 360 hours, and off-site days no more than the
// days the training ran. INVALID_ARGUMENT names the field under "hour_claim.".
absl::Status ValidateHourClaim(const v1::HourClaim& claim, absl::CivilDay today);

// only a pending claim is reviewed; FAILED_PRECONDITION says who reviewed it and how.
absl::Status CheckReviewable(const v1::HourClaim& claim);

// what an approval may grant: 1 to the hours claimed and 0 to the off-site days claimed,
// with a reason when it grants fewer of either.
absl::Status CheckApproval(const v1::HourClaim& claim, int credit_hours, int off_site_days,
                           absl::string_view reason);

// a refusal says why.
absl::Status CheckRefusal(absl::string_view reason);

// the entry an approved claim registers: the hours and days granted, at the
// claimed level, counted in the year and school year of the training's last day, keyed by the
// claim so that it is registered once.
HourEntry ClaimEntry(const std::string& claim_id, const std::string& teacher_id,
                     const v1::HourClaim& claim, int credit_hours, int off_site_days,
                     const std::string& approved_by);

}  // namespace peixun::enrollment::domain
