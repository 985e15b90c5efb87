// The teachers the benches generate: valid, unique GB 11643 numbers spread over the counties of
// a regions CSV, streamed through ImportTeachers.
#pragma once

#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "peixun/enrollment/v1/enrollment.grpc.pb.h"
#include "services/enrollment/domain/enrollment_rules.h"
#include "tools/benchsupport/bench_support.h"

namespace peixun::bench {

// Cities and their counties, from a regions CSV (code,name,parent_code,level).
inline std::map<std::string, std::vector<std::string>> CountiesByCity(const std::string& csv) {
  std::map<std::string, std::vector<std::string>> out;
  std::istringstream lines(csv);
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    std::vector<std::string> f = absl::StrSplit(line, ',');
    if (f.size() >= 4 && f[3] == "county") out[f[2]].push_back(f[0]);
  }
  return out;
}

// A valid, unique GB 11643 number for teacher k of a county: birth date and serial from k.
inline std::string GeneratedIdNumber(const std::string& county, int k) {
  absl::CivilDay birth = absl::CivilDay(1966, 1, 1) + (k % 12000);
  std::string first17 = absl::StrFormat("%s%04d%02d%02d%03d", county, birth.year(), birth.month(),
                                        birth.day(), (k / 12000) % 1000);
  return first17 + enrollment::domain::IdCheckCharacter(first17);
}

// Streams `n` generated teachers, teacher k in county k mod the number of counties; names[k] is
// the name enrollment gave teacher k. Returns rows a second over the whole stream.
inline double ImportGeneratedTeachers(enrollment::v1::EnrollmentService::Stub& stub,
                                      const std::string& token,
                                      const std::vector<std::string>& counties, int n,
                                      std::vector<std::string>* names, int64_t* created) {
  namespace v1 = ::peixun::enrollment::v1;
  names->assign(static_cast<size_t>(n), "");
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  auto stream = stub.ImportTeachers(&context);
  const absl::Time start = absl::Now();
  std::thread writer([&] {
    static const char* kSubjects[] = {"语文", "数学", "英语", "物理",
                                      "化学", "音乐", "体育", "美术"};
    v1::ImportTeachersRequest row;
    for (int k = 0; k < n; ++k) {
      const std::string& county = counties[static_cast<size_t>(k) % counties.size()];
      const int serial = k / static_cast<int>(counties.size());
      v1::Teacher& t = *row.mutable_teacher();
      t.Clear();
      t.set_id_number(GeneratedIdNumber(county, serial));
      t.set_display_name(absl::StrCat("教师", k));
      t.set_school(absl::StrCat("第", 1 + serial % 40, "小学"));
      t.set_county("regions/" + county);
      t.set_stage(serial % 3 == 0 ? common::v1::JUNIOR_SECONDARY : common::v1::PRIMARY);
      t.add_subjects(kSubjects[k % 8]);
      t.set_rural(k % 3 != 0);
      t.set_teaching_since_year(1990 + k % 30);
      row.set_row_id(std::to_string(k));
      if (!stream->Write(row)) break;
    }
    stream->WritesDone();
  });
  v1::ImportTeacherResult result;
  int64_t rejected = 0;
  *created = 0;
  while (stream->Read(&result)) {
    const size_t k = std::stoul(result.row_id());
    if (result.outcome() == v1::ImportTeacherResult::REJECTED) {
      if (++rejected <= 5) std::cerr << "rejected row " << k << ": " << result.reason() << "\n";
      continue;
    }
    if (result.outcome() == v1::ImportTeacherResult::CREATED) ++*created;
    (*names)[k] = result.teacher();
  }
  writer.join();
  grpc::Status status = stream->Finish();
  if (!status.ok()) Die("import: " + status.error_message());
  if (rejected > 0) Die(absl::StrCat(rejected, " generated rows were rejected"));
  return n / absl::ToDoubleSeconds(absl::Now() - start);
}

}  // namespace peixun::bench
