// Certificates of a cycle's hours (学时证明, R-34): drawn from the ledger when asked for, their
// codes kept in a register that anyone holding one can verify against.
#include <openssl/rand.h>

#include <array>

#include "absl/strings/str_cat.h"
#include "common/db/rows.h"
#include "common/util/names.h"
#include "common/util/status.h"
#include "services/enrollment/certificate_pdf.h"
#include "services/enrollment/domain/hours_certificate.h"
#include "services/enrollment/enrollment_service.h"

namespace peixun::enrollment {

grpc::Status EnrollmentService::GetHoursCertificate(grpc::ServerContext* context,
                                                    const v1::GetHoursCertificateRequest* request,
                                                    v1::HoursCertificate* response) {
  return Handle(
      context, "GetHoursCertificate", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const TeacherName name,
                                TeacherName::Parse(request->teacher(), "teacher"));
        const int cycle_year = request->cycle_start_year();
        if (cycle_year != 0 && (cycle_year < 2000 || cycle_year > 2100))
          return FieldError("cycle_start_year", "must be 0 (the current cycle) or 2000 to 2100");
        const int this_year = static_cast<int>(Today().year());
        domain::CertificateContent content;
        EnrollmentStore::CertificateRecord record;
        PEIXUN_RETURN_IF_ERROR(handlers_.Read([&](db::Connection& c) -> absl::Status {
          auto teacher = EnrollmentStore::FindTeacher(c, name.teacher);
          if (!teacher)
            return absl::NotFoundError(absl::StrCat(request->teacher(), " does not exist"));
          PEIXUN_RETURN_IF_ERROR(caller.Check(TeacherResource(c, caller, teacher->teacher)));
          PEIXUN_ASSIGN_OR_RETURN(v1::EnrollmentPolicy policy,
                                  EnrollmentStore::GetPolicy(c, this_year, 0));
          const domain::CyclePolicy cycle = domain::CyclePolicyOf(policy);
          const auto [first, last] =
              domain::CycleOf(cycle_year == 0 ? this_year : cycle_year, cycle);
          if (cycle_year != 0 && cycle_year != first) {
            return FieldError("cycle_start_year",
                              absl::StrCat(cycle_year,
                                           " does not start a cycle; the cycle holding it "
                                           "runs from ",
                                           first, " to ", last, " (R-14)"));
          }
          const v1::Teacher& t = teacher->teacher;
          content.teacher_id = name.teacher;
          content.holder = t.display_name();
          content.masked_id_number = domain::MaskIdNumber(t.id_number());
          content.school = t.school();
          content.county_code = LastSegment(t.county());
          auto county = EnrollmentStore::FindRegion(c, content.county_code);
          content.county_name = county ? county->display_name() : content.county_code;
          content.cycle_start_year = first;
          content.cycle_end_year = last;
          content.required_credit_hours = cycle.required_credit_hours;
          content.required_off_site_days = cycle.required_off_site_days;
          content.entries = EnrollmentStore::CertifiedEntries(c, name.teacher, first, last,
                                                              domain::kMaxCertifiedEntries + 1);
          if (content.entries.size() > domain::kMaxCertifiedEntries) {
            return RuleError(
                "R-34", absl::StrCat("a certificate lists at most ", domain::kMaxCertifiedEntries,
                                     " entries; this cycle holds more"));
          }
          // The same ledger keeps its first code; a ledger that changed gets a new one. Adding
          // to the register is the only write, and registering twice changes nothing.
          std::array<unsigned char, 10> random;
          if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1)
            return absl::InternalError("no random bytes for a certificate code");
          record.code = domain::CertificateCodeOf(random);
          record.teacher_id = name.teacher;
          record.cycle_start_year = first;
          record.cycle_end_year = last;
          record.ledger_digest = domain::LedgerDigest(name.teacher, first, content.entries);
          record.holder = domain::MaskName(t.display_name());
          record.county_code = content.county_code;
          record.credit_hours = content.CreditHours();
          record.off_site_days = content.OffSiteDays();
          record.entry_count = static_cast<int>(content.entries.size());
          record = EnrollmentStore::RegisterCertificate(c, record);
          return absl::OkStatus();
        }));
        const absl::Time issued = absl::FromUnixMicros(record.issue_us);
        PEIXUN_ASSIGN_OR_RETURN(std::string pdf,
                                RenderHoursCertificatePdf(content, record.code, issued));
        response->set_name("hoursCertificates/" + record.code);
        response->set_code(record.code);
        response->set_teacher(request->teacher());
        response->set_cycle_start_year(content.cycle_start_year);
        response->set_cycle_end_year(content.cycle_end_year);
        response->set_credit_hours(content.CreditHours());
        response->set_required_credit_hours(content.required_credit_hours);
        response->set_off_site_days(content.OffSiteDays());
        response->set_required_off_site_days(content.required_off_site_days);
        response->set_entry_count(static_cast<int>(content.entries.size()));
        db::SetTimestampMicros(response->mutable_issue_time(), record.issue_us);
        response->set_pdf(std::move(pdf));
        return absl::OkStatus();
      });
}

grpc::Status EnrollmentService::VerifyHoursCertificate(
    grpc::ServerContext* context, const v1::VerifyHoursCertificateRequest* request,
    v1::HoursCertificateVerification* response) {
  return Handle(
      context, "VerifyHoursCertificate", *request, [&](const auth::Access&) -> absl::Status {
        const absl::string_view typed = request->name();
        if (typed.substr(0, 18) != "hoursCertificates/")
          return FieldError("name", "must be hoursCertificates/{code}");
        PEIXUN_ASSIGN_OR_RETURN(const std::string code,
                                domain::NormalizeCertificateCode(typed.substr(18), "name"));
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          auto record = EnrollmentStore::FindCertificate(c, code);
          if (!record) {
            return absl::NotFoundError(
                absl::StrCat("no certificate has the code ", code,
                             ": it was not issued by peixun (check the code as printed)"));
          }
          const auto entries = EnrollmentStore::CertifiedEntries(
              c, record->teacher_id, record->cycle_start_year, record->cycle_end_year,
              domain::kMaxCertifiedEntries + 1);
          response->set_name("hoursCertificates/" + record->code);
          response->set_holder(record->holder);
          response->set_county("regions/" + record->county_code);
          response->set_cycle_start_year(record->cycle_start_year);
          response->set_cycle_end_year(record->cycle_end_year);
          response->set_credit_hours(record->credit_hours);
          response->set_off_site_days(record->off_site_days);
          response->set_entry_count(record->entry_count);
          db::SetTimestampMicros(response->mutable_issue_time(), record->issue_us);
          response->set_current(domain::LedgerDigest(record->teacher_id, record->cycle_start_year,
                                                     entries) == record->ledger_digest);
          return absl::OkStatus();
        });
      });
}

}  // namespace peixun::enrollment
