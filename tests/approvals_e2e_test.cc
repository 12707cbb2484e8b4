// End to end: real bdtx-directory and bdtx-approvals processes on loopback, a real gRPC
// client with minted tokens, the Bình Phước approval sequences (seed 001).
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "bdtx/v1/approvals.grpc.pb.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "common/auth/jwt.h"
#include "common/auth/receipt.h"
#include "common/eventstore/rocksdb_event_store.h"
#include "common/testing/service_process.h"
#include "common/testing/temp_dir.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/approvals/store/approvals_store.h"
#include "services/directory/testing/fake_directory.h"
#include "tests/e2e_support.h"

namespace bdtx {
namespace {

#define ASSERT_OK_GRPC(call)                                                               \
  do {                                                                                     \
    grpc::Status s_ = (call);                                                              \
    ASSERT_TRUE(s_.ok()) << #call << ": " << s_.error_code() << " " << s_.error_message(); \
  } while (0)

using ::bdtx::testing::StartService;
using Person = ::bdtx::testing::Who;

const std::string kHash1(64, '1');
const std::string kHash2(64, '2');

const Person kTeacher{"people/gvcc-thcs", {"CORE_TEACHER", "REPORTER"}, "units/thcs-tanphu"};
const Person kPrincipal{"people/ht-thcs", {"PRINCIPAL", "CORE_MANAGER"}, "units/thcs-tanphu"};
const Person kLecturer{"people/gvsp-1", {"PEDAGOGY_LECTURER"}, "units/dhsp"};
const Person kMgmtLecturer{"people/gvqlgd-1", {"MANAGEMENT_LECTURER"}, "units/hvqlgd"};
const Person kThManager{"people/cbqlcc-th", {"CORE_MANAGER"}, "units/th-tanphu"};
const Person kPhongOfficer{"people/cv-phong", {"DISTRICT_OFFICER"}, "units/dx"};
const Person kOtherPhong{"people/cv-lninh", {"DISTRICT_OFFICER"}, "units/lninh"};
const Person kThptManager{"people/ht-thpt", {"PRINCIPAL", "CORE_MANAGER"}, "units/thpt-dx"};
const Person kSoOfficer{"people/cv-so", {"PROVINCE_OFFICER"}, "units/bp"};

class ApprovalsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory =
        testing::StartDirectory(BDTX_DIRECTORY_PATH, dir_.Sub("directory"), Key(), tokens_,
                                {{v1::UNITS, directory::kSampleUnits},
                                 {v1::PEOPLE, directory::kSamplePeople},
                                 {v1::ASSIGNMENTS, directory::kSampleAssignments}});
    ASSERT_TRUE(directory.ok()) << directory.status();
    directory_ = *std::move(directory);
    StartApprovals();
  }

  void StartApprovals() {
    auto approvals = StartService(
        BDTX_APPROVALS_PATH,
        {"--data_dir=" + dir_.Sub("approvals"), Key(), "--directory=" + directory_.address});
    ASSERT_TRUE(approvals.ok()) << approvals.status();
    approvals_ = *std::move(approvals);
    stub_ = testing::StubTo<v1::Approvals>(approvals_.address);
  }

  std::string Key() const { return "--auth_key_file=" + dir_.Sub("auth.key"); }
  std::string Token(const Person& p) { return tokens_.For(p); }
  std::unique_ptr<grpc::ClientContext> As(const Person& p) { return tokens_.As(p); }

  grpc::Status Submit(const Person& p, const std::string& doc, const std::string& hash,
                      v1::Document* out = nullptr, const std::string& request_id = "",
                      bool not_deployed = false) {
    v1::SubmitRequest req;
    req.set_document(doc);
    req.set_content_sha256(hash);
    req.set_request_id(request_id);
    req.set_not_deployed(not_deployed);
    v1::Document resp;
    grpc::Status s = stub_->Submit(As(p).get(), req, &resp);
    if (out) *out = resp;
    return s;
  }
  grpc::Status Approve(const Person& p, const std::string& doc, v1::Document* out = nullptr,
                       const std::string& request_id = "") {
    v1::ApproveRequest req;
    req.set_document(doc);
    req.set_comment("Đạt");
    req.set_request_id(request_id);
    v1::Document resp;
    grpc::Status s = stub_->Approve(As(p).get(), req, &resp);
    if (out) *out = resp;
    return s;
  }
  grpc::Status Return(const Person& p, const std::string& doc, const std::string& reason) {
    v1::ReturnRequest req;
    req.set_document(doc);
    req.set_reason(reason);
    v1::Document resp;
    return stub_->Return(As(p).get(), req, &resp);
  }
  // SCANNED: with plans' receipt for the scan unless `receipt` is given (the test
  // holds the services' key, as plans does).
  grpc::Status SignOff(const Person& p, const std::string& doc, v1::SignOffMethod method,
                       v1::Document* out = nullptr,
                       std::optional<std::string> receipt = std::nullopt) {
    v1::SignOffRequest req;
    req.set_document(doc);
    req.set_method(method);
    if (method == v1::SCANNED) {
      req.set_evidence_sha256(std::string(64, 'e'));
      req.set_evidence_reference("attachments/scan-001.pdf");
      req.set_evidence_receipt(receipt.value_or(auth::AttachmentReceipt(
          *auth::ReadKeyFile(dir_.Sub("auth.key")), doc, req.evidence_sha256())));
    }
    v1::Document resp;
    grpc::Status s = stub_->SignOff(As(p).get(), req, &resp);
    if (out) *out = resp;
    return s;
  }
  v1::Document Get(const Person& p, const std::string& doc) {
    v1::GetDocumentRequest req;
    req.set_name(doc);
    v1::Document resp;
    grpc::Status s = stub_->GetDocument(As(p).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  testing::TempDir dir_;
  testing::Tokens tokens_{dir_.Sub("auth.key")};
  testing::Running directory_, approvals_;
  std::unique_ptr<v1::Approvals::Stub> stub_;
};

TEST_F(ApprovalsE2eTest, CoreTeacherPlanIsApprovedThenSignedOffByThePrincipal) {
  const std::string doc = "documents/gvcc-thcs-2023-m4-plan";
  v1::Document d;
  ASSERT_OK_GRPC(Submit(kTeacher, doc, kHash1, &d));
  EXPECT_EQ(d.state(), v1::SUBMITTED);
  EXPECT_EQ(d.routing().lecturer(), "people/gvsp-1");
  EXPECT_EQ(d.routing().sign_off().people(0), "people/ht-thcs");
  EXPECT_EQ(d.waiting_for(0), "people/gvsp-1");

  // Sign-off before the lecturer's approval is refused, naming the state.
  grpc::Status early = SignOff(kPrincipal, doc, v1::ONLINE);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << early.error_message();
  EXPECT_NE(early.error_message().find("SUBMITTED"), std::string::npos) << early.error_message();
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(early.error_details()));
  google::rpc::ErrorInfo info;
  ASSERT_EQ(details.details_size(), 1);
  ASSERT_TRUE(details.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "SIGN_OFF_BEFORE_LECTURER_APPROVAL");
  EXPECT_EQ(info.metadata().at("state"), "SUBMITTED");

  ASSERT_OK_GRPC(Approve(kLecturer, doc, &d));
  EXPECT_EQ(d.state(), v1::LECTURER_APPROVED);

  // The principal is told at once: the document is in their inbox.
  v1::ListInboxRequest inbox_req;
  v1::ListInboxResponse inbox;
  ASSERT_TRUE(stub_->ListInbox(As(kPrincipal).get(), inbox_req, &inbox).ok());
  ASSERT_EQ(inbox.documents_size(), 1);
  EXPECT_EQ(inbox.documents(0).name(), doc);

  ASSERT_OK_GRPC(SignOff(kPrincipal, doc, v1::ONLINE, &d));
  EXPECT_EQ(d.state(), v1::SIGNED_OFF);
  // Final: no resubmission, no second sign-off.
  EXPECT_EQ(Submit(kTeacher, doc, kHash2).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(SignOff(kPrincipal, doc, v1::ONLINE).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  inbox.Clear();
  ASSERT_TRUE(stub_->ListInbox(As(kPrincipal).get(), inbox_req, &inbox).ok());
  EXPECT_EQ(inbox.documents_size(), 0);

  v1::VerifyChainRequest vreq;
  vreq.set_document(doc);
  v1::VerifyChainResponse chain;
  ASSERT_TRUE(stub_->VerifyChain(As(kTeacher).get(), vreq, &chain).ok());
  EXPECT_TRUE(chain.intact()) << chain.detail();
  EXPECT_EQ(chain.events(), 3);

  v1::ListHistoryRequest hreq;
  hreq.set_document(doc);
  v1::ListHistoryResponse history;
  ASSERT_TRUE(stub_->ListHistory(As(kPrincipal).get(), hreq, &history).ok());
  ASSERT_EQ(history.entries_size(), 3);
  EXPECT_EQ(history.entries(0).actor(), "people/gvcc-thcs");
  EXPECT_EQ(history.entries(0).content_sha256(), kHash1);
  EXPECT_EQ(history.entries(1).action(), "lecturer_approved");
  EXPECT_EQ(history.entries(2).actor(), "people/ht-thcs");
}

TEST_F(ApprovalsE2eTest, ThcsManagerIsSignedOffByThePhongWithAScan) {
  const std::string doc = "documents/cbqlcc-th-2023-m4-plan";
  ASSERT_OK_GRPC(Submit(kThManager, doc, kHash1));
  // The wrong kind of lecturer, and the lecturer's step taken by the signer, are refused.
  EXPECT_EQ(Approve(kLecturer, doc).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Approve(kPhongOfficer, doc).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_OK_GRPC(Approve(kMgmtLecturer, doc));
  EXPECT_EQ(SignOff(kOtherPhong, doc, v1::SCANNED).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::Document d;
  // A scan never uploaded to this document (no receipt, or another document's) is
  // refused, naming the file; the document stays waiting for the signer.
  grpc::Status missing = SignOff(kPhongOfficer, doc, v1::SCANNED, &d, "");
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(missing.error_message().find("attachments/scan-001.pdf"), std::string::npos)
      << missing.error_message();
  EXPECT_NE(missing.error_message().find("chưa từng được tải lên " + doc), std::string::npos);
  const std::string other_receipt =
      auth::AttachmentReceipt(*auth::ReadKeyFile(dir_.Sub("auth.key")),
                              "documents/ht-thpt-2023-m4-plan", std::string(64, 'e'));
  EXPECT_EQ(SignOff(kPhongOfficer, doc, v1::SCANNED, &d, other_receipt).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Get(kPhongOfficer, doc).state(), v1::LECTURER_APPROVED);
  ASSERT_OK_GRPC(SignOff(kPhongOfficer, doc, v1::SCANNED, &d));
  EXPECT_EQ(d.state(), v1::SIGNED_OFF);
  EXPECT_EQ(d.routing().sign_off().kind(), v1::SignOffAuthority::DISTRICT_OFFICE);
}

TEST_F(ApprovalsE2eTest, ThptManagerIsSignedOffByTheSo) {
  const std::string doc = "documents/ht-thpt-2023-m4-plan";
  ASSERT_OK_GRPC(Submit(kThptManager, doc, kHash1));
  ASSERT_OK_GRPC(Approve(kMgmtLecturer, doc));
  EXPECT_EQ(SignOff(kPhongOfficer, doc, v1::ONLINE).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::Document d;
  ASSERT_OK_GRPC(SignOff(kSoOfficer, doc, v1::ONLINE, &d));
  EXPECT_EQ(d.state(), v1::SIGNED_OFF);
  v1::CountDocumentsRequest creq;
  creq.set_unit("units/bp");
  v1::CountDocumentsResponse counts;
  ASSERT_TRUE(stub_->CountDocuments(As(kSoOfficer).get(), creq, &counts).ok());
  EXPECT_EQ(counts.by_state().at("SIGNED_OFF"), 1);
}

TEST_F(ApprovalsE2eTest, ReturnAndResubmitLoopGoesBackToTheLecturer) {
  const std::string doc = "documents/gvcc-thcs-2023-m4-plan";
  ASSERT_OK_GRPC(Submit(kTeacher, doc, kHash1));
  EXPECT_EQ(Return(kLecturer, doc, "").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_OK_GRPC(Return(kLecturer, doc, "Chưa đạt: thiếu hoạt động 2.2"));
  v1::Document d = Get(kTeacher, doc);
  EXPECT_EQ(d.state(), v1::RETURNED);
  EXPECT_EQ(d.last_reason(), "Chưa đạt: thiếu hoạt động 2.2");
  ASSERT_OK_GRPC(Submit(kTeacher, doc, kHash2, &d));
  EXPECT_EQ(d.state(), v1::SUBMITTED);
  EXPECT_EQ(d.content_sha256(), kHash2);
  ASSERT_OK_GRPC(Approve(kLecturer, doc));
  // The signer may also send it back at step 3.
  ASSERT_OK_GRPC(Return(kPrincipal, doc, "Thiếu chữ ký"));
  EXPECT_EQ(Get(kTeacher, doc).state(), v1::RETURNED);
}

TEST_F(ApprovalsE2eTest, ReportWaitsForItsSignedOffPlan) {
  const std::string plan = "documents/gvcc-thcs-2023-m4-plan";
  const std::string report = "documents/gvcc-thcs-2023-m4-report";
  grpc::Status early = Submit(kTeacher, report, kHash1);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << early.error_message();
  EXPECT_NE(early.error_message().find(
                "đã ký duyệt (SIGNED_OFF); kế hoạch đang ở trạng thái chưa gửi (DRAFT)"),
            std::string::npos)
      << early.error_message();
  ASSERT_OK_GRPC(Submit(kTeacher, plan, kHash1));
  ASSERT_OK_GRPC(Approve(kLecturer, plan));
  EXPECT_EQ(Submit(kTeacher, report, kHash1).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_OK_GRPC(SignOff(kPrincipal, plan, v1::ONLINE));
  v1::Document d;
  // Module not run: a "Chưa triển khai" report, still through both approvals.
  ASSERT_OK_GRPC(Submit(kTeacher, report, kHash2, &d, "", /*not_deployed=*/true));
  EXPECT_TRUE(d.not_deployed());
  ASSERT_OK_GRPC(Approve(kLecturer, report));
  ASSERT_OK_GRPC(SignOff(kPrincipal, report, v1::ONLINE, &d));
  EXPECT_EQ(d.state(), v1::SIGNED_OFF);
}

TEST_F(ApprovalsE2eTest, RetriedRequestReturnsTheFirstAnswerAndWritesNothing) {
  const std::string doc = "documents/gvcc-thcs-2023-m4-plan";
  v1::Document first, second;
  ASSERT_OK_GRPC(Submit(kTeacher, doc, kHash1, &first, "req-42"));
  ASSERT_OK_GRPC(Submit(kTeacher, doc, kHash1, &second, "req-42"));
  EXPECT_EQ(first.SerializeAsString(), second.SerializeAsString());
  EXPECT_EQ(Get(kTeacher, doc).version(), 1);
}

TEST_F(ApprovalsE2eTest, FiftyConcurrentApprovalsHaveExactlyOneWinner) {
  const std::string doc = "documents/gvcc-thcs-2023-m4-plan";
  ASSERT_OK_GRPC(Submit(kTeacher, doc, kHash1));
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 50; ++i) {
    threads.emplace_back([&, i] {
      grpc::Status s = Approve(kLecturer, doc, nullptr, absl::StrCat("approve-", i));
      if (s.ok()) {
        ++ok;
      } else if (s.error_code() == grpc::StatusCode::ABORTED ||
                 s.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
        ++refused;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(refused.load(), 49);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(Get(kTeacher, doc).version(), 2);
}

TEST_F(ApprovalsE2eTest, RestartLosesNothingAcknowledged) {
  const std::string doc = "documents/gvcc-thcs-2023-m4-plan";
  ASSERT_OK_GRPC(Submit(kTeacher, doc, kHash1));
  ASSERT_OK_GRPC(Approve(kLecturer, doc));
  approvals_.process->Signal(SIGKILL);  // not even a clean shutdown
  ASSERT_TRUE(approvals_.process->WaitExit(absl::Seconds(10)).ok());
  StartApprovals();
  v1::Document d = Get(kTeacher, doc);
  EXPECT_EQ(d.state(), v1::LECTURER_APPROVED);
  EXPECT_EQ(d.version(), 2);
  v1::ListInboxRequest inbox_req;
  v1::ListInboxResponse inbox;
  ASSERT_TRUE(stub_->ListInbox(As(kPrincipal).get(), inbox_req, &inbox).ok());
  ASSERT_EQ(inbox.documents_size(), 1);
  ASSERT_OK_GRPC(SignOff(kPrincipal, doc, v1::ONLINE));
  ASSERT_OK_GRPC(Submit(kThManager, "documents/cbqlcc-th-2023-m4-plan", kHash1));

  // The read models (summaries, inboxes, unit indexes) equal a rebuild from the events.
  approvals_.process->Signal(SIGTERM);
  ASSERT_TRUE(approvals_.process->WaitExit(absl::Seconds(20)).ok());
  auto events = eventstore::RocksDbEventStore::Open(dir_.Sub("approvals/events"));
  ASSERT_TRUE(events.ok()) << events.status();
  approvals::ApprovalsStore store(events->get());
  auto mismatches = store.CheckReadModels();
  ASSERT_TRUE(mismatches.ok()) << mismatches.status();
  EXPECT_TRUE(mismatches->empty()) << mismatches->front();
  EXPECT_EQ((*events)->LastPosition(), 4);
}

TEST_F(ApprovalsE2eTest, SubscribersReplayThenFollowLiveEvents) {
  const std::string doc = "documents/gvcc-thcs-2023-m4-plan";
  ASSERT_OK_GRPC(Submit(kTeacher, doc, kHash1));
  ASSERT_OK_GRPC(Approve(kLecturer, doc));

  // Not for people: the stream carries everyone's documents.
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + Token(kTeacher));
    v1::SubscribeEventsRequest req;
    auto reader = stub_->SubscribeEvents(&ctx, req);
    v1::StoredEvent e;
    EXPECT_FALSE(reader->Read(&e));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }

  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + Token({"services/notifications", {}, ""}));
  v1::SubscribeEventsRequest req;
  req.set_from_position(1);
  auto reader = stub_->SubscribeEvents(&ctx, req);
  v1::StoredEvent e;
  ASSERT_TRUE(reader->Read(&e));  // replay
  EXPECT_EQ(e.position(), 1);
  EXPECT_EQ(e.document(), doc);
  EXPECT_TRUE(e.event().has_submitted());
  ASSERT_TRUE(reader->Read(&e));
  EXPECT_TRUE(e.event().has_lecturer_approved());
  EXPECT_EQ(e.actor(), "people/gvsp-1");
  // Live: the sign-off arrives on the open stream.
  std::thread signer([&] { EXPECT_TRUE(SignOff(kPrincipal, doc, v1::ONLINE).ok()); });
  ASSERT_TRUE(reader->Read(&e));
  signer.join();
  EXPECT_TRUE(e.event().has_signed_off());
  EXPECT_EQ(e.position(), 3);
  EXPECT_FALSE(e.event().prev_hash().empty());
  ctx.TryCancel();
  while (reader->Read(&e)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(ApprovalsE2eTest, StrangersSeeNothing) {
  const std::string doc = "documents/gvcc-thcs-2023-m4-plan";
  ASSERT_OK_GRPC(Submit(kTeacher, doc, kHash1));
  v1::GetDocumentRequest req;
  req.set_name(doc);
  v1::Document d;
  const Person stranger{"people/gv-1", {"MASS_TEACHER"}, "units/thcs-tanphu"};
  EXPECT_EQ(stub_->GetDocument(As(stranger).get(), req, &d).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::ClientContext no_token;
  EXPECT_EQ(stub_->GetDocument(&no_token, req, &d).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(stub_->GetDocument(As(kSoOfficer).get(), req, &d).ok());  // the province sees it
  // Dashboards are for the unit's own officers.
  v1::CountDocumentsRequest creq;
  creq.set_unit("units/bp");
  v1::CountDocumentsResponse counts;
  EXPECT_EQ(stub_->CountDocuments(As(stranger).get(), creq, &counts).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->CountDocuments(As(kOtherPhong).get(), creq, &counts).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(stub_->CountDocuments(As(kSoOfficer).get(), creq, &counts).ok());
}

// ADR 012: the routed lecturer reads the document (and finds it in their inbox) while
// they hold a lecturer role, as they act on it; being named at submission is not enough.
// Before, a lecturer demoted to a mass teacher of another school went on reading it.
TEST_F(ApprovalsE2eTest, RoutedLecturerWhoLostTheRoleNoLongerReadsIt) {
  const std::string doc = "documents/gvcc-thcs-2023-m4-plan";
  ASSERT_OK_GRPC(Submit(kTeacher, doc, kHash1));
  v1::GetDocumentRequest get;
  get.set_name(doc);
  v1::Document d;
  ASSERT_OK_GRPC(stub_->GetDocument(As(kLecturer).get(), get, &d));
  v1::ListInboxResponse inbox;
  ASSERT_OK_GRPC(stub_->ListInbox(As(kLecturer).get(), v1::ListInboxRequest(), &inbox));
  ASSERT_EQ(inbox.documents_size(), 1);

  auto directory = testing::StubTo<v1::Directory>(directory_.address);
  ASSERT_TRUE(
      testing::ImportCsvs(*directory, tokens_,
                          {{v1::PEOPLE,
                            "id,code,full_name,roles,home_unit_id\n"
                            "gvsp-1,,GVSP Nguyễn Thị Phương,mass_teacher,thcs-noprincipal\n"}})
          .ok());
  const absl::Time demoted = absl::Now();
  grpc::Status read;
  do {
    absl::SleepFor(absl::Milliseconds(100));
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + Token(kLecturer));
    read = stub_->GetDocument(&ctx, get, &d);
  } while (read.ok() && absl::Now() < demoted + absl::Seconds(10));
  EXPECT_EQ(read.error_code(), grpc::StatusCode::PERMISSION_DENIED) << read.error_message();
  EXPECT_LE(absl::Now() - demoted, absl::Seconds(5));
  v1::ListHistoryRequest history;
  history.set_document(doc);
  v1::ListHistoryResponse entries;
  EXPECT_EQ(stub_->ListHistory(As(kLecturer).get(), history, &entries).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  inbox.Clear();
  ASSERT_OK_GRPC(stub_->ListInbox(As(kLecturer).get(), v1::ListInboxRequest(), &inbox));
  EXPECT_EQ(inbox.documents_size(), 0) << inbox.DebugString();
}

}  // namespace
}  // namespace bdtx
