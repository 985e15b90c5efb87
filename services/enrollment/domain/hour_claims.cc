#include "services/enrollment/domain/hour_claims.h"

#include "absl/strings/str_cat.h"
#include "common/util/dates.h"
#include "common/util/status.h"

namespace peixun::enrollment::domain {
namespace {

absl::Status CheckText(absl::string_view value, size_t max_bytes, absl::string_view field,
                       absl::string_view what) {
  if (value.empty() || value.size() > max_bytes) {
    return FieldError(field, absl::StrCat("must say ", what, ", in 1 to ", max_bytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::string_view ReviewWord(v1::HourClaim::State state) {
  switch (state) {
    case v1::HourClaim::APPROVED:
      return "approved";
    case v1::HourClaim::REFUSED:
      return "refused";
    default:
      return "closed";
  }
}

}  // namespace

absl::Status ValidateHourClaim(const v1::HourClaim& claim, absl::CivilDay today) {
  PEIXUN_RETURN_IF_ERROR(CheckText(claim.title(), kMaxClaimTitleBytes, "hour_claim.title",
                                   "what the hours were earned in"));
  PEIXUN_RETURN_IF_ERROR(CheckText(claim.provider(), kMaxClaimTitleBytes, "hour_claim.provider",
                                   "who gave the training"));
  PEIXUN_RETURN_IF_ERROR(CheckText(claim.evidence(), kMaxClaimEvidenceBytes, "hour_claim.evidence",
                                   "the evidence (a certificate number, document or link)"));
  PEIXUN_ASSIGN_OR_RETURN(const absl::CivilDay start,
                          ValidDay(claim.start_date().year(), claim.start_date().month(),
                                   claim.start_date().day(), "hour_claim.start_date"));
  PEIXUN_ASSIGN_OR_RETURN(const absl::CivilDay end,
                          ValidDay(claim.end_date().year(), claim.end_date().month(),
                                   claim.end_date().day(), "hour_claim.end_date"));
  if (end < start) return FieldError("hour_claim.end_date", "is before start_date");
  if (end > today) {
    return FieldError("hour_claim.end_date",
                      absl::StrCat("is after today (", absl::FormatCivilTime(today),
                                   "): hours are claimed once earned (R-33)"));
  }
  if (claim.credit_hours() < 1 || claim.credit_hours() > kMaxClaimedHours) {
    return FieldError("hour_claim.credit_hours",
                      absl::StrCat("must be 1 to ", kMaxClaimedHours, " (R-33)"));
  }
  const int64_t days_run = (end - start) + 1;
  if (claim.off_site_days() < 0 || claim.off_site_days() > days_run) {
    return FieldError("hour_claim.off_site_days",
                      absl::StrCat("must be 0 to the ", days_run, " days the training ran (R-14)"));
  }
  return absl::OkStatus();
}

absl::Status CheckReviewable(const v1::HourClaim& claim) {
  if (claim.state() == v1::HourClaim::PENDING) return absl::OkStatus();
  return RuleError("R-33", absl::StrCat(claim.name(), " was already ", ReviewWord(claim.state()),
                                        " by ", claim.reviewer()));
}

absl::Status CheckApproval(const v1::HourClaim& claim, int credit_hours, int off_site_days,
                           absl::string_view reason) {
  if (credit_hours < 1 || credit_hours > claim.credit_hours()) {
    return FieldError("credit_hours", absl::StrCat("must be 1 to the ", claim.credit_hours(),
                                                   " hours claimed (R-33)"));
  }
  if (off_site_days < 0 || off_site_days > claim.off_site_days()) {
    return FieldError("off_site_days", absl::StrCat("must be 0 to the ", claim.off_site_days(),
                                                    " off-site days claimed (R-33)"));
  }
  if (reason.size() > kMaxReviewReasonBytes) {
    return FieldError("reason", absl::StrCat("is longer than ", kMaxReviewReasonBytes, " bytes"));
  }
  if (reason.empty() &&
      (credit_hours < claim.credit_hours() || off_site_days < claim.off_site_days())) {
    return FieldError("reason", "must say why fewer hours or days are granted than claimed (R-33)");
  }
  return absl::OkStatus();
}

absl::Status CheckRefusal(absl::string_view reason) {
  return CheckText(reason, kMaxReviewReasonBytes, "reason", "why the claim is refused (R-33)");
}

HourEntry ClaimEntry(const std::string& claim_id, const std::string& teacher_id,
                     const v1::HourClaim& claim, int credit_hours, int off_site_days,
                     const std::string& approved_by) {
  HourEntry entry;
  entry.teacher_id = teacher_id;
  entry.hours = credit_hours;
  entry.off_site_days = off_site_days;
  entry.level = claim.plan_level();
  entry.source = HourSource::kClaim;
  entry.source_key = claim_id;
  const auto& end = claim.end_date();
  entry.year = end.year();
  entry.school_year = SchoolYearOf(absl::CivilDay(end.year(), end.month(), end.day()));
  entry.approved_by = approved_by;
  return entry;
}

}  // namespace peixun::enrollment::domain
