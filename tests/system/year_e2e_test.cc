// The demonstration year end to end (issue 5): the four service binaries as their own processes
// on loopback, each on a fresh MariaDB database, on one demonstration clock (a clock file) that
// starts on 2022-07-01 so the 2022 deadlines are ahead, and that the driver moves to the year's
// last day before hosts record arrivals and completions. peixunctl loads the 2022 catalog
// and the demonstration teachers; the year driver (tools/year) nominates, attends, scores,
// publishes and decides. The outcomes the services report are checked against what the generated
// plan implies: counts and rates, deductions, totals and grades, tiers and
// amounts, budgets and subsidies; then the next year: barred teachers refused
// revoked counties out of the round.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <regex>

#include "absl/strings/str_cat.h"
#include "common/util/clock.h"
#include "gtest/gtest.h"
#include "peixun/catalog/v1/catalog.grpc.pb.h"
#include "peixun/enrollment/v1/enrollment.grpc.pb.h"
#include "tests/support/harness.h"
#include "tools/year/year_driver.h"

namespace peixun::year {
namespace {

namespace cat = ::peixun::catalog::v1;
namespace ev = ::peixun::evaluation::v1;
namespace fnd = ::peixun::funding::v1;
namespace enr = ::peixun::enrollment::v1;
using peixun::testing::ScratchDatabase;
using peixun::testing::ServiceProcess;

constexpr char kClockStart[] = "2022-07-01T09:00:00+08:00";
constexpr int64_t kSubsidyFen = 5000;  // 50 yuan per completed participant, set for this test

std::vector<std::pair<std::string, std::string>> Env(const ScratchDatabase& db,
                                                     const std::string& clock_file) {
  const auto& c = db.config();
  return {{"PEIXUN_DB_HOST", c.host},         {"PEIXUN_DB_PORT", std::to_string(c.port)},
          {"PEIXUN_DB_NAME", c.database},     {"PEIXUN_DB_USER", c.user},
          {"PEIXUN_DB_PASSWORD", c.password}, {"PEIXUN_TOKEN_KEY", peixun::testing::kTestTokenKey},
          {"PEIXUN_CLOCK_FILE", clock_file}};
}

std::string Address(int port) { return absl::StrCat("127.0.0.1:", port); }

using peixun::testing::RunCommand;

TEST(YearEndToEnd, R4R12R16R20R21R25R27R28TheDemonstrationYearThroughFourServerProcesses) {
  ScratchDatabase catalog_db, enrollment_db, evaluation_db, funding_db;
  const std::string logs = ::testing::TempDir();
  const std::string clock_file = logs + "/year-clock";
  absl::Time start;
  std::string error;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, kClockStart, &start, &error)) << error;
  ASSERT_TRUE(MoveFileClock(clock_file, start).ok());
  const std::vector<std::string> ports0 = {"--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0"};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.begin(), ports0.begin(), ports0.end());
    return extra;
  };
  // Catalog asks funding whether a county is a project county, and funding asks catalog
  // for budgets: funding's port is chosen before either starts.
  const int funding_listen = peixun::testing::FreeLoopbackPort();
  ServiceProcess catalog(PEIXUN_CATALOG_BINARY,
                         with({"--funding_target=" + Address(funding_listen)}),
                         Env(catalog_db, clock_file), logs + "/year-catalog.log");
  const int catalog_port = catalog.WaitServing();
  ASSERT_GT(catalog_port, 0);
  ServiceProcess enrollment(PEIXUN_ENROLLMENT_BINARY,
                            with({"--catalog_target=" + Address(catalog_port)}),
                            Env(enrollment_db, clock_file), logs + "/year-enrollment.log");
  const int enrollment_port = enrollment.WaitServing();
  ASSERT_GT(enrollment_port, 0);
  const int evaluation_port = peixun::testing::FreeLoopbackPort();
  ServiceProcess funding(PEIXUN_FUNDING_BINARY,
                         {"--listen=" + Address(funding_listen), "--metrics_listen=127.0.0.1:0",
                          "--evaluation_target=" + Address(evaluation_port),
                          "--catalog_target=" + Address(catalog_port),
                          "--enrollment_target=" + Address(enrollment_port)},
                         Env(funding_db, clock_file), logs + "/year-funding.log");
  const int funding_port = funding.WaitServing();
  ASSERT_EQ(funding_port, funding_listen);
  ServiceProcess evaluation(
      PEIXUN_EVALUATION_BINARY,
      {"--listen=" + Address(evaluation_port), "--metrics_listen=127.0.0.1:0",
       "--enrollment_target=" + Address(enrollment_port),
       "--funding_target=" + Address(funding_port), "--catalog_target=" + Address(catalog_port)},
      Env(evaluation_db, clock_file), logs + "/year-evaluation.log");
  ASSERT_EQ(evaluation.WaitServing(), evaluation_port);

  // The operators' tool loads the 2022 catalog and the demonstration teachers.
  setenv("PEIXUN_TOKEN_KEY", peixun::testing::kTestTokenKey, 1);
  const std::string ctl = PEIXUN_PEIXUNCTL_BINARY;
  // Funding's project counties first: catalog gives 项目县 seats only to them.
  ASSERT_EQ(std::system(absl::StrCat(ctl, " --target=", Address(funding_port), " apply --quiet ",
                                     PEIXUN_SOURCE_DIR, "/deploy/demo/project-counties.jsonl")
                            .c_str()),
            0);
  ASSERT_EQ(std::system(absl::StrCat(ctl, " --target=", Address(catalog_port), " apply --quiet ",
                                     PEIXUN_SOURCE_DIR, "/deploy/demo/catalog-2022.jsonl")
                            .c_str()),
            0);
  ASSERT_EQ(
      std::system(absl::StrCat(ctl, " --target=", Address(enrollment_port), " import-teachers ",
                               PEIXUN_SOURCE_DIR, "/deploy/demo/teachers-2022.csv")
                      .c_str()),
      0);

  YearOptions options;
  options.catalog_target = Address(catalog_port);
  options.enrollment_target = Address(enrollment_port);
  options.evaluation_target = Address(evaluation_port);
  options.funding_target = Address(funding_port);
  options.signer.hs256_key = peixun::testing::kTestTokenKey;
  options.year = 2022;
  options.generate_teachers_per_county = 40;
  options.subsidy_per_participant_fen = kSubsidyFen;
  options.clock_file = clock_file;
  options.progress = [](const std::string& line) { std::cerr << "  " << line << "\n"; };
  YearDriver driver(options);
  absl::Status ran = driver.Run();
  ASSERT_TRUE(ran.ok()) << ran.message();
  std::cerr << driver.Table();

  // The 2022 catalog has 156 counties with quotas; 20 teachers each from the CSV, 40 generated.
  ASSERT_EQ(driver.plans().size(), 156u);
  EXPECT_EQ(driver.teachers(), 156 * 60);
  // every teacher's school-based research registered, a claim in every fourth county.
  EXPECT_EQ(driver.research_registered(), driver.teachers());
  EXPECT_EQ(driver.claims_approved(), 39);

  std::map<ev::Grade, int> grades;
  int64_t decided = 0;
  int completed = 0;
  int excellent_with_deductions = 0;
  for (const CountyPlan& plan : driver.plans()) {
    SCOPED_TRACE(plan.code + " " + plan.display_name);
    ASSERT_EQ(driver.outcomes().count(plan.code), 1u);
    const CountyOutcome& o = driver.outcomes().at(plan.code);
    // enrollment counts exactly what the plan did.
    EXPECT_EQ(o.rates.quota(), plan.quota);
    EXPECT_EQ(o.rates.nominated(), plan.nominated);
    EXPECT_EQ(o.rates.checked_in(), plan.checked_in);
    EXPECT_EQ(o.rates.completed(), plan.completed);
    EXPECT_EQ(o.rates.no_show(), plan.no_show);
    EXPECT_EQ(o.rates.dismissed() + o.rates.not_completed(), plan.not_completed);
    EXPECT_EQ(o.rates.ineligible(), plan.ineligible);
    EXPECT_EQ(o.rates.under_reported(), plan.quota - plan.nominated);
    EXPECT_EQ(o.rates.nomination_rate_bp(),
              (plan.nominated * 20000 + plan.quota) / (2 * plan.quota));
    if (plan.checked_in > 0) {
      EXPECT_EQ(o.rates.completion_rate_bp(),
                (plan.completed * 20000 + plan.checked_in) / (2 * plan.checked_in));
    }
    EXPECT_EQ(o.rates.found_ineligible(), plan.national.found_ineligible);
    // one point per person under-reported, absent, not completed or found ineligible at
    // 报到 in the county's 国培 projects (not 省培, not refused nominations), taken from the
    // automatic indicator and never below 0.
    const int deduction = std::min(plan.national.persons() * 10, plan.automatic_panel_tenths);
    EXPECT_EQ(o.deduction_tenths, deduction);
    // the panel's scores less the deductions, graded at 90 and 75.
    EXPECT_EQ(o.total_tenths, plan.panel_tenths - deduction);
    const ev::Grade grade = o.total_tenths >= 900   ? ev::EXCELLENT
                            : o.total_tenths >= 750 ? ev::QUALIFIED
                                                    : ev::UNQUALIFIED;
    EXPECT_EQ(o.grade, grade);
    ++grades[o.grade];
    if (grade == ev::EXCELLENT && deduction > 0) ++excellent_with_deductions;
    // the default policy's tiers.
    const fnd::Tier tier = grade == ev::EXCELLENT   ? fnd::HIGH
                           : grade == ev::QUALIFIED ? fnd::STANDARD
                                                    : fnd::REVOKED;
    EXPECT_EQ(o.tier, tier);
    EXPECT_EQ(o.amount_fen, tier == fnd::HIGH ? 300000000 : tier == fnd::STANDARD ? 200000000 : 0);
    decided += o.amount_fen;
    completed += plan.completed;
  }
  // The generated year reaches every grade, and deductions matter.
  EXPECT_GT(grades[ev::EXCELLENT], 0);
  EXPECT_GT(grades[ev::QUALIFIED], 0);
  EXPECT_GT(grades[ev::UNQUALIFIED], 0);
  EXPECT_GT(excellent_with_deductions, 0);

  // the province's budgets, subsidies and decided amounts.
  const fnd::BudgetSummary& budget = driver.province_budget();
  ASSERT_EQ(budget.lines_size(), 1);
  EXPECT_EQ(budget.lines(0).region(), "regions/41");
  EXPECT_EQ(budget.lines(0).completed_participants(), completed);
  EXPECT_EQ(budget.total_subsidy_fen(), completed * kSubsidyFen);
  EXPECT_EQ(budget.total_decided_fen(), decided);
  int64_t project_budgets = 0;  // R-4 priced here from the projects' formats and seats
  auto stub = cat::CatalogService::NewStub(peixun::testing::LoopbackChannel(catalog_port));
  cat::ListProjectsRequest list;
  list.set_parent("years/2022");
  list.set_page_size(1000);
  cat::ListProjectsResponse projects;
  ASSERT_TRUE(
      stub->ListProjects(peixun::testing::ContextAs(auth::Role::kViewer).get(), list, &projects)
          .ok());
  // 15 of the province, a 市培 project 开封 runs and a 县培 project 兰考 runs.
  ASSERT_EQ(projects.projects_size(), 17);
  for (const auto& p : projects.projects()) {
    project_budgets +=
        int64_t{p.seats()} * (p.format().centralized_days() + p.format().shadowing_days()) * 40000 +
        int64_t{p.seats()} * p.format().online_hours() * 300;
  }
  EXPECT_EQ(budget.total_project_budget_fen(), project_budgets);

  // 兰考's own 县培 project took no province step, and its completions registered
  // its 12 hours at the county level, like any project's.
  {
    auto enrollment_stub =
        enr::EnrollmentService::NewStub(peixun::testing::LoopbackChannel(enrollment_port));
    auto province = [] { return peixun::testing::ContextAs(auth::Role::kProvinceAdmin); };
    enr::ListEnrollmentsRequest county_project;
    county_project.set_filter(
        "project = \"years/2022/projects/lankao-rural-reading\" AND state = \"COMPLETED\"");
    county_project.set_page_size(1000);
    enr::ListEnrollmentsResponse completed_there;
    ASSERT_TRUE(
        enrollment_stub->ListEnrollments(province().get(), county_project, &completed_there).ok());
    ASSERT_GT(completed_there.enrollments_size(), 0);
    enr::ListHourEntriesRequest ledger;
    ledger.set_parent(completed_there.enrollments(0).teacher());
    ledger.set_page_size(1000);
    enr::ListHourEntriesResponse entries;
    ASSERT_TRUE(enrollment_stub->ListHourEntries(province().get(), ledger, &entries).ok());
    int county_hours = 0;
    for (const auto& entry : entries.hour_entries()) {
      if (entry.plan_level() == common::v1::COUNTY) county_hours += entry.credit_hours();
    }
    EXPECT_EQ(county_hours, 12);
  }

  // a teacher absent or dismissed in 2022 is refused in 2023; a colleague is not.
  const NextYearFindings& next = driver.next_year();
  EXPECT_TRUE(next.barred_refused_r12) << next.barred_refusal;
  EXPECT_TRUE(next.unbarred_accepted);
  // the 2023 round takes the active project counties, leaving the revoked ones out, and
  // refuses one named explicitly.
  EXPECT_EQ(static_cast<int>(next.revoked.size()), grades[ev::UNQUALIFIED]);
  EXPECT_EQ(next.next_round_counties, 156 - grades[ev::UNQUALIFIED]);
  EXPECT_TRUE(next.revoked_left_out);
  EXPECT_NE(next.revoked_refusal.find("R-27"), std::string::npos) << next.revoked_refusal;

  // The operators' verbs read the same year back.
  const std::string funding_ctl = absl::StrCat(ctl, " --target=", Address(funding_port), " ");
  auto [revoked_json, revoked_exit] =
      RunCommand(funding_ctl + "decisions 2022 'tier = \"REVOKED\"' --output=json");
  EXPECT_EQ(revoked_exit, 0) << revoked_json;
  size_t listed = 0;
  for (size_t at = revoked_json.find("\"tier\": \"REVOKED\""); at != std::string::npos;
       at = revoked_json.find("\"tier\": \"REVOKED\"", at + 1)) {
    ++listed;
  }
  EXPECT_EQ(listed, next.revoked.size());
  auto [budget_table, budget_exit] = RunCommand(funding_ctl + "budget 2022 province");
  EXPECT_EQ(budget_exit, 0) << budget_table;
  EXPECT_NE(budget_table.find("河南省"), std::string::npos) << budget_table;
  EXPECT_NE(budget_table.find(absl::StrCat("total_decided_fen: ", decided)), std::string::npos)
      << budget_table;
  auto [refusal, refusal_exit] =
      RunCommand(funding_ctl + "--role=county_admin --region=410225 decide 2022");
  EXPECT_EQ(refusal_exit, 1);
  EXPECT_NE(refusal.find("PERMISSION_DENIED: role county_admin may not decide funding"),
            std::string::npos)
      << refusal;
  EXPECT_NE(refusal.find("hint: the call needs another role"), std::string::npos) << refusal;

  // 学时申报 through the operators' verbs: 兰考县 files a claim for one of its teachers,
  // finds it in its review queue, grants fewer hours than claimed with a reason, and the
  // teacher's ledger holds the granted hours with the claim as their source.
  const std::string lankao_ctl = absl::StrCat(ctl, " --target=", Address(enrollment_port),
                                              " --role=county_admin --region=410225 ");
  auto [teachers_json, teachers_exit] = RunCommand(lankao_ctl + "teachers --output=json");
  ASSERT_EQ(teachers_exit, 0) << teachers_json;
  std::smatch found;
  ASSERT_TRUE(std::regex_search(teachers_json, found, std::regex("\"(teachers/[a-z0-9-]+)\"")))
      << teachers_json;
  const std::string teacher = found[1];
  auto [filed, filed_exit] =
      RunCommand(lankao_ctl + "claim " + teacher +
                 " 2022-07-10 2022-07-19 60 10 '2022年浙江省乡村教师能力提升培训' '浙江师范大学' "
                 "'浙教培证 2022-0457' PROVINCIAL --output=json");
  ASSERT_EQ(filed_exit, 0) << filed;
  ASSERT_TRUE(std::regex_search(filed, found,
                                std::regex("\"(teachers/[a-z0-9-]+/hourClaims/[a-z0-9-]+)\"")))
      << filed;
  const std::string claim = found[1];
  auto [queue, queue_exit] =
      RunCommand(lankao_ctl + "claims - 'state = \"PENDING\"' --output=json");
  EXPECT_EQ(queue_exit, 0) << queue;
  EXPECT_NE(queue.find(claim), std::string::npos) << queue;
  auto [approved, approved_exit] =
      RunCommand(lankao_ctl + "approve-claim " + claim + " 40 10 '证书载明40学时' --output=json");
  EXPECT_EQ(approved_exit, 0) << approved;
  EXPECT_NE(approved.find("APPROVED"), std::string::npos) << approved;
  auto [ledger, ledger_exit] = RunCommand(lankao_ctl + "hours " + teacher + " --output=json");
  EXPECT_EQ(ledger_exit, 0) << ledger;
  EXPECT_NE(ledger.find("CLAIM"), std::string::npos) << ledger;
  EXPECT_NE(ledger.find(claim), std::string::npos) << ledger;

  // 学时证明: the county writes the teacher's certificate to a file; anyone holding its
  // code verifies it.
  const std::string pdf = logs + "/hours-certificate.pdf";
  auto [issued, issued_exit] = RunCommand(lankao_ctl + "certificate " + teacher + " " + pdf);
  ASSERT_EQ(issued_exit, 0) << issued;
  EXPECT_NE(issued.find("2021-2025"), std::string::npos) << issued;
  ASSERT_TRUE(std::regex_search(issued, found, std::regex("code ([0-9A-Z]{4}(-[0-9A-Z]{4}){3})")))
      << issued;
  const std::string code = found[1];
  std::ifstream written(pdf, std::ios::binary);
  std::string head(5, '\0');
  written.read(head.data(), 5);
  EXPECT_EQ(head, "%PDF-");
  auto [verified, verified_exit] =
      RunCommand(absl::StrCat(ctl, " --target=", Address(enrollment_port),
                              " --role=viewer verify-certificate ", code, " --output=json"));
  EXPECT_EQ(verified_exit, 0) << verified;
  EXPECT_NE(verified.find("\"current\": true"), std::string::npos) << verified;
  EXPECT_NE(verified.find("\"county\": \"regions/410225\""), std::string::npos) << verified;

  // Spreadsheets where administrators live: the county's at-risk list as a workbook that
  // another tool opens, and the teacher's ledger as CSV.
  const std::string workbook = logs + "/at-risk.xlsx";
  auto [exported, exported_exit] =
      RunCommand(lankao_ctl + "at-risk 410225 --output=xlsx --out=" + workbook);
  ASSERT_EQ(exported_exit, 0) << exported;
  auto [opened, opened_exit] = RunCommand(
      "/usr/bin/python3 -c \"import openpyxl,sys; s=openpyxl.load_workbook(sys.argv[1]).active; "
      "rows=list(s.iter_rows(values_only=True)); print(rows[0][0], len(rows) - 1)\" " +
      workbook);
  EXPECT_EQ(opened_exit, 0) << opened;
  ASSERT_TRUE(std::regex_search(opened, found, std::regex("^teacher ([0-9]+)"))) << opened;
  const std::string at_risk = found[1];
  EXPECT_GT(std::stoi(at_risk), 0) << "兰考县's teachers are short of 360 hours in 2021-2025";
  EXPECT_NE(exported.find(at_risk + " teachers"), std::string::npos) << exported;
  // A county's report of hours from a file: a workshop's two days registered, a row
  // of an unknown kind refused with its line, and the command says so in its exit code.
  const std::string report = logs + "/hours.csv";
  {
    std::ofstream file(report);
    file << "teacher,kind,hours,days,session,date,description,level\n"
         << teacher << ",WORKSHOP,,2,lankao-math-5,2022-05-10,兰考县小学数学工作坊,COUNTY\n"
         << teacher << ",VOLUNTEERING,3,,,2022-05-11,,\n";
  }
  auto [reported, reported_exit] = RunCommand(lankao_ctl + "report-hours 410225 " + report);
  EXPECT_EQ(reported_exit, 1) << reported;
  EXPECT_NE(reported.find("REGISTERED=1"), std::string::npos) << reported;
  EXPECT_NE(reported.find("REFUSED=1"), std::string::npos) << reported;
  EXPECT_NE(reported.find("hours.csv:3: REFUSED, reports[1].source_kind"), std::string::npos)
      << reported;
  auto [csv, csv_exit] = RunCommand(lankao_ctl + "hours " + teacher + " --output=csv");
  EXPECT_EQ(csv_exit, 0) << csv;
  EXPECT_NE(csv.find(",CLAIM,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",WORKSHOP,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",SCHOOL_RESEARCH,"), std::string::npos) << csv;

  // 兰考县 registers the teacher's school; the school submits its plan of the 2023
  // school year (its 2022 plan was due by 2022-09-07); the county's training school returns it
  // with a reason, approves it when sent again; and until the school has an approved plan of a
  // school year, its teachers' research hours of that year wait.
  ASSERT_TRUE(std::regex_search(teachers_json, found, std::regex("\"school\": \"([^\"]+)\"")))
      << teachers_json;
  const std::string school_text = found[1];
  const std::string schools_csv = logs + "/schools.csv";
  {
    std::ofstream file(schools_csv);
    file << "school,display_name\nlk-e2e," << school_text << "\n";
  }
  auto [registered, registered_exit] =
      RunCommand(lankao_ctl + "import-schools 410225 " + schools_csv);
  EXPECT_EQ(registered_exit, 0) << registered;
  EXPECT_NE(registered.find("CREATED=1"), std::string::npos) << registered;
  const std::string school = "regions/410225/schools/lk-e2e";
  auto [listed_schools, listed_schools_exit] =
      RunCommand(lankao_ctl + "schools 410225 --output=json");
  EXPECT_EQ(listed_schools_exit, 0) << listed_schools;
  EXPECT_NE(listed_schools.find(school), std::string::npos) << listed_schools;
  const std::string school_ctl = absl::StrCat(ctl, " --target=", Address(enrollment_port),
                                              " --role=school_admin --subject=", school, " ");
  const std::string training_ctl = absl::StrCat(ctl, " --target=", Address(enrollment_port),
                                                " --role=training_school --region=410225 ");
  auto [late, late_exit] = RunCommand(school_ctl + "submit-plan " + school +
                                      " 2022 '2022学年校本研修方案' '集体备课、课例研究'");
  EXPECT_NE(late_exit, 0) << late;
  EXPECT_NE(late.find("R-32"), std::string::npos) << late;
  auto [submitted, submitted_exit] =
      RunCommand(school_ctl + "submit-plan " + school +
                 " 2023 '2023学年校本研修方案' '集体备课、课例研究、专业阅读' --output=json");
  ASSERT_EQ(submitted_exit, 0) << submitted;
  const std::string plan = school + "/researchPlans/2023";
  EXPECT_NE(submitted.find(plan), std::string::npos) << submitted;
  auto [plans_queue, plans_queue_exit] =
      RunCommand(training_ctl + "plans 410225 'state = \"SUBMITTED\"' --output=json");
  EXPECT_EQ(plans_queue_exit, 0) << plans_queue;
  EXPECT_NE(plans_queue.find(plan), std::string::npos) << plans_queue;
  auto [returned, returned_exit] =
      RunCommand(training_ctl + "return-plan " + plan + " '请细化每月的研修安排' --output=json");
  EXPECT_EQ(returned_exit, 0) << returned;
  EXPECT_NE(returned.find("RETURNED"), std::string::npos) << returned;
  auto [again, again_exit] =
      RunCommand(school_ctl + "submit-plan " + school +
                 " 2023 '2023学年校本研修方案' '每月两次集体备课，每学期一次课例研究'");
  EXPECT_EQ(again_exit, 0) << again;
  auto [plan_approved, plan_approved_exit] =
      RunCommand(training_ctl + "approve-plan " + plan + " --output=json");
  EXPECT_EQ(plan_approved_exit, 0) << plan_approved;
  EXPECT_NE(plan_approved.find("APPROVED"), std::string::npos) << plan_approved;
  const std::string research = logs + "/research.csv";
  {
    std::ofstream file(research);
    file << "teacher,kind,hours,days,session,date,description,level\n"
         << teacher << ",SCHOOL_RESEARCH,24,,,2022-12-20,2022学年校本研修,\n";
  }
  auto [waiting, waiting_exit] = RunCommand(training_ctl + "report-hours 410225 " + research);
  EXPECT_EQ(waiting_exit, 1) << waiting;
  EXPECT_NE(waiting.find("no approved plan of school year 2022"), std::string::npos) << waiting;

  // at the 2023 school year's end the school reports its teacher's research hours from
  // the workbook it keeps (the peixunctl template, filled in by another tool); the training
  // school verifies them into the ledger, cut to the year's 24.
  const std::string template_file = logs + "/school-hours-template.xlsx";
  auto [templated, templated_exit] = RunCommand(ctl + " template school-hours " + template_file);
  ASSERT_EQ(templated_exit, 0) << templated;
  const std::string school_hours = logs + "/school-hours.xlsx";
  auto [filled, filled_exit] = RunCommand(
      "/usr/bin/python3 -c \"import openpyxl,sys; b=openpyxl.load_workbook(sys.argv[1]); "
      "s=b.active; print(','.join(c.value for c in s[1]), s['A2'].number_format); "
      "s.delete_rows(2); s.append([sys.argv[3], 30, '集体备课 12；课例研究 10；专业阅读 8']); "
      "b.save(sys.argv[2])\" " +
      template_file + " " + school_hours + " " + teacher);
  ASSERT_EQ(filled_exit, 0) << filled;
  EXPECT_EQ(filled, "teacher,hours,note @\n");
  auto [early_report, early_report_exit] =
      RunCommand(school_ctl + "submit-hours-report " + school + " 2023 " + school_hours);
  EXPECT_NE(early_report_exit, 0) << early_report;
  EXPECT_NE(early_report.find("begins on 2023-09-01"), std::string::npos) << early_report;
  ASSERT_TRUE(MoveFileClock(clock_file, absl::FromCivil(absl::CivilSecond(2024, 7, 1, 9, 0, 0),
                                                        ChinaTimeZone()))
                  .ok());
  const std::string sent_results = logs + "/school-hours-results.xlsx";
  auto [report_sent, report_sent_exit] =
      RunCommand(school_ctl + "submit-hours-report " + school + " 2023 " + school_hours +
                 " --results=" + sent_results);
  ASSERT_EQ(report_sent_exit, 0) << report_sent;
  auto [sent_rows, sent_rows_exit] = RunCommand(
      "/usr/bin/python3 -c \"import openpyxl,sys; s=openpyxl.load_workbook(sys.argv[1]).active; "
      "[print('|'.join(str(v) for v in r)) for r in s.iter_rows(values_only=True)]\" " +
      sent_results);
  EXPECT_EQ(sent_rows_exit, 0) << sent_rows;
  EXPECT_EQ(sent_rows, absl::StrCat("row|outcome|reason|teacher|hours|note\n2|WAITING|None|",
                                    teacher, "|30|集体备课 12；课例研究 10；专业阅读 8\n"));
  const std::string hours_report = school + "/hoursReports/2023";
  EXPECT_NE(report_sent.find("submitted " + hours_report + ": 1 of 1 rows wait"), std::string::npos)
      << report_sent;
  auto [reports_queue, reports_queue_exit] =
      RunCommand(training_ctl + "hours-reports 410225 'state = \"SUBMITTED\"' --output=json");
  EXPECT_EQ(reports_queue_exit, 0) << reports_queue;
  EXPECT_NE(reports_queue.find(hours_report), std::string::npos) << reports_queue;
  auto [report_verified, report_verified_exit] =
      RunCommand(training_ctl + "verify-report " + hours_report + " --output=json");
  ASSERT_EQ(report_verified_exit, 0) << report_verified;
  EXPECT_NE(report_verified.find("VERIFIED"), std::string::npos) << report_verified;
  EXPECT_NE(report_verified.find("CAPPED"), std::string::npos) << report_verified;
  auto [research_ledger, research_ledger_exit] =
      RunCommand(lankao_ctl + "hours " + teacher + " --output=csv");
  EXPECT_EQ(research_ledger_exit, 0) << research_ledger;
  EXPECT_NE(research_ledger.find("2023学年校本研修：集体备课 12；课例研究 10；专业阅读 8"),
            std::string::npos)
      << research_ledger;

  // a nomination list from a file after the year's deadline: each row refused with
  // its rule, in the result file beside the row as sent.
  const std::string nominations = logs + "/nominations.csv";
  {
    std::ofstream file(nominations);
    file << "project,teacher\nyears/2022/projects/lankao-rural-reading," << teacher << "\n";
  }
  const std::string nomination_results = logs + "/nomination-results.csv";
  auto [listed_nominations, listed_nominations_exit] =
      RunCommand(lankao_ctl + "nominate-list " + nominations + " --results=" + nomination_results);
  EXPECT_EQ(listed_nominations_exit, 1) << listed_nominations;
  EXPECT_NE(listed_nominations.find("NOMINATED=0 REFUSED=1"), std::string::npos)
      << listed_nominations;
  std::ifstream results_file(nomination_results);
  const std::string nomination_rows((std::istreambuf_iterator<char>(results_file)),
                                    std::istreambuf_iterator<char>());
  EXPECT_EQ(
      nomination_rows.rfind("\xEF\xBB\xBFrow,outcome,reason,project,teacher\r\n2,REFUSED,", 0), 0u)
      << nomination_rows;
  EXPECT_NE(nomination_rows.find("R-"), std::string::npos) << nomination_rows;
}

}  // namespace
}  // namespace peixun::year
