#include "services/enrollment/domain/hours_certificate.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/util/status.h"

namespace peixun::enrollment::domain {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr char kNotACode[] =
    "is not a certificate code: 16 characters of 0-9 and A-Z (no U), as printed, e.g. "
    "K7QM-3XA9-PD2R-8WHT";

// The UTF-8 characters of `text`, each as its bytes.
std::vector<std::string> Characters(absl::string_view text) {
  std::vector<std::string> out;
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    out.emplace_back(text.substr(i, length));
    i += length;
  }
  return out;
}

}  // namespace

int CertificateContent::CreditHours() const {
  int total = 0;
  for (const CertifiedEntry& e : entries) total += e.hours;
  return total;
}

int CertificateContent::OffSiteDays() const {
  int total = 0;
  for (const CertifiedEntry& e : entries) total += e.off_site_days;
  return total;
}

std::string LedgerDigest(const std::string& teacher_id, int cycle_start_year,
                         const std::vector<CertifiedEntry>& entries) {
  std::string text = absl::StrCat(teacher_id, "|", cycle_start_year);
  for (const CertifiedEntry& e : entries)
    absl::StrAppend(&text, "|", e.entry_id, ":", e.hours, ":", e.off_site_days);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

std::string CertificateCodeOf(const std::array<unsigned char, 10>& random) {
  std::string code;
  // 80 bits, five at a time, most significant first.
  for (int i = 0; i < 16; ++i) {
    int value = 0;
    for (int bit = 0; bit < 5; ++bit) {
      const int index = i * 5 + bit;
      value = (value << 1) | ((random[static_cast<size_t>(index / 8)] >> (7 - index % 8)) & 1);
    }
    if (i > 0 && i % 4 == 0) code += '-';
    code += kCrockford[value];
  }
  return code;
}

absl::StatusOr<std::string> NormalizeCertificateCode(absl::string_view typed,
                                                     absl::string_view field) {
  std::string digits;
  for (char c : typed) {
    if (c == '-' || c == ' ') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == 'I' || c == 'L') c = '1';
    if (c == 'O') c = '0';
    if (absl::string_view(kCrockford).find(c) == absl::string_view::npos || digits.size() >= 16)
      return FieldError(field, kNotACode);
    digits += c;
  }
  if (digits.size() != 16) return FieldError(field, kNotACode);
  return absl::StrCat(digits.substr(0, 4), "-", digits.substr(4, 4), "-", digits.substr(8, 4), "-",
                      digits.substr(12, 4));
}

std::string MaskName(absl::string_view name) {
  const std::vector<std::string> characters = Characters(name);
  if (characters.empty()) return "";
  if (characters.size() == 1) return "*";
  if (characters.size() == 2) return characters[0] + "*";
  return absl::StrCat(characters.front(), std::string(characters.size() - 2, '*'),
                      characters.back());
}

std::string LevelLabel(common::v1::PlanLevel level) {
  switch (level) {
    case common::v1::NATIONAL:
      return "国培";
    case common::v1::PROVINCIAL:
      return "省培";
    case common::v1::CITY:
      return "市培";
    case common::v1::COUNTY:
      return "县培";
    case common::v1::SCHOOL:
      return "校本研修";
    default:
      return "其他";
  }
}

}  // namespace peixun::enrollment::domain
