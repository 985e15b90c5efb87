#include "services/enrollment/certificate_pdf.h"

#include <cairo-pdf.h>
#include <cairo.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/util/clock.h"

namespace peixun::enrollment {
namespace {

constexpr double kPageWidth = 595.276;  // A4 in points
constexpr double kPageHeight = 841.89;
constexpr double kMargin = 50;
constexpr double kRowHeight = 18;
// A TrueType CJK font (Debian's fonts-wqy-microhei): cairo 1.16 leaks 768 bytes for every PDF
// that embeds a subset of a CFF font such as Noto Sans CJK, and nothing with a TrueType one
// (measured with AddressSanitizer; docs/benchmarks.md).
constexpr char kFont[] = "WenQuanYi Micro Hei";

// The table's columns: heading, width in points, right-aligned.
struct Column {
  const char* heading;
  double width;
  bool right;
};
constexpr Column kColumns[] = {{"序号", 30, true},         {"学年", 64, false},
                               {"层级", 46, false},        {"项目或来源", 186, false},
                               {"学时", 40, true},         {"外出天数", 54, true},
                               {"登记日期", 75.276, false}};

cairo_status_t AppendTo(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

class Page {
 public:
  explicit Page(cairo_t* cr) : cr_(cr) {}

  void Font(double size, bool bold = false) {
    cairo_select_font_face(cr_, kFont, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr_, size);
  }
  double Width(const std::string& text) {
    cairo_text_extents_t extents;
    cairo_text_extents(cr_, text.c_str(), &extents);
    return extents.x_advance;
  }
  void Text(double x, double y, const std::string& text) {
    cairo_move_to(cr_, x, y);
    cairo_show_text(cr_, text.c_str());
  }
  void Centered(double y, const std::string& text) {
    Text((kPageWidth - Width(text)) / 2, y, text);
  }
  // `text` cut to `width` points, whole characters, with "…" where it was cut.
  std::string Fitted(const std::string& text, double width) {
    if (Width(text) <= width) return text;
    std::string cut = text;
    while (!cut.empty() && Width(cut + "…") > width) {
      size_t end = cut.size() - 1;
      while (end > 0 && (static_cast<unsigned char>(cut[end]) & 0xC0) == 0x80) --end;
      cut.resize(end);
    }
    return cut + "…";
  }
  void Line(double x1, double y1, double x2, double y2, double width = 0.6) {
    cairo_set_line_width(cr_, width);
    cairo_move_to(cr_, x1, y1);
    cairo_line_to(cr_, x2, y2);
    cairo_stroke(cr_);
  }
  // A table row whose baseline is `y`.
  void Row(double y, const std::vector<std::string>& cells) {
    double x = kMargin;
    for (size_t i = 0; i < cells.size(); ++i) {
      const Column& column = kColumns[i];
      const std::string text = Fitted(cells[i], column.width - 6);
      Text(column.right ? x + column.width - 4 - Width(text) : x + 2, y, text);
      x += column.width;
    }
  }

 private:
  cairo_t* cr_;
};

std::string DayText(absl::CivilDay day) {
  return absl::StrCat(day.year(), "-", day.month() < 10 ? "0" : "", day.month(), "-",
                      day.day() < 10 ? "0" : "", day.day());
}

}  // namespace

absl::StatusOr<std::string> RenderHoursCertificatePdf(const domain::CertificateContent& content,
                                                      const std::string& code, absl::Time issued) {
  std::string pdf;
  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> surface(
      cairo_pdf_surface_create_for_stream(AppendTo, &pdf, kPageWidth, kPageHeight),
      cairo_surface_destroy);
  std::unique_ptr<cairo_t, decltype(&cairo_destroy)> cr(cairo_create(surface.get()), cairo_destroy);
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, "继续教育学时证明");
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "peixun");
  Page page(cr.get());

  const double table_top = 228;
  const double rows_bottom = kPageHeight - 150;  // room for the totals and the code
  const int rows_per_page = static_cast<int>((rows_bottom - table_top) / kRowHeight);
  const int entries = static_cast<int>(content.entries.size());
  const int pages = std::max(1, (entries + rows_per_page - 1) / rows_per_page);
  const absl::CivilDay issued_day = absl::ToCivilDay(issued, ChinaTimeZone());

  for (int p = 0; p < pages; ++p) {
    cairo_set_source_rgb(cr.get(), 0, 0, 0);
    page.Font(18, true);
    page.Centered(90, "河南省中小学教师继续教育学时证明");
    page.Font(10.5);
    page.Text(kMargin, 130, absl::StrCat("姓名：", content.holder));
    page.Text(300, 130, absl::StrCat("身份证号：", content.masked_id_number));
    page.Text(kMargin, 150, absl::StrCat("学校：", page.Fitted(content.school, 190)));
    page.Text(300, 150, absl::StrCat("所在县（市、区）：", content.county_name));
    page.Text(
        kMargin, 170,
        absl::StrCat("继续教育周期：", content.cycle_start_year, "—", content.cycle_end_year,
                     "年（每周期不少于", content.required_credit_hours,
                     "学时，其中外出参加集中培训不少于", content.required_off_site_days, "天）"));
    // The table's heading.
    page.Font(10, true);
    page.Line(kMargin, table_top - 14, kPageWidth - kMargin, table_top - 14, 0.9);
    std::vector<std::string> heading;
    for (const Column& column : kColumns) heading.emplace_back(column.heading);
    page.Row(table_top, heading);
    page.Line(kMargin, table_top + 6, kPageWidth - kMargin, table_top + 6);
    page.Font(9.5);
    double y = table_top + 6 + kRowHeight - 4;
    const int first = p * rows_per_page;
    for (int i = first; i < std::min(entries, first + rows_per_page); ++i) {
      const domain::CertifiedEntry& e = content.entries[static_cast<size_t>(i)];
      page.Row(y, {absl::StrCat(i + 1), absl::StrCat(e.school_year, "—", e.school_year + 1),
                   domain::LevelLabel(e.level), e.description, absl::StrCat(e.hours),
                   absl::StrCat(e.off_site_days), DayText(e.registered)});
      y += kRowHeight;
    }
    if (entries == 0) {
      page.Text(kMargin + 4, y, "本周期尚无学时登记。");
      y += kRowHeight;
    }
    page.Line(kMargin, y - kRowHeight + 8, kPageWidth - kMargin, y - kRowHeight + 8, 0.9);
    if (p == pages - 1) {
      page.Font(11, true);
      page.Text(
          kMargin, y + 14,
          absl::StrCat("合计：", content.CreditHours(), " 学时（周期要求 ",
                       content.required_credit_hours, "）；外出参加集中培训 ",
                       content.OffSiteDays(), " 天（要求 ", content.required_off_site_days, "）"));
      page.Font(10);
      page.Text(kMargin, kPageHeight - 118,
                "本证明依据学时登记记录出具，学时以登记记录为准（教师资格定期注册、考核、职务聘任之"
                "依据）。");
      page.Font(12, true);
      page.Text(kMargin, kPageHeight - 92, absl::StrCat("验证码：", code));
      page.Font(9.5);
      page.Text(kMargin, kPageHeight - 74,
                absl::StrCat("核验：VerifyHoursCertificate，或 GET /v1/hoursCertificates/", code));
      page.Text(kMargin, kPageHeight - 58, absl::StrCat("出具日期：", DayText(issued_day)));
    }
    page.Font(9);
    page.Centered(kPageHeight - 30, absl::StrCat("第 ", p + 1, " 页，共 ", pages, " 页"));
    cairo_show_page(cr.get());
  }
  cr.reset();
  cairo_surface_finish(surface.get());
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    return absl::InternalError(
        absl::StrCat("the certificate could not be drawn: ",
                     cairo_status_to_string(cairo_surface_status(surface.get()))));
  }
  return pdf;
}

}  // namespace peixun::enrollment
