// 学时证明, pure: what a certificate lists and totals, the digest that ties its code to
// the ledger it certified, the code's printed form, and the holder's name as anyone may see it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "peixun/common/v1/common.pb.h"
#include "services/enrollment/domain/hour_ledger.h"

namespace peixun::enrollment::domain {

// Entries one certificate lists at most (a cycle holds a few dozen).
inline constexpr int kMaxCertifiedEntries = 1000;

// One ledger entry as a certificate lists it.
struct CertifiedEntry {
  int64_t entry_id = 0;
  int school_year = 0;
  int year = 0;
  common::v1::PlanLevel level = common::v1::PLAN_LEVEL_UNSPECIFIED;
  HourSource source = HourSource::kCompletion;
  std::string description;  // the project's name, or a claim's title and provider
  int hours = 0;
  int off_site_days = 0;
  absl::CivilDay registered;  // the day it was registered (China time)
};

// Everything a certificate shows.
struct CertificateContent {
  std::string teacher_id;
  std::string holder;            // the teacher's name, in full on the PDF
  std::string masked_id_number;  // masked, for it may be shown to anyone
  std::string school;
  std::string county_code;
  std::string county_name;
  int cycle_start_year = 0;
  int cycle_end_year = 0;
  int required_credit_hours = 0;
  int required_off_site_days = 0;
  std::vector<CertifiedEntry> entries;  // in the order registered

  int CreditHours() const;
  int OffSiteDays() const;
};

// SHA-256 (hex) of what a certificate certifies: the teacher, the cycle, and each entry's id,
// hours and days. The same ledger gives the same digest; an entry registered since changes it.
std::string LedgerDigest(const std::string& teacher_id, int cycle_start_year,
                         const std::vector<CertifiedEntry>& entries);

// The printed code of 10 random bytes: 16 Crockford base32 characters in groups of four,
// "K7QM-3XA9-PD2R-8WHT" (80 bits: not guessed, nor worth trying).
std::string CertificateCodeOf(const std::array<unsigned char, 10>& random);
// A code as a person typed it, in its printed form: case, dashes and spaces ignored, and I and L
// read as 1, O as 0 (Crockford). INVALID_ARGUMENT naming `field` unless 16 base32 characters.
absl::StatusOr<std::string> NormalizeCertificateCode(absl::string_view typed,
                                                     absl::string_view field);

// The holder's name as a verifier sees it: the first and last characters kept ("张*远"), a
// two-character name's second hidden ("张*").
std::string MaskName(absl::string_view name);

// 国培, 省培, 市培, 县培, 校本研修, or 其他 for hours of none of the five levels.
std::string LevelLabel(common::v1::PlanLevel level);

}  // namespace peixun::enrollment::domain
