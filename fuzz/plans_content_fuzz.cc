// Plan/report content and update masks on hostile input: the client's patch (any
// DocumentContent bytes) and mask paths applied to a real plan or report, then validated,
// hashed and rendered; the hostile patch itself also goes through Validate, Recompute and
// RenderHtml (what a corrupt stored version would meet), and the raw bytes through the
// attachment sniffer.
// Layout: byte 0 picks plan/report; then the patch bytes (FuzzedDataProvider string,
// '\\' escaped, ended by '\\' + another byte); the rest is the mask, paths split by ','.
#include <fuzzer/FuzzedDataProvider.h>

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/csv/csv.h"
#include "fuzz/fuzz_support.h"
#include "services/plans/domain/support_document.h"

namespace {

namespace v1 = ::bdtx::v1;
using bdtx::plans::DocumentKey;

bdtx::plans::AuthorFacts Facts() {
  bdtx::plans::AuthorFacts f;
  f.person.set_name("people/gvcc-001");
  f.person.set_display_name("Nguyễn Văn An");
  f.person.add_roles(v1::CORE_TEACHER);
  f.person.set_subject("Toán");
  f.person.set_home_unit("units/thcs-tan-phu");
  f.school_name = "Trường THCS Tân Phú";
  f.assigned = 12;
  f.lecturer_name = "TS. Lê Thị Bình";
  f.principal_name = "Trần Văn Cường";
  return f;
}

const v1::DocumentContent& Plan() {
  static const auto* plan = new v1::DocumentContent(bdtx::plans::NewPlan(
      DocumentKey{"people/gvcc-001", v1::PLAN, 2023, 4}, Facts(), absl::CivilDay(2023, 9, 15)));
  return *plan;
}

const v1::DocumentContent& Report() {
  static const auto* report = [] {
    v1::SupportCountsResponse c;
    c.set_assigned(12);
    v1::RowCount* r = c.add_rows();
    r->set_row("1.2");
    r->set_count(10);
    r->set_base(12);
    return new v1::DocumentContent(
        bdtx::plans::NewReport(DocumentKey{"people/gvcc-001", v1::REPORT, 2023, 4}, Plan(), c,
                               false, absl::CivilDay(2023, 12, 20)));
  }();
  return *report;
}

std::string Escaped(const std::string& blob) {
  std::string out;
  for (char c : blob) {
    out += c;
    if (c == '\\') out += '\\';
  }
  return out + "\\x";
}

std::string Seed(char which, const v1::DocumentContent& patch, const std::string& mask) {
  return std::string(1, which) + Escaped(patch.SerializeAsString()) + mask;
}

void Render(const v1::DocumentContent& content) {
  v1::SupportDocument doc;
  *doc.mutable_content() = content;
  (void)bdtx::plans::RenderHtml(doc, bdtx::plans::RenderContext{});
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  v1::DocumentContent edited = Plan();
  edited.mutable_header()->set_position("Tổ trưởng <b>chuyên môn</b>");
  if (edited.rows_size() > 2) edited.mutable_rows(2)->add_sub_rows()->set_activity("Dự giờ");
  v1::DocumentContent report = Report();
  report.set_not_deployed(true);
  bdtx::fuzz::MaybeWriteSeeds({
      Seed(0, edited, "header.position"),
      Seed(0, edited, "rows"),
      Seed(0, edited, "rows,header.position,header"),
      Seed(1, report, "not_deployed,report_date"),
      Seed(1, Report(), "rows"),
      Seed(0, v1::DocumentContent(), "rows.sub_rows,,identity"),
      std::string("\0%PDF-1.7\n\x89PNG\r\n\x1a\n", 18),
  });
  Plan();
  Report();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string raw(reinterpret_cast<const char*>(data), size);
  (void)bdtx::plans::SniffMediaType(raw, true);
  (void)bdtx::plans::SniffMediaType(raw, false);

  const v1::DocumentContent& current = (data[0] & 1) ? Report() : Plan();
  FuzzedDataProvider in(data + 1, size - 1);
  v1::DocumentContent patch;
  if (!patch.ParseFromString(in.ConsumeRandomLengthString())) return 0;
  google::protobuf::FieldMask mask;
  for (absl::string_view path : absl::StrSplit(in.ConsumeRemainingBytesAsString(), ',')) {
    // gRPC's parse of the request refuses non-UTF-8 strings (proto3) before any handler.
    if (!bdtx::csv::IsValidUtf8(path)) return 0;
    mask.add_paths(std::string(path));
  }

  // The hostile content on its own.
  (void)bdtx::plans::Validate(patch, false);
  (void)bdtx::plans::Validate(patch, true);
  (void)bdtx::plans::ContentSha256(patch);
  v1::DocumentContent recomputed = patch;
  bdtx::plans::Recompute(recomputed);
  Render(recomputed);

  // The edit path a client drives.
  auto edited = bdtx::plans::ApplyEdit(current, patch, mask);
  if (!edited.ok()) {
    BDTX_FUZZ_CHECK(edited.status().code() == absl::StatusCode::kInvalidArgument ||
                    edited.status().code() == absl::StatusCode::kFailedPrecondition);
    return 0;
  }
  // What ApplyEdit accepts is valid (its contract) and keeps the identity.
  BDTX_FUZZ_CHECK(bdtx::plans::Validate(*edited, false).ok());
  BDTX_FUZZ_CHECK(edited->kind() == current.kind());
  (void)bdtx::plans::ContentSha256(*edited);
  Render(*edited);
  return 0;
}
