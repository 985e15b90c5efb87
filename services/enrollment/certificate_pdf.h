// The 学时证明 as a PDF: A4 pages in Chinese drawn with cairo in 文泉驿微米黑 (Debian's
// fonts-wqy-microhei; the font's subset is embedded, so any reader shows it as printed).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/enrollment/domain/hours_certificate.h"

namespace peixun::enrollment {

// The certificate of `content` with its code and issue time: the holder, the cycle, a row per
// entry (as many pages as they need, each numbered), the totals against the cycle's
// requirement, and the code with how to verify it. INTERNAL when cairo cannot draw it.
absl::StatusOr<std::string> RenderHoursCertificatePdf(const domain::CertificateContent& content,
                                                      const std::string& code, absl::Time issued);

}  // namespace peixun::enrollment
