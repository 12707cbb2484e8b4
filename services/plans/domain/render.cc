// The printable official form (Appendix 1 / 2) as HTML with print CSS, for the
// print-sign-stamp-scan route of a SCANNED sign-off.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "services/plans/domain/support_document.h"

namespace bdtx::plans {
namespace {

namespace v1 = ::bdtx::v1;

std::string Escape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Window(const v1::Date& from, const v1::Date& to) {
  if (!IsSet(from) && !IsSet(to)) return "";
  return absl::StrCat("Từ ", DateText(from), "<br>đến ", DateText(to));
}

std::string ResultCell(const v1::Result& r) {
  if (r.source() == v1::NOT_DEPLOYED) return Escape(r.text());
  std::string out = absl::StrFormat("%d / %d (%.1f%%)<br><small>so với %s%s</small>", r.count(),
                                    r.base(), r.percent(), Escape(r.base_meaning()),
                                    r.source() == v1::MANUAL ? "; tự khai" : "; từ hệ thống");
  if (r.has_questions() && r.questions().asked() > 0) {
    const v1::QuestionCounts& q = r.questions();
    absl::StrAppendFormat(&out,
                          "<br>Thắc mắc: %d; GVCC giải đáp %d; giảng viên giải đáp %d (%.1f%% "
                          "trong tuần)",
                          q.asked(), q.answered_by_core_member(),
                          q.escalated_answered_by_lecturer(), q.answered_percent());
  }
  if (!r.text().empty()) absl::StrAppend(&out, "<br>", Escape(r.text()));
  return out;
}

const char* SectionTitle(char section) {
  switch (section) {
    case '1':
      return "Chuẩn bị học tập";
    case '2':
      return "Triển khai học tập: hỗ trợ đồng nghiệp tự học mô đun";
    case '3':
      return "Đánh giá kết quả học tập mô đun bồi dưỡng";
    case '4':
      return "Đôn đốc GVPT/CBQLCSGDPT trả lời phiếu khảo sát về mô đun bồi dưỡng";
    case '5':
      return "Xác nhận đồng nghiệp hoàn thành mô đun bồi dưỡng trên hệ thống LMS";
    default:
      return "";
  }
}

constexpr char kStyle[] = R"css(
  @page { size: A4 landscape; margin: 15mm; }
  body { font-family: "Times New Roman", "DejaVu Serif", serif; font-size: 12pt; color: #000; }
  h1 { font-size: 13pt; text-align: center; text-transform: uppercase; margin: 0 0 4mm; }
  .meta { text-align: center; font-style: italic; margin-bottom: 4mm; }
  .header p { margin: 1mm 0; }
  table.form { width: 100%; border-collapse: collapse; margin-top: 4mm; }
  table.form th, table.form td { border: 1px solid #000; padding: 1.5mm; vertical-align: top; }
  table.form th { background: #eee; }
  tr.section td { font-weight: bold; }
  tr.sub td.activity { padding-left: 6mm; font-style: italic; }
  thead { display: table-header-group; }
  tr { page-break-inside: avoid; }
  .signatures { display: flex; justify-content: space-between; margin-top: 8mm;
                page-break-inside: avoid; }
  .signatures div { width: 45%; text-align: center; }
  .signatures .space { height: 25mm; }
  .verdict { border: 1px solid #000; padding: 3mm; width: 60%; margin: 6mm auto 0;
             text-align: center; page-break-inside: avoid; }
  .box { display: inline-block; width: 5mm; height: 5mm; border: 1px solid #000;
         text-align: center; line-height: 5mm; margin: 0 2mm; }
  .footer { margin-top: 6mm; font-size: 8pt; color: #444; word-break: break-all; }
  @media screen { body { max-width: 280mm; margin: 10mm auto; } }
)css";

}  // namespace

std::string RenderHtml(const v1::SupportDocument& document, const RenderContext& context) {
  const v1::DocumentContent& c = document.content();
  const bool report = c.kind() == v1::REPORT;
  const std::string title = report ? absl::StrCat(
                                         "Báo cáo hoàn thành kế hoạch hỗ trợ đồng nghiệp của "
                                         "GVPTCC/CBQLCSGDPTCC cho GVPT/CBQLCSGDPT đại trà năm ",
                                         c.year(), " – mô đun ", c.module())
                                   : absl::StrCat(
                                         "Kế hoạch hỗ trợ đồng nghiệp của GVPTCC/CBQLCSGDPTCC cho "
                                         "GVPT/CBQLCSGDPT đại trà năm ",
                                         c.year(), " – mô đun ", c.module());
  std::string out;
  absl::StrAppend(&out, "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n",
                  "<title>", Escape(title), "</title>\n<style>", kStyle,
                  "</style>\n</head>\n<body>\n", "<h1>", report ? "Phụ lục 2. " : "Phụ lục 1. ",
                  Escape(title), "</h1>\n");
  if (c.not_deployed()) absl::StrAppend(&out, "<p class=\"meta\">Mô đun chưa triển khai</p>\n");
  absl::StrAppend(&out, "<div class=\"header\">\n<p>Họ và tên GVPT/CBQLCSGDPT cốt cán: <b>",
                  Escape(c.header().author_name()),
                  "</b></p>\n<p>Chức vụ/môn học phụ trách: ", Escape(c.header().position()),
                  "</p>\n<p>Cơ sở giáo dục đang công tác: ", Escape(c.header().school()),
                  "</p>\n</div>\n");

  absl::StrAppend(&out, "<table class=\"form\">\n<thead><tr><th>TT</th><th>Hoạt động</th>",
                  "<th>Kết quả cần đạt</th>", report ? "<th>Kết quả hoàn thành</th>" : "",
                  "<th>Thời gian ", report ? "hoàn thành" : "thực hiện",
                  " (Từ… đến…)</th><th>Người phối hợp<br><small>(Giảng viên SP, hiệu trưởng, tổ "
                  "trưởng CM)</small></th></tr></thead>\n<tbody>\n");
  const int columns = report ? 6 : 5;
  char section = 0;
  for (const v1::Row& row : c.rows()) {
    if (!row.number().empty() && row.number()[0] != section) {
      section = row.number()[0];
      absl::StrAppend(&out, "<tr class=\"section\"><td>", std::string(1, section),
                      "</td><td colspan=\"", columns - 1, "\">", SectionTitle(section),
                      section == '2' ? absl::StrCat(" ", c.module()) : "", "</td></tr>\n");
    }
    absl::StrAppend(&out, "<tr><td>", Escape(row.number()), "</td><td class=\"activity\">",
                    Escape(row.activity()), "</td><td>", Escape(row.target().description()),
                    "</td>");
    if (report) absl::StrAppend(&out, "<td>", ResultCell(row.result()), "</td>");
    absl::StrAppend(&out, "<td>", Window(row.from(), row.to()), "</td><td>",
                    Escape(absl::StrJoin(row.coordinators(), "; ")), "</td></tr>\n");
    for (int j = 0; j < row.sub_rows_size(); ++j) {
      const v1::SubRow& sub = row.sub_rows(j);
      absl::StrAppend(&out, "<tr class=\"sub\"><td>", Escape(row.number()), ".",
                      std::string(1, static_cast<char>('a' + j % 26)),
                      "</td><td class=\"activity\">", Escape(sub.activity()), "</td><td>",
                      Escape(sub.note()), "</td>", report ? "<td></td>" : "", "<td>",
                      Window(sub.from(), sub.to()), "</td><td>",
                      Escape(absl::StrJoin(sub.coordinators(), "; ")), "</td></tr>\n");
    }
  }
  absl::StrAppend(&out, "</tbody>\n</table>\n");

  const v1::Date& dated = report && IsSet(c.report_date()) ? c.report_date() : v1::Date();
  absl::StrAppend(&out, "<p style=\"text-align:right\">",
                  Escape(context.place.empty() ? "……….." : context.place), ", ngày ",
                  IsSet(dated) ? absl::StrCat(dated.day()) : "……", " tháng ",
                  IsSet(dated) ? absl::StrCat(dated.month()) : "……", " năm ",
                  IsSet(dated) ? absl::StrCat(dated.year()) : "20……", "</p>\n");
  absl::StrAppend(&out, "<div class=\"signatures\">\n<div><b>",
                  Escape(context.signer_title.empty() ? "HIỆU TRƯỞNG/ĐẠI DIỆN PHÒNG/SỞ GDĐT"
                                                      : context.signer_title),
                  " DUYỆT</b><br><i>(Kí tên, đóng dấu/hoặc xác nhận trên hệ thống)</i>",
                  "<div class=\"space\"></div>",
                  context.state == v1::SIGNED_OFF ? "<p>Đã duyệt trên hệ thống</p>" : "",
                  "</div>\n<div><b>", report ? "NGƯỜI BÁO CÁO" : "NGƯỜI LẬP KẾ HOẠCH",
                  "</b><br><i>(Kí và ghi rõ họ tên/nộp trên hệ thống)</i>",
                  "<div class=\"space\"></div><p>", Escape(c.header().author_name()),
                  "</p></div>\n</div>\n");
  absl::StrAppend(
      &out, "<div class=\"verdict\"><b>Ý KIẾN ĐÁNH GIÁ CỦA GVSP CHỦ CHỐT</b>",
      context.lecturer_name.empty() ? "" : absl::StrCat(" (", Escape(context.lecturer_name), ")"),
      "<br>(đánh dấu X): Đạt <span class=\"box\">", context.lecturer_passed ? "X" : "",
      "</span>; Chưa đạt <span class=\"box\">", context.lecturer_returned ? "X" : "",
      "</span><br><i>(Kí tên/hoặc xác nhận trên hệ thống)</i></div>\n");
  absl::StrAppend(&out, "<p class=\"footer\">", Escape(c.name()), " · phiên bản ",
                  document.version(), " · sha256 ", document.content_sha256(), "</p>\n");
  absl::StrAppend(&out, "</body>\n</html>\n");
  return out;
}

}  // namespace bdtx::plans
