// End to end: real bdtx-directory, bdtx-grading, bdtx-approvals and bdtx-plans processes
// on loopback, real gRPC clients with minted tokens. A core teacher creates a plan
// (pre-filled from the directory), edits it, submits it (the hash goes to approvals),
// the lecturer approves, the principal uploads the signed scan and signs off SCANNED;
// then the report (counts from grading, manual rows), its approval, eligibility, lists,
// the printable form, a not-deployed report and a restart that loses nothing.
#include <signal.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bdtx/v1/approvals.grpc.pb.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "bdtx/v1/grading.grpc.pb.h"
#include "bdtx/v1/plans.grpc.pb.h"
#include "common/crypto/sha256.h"
#include "common/testing/temp_dir.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "services/directory/testing/fake_directory.h"
#include "tests/e2e_support.h"

namespace bdtx {
namespace {

using ::bdtx::testing::Running;
using ::bdtx::testing::StartService;
using ::bdtx::testing::StubTo;
using ::bdtx::testing::Who;

const Who kAdmin{"operators/admin", {"SYSTEM_ADMIN"}, ""};
const Who kAuthor{"people/gvcc-thcs", {"CORE_TEACHER", "REPORTER"}, "units/thcs-tanphu"};
const Who kLecturer{"people/gvsp-1", {"PEDAGOGY_LECTURER"}, "units/dhsp"};
const Who kPrincipal{"people/ht-thcs", {"PRINCIPAL", "CORE_MANAGER"}, "units/thcs-tanphu"};
const Who kOtherTeacher{"people/gvcc-phong", {"CORE_TEACHER"}, "units/dx"};
const Who kPhong{"people/cv-phong", {"DISTRICT_OFFICER"}, "units/dx"};
const Who kOtherPhong{"people/cv-lninh", {"DISTRICT_OFFICER"}, "units/lninh"};
const Who kSo{"people/cv-so", {"PROVINCE_OFFICER"}, "units/bp"};
const Who kMassTeacher{"people/gv-1", {"MASS_TEACHER"}, "units/thcs-tanphu"};

constexpr char kPlan[] = "documents/gvcc-thcs-2023-m4-plan";
constexpr char kReport[] = "documents/gvcc-thcs-2023-m4-report";

constexpr char kMoreAssignments[] =
    "year,module,kind,from_id,to_id\n"
    "2023,5,lecturer,gvsp-1,gvcc-thcs\n"
    "2023,5,support,gvcc-thcs,gv-1\n";

std::string Pdf(size_t size) {
  std::string out = "%PDF-1.4\n% scanned, signed and stamped\n";
  while (out.size() < size - 6) out += static_cast<char>('a' + out.size() % 26);
  return out + "%%EOF\n";
}

std::vector<std::string> Violations(const grpc::Status& s) {
  std::vector<std::string> out;
  google::rpc::Status details;
  if (!details.ParseFromString(s.error_details())) return out;
  for (const auto& any : details.details()) {
    google::rpc::BadRequest br;
    if (any.UnpackTo(&br)) {
      for (const auto& v : br.field_violations()) out.push_back(v.field());
    }
  }
  return out;
}

class PlansE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory =
        testing::StartDirectory(BDTX_DIRECTORY_PATH, dir_.Sub("directory"), Key(), tokens_,
                                {{v1::UNITS, directory::kSampleUnits},
                                 {v1::PEOPLE, directory::kSamplePeople},
                                 {v1::ASSIGNMENTS, directory::kSampleAssignments},
                                 {v1::ASSIGNMENTS, kMoreAssignments}});
    ASSERT_TRUE(directory.ok()) << directory.status();
    directory_ = *std::move(directory);
    auto grading = StartService(BDTX_GRADING_PATH, {"--data_dir=" + dir_.Sub("grading"), Key(),
                                                    "--directory=" + directory_.address});
    ASSERT_TRUE(grading.ok()) << grading.status();
    grading_ = *std::move(grading);
    auto approvals = StartService(
        BDTX_APPROVALS_PATH,
        {"--data_dir=" + dir_.Sub("approvals"), Key(), "--directory=" + directory_.address});
    ASSERT_TRUE(approvals.ok()) << approvals.status();
    approvals_ = *std::move(approvals);
    grading_stub_ = StubTo<v1::Grading>(grading_.address);
    approvals_stub_ = StubTo<v1::Approvals>(approvals_.address);
    StartPlans();
  }

  void StartPlans() {
    auto plans = StartService(
        BDTX_PLANS_PATH, {"--data_dir=" + dir_.Sub("plans"), Key(),
                          "--directory=" + directory_.address, "--approvals=" + approvals_.address,
                          "--grading=" + grading_.address, "--max_attachment_bytes=200000"});
    ASSERT_TRUE(plans.ok()) << plans.status();
    plans_ = *std::move(plans);
    stub_ = StubTo<v1::Plans>(plans_.address);
  }

  std::string Key() const { return "--auth_key_file=" + dir_.Sub("auth.key"); }

  grpc::Status CreatePlan(const Who& who, const std::string& author, int module,
                          v1::SupportDocument* out, const std::string& request_id = "") {
    v1::CreatePlanRequest req;
    req.set_author(author);
    req.set_year(2023);
    req.set_module(module);
    req.set_request_id(request_id);
    return stub_->CreatePlan(tokens_.As(who).get(), req, out);
  }
  grpc::Status Update(const v1::DocumentContent& content, std::vector<std::string> paths,
                      v1::SupportDocument* out, int64_t expected = 0) {
    v1::UpdateSupportDocumentRequest req;
    *req.mutable_content() = content;
    for (const std::string& p : paths) req.mutable_update_mask()->add_paths(p);
    req.set_expected_version(expected);
    return stub_->UpdateDocument(tokens_.As(kAuthor).get(), req, out);
  }
  grpc::Status Submit(const std::string& name, v1::SupportDocument* out,
                      const std::string& request_id = "") {
    v1::SubmitSupportDocumentRequest req;
    req.set_name(name);
    req.set_request_id(request_id);
    return stub_->SubmitDocument(tokens_.As(kAuthor).get(), req, out);
  }
  grpc::Status Get(const Who& who, const std::string& name, v1::SupportDocument* out,
                   int64_t version = 0) {
    v1::GetSupportDocumentRequest req;
    req.set_name(name);
    req.set_version(version);
    return stub_->GetDocument(tokens_.As(who).get(), req, out);
  }
  grpc::Status Approve(const std::string& name) {
    v1::ApproveRequest req;
    req.set_document(name);
    req.set_comment("Đạt");
    v1::Document d;
    return approvals_stub_->Approve(tokens_.As(kLecturer).get(), req, &d);
  }
  grpc::Status SignOff(const std::string& name, v1::SignOffMethod method,
                       const v1::Attachment& evidence = {}) {
    v1::SignOffRequest req;
    req.set_document(name);
    req.set_method(method);
    req.set_evidence_sha256(evidence.sha256());
    req.set_evidence_reference(evidence.reference());
    req.set_evidence_receipt(evidence.receipt());
    v1::Document d;
    return approvals_stub_->SignOff(tokens_.As(kPrincipal).get(), req, &d);
  }
  // Streams `bytes` in `chunk`-sized messages after the metadata.
  grpc::Status Upload(const Who& who, const std::string& document, const std::string& bytes,
                      v1::Attachment* out, size_t chunk = 64 << 10) {
    auto ctx = tokens_.As(who);
    auto writer = stub_->UploadAttachment(ctx.get(), out);
    v1::UploadAttachmentRequest msg;
    msg.mutable_metadata()->set_document(document);
    msg.mutable_metadata()->set_file_name("ke-hoach-da-ky.pdf");
    bool open = writer->Write(msg);
    for (size_t at = 0; open && at < bytes.size(); at += chunk) {
      msg.Clear();
      msg.set_chunk(bytes.substr(at, chunk));
      open = writer->Write(msg);
    }
    writer->WritesDone();
    return writer->Finish();
  }
  grpc::Status Download(const Who& who, const std::string& document, const std::string& sha,
                        std::string* bytes, v1::Attachment* meta) {
    v1::DownloadAttachmentRequest req;
    req.set_document(document);
    req.set_sha256(sha);
    auto ctx = tokens_.As(who);
    auto reader = stub_->DownloadAttachment(ctx.get(), req);
    v1::AttachmentChunk chunk;
    bytes->clear();
    while (reader->Read(&chunk)) {
      if (chunk.has_attachment()) *meta = chunk.attachment();
      *bytes += chunk.data();
    }
    return reader->Finish();
  }

  bdtx::testing::TempDir dir_;
  bdtx::testing::Tokens tokens_{dir_.Sub("auth.key")};
  Running directory_, grading_, approvals_, plans_;
  std::unique_ptr<v1::Grading::Stub> grading_stub_;
  std::unique_ptr<v1::Approvals::Stub> approvals_stub_;
  std::unique_ptr<v1::Plans::Stub> stub_;
};

TEST_F(PlansE2eTest, PlanAndReportFromCreationToEligibility) {
  // --- Create: pre-filled from the directory; only the author; once.
  v1::SupportDocument plan;
  grpc::Status s = CreatePlan(kOtherTeacher, kAuthor.name, 4, &plan);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  s = CreatePlan(kMassTeacher, kMassTeacher.name, 4, &plan);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  s = CreatePlan(kAuthor, kAuthor.name, 6, &plan);  // no colleagues assigned for module 6
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "has not assigned colleagues"));
  ASSERT_TRUE(CreatePlan(kAuthor, kAuthor.name, 4, &plan, "create-1").ok());
  EXPECT_EQ(plan.content().name(), kPlan);
  EXPECT_EQ(plan.version(), 1);
  EXPECT_EQ(plan.approval_state(), v1::DRAFT);
  EXPECT_EQ(plan.content().header().author_name(), "Nguyễn Văn An");
  EXPECT_EQ(plan.content().header().position(), "GVPT cốt cán – Toán");
  EXPECT_EQ(plan.content().header().school(), "Trường THCS Tân Phú");
  ASSERT_EQ(plan.content().rows_size(), 10);
  EXPECT_EQ(plan.content().rows(0).target().count(), 2);  // gv-1 and gv-2 assigned by the Sở
  EXPECT_EQ(plan.content().rows(9).target().percent(), 80);
  EXPECT_EQ(plan.content().rows(0).coordinators(0), "GVSP chủ chốt: GVSP Nguyễn Thị Phương");
  EXPECT_EQ(plan.content().rows(0).coordinators(1), "Hiệu trưởng: Trần Thị Bình");
  v1::SupportDocument again;
  ASSERT_TRUE(CreatePlan(kAuthor, kAuthor.name, 4, &again, "create-1").ok());  // a retry
  EXPECT_EQ(again.content_sha256(), plan.content_sha256());
  s = CreatePlan(kAuthor, kAuthor.name, 4, &again);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();

  // --- Edit: field mask, versions, validation with field paths, stale versions.
  v1::DocumentContent content = plan.content();
  content.mutable_rows(3)->add_sub_rows()->set_activity("Nhóm Zalo tổ Toán: giải đáp hằng tuần");
  v1::SupportDocument edited;
  ASSERT_TRUE(Update(content, {"rows"}, &edited, 1).ok());
  EXPECT_EQ(edited.version(), 2);
  EXPECT_NE(edited.content_sha256(), plan.content_sha256());
  v1::DocumentContent broken = edited.content();
  broken.mutable_rows(3)->mutable_from()->set_month(10);
  broken.mutable_rows(3)->mutable_to()->set_year(2023);
  broken.mutable_rows(3)->mutable_to()->set_month(9);  // ends before it starts
  s = Update(broken, {"rows"}, &again);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Violations(s), (std::vector<std::string>{"rows[3].to"})) << s.error_message();
  s = Update(content, {"rows"}, &again, 1);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED) << s.error_message();
  s = Update(content, {"author"}, &again);
  EXPECT_EQ(Violations(s), (std::vector<std::string>{"update_mask"}));

  // --- Submit: the version's sha256 goes to approvals; the version never changes again.
  v1::SupportDocument submitted;
  ASSERT_TRUE(Submit(kPlan, &submitted, "submit-1").ok());
  EXPECT_EQ(submitted.approval_state(), v1::SUBMITTED);
  EXPECT_EQ(submitted.submitted_version(), 2);
  EXPECT_EQ(submitted.approved_content_sha256(), edited.content_sha256());
  ASSERT_TRUE(Submit(kPlan, &again, "submit-1").ok());  // a retry answers the same
  EXPECT_EQ(again.submitted_version(), 2);
  content = edited.content();
  content.mutable_header()->set_position("changed after submission");
  s = Update(content, {"header.position"}, &again);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "SUBMITTED")) << s.error_message();

  // --- Who reads it: the lecturer it is routed to, the Phòng above; not other people.
  v1::SupportDocument read;
  ASSERT_TRUE(Get(kLecturer, kPlan, &read).ok());
  EXPECT_EQ(read.approval_state(), v1::SUBMITTED);
  ASSERT_TRUE(Get(kPhong, kPlan, &read, 1).ok());
  EXPECT_EQ(read.version(), 1);
  EXPECT_EQ(read.latest_version(), 2);
  EXPECT_EQ(Get(kOtherPhong, kPlan, &read).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Get(kOtherTeacher, kPlan, &read).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  ASSERT_TRUE(Approve(kPlan).ok());

  // --- The printable form shows the lecturer's Đạt.
  v1::RenderDocumentRequest render_req;
  render_req.set_name(kPlan);
  v1::RenderedDocument rendered;
  ASSERT_TRUE(stub_->RenderDocument(tokens_.As(kPrincipal).get(), render_req, &rendered).ok());
  EXPECT_EQ(rendered.media_type(), "text/html; charset=utf-8");
  EXPECT_TRUE(absl::StrContains(rendered.content(), "Đạt <span class=\"box\">X</span>"));
  EXPECT_TRUE(absl::StrContains(rendered.content(), "HIỆU TRƯỞNG DUYỆT"));
  EXPECT_TRUE(absl::StrContains(rendered.content(), "Nhóm Zalo tổ Toán"));
  EXPECT_EQ(rendered.file_name(), "gvcc-thcs-2023-m4-plan-v2.html");

  // --- The signed scan: type by magic number, size limit, streamed; then SCANNED.
  v1::Attachment attachment;
  s = Upload(kPrincipal, kPlan, "GIF89a" + std::string(5000, 'x'), &attachment);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "PDF, JPEG hoặc PNG")) << s.error_message();
  s = Upload(kPrincipal, kPlan, Pdf(250000), &attachment);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "larger than the limit")) << s.error_message();
  s = Upload(kOtherPhong, kPlan, Pdf(1000), &attachment);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  const std::string scan = Pdf(150000);
  ASSERT_TRUE(Upload(kPrincipal, kPlan, scan, &attachment, 10000).ok());
  EXPECT_EQ(attachment.sha256(), Sha256Hex(scan));
  EXPECT_EQ(attachment.size(), 150000);
  EXPECT_EQ(attachment.media_type(), "application/pdf");
  EXPECT_EQ(attachment.reference(), absl::StrCat(kPlan, "/attachments/", Sha256Hex(scan)));
  std::string downloaded;
  v1::Attachment meta;
  ASSERT_TRUE(Download(kAuthor, kPlan, attachment.sha256(), &downloaded, &meta).ok());
  EXPECT_EQ(downloaded, scan);
  EXPECT_EQ(meta.file_name(), "ke-hoach-da-ky.pdf");
  EXPECT_EQ(Download(kAuthor, kPlan, std::string(64, '0'), &downloaded, &meta).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(SignOff(kPlan, v1::SCANNED, attachment).ok());

  // --- The report: plan rows plus counts from grading (LMS results imported first).
  v1::ImportLmsResultsRequest lms;
  lms.set_format(v1::CSV);
  lms.set_file_name("lms.csv");
  lms.set_content(
      "learner_id,year,module,result,quiz_done\ngv-1,2023,4,pass,yes\ngv-2,2023,4,fail,yes\n");
  v1::ImportLmsResultsResponse lms_resp;
  ASSERT_TRUE(grading_stub_->ImportLmsResults(tokens_.As(kSo).get(), lms, &lms_resp).ok());
  v1::CreateReportRequest report_req;
  report_req.set_author(kAuthor.name);
  report_req.set_year(2023);
  report_req.set_module(4);
  *report_req.mutable_report_date() = plan.content().rows(0).from();
  v1::SupportDocument report;
  ASSERT_TRUE(stub_->CreateReport(tokens_.As(kAuthor).get(), report_req, &report).ok());
  EXPECT_EQ(report.content().name(), kReport);
  auto row = [&](const v1::SupportDocument& d, int i) { return d.content().rows(i).result(); };
  EXPECT_EQ(row(report, 1).count(), 2);  // 1.2: both on the LMS, of 2 assigned
  EXPECT_EQ(row(report, 1).base(), 2);
  EXPECT_EQ(row(report, 1).source(), v1::FROM_GRADING);
  EXPECT_EQ(row(report, 5).count(), 2);  // 3.1: quiz done, of 2 on the LMS
  EXPECT_DOUBLE_EQ(row(report, 5).percent(), 100.0);
  EXPECT_EQ(row(report, 3).source(), v1::MANUAL);  // 2.2: the author's count
  EXPECT_EQ(report.content().rows(3).sub_rows(0).activity(),
            "Nhóm Zalo tổ Toán: giải đáp hằng tuần");  // from the submitted plan
  content = report.content();
  content.mutable_rows(3)->mutable_result()->set_count(1);
  content.mutable_rows(3)->mutable_result()->set_percent(99);  // typed: recomputed
  ASSERT_TRUE(Update(content, {"rows"}, &edited).ok());
  EXPECT_DOUBLE_EQ(row(edited, 3).percent(), 50.0);
  content = edited.content();
  content.mutable_rows(5)->mutable_result()->set_count(1);  // 3.1 belongs to grading
  s = Update(content, {"rows"}, &again);
  EXPECT_EQ(Violations(s), (std::vector<std::string>{"rows[5].result.count"}));
  ASSERT_TRUE(Submit(kReport, &submitted).ok());
  EXPECT_EQ(submitted.approval_state(), v1::SUBMITTED);

  // --- A module not run: every cell "Chưa triển khai"; its plan is still a draft.
  ASSERT_TRUE(CreatePlan(kAuthor, kAuthor.name, 5, &plan).ok());
  report_req.set_module(5);
  report_req.set_not_deployed(true);
  ASSERT_TRUE(stub_->CreateReport(tokens_.As(kAuthor).get(), report_req, &report).ok());
  for (const v1::Row& r : report.content().rows()) {
    EXPECT_EQ(r.result().text(), "Chưa triển khai");
    EXPECT_EQ(r.from().day(), report_req.report_date().day());
  }
  s = Submit("documents/gvcc-thcs-2023-m5-report", &again);  // approvals: plan first
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();

  // --- Eligibility: module 4 complete after its report is signed off; module 5 is not.
  ASSERT_TRUE(Approve(kReport).ok());
  ASSERT_TRUE(SignOff(kReport, v1::ONLINE).ok());
  v1::GetEligibilityRequest el_req;
  el_req.set_core_member(kAuthor.name);
  el_req.set_year(2023);
  v1::Eligibility eligibility;
  ASSERT_TRUE(stub_->GetEligibility(tokens_.As(kAuthor).get(), el_req, &eligibility).ok());
  EXPECT_FALSE(eligibility.eligible());
  ASSERT_EQ(eligibility.modules_size(), 2);
  EXPECT_EQ(eligibility.modules(0).module(), 4);
  EXPECT_EQ(eligibility.modules(0).missing_size(), 0);
  EXPECT_EQ(eligibility.modules(1).module(), 5);
  EXPECT_EQ(std::vector<std::string>(eligibility.modules(1).missing().begin(),
                                     eligibility.modules(1).missing().end()),
            (std::vector<std::string>{"plan not submitted", "report not submitted"}));
  EXPECT_EQ(
      stub_->GetEligibility(tokens_.As(kOtherTeacher).get(), el_req, &eligibility).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  v1::ListEligibilityRequest list_el;
  list_el.set_unit("units/bp");
  list_el.set_year(2023);
  v1::ListEligibilityResponse province;
  ASSERT_TRUE(stub_->ListEligibility(tokens_.As(kSo).get(), list_el, &province).ok());
  ASSERT_EQ(province.core_members_size(), 1);
  EXPECT_EQ(province.core_members(0).core_member_name(), "Nguyễn Văn An");
  list_el.set_unit("units/lninh");
  ASSERT_TRUE(stub_->ListEligibility(tokens_.As(kSo).get(), list_el, &province).ok());
  EXPECT_EQ(province.core_members_size(), 0);

  // --- Lists by unit and filters; paging.
  v1::ListSupportDocumentsRequest list;
  list.set_unit("units/dx");
  list.set_page_size(3);
  v1::ListSupportDocumentsResponse page;
  ASSERT_TRUE(stub_->ListDocuments(tokens_.As(kPhong).get(), list, &page).ok());
  EXPECT_EQ(page.documents_size(), 3);
  list.set_page_token(page.next_page_token());
  ASSERT_TRUE(stub_->ListDocuments(tokens_.As(kPhong).get(), list, &page).ok());
  EXPECT_EQ(page.documents_size(), 1);
  EXPECT_TRUE(page.next_page_token().empty());
  list.Clear();
  list.set_unit("units/dx");
  list.set_module(4);
  list.set_kind(v1::REPORT);
  ASSERT_TRUE(stub_->ListDocuments(tokens_.As(kPhong).get(), list, &page).ok());
  ASSERT_EQ(page.documents_size(), 1);
  EXPECT_EQ(page.documents(0).name(), kReport);
  EXPECT_EQ(stub_->ListDocuments(tokens_.As(kOtherPhong).get(), list, &page).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // --- History of the plan.
  v1::ListVersionsRequest versions_req;
  versions_req.set_name(kPlan);
  v1::ListVersionsResponse versions;
  ASSERT_TRUE(stub_->ListVersions(tokens_.As(kAuthor).get(), versions_req, &versions).ok());
  std::vector<std::string> actions;
  for (const auto& e : versions.entries()) actions.push_back(e.action());
  EXPECT_EQ(actions,
            (std::vector<std::string>{"created", "edited", "submitted", "attachment_added"}));

  // --- Restart: everything acknowledged is still there.
  v1::SupportDocument before;
  ASSERT_TRUE(Get(kAuthor, kPlan, &before).ok());
  plans_.process->Signal(SIGTERM);
  ASSERT_TRUE(plans_.process->WaitExit(absl::Seconds(30)).ok());
  StartPlans();
  v1::SupportDocument after;
  ASSERT_TRUE(Get(kAuthor, kPlan, &after).ok());
  EXPECT_EQ(after.SerializeAsString(), before.SerializeAsString());
  EXPECT_EQ(after.approval_state(), v1::SIGNED_OFF);
  ASSERT_TRUE(Download(kPrincipal, kPlan, attachment.sha256(), &downloaded, &meta).ok());
  EXPECT_EQ(downloaded, scan);

  // --- ADR 012: the routed lecturer and signer read it while they hold the role, as
  // they act on it; a name recorded at submission is not enough. Before, a lecturer
  // demoted to a mass teacher and a principal moved to another school read it on.
  ASSERT_TRUE(Get(kLecturer, kPlan, &read).ok());
  ASSERT_TRUE(testing::ImportCsvs(*StubTo<v1::Directory>(directory_.address), tokens_,
                                  {{v1::PEOPLE,
                                    "id,code,full_name,roles,home_unit_id\n"
                                    "gvsp-1,,GVSP Nguyễn Thị Phương,mass_teacher,thpt-dx\n"
                                    "ht-thcs,,Trần Thị Bình,principal,thcs-noprincipal\n"}})
                  .ok());
  const absl::Time moved = absl::Now();
  for (const Who& who : {kLecturer, kPrincipal}) {
    while (Get(who, kPlan, &read).ok() && absl::Now() < moved + absl::Seconds(10)) {
      absl::SleepFor(absl::Milliseconds(100));
    }
    EXPECT_EQ(Get(who, kPlan, &read).error_code(), grpc::StatusCode::PERMISSION_DENIED) << who.name;
    EXPECT_LE(absl::Now() - moved, absl::Seconds(5)) << who.name;
  }
}

}  // namespace
}  // namespace bdtx
