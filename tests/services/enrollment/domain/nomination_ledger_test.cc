// Unit tests of the nomination ledger: a batch judged in arrival order, each nomination as if it
// were alone after the ones before it.
#include "services/enrollment/domain/nomination_ledger.h"

#include "gtest/gtest.h"

namespace peixun::enrollment::domain {
namespace {

constexpr int kYear = 2022;
const ProjectKey kReading{kYear, "reading"};  // 国培, 2022-10-10 to 2022-10-20
const ProjectKey kMaths{kYear, "maths"};      // 国培, 2022-10-15 to 2022-10-25: overlaps reading
const ProjectKey kCityDays{kYear, "city-days"};  // 市培, 2022-11-01 to 2022-11-03

common::v1::Date DateOf(int y, int m, int d) {
  common::v1::Date date;
  date.set_year(y);
  date.set_month(m);
  date.set_day(d);
  return date;
}

ProjectFacts Project(const ProjectKey& key, common::v1::PlanLevel level, absl::CivilDay start,
                     absl::CivilDay end, const std::string& category) {
  ProjectFacts facts;
  facts.project.set_name("years/2022/projects/" + key.second);
  facts.project.set_display_name("项目 " + key.second);
  facts.project.set_category("years/2022/categories/" + category);
  facts.project.set_plan_level(level);
  *facts.project.mutable_start_date() =
      DateOf(static_cast<int>(start.year()), start.month(), start.day());
  *facts.project.mutable_end_date() = DateOf(static_cast<int>(end.year()), end.month(), end.day());
  facts.deadline = absl::CivilDay(2022, 9, 30);
  return facts;
}

v1::Teacher Teacher(const std::string& county, bool rural) {
  v1::Teacher t;
  t.set_county("regions/" + county);
  t.set_stage(common::v1::PRIMARY);
  t.set_rural(rural);
  t.set_teaching_since_year(2010);
  return t;
}

// 兰考县 (410225, in 开封 4102) with 2 seats in reading, 1 held; 1 seat in maths and city-days.
NominationFacts Facts() {
  NominationFacts f;
  for (const char* id : {"t1", "t2", "t3"})
    f.teachers[id] = Teacher("410225", std::string(id) != "t3");
  f.teachers["other"] = Teacher("411522", true);
  f.projects[kReading] = Project(kReading, common::v1::NATIONAL, absl::CivilDay(2022, 10, 10),
                                 absl::CivilDay(2022, 10, 20), "reading");
  f.projects[kMaths] = Project(kMaths, common::v1::NATIONAL, absl::CivilDay(2022, 10, 15),
                               absl::CivilDay(2022, 10, 25), "maths");
  f.projects[kCityDays] = Project(kCityDays, common::v1::CITY, absl::CivilDay(2022, 11, 1),
                                  absl::CivilDay(2022, 11, 3), "city");
  catalog_v1::Region lankao;
  lankao.set_code("410225");
  lankao.set_display_name("兰考县");
  lankao.set_parent("regions/4102");
  f.regions["410225"] = lankao;
  f.quotas[kReading]["410225"] = SeatUse{2, 1};
  f.quotas[kMaths]["410225"] = SeatUse{1, 0};
  f.quotas[kCityDays]["410225"] = SeatUse{1, 0};
  return f;
}

NominationRequest Request(const std::string& teacher, const ProjectKey& project,
                          absl::CivilDay today = absl::CivilDay(2022, 9, 1)) {
  return NominationRequest{teacher, project, "410225", today};
}

TEST(NominationLedger, R7AnAcceptedNominationHoldsItsSeatForTheOnesAfterIt) {
  NominationLedger ledger(Facts(), true);
  NominationDecision first = ledger.Judge(Request("t1", kReading), "enrollments/e1");
  ASSERT_TRUE(first.status.ok()) << first.status;
  EXPECT_TRUE(first.rural);
  EXPECT_TRUE(first.rule.empty());
  EXPECT_EQ(ledger.facts().quotas.at(kReading).at("410225").held, 2);

  NominationDecision second = ledger.Judge(Request("t2", kReading), "enrollments/e2");
  EXPECT_EQ(second.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(second.rule, "R-7");
  EXPECT_NE(second.status.message().find("quota exhausted: 兰考县"), std::string::npos)
      << second.status;
  EXPECT_FALSE(second.record_ineligible);
  // The refusal rests on the copy of the catalog alone: the desk confirms it with catalog.
  EXPECT_TRUE(second.ask_catalog);
  EXPECT_EQ(second.seats_in_copy, 2);
  EXPECT_FALSE(first.ask_catalog);
}

TEST(NominationLedger, R7ACountyWithoutAQuotaInTheCopyIsConfirmedWithCatalog) {
  NominationFacts facts = Facts();
  facts.quotas[kReading].erase("410225");
  NominationLedger without(std::move(facts), true);
  NominationDecision refused = without.Judge(Request("t1", kReading), "enrollments/e2");
  EXPECT_EQ(refused.rule, "R-7");
  EXPECT_TRUE(refused.ask_catalog);
  EXPECT_EQ(refused.seats_in_copy, -1);
}

TEST(NominationLedger, R13AnAcceptedNominationHoldsItsDatesForTheSameTeacher) {
  NominationLedger ledger(Facts(), true);
  ASSERT_TRUE(ledger.Judge(Request("t1", kReading), "enrollments/e1").status.ok());
  NominationDecision overlapping = ledger.Judge(Request("t1", kMaths), "enrollments/e2");
  EXPECT_EQ(overlapping.rule, "R-13");
  EXPECT_NE(overlapping.status.message().find("overlap"), std::string::npos) << overlapping.status;
  // The refused one held nothing: maths's seat is still free for another teacher.
  EXPECT_TRUE(ledger.Judge(Request("t2", kMaths), "enrollments/e3").status.ok());
  EXPECT_EQ(ledger.facts().live_spans.at("t1").size(), 1u);
  EXPECT_EQ(ledger.facts().live_spans.at("t1").front().enrollment, "enrollments/e1");
}

TEST(NominationLedger, R9AnIneligibleTeacherIsRecordedAndTakesNoSeat) {
  NominationFacts facts = Facts();
  facts.projects[kMaths].project.mutable_audience()->set_rural_only(true);
  NominationLedger ledger(std::move(facts), true);
  NominationDecision urban = ledger.Judge(Request("t3", kMaths), "enrollments/e1");
  EXPECT_EQ(urban.rule, "R-9");
  EXPECT_TRUE(urban.record_ineligible);  // R-20 counts it
  EXPECT_EQ(ledger.facts().quotas.at(kMaths).at("410225").held, 0);
  EXPECT_TRUE(ledger.Judge(Request("t1", kMaths), "enrollments/e2").status.ok());
}

TEST(NominationLedger, R12TheBarCoversNationalAndProvincialProjectsOnlyAndComesBeforeR9) {
  NominationFacts facts = Facts();
  facts.barred_until["t3"] = absl::CivilDay(2024, 12, 31);
  facts.projects[kReading].project.mutable_audience()->set_rural_only(true);  // t3 is urban too
  NominationLedger ledger(std::move(facts), true);
  NominationDecision barred = ledger.Judge(Request("t3", kReading), "enrollments/e1");
  EXPECT_EQ(barred.rule, "R-12");
  EXPECT_FALSE(barred.record_ineligible);
  EXPECT_TRUE(ledger.Judge(Request("t3", kCityDays), "enrollments/e2").status.ok());
}

TEST(NominationLedger, R7ClosedAtTheDeadlineAndOnlyForTheCountysOwnTeachers) {
  NominationLedger ledger(Facts(), true);
  EXPECT_TRUE(ledger.Judge(Request("t1", kReading, absl::CivilDay(2022, 9, 30)), "enrollments/e1")
                  .status.ok());
  NominationDecision late =
      ledger.Judge(Request("t2", kMaths, absl::CivilDay(2022, 10, 1)), "enrollments/e2");
  EXPECT_EQ(late.rule, "R-7");
  EXPECT_NE(late.status.message().find("nominations closed on 2022-09-30"), std::string::npos)
      << late.status;
  NominationDecision foreign = ledger.Judge(Request("other", kMaths), "enrollments/e3");
  EXPECT_EQ(foreign.status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(foreign.rule, "R-7");
  EXPECT_NE(foreign.status.message().find("teachers/other belongs to regions/411522"),
            std::string::npos);
}

TEST(NominationLedger, R5NominationsCloseWhenTheTrainingStartsIfThatIsBeforeTheDeadline) {
  NominationFacts facts = Facts();
  facts.projects[kReading].deadline = absl::CivilDay(2022, 10, 31);  // after reading starts
  NominationLedger ledger(std::move(facts), true);
  EXPECT_TRUE(ledger.Judge(Request("t1", kReading, absl::CivilDay(2022, 10, 9)), "enrollments/e1")
                  .status.ok());
  NominationDecision started =
      ledger.Judge(Request("t2", kReading, absl::CivilDay(2022, 10, 10)), "enrollments/e2");
  EXPECT_EQ(started.rule, "R-5");
  EXPECT_EQ(started.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(started.status.message().find("started on 2022-10-10"), std::string::npos)
      << started.status;
  EXPECT_EQ(ledger.facts().quotas.at(kReading).at("410225").held, 2);  // only the first
}

TEST(NominationLedger, R12TheBarIsJudgedAgainstTheTrainingsDatesNotTheDayOfNomination) {
  NominationFacts facts = Facts();
  facts.barred_until["t1"] = absl::CivilDay(2022, 10, 12);  // ends while reading runs
  const ProjectKey later{kYear, "later"};                   // 国培, starts after the bar
  facts.projects[later] = Project(later, common::v1::NATIONAL, absl::CivilDay(2022, 10, 13),
                                  absl::CivilDay(2022, 10, 14), "later");
  facts.quotas[later]["410225"] = SeatUse{1, 0};
  NominationLedger ledger(std::move(facts), true);
  // Nominated on 2022-09-01, inside the bar, into training that starts inside it: refused.
  NominationDecision inside = ledger.Judge(Request("t1", kReading), "enrollments/e1");
  EXPECT_EQ(inside.rule, "R-12");
  EXPECT_NE(inside.status.message().find("until 2022-10-12"), std::string::npos) << inside.status;
  EXPECT_NE(inside.status.message().find("starts on 2022-10-10"), std::string::npos);
  // The same day, into training that starts the day after the bar's last day: accepted.
  NominationDecision after = ledger.Judge(Request("t1", later), "enrollments/e2");
  EXPECT_TRUE(after.status.ok()) << after.status;
}

TEST(NominationLedger, UnknownTeachersAndProjectsAreNotRuleRefusals) {
  NominationLedger current(Facts(), true);
  NominationDecision nobody = current.Judge(Request("nobody", kReading), "enrollments/e1");
  EXPECT_EQ(nobody.status.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(nobody.rule.empty());
  const ProjectKey unknown{kYear, "unknown"};
  EXPECT_EQ(current.Judge(Request("t1", unknown), "enrollments/e2").status.code(),
            absl::StatusCode::kNotFound);
  // While the copy of the catalog is behind, an unknown project may exist: retry later.
  NominationLedger behind(Facts(), false);
  NominationDecision later = behind.Judge(Request("t1", unknown), "enrollments/e3");
  EXPECT_EQ(later.status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(later.status.message().find("retry later"), std::string::npos);
  EXPECT_TRUE(later.ask_catalog);
  // Refusals that do not rest on the catalog copy are not asked again.
  EXPECT_FALSE(nobody.ask_catalog);
}

}  // namespace
}  // namespace peixun::enrollment::domain
