// Unit tests of claims of hours earned elsewhere, pure, named for their rules.
#include "services/enrollment/domain/hour_claims.h"

#include <string>

#include "gtest/gtest.h"

namespace peixun::enrollment::domain {
namespace {

void SetDay(int y, int m, int d, common::v1::Date* date) {
  date->set_year(y);
  date->set_month(m);
  date->set_day(d);
}

v1::HourClaim Claim() {
  v1::HourClaim claim;
  claim.set_title("2023年浙江省乡村教师能力提升培训");
  claim.set_provider("浙江师范大学");
  claim.set_plan_level(common::v1::PROVINCIAL);
  SetDay(2023, 7, 10, claim.mutable_start_date());
  SetDay(2023, 7, 19, claim.mutable_end_date());
  claim.set_credit_hours(60);
  claim.set_off_site_days(10);
  claim.set_evidence("浙教培证 2023-0457");
  return claim;
}

const absl::CivilDay kToday(2023, 9, 1);

// The field an INVALID_ARGUMENT names (its message starts with it).
std::string FieldOf(const absl::Status& status) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  const std::string message(status.message());
  return message.substr(0, message.find(':'));
}

TEST(R33, AClaimSaysWhatWhoWhenAndHowManyWithinBounds) {
  EXPECT_TRUE(ValidateHourClaim(Claim(), kToday).ok());

  v1::HourClaim claim = Claim();
  claim.clear_title();
  EXPECT_EQ(FieldOf(ValidateHourClaim(claim, kToday)), "hour_claim.title");
  claim = Claim();
  claim.set_provider(std::string(kMaxClaimTitleBytes + 1, 'x'));
  EXPECT_EQ(FieldOf(ValidateHourClaim(claim, kToday)), "hour_claim.provider");
  claim = Claim();
  claim.clear_evidence();
  EXPECT_EQ(FieldOf(ValidateHourClaim(claim, kToday)), "hour_claim.evidence");
  claim = Claim();
  SetDay(2023, 2, 30, claim.mutable_start_date());
  EXPECT_EQ(FieldOf(ValidateHourClaim(claim, kToday)), "hour_claim.start_date");
  claim = Claim();
  SetDay(2023, 7, 9, claim.mutable_end_date());
  EXPECT_EQ(FieldOf(ValidateHourClaim(claim, kToday)), "hour_claim.end_date");
  claim = Claim();
  claim.set_credit_hours(0);
  EXPECT_EQ(FieldOf(ValidateHourClaim(claim, kToday)), "hour_claim.credit_hours");
  claim.set_credit_hours(kMaxClaimedHours + 1);
  EXPECT_EQ(FieldOf(ValidateHourClaim(claim, kToday)), "hour_claim.credit_hours");
  claim.set_credit_hours(kMaxClaimedHours);
  EXPECT_TRUE(ValidateHourClaim(claim, kToday).ok());
}

TEST(R33, HoursAreClaimedOnceEarnedNotBefore) {
  // The training ends on 2023-07-19: claimed that day or later, never the day before.
  EXPECT_TRUE(ValidateHourClaim(Claim(), absl::CivilDay(2023, 7, 19)).ok());
  const absl::Status early = ValidateHourClaim(Claim(), absl::CivilDay(2023, 7, 18));
  EXPECT_EQ(FieldOf(early), "hour_claim.end_date");
  EXPECT_NE(early.message().find("2023-07-18"), std::string::npos) << early;
}

TEST(R14R33, OffSiteDaysAreAtMostTheDaysTheTrainingRan) {
  v1::HourClaim claim = Claim();  // 10 July to 19 July: 10 days
  claim.set_off_site_days(10);
  EXPECT_TRUE(ValidateHourClaim(claim, kToday).ok());
  claim.set_off_site_days(11);
  const absl::Status status = ValidateHourClaim(claim, kToday);
  EXPECT_EQ(FieldOf(status), "hour_claim.off_site_days");
  EXPECT_NE(status.message().find("10 days"), std::string::npos) << status;
  claim.set_off_site_days(-1);
  EXPECT_EQ(FieldOf(ValidateHourClaim(claim, kToday)), "hour_claim.off_site_days");
}

TEST(R33, TheCountyGrantsAtMostWhatWasClaimedAndSaysWhyWhenLess) {
  const v1::HourClaim claim = Claim();  // 60 hours, 10 days
  EXPECT_TRUE(CheckApproval(claim, 60, 10, "").ok());
  EXPECT_TRUE(CheckApproval(claim, 40, 10, "证书只载明40学时").ok());
  EXPECT_EQ(FieldOf(CheckApproval(claim, 40, 10, "")), "reason");
  EXPECT_EQ(FieldOf(CheckApproval(claim, 60, 7, "")), "reason");
  EXPECT_EQ(FieldOf(CheckApproval(claim, 61, 10, "")), "credit_hours");
  EXPECT_EQ(FieldOf(CheckApproval(claim, 0, 0, "none")), "credit_hours");
  EXPECT_EQ(FieldOf(CheckApproval(claim, 60, 11, "")), "off_site_days");
  EXPECT_EQ(FieldOf(CheckApproval(claim, 60, 10, std::string(kMaxReviewReasonBytes + 1, 'x'))),
            "reason");
  EXPECT_EQ(FieldOf(CheckRefusal("")), "reason");
  EXPECT_TRUE(CheckRefusal("证明材料无法核实").ok());
}

TEST(R33, OnlyAPendingClaimIsReviewedAndTheRefusalSaysByWhom) {
  v1::HourClaim claim = Claim();
  claim.set_name("teachers/t1/hourClaims/c1");
  claim.set_state(v1::HourClaim::PENDING);
  EXPECT_TRUE(CheckReviewable(claim).ok());
  claim.set_state(v1::HourClaim::APPROVED);
  claim.set_reviewer("county-admin-410225");
  const absl::Status status = CheckReviewable(claim);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message().rfind("R-33", 0), 0u) << status;
  EXPECT_NE(status.message().find("approved by county-admin-410225"), std::string::npos);
  claim.set_state(v1::HourClaim::REFUSED);
  EXPECT_NE(CheckReviewable(claim).message().find("refused"), std::string::npos);
}

TEST(R31R33, AnApprovedClaimsEntryIsKeyedByTheClaimInTheYearTheTrainingEnded) {
  v1::HourClaim claim = Claim();
  SetDay(2023, 8, 28, claim.mutable_start_date());
  SetDay(2023, 9, 3, claim.mutable_end_date());
  const HourEntry entry = ClaimEntry("c1", "t1", claim, 40, 5, "county-admin-410225");
  EXPECT_EQ(entry.source, HourSource::kClaim);
  EXPECT_EQ(entry.source_key, "c1");
  EXPECT_EQ(entry.teacher_id, "t1");
  EXPECT_EQ(entry.hours, 40);  // what was granted, not what was claimed
  EXPECT_EQ(entry.off_site_days, 5);
  EXPECT_EQ(entry.level, common::v1::PROVINCIAL);
  EXPECT_EQ(entry.year, 2023);
  EXPECT_EQ(entry.school_year, 2023);  // ended 3 September: the school year begun in 2023
  EXPECT_EQ(entry.approved_by, "county-admin-410225");
}

}  // namespace
}  // namespace peixun::enrollment::domain
