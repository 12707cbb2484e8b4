// End to end, the API edge of every service (issue 15 §1 and §2): real bdtx-directory,
// -approvals, -grading, -plans, -notifications and -support processes on loopback.
//  - Every method of every service, found from the descriptors, refuses a request with
//    an out-of-range enum, a negative number and an over-long name with INVALID_ARGUMENT
//    and google.rpc.BadRequest before its handler runs; the services stay healthy.
//  - A request gRPC cannot decode (invalid UTF-8 in a string) is INVALID_ARGUMENT too.
//  - request_id records are bound to caller, method, resource and request (AIP-155): a
//    retry gets the identical first answer; anything else reusing the id gets
//    REQUEST_ID_REUSED naming the first method; a stranger gets PERMISSION_DENIED.
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "bdtx/v1/approvals.grpc.pb.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "bdtx/v1/field_options.pb.h"
#include "bdtx/v1/grading.grpc.pb.h"
#include "bdtx/v1/notifications.grpc.pb.h"
#include "bdtx/v1/plans.grpc.pb.h"
#include "bdtx/v1/support.grpc.pb.h"
#include "common/testing/temp_dir.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "services/directory/testing/fake_directory.h"
#include "tests/e2e_support.h"

namespace bdtx {
namespace {

using ::bdtx::testing::Running;
using ::bdtx::testing::StartService;
using ::bdtx::testing::StubTo;
using ::bdtx::testing::Who;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// An operator: admin by its token (not a person the directory must know, ADR 012).
const Who kAdmin{"operators/admin", {"SYSTEM_ADMIN"}, ""};
const Who kAuthor{"people/gvcc-thcs", {"CORE_TEACHER", "REPORTER"}, "units/thcs-tanphu"};
const Who kLecturer{"people/gvsp-1", {"PEDAGOGY_LECTURER"}, "units/dhsp"};
const Who kStranger{"people/gv-1", {"MASS_TEACHER"}, "units/thcs-tanphu"};
const Who kSo{"people/cv-so", {"PROVINCE_OFFICER"}, "units/bp"};
const Who kOtherTeacher{"people/gvcc-phong", {"CORE_TEACHER"}, "units/dx"};

constexpr char kPlan[] = "documents/gvcc-thcs-2023-m4-plan";
constexpr char kClasses[] =
    "id,code,name,year,module,unit_id\n"
    "m3-1,L3001,Lớp mô đun 3 số 1,2023,3,bp\n";
constexpr char kAssignments[] =
    "year,module,kind,from_id,to_id\n"
    "2023,3,learner,m3-1,gv-1\n2023,3,grader,m3-1,gvcc-thcs\n"
    "2023,5,lecturer,gvsp-1,gvcc-thcs\n2023,5,support,gvcc-thcs,gv-1\n"
    "2023,3,lecturer,gvsp-1,gvcc-thcs\n";

struct Outcome {
  grpc::Status status;
  std::string response;  // the serialized answer (empty unless one came)
};

// One call of any shape (unary or streaming) through the generic API: one request
// message, then half-close; reads whatever comes back.
Outcome CallRaw(grpc::Channel* channel, const std::string& method, const std::string& request,
                const std::string& token) {
  grpc::GenericStub stub(channel->shared_from_this());
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(&context, method, &cq);
  void* tag = nullptr;
  bool ok = false;
  auto step = [&](void* want) {
    EXPECT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(tag, want);
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  Outcome out;
  if (step(reinterpret_cast<void*>(1))) {
    grpc::Slice slice(request);
    grpc::ByteBuffer buffer(&slice, 1);
    call->Write(buffer, reinterpret_cast<void*>(2));
    if (step(reinterpret_cast<void*>(2))) {
      call->WritesDone(reinterpret_cast<void*>(3));
      step(reinterpret_cast<void*>(3));
    }
    grpc::ByteBuffer reply;
    call->Read(&reply, reinterpret_cast<void*>(4));
    if (step(reinterpret_cast<void*>(4))) {
      std::vector<grpc::Slice> slices;
      if (reply.Dump(&slices).ok()) {
        for (const auto& s : slices) out.response.append(s.begin(), s.end());
      }
    }
  }
  call->Finish(&out.status, reinterpret_cast<void*>(5));
  // A server-streaming reply may still be in flight: drain until Finish completes.
  while (cq.Next(&tag, &ok) && tag != reinterpret_cast<void*>(5)) {
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return out;
}

// Sets every field of `m` (one level into sub-messages) to something a rule forbids:
// strings 10 KB, enums 99, integers -1. Returns how many fields it spoiled.
int Spoil(Message& m, int depth = 0) {
  int spoiled = 0;
  const auto* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const bool repeated = f->is_repeated();
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        if (f->type() == FieldDescriptor::TYPE_BYTES) break;
        repeated ? r->AddString(&m, f, std::string(10240, 'x'))
                 : r->SetString(&m, f, std::string(10240, 'x'));
        ++spoiled;
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        repeated ? r->AddEnumValue(&m, f, 99) : r->SetEnumValue(&m, f, 99);
        ++spoiled;
        break;
      case FieldDescriptor::CPPTYPE_INT32:
        if (repeated) break;
        r->SetInt32(&m, f, -1);
        ++spoiled;
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        if (repeated) break;
        r->SetInt64(&m, f, -1);
        ++spoiled;
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE:
        if (depth > 0 || repeated || f->message_type()->options().map_entry()) break;
        if (f->message_type()->file()->package() != "bdtx.v1") break;  // Timestamp, FieldMask
        spoiled += Spoil(*r->MutableMessage(&m, f), depth + 1);
        break;
      default:
        break;
    }
  }
  return spoiled;
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

// The ErrorInfo of `s`: reason and metadata.
std::pair<std::string, std::map<std::string, std::string>> ErrorInfoOf(const grpc::Status& s) {
  google::rpc::Status details;
  if (!details.ParseFromString(s.error_details())) return {};
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) {
      return {info.reason(), {info.metadata().begin(), info.metadata().end()}};
    }
  }
  return {};
}

class EdgeE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { shared_ = new Shared(); }
  static void TearDownTestSuite() {
    delete shared_;
    shared_ = nullptr;
  }

  struct Shared {
    Shared() {
      auto key = [&] { return "--auth_key_file=" + dir.Sub("auth.key"); };
      auto d = StartService(BDTX_DIRECTORY_PATH, {"--data_dir=" + dir.Sub("directory"), key()});
      EXPECT_TRUE(d.ok()) << d.status();
      directory = *std::move(d);
      auto dir_stub = StubTo<v1::Directory>(directory.address);
      EXPECT_TRUE(testing::ImportCsvs(*dir_stub, tokens,
                                      {{v1::UNITS, directory::kSampleUnits},
                                       {v1::PEOPLE, directory::kSamplePeople},
                                       {v1::CLASSES, kClasses},
                                       {v1::ASSIGNMENTS, directory::kSampleAssignments},
                                       {v1::ASSIGNMENTS, kAssignments}})
                      .ok());
      const std::string at_directory = "--directory=" + directory.address;
      auto g = StartService(BDTX_GRADING_PATH,
                            {"--data_dir=" + dir.Sub("grading"), key(), at_directory});
      EXPECT_TRUE(g.ok()) << g.status();
      grading = *std::move(g);
      auto a = StartService(BDTX_APPROVALS_PATH,
                            {"--data_dir=" + dir.Sub("approvals"), key(), at_directory});
      EXPECT_TRUE(a.ok()) << a.status();
      approvals = *std::move(a);
      auto su = StartService(BDTX_SUPPORT_PATH,
                             {"--data_dir=" + dir.Sub("support"), key(), at_directory});
      EXPECT_TRUE(su.ok()) << su.status();
      support = *std::move(su);
      auto p = StartService(BDTX_PLANS_PATH,
                            {"--data_dir=" + dir.Sub("plans"), key(), at_directory,
                             "--approvals=" + approvals.address, "--grading=" + grading.address,
                             "--support=" + support.address});
      EXPECT_TRUE(p.ok()) << p.status();
      plans = *std::move(p);
      auto n = StartService(BDTX_NOTIFICATIONS_PATH,
                            {"--data_dir=" + dir.Sub("notifications"), key(), at_directory,
                             "--approvals=" + approvals.address, "--grading=" + grading.address,
                             "--support=" + support.address});
      EXPECT_TRUE(n.ok()) << n.status();
      notifications = *std::move(n);
    }
    bdtx::testing::TempDir dir;
    bdtx::testing::Tokens tokens{dir.Sub("auth.key")};
    Running directory, grading, approvals, support, plans, notifications;
  };
  static Shared* shared_;

  const bdtx::testing::Tokens& tokens() { return shared_->tokens; }
  // Enrols classes/m3-1 in grading starting today (once; later calls are refused and
  // ignored), for tests that need a run whatever order they run in.
  void EnsureM31Enrolled() {
    v1::EnrollClassRequest enroll;
    enroll.set_class_name("classes/m3-1");
    const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
    enroll.mutable_start()->set_year(static_cast<int>(today.year()));
    enroll.mutable_start()->set_month(today.month());
    enroll.mutable_start()->set_day(today.day());
    enroll.set_request_id("e1");
    v1::Run run;
    StubTo<v1::Grading>(shared_->grading.address)->EnrollClass(As(kSo).get(), enroll, &run);
  }
  std::unique_ptr<grpc::ClientContext> As(const Who& who) { return tokens().As(who); }
  // Each service's descriptor (from a message of its file, so the linker keeps it) and
  // where it listens.
  std::vector<std::pair<const google::protobuf::ServiceDescriptor*, std::string>> Services() {
    return {{v1::GetUnitRequest::descriptor()->file()->FindServiceByName("Directory"),
             shared_->directory.address},
            {v1::ApproveRequest::descriptor()->file()->FindServiceByName("Approvals"),
             shared_->approvals.address},
            {v1::GradeRequest::descriptor()->file()->FindServiceByName("Grading"),
             shared_->grading.address},
            {v1::CreatePlanRequest::descriptor()->file()->FindServiceByName("Plans"),
             shared_->plans.address},
            {v1::MarkReadRequest::descriptor()->file()->FindServiceByName("Notifications"),
             shared_->notifications.address},
            {v1::AskQuestionRequest::descriptor()->file()->FindServiceByName("Support"),
             shared_->support.address}};
  }
};

EdgeE2eTest::Shared* EdgeE2eTest::shared_ = nullptr;

TEST_F(EdgeE2eTest, EveryMethodOfEveryServiceRefusesOutOfRangeInputBeforeItsHandler) {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  google::protobuf::DynamicMessageFactory factory(pool);
  int methods = 0;
  std::set<std::string> nothing_to_spoil;
  for (const auto& [service, address] : Services()) {
    ASSERT_NE(service, nullptr);
    const std::string& service_name = service->full_name();
    auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* method = service->method(i);
      const std::string path = absl::StrCat("/", service_name, "/", method->name());
      std::unique_ptr<Message> request(factory.GetPrototype(method->input_type())->New());
      if (Spoil(*request) == 0) {
        nothing_to_spoil.insert(path);
        continue;
      }
      ++methods;
      Outcome out =
          CallRaw(channel.get(), path, request->SerializeAsString(), tokens().For(kAdmin));
      EXPECT_EQ(out.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
          << path << ": " << out.status.error_message();
      EXPECT_FALSE(Violations(out.status).empty()) << path << " has no BadRequest details";
      EXPECT_TRUE(out.response.empty()) << path << " answered data";
    }
  }
  EXPECT_GE(methods, 67);
  // Only a request without fields cannot be wrong.
  EXPECT_EQ(nothing_to_spoil, (std::set<std::string>{"/bdtx.v1.Directory/WatchChanges",
                                                     "/bdtx.v1.Notifications/GetStatus"}));
  // Still serving, and still answering good requests.
  for (const auto& [service, address] : Services()) {
    const std::string& service_name = service->full_name();
    auto health = StubTo<grpc::health::v1::Health>(address);
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE(health->Check(&ctx, req, &resp).ok()) << service_name;
    EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING) << service_name;
  }
  v1::Person person;
  v1::GetPersonRequest get;
  get.set_name(kAuthor.name);
  EXPECT_TRUE(StubTo<v1::Directory>(shared_->directory.address)
                  ->GetPerson(As(kAdmin).get(), get, &person)
                  .ok());
}

TEST_F(EdgeE2eTest, UndecodableRequestIsInvalidArgumentWithAMessage) {
  // Field 1 (a string in both requests) holding "\xC3\x28": not UTF-8, so protobuf
  // refuses to parse it; gRPC alone would answer UNIMPLEMENTED with an empty message.
  const std::string bad_utf8("\x0A\x02\xC3\x28", 4);
  const std::vector<std::pair<std::string, std::string>> calls = {
      {shared_->approvals.address, "/bdtx.v1.Approvals/Approve"},      // unary
      {shared_->plans.address, "/bdtx.v1.Plans/DownloadAttachment"}};  // server streaming
  for (const auto& [address, method] : calls) {
    auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    Outcome out = CallRaw(channel.get(), method, bad_utf8, tokens().For(kAdmin));
    EXPECT_EQ(out.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << method << ": " << out.status.error_message();
    EXPECT_NE(out.status.error_message().find("cannot be decoded"), std::string::npos)
        << out.status.error_message();
  }
}

TEST_F(EdgeE2eTest, NamedCasesOfTheIssueAreInvalidArgument) {
  auto approvals = StubTo<v1::Approvals>(shared_->approvals.address);
  v1::ApproveRequest approve;
  approve.set_document(kPlan);
  approve.set_expected_version(-1);
  v1::Document doc;
  grpc::Status s = approvals->Approve(As(kLecturer).get(), approve, &doc);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(Violations(s), std::vector<std::string>{"expected_version"});

  auto directory = StubTo<v1::Directory>(shared_->directory.address);
  v1::RouteDocumentRequest route;
  route.set_author(kAuthor.name);
  route.set_kind(static_cast<v1::DocumentKind>(99));
  route.set_year(2023);
  route.set_module(4);
  v1::Routing routing;
  s = directory->RouteDocument(As(kAdmin).get(), route, &routing);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(Violations(s), std::vector<std::string>{"kind"});

  auto plans = StubTo<v1::Plans>(shared_->plans.address);
  v1::SubmitSupportDocumentRequest submit;
  submit.set_name("documents/" + std::string(10240, 'a'));
  v1::SupportDocument out;
  s = plans->SubmitDocument(As(kAuthor).get(), submit, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(Violations(s), std::vector<std::string>{"name"});
}

TEST_F(EdgeE2eTest, StringsAreStoredNfcNormalisedAndEditsAndUploadsAreBound) {
  auto approvals = StubTo<v1::Approvals>(shared_->approvals.address);
  auto plans = StubTo<v1::Plans>(shared_->plans.address);
  v1::CreatePlanRequest create;
  create.set_author(kAuthor.name);
  create.set_year(2023);
  create.set_module(5);
  v1::SupportDocument plan;
  grpc::Status created = plans->CreatePlan(As(kAuthor).get(), create, &plan);
  ASSERT_TRUE(created.ok()) << created.error_message();
  v1::UpdateSupportDocumentRequest update;
  *update.mutable_content() = plan.content();
  update.mutable_content()->mutable_header()->set_position("Gia\xCC\x81o vie\xCC\x82n");  // NFD
  update.mutable_update_mask()->add_paths("header.position");
  v1::SupportDocument updated;
  grpc::Status s = plans->UpdateDocument(As(kAuthor).get(), update, &updated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(updated.content().header().position(), "Giáo viên");  // NFC

  // UpdateDocument with an id: a retry is identical; changed content or a stranger is not.
  update.mutable_content()->mutable_header()->set_position("Tổ trưởng");
  update.set_request_id("u1");
  v1::SupportDocument first, again, nothing;
  s = plans->UpdateDocument(As(kAuthor).get(), update, &first);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(plans->UpdateDocument(As(kAuthor).get(), update, &again).ok());
  EXPECT_EQ(first.SerializeAsString(), again.SerializeAsString());
  EXPECT_EQ(again.approval_state(), v1::DRAFT);
  s = plans->UpdateDocument(As(kOtherTeacher).get(), update, &nothing);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(nothing.ByteSizeLong(), 0u);
  update.mutable_content()->mutable_header()->set_position("Tổ phó");
  s = plans->UpdateDocument(As(kAuthor).get(), update, &nothing);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  EXPECT_EQ(ErrorInfoOf(s).second["method"], "/bdtx.v1.Plans/UpdateDocument");
  EXPECT_EQ(nothing.ByteSizeLong(), 0u);

  // UploadAttachment with an id in its metadata: the same file again answers the same
  // attachment; another file under the same id is refused; a stranger is refused.
  auto upload = [&](const Who& who, const std::string& bytes, v1::Attachment* out) {
    auto ctx = As(who);
    auto writer = plans->UploadAttachment(ctx.get(), out);
    v1::UploadAttachmentRequest msg;
    msg.mutable_metadata()->set_document(plan.content().name());
    msg.mutable_metadata()->set_file_name("ke-hoach.pdf");
    msg.mutable_metadata()->set_request_id("up1");
    writer->Write(msg);
    msg.Clear();
    msg.set_chunk(bytes);
    writer->Write(msg);
    writer->WritesDone();
    return writer->Finish();
  };
  const std::string pdf = "%PDF-1.4\n% signed\n" + std::string(2000, 'a') + "\n%%EOF\n";
  v1::Attachment uploaded, uploaded_again, none;
  s = upload(kAuthor, pdf, &uploaded);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(upload(kAuthor, pdf, &uploaded_again).ok());
  EXPECT_EQ(uploaded.SerializeAsString(), uploaded_again.SerializeAsString());
  const std::string other_pdf = "%PDF-1.4\n% other\n" + std::string(2000, 'b') + "\n%%EOF\n";
  s = upload(kAuthor, other_pdf, &none);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  EXPECT_EQ(ErrorInfoOf(s).second["method"], "/bdtx.v1.Plans/UploadAttachment");
  s = upload(kStranger, pdf, &none);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_EQ(none.ByteSizeLong(), 0u);
}

// Walks the plan of kAuthor through plans and approvals with request ids, then replays
// them as the issue describes.
TEST_F(EdgeE2eTest, RequestIdsAreBoundToCallerMethodResourceAndRequest) {
  auto approvals = StubTo<v1::Approvals>(shared_->approvals.address);
  auto plans = StubTo<v1::Plans>(shared_->plans.address);

  // --- plans CreatePlan: a retry answers the identical document.
  v1::CreatePlanRequest create;
  create.set_author(kAuthor.name);
  create.set_year(2023);
  create.set_module(4);
  create.set_request_id("c1");
  v1::SupportDocument created, created_again;
  ASSERT_TRUE(plans->CreatePlan(As(kAuthor).get(), create, &created).ok());
  ASSERT_TRUE(plans->CreatePlan(As(kAuthor).get(), create, &created_again).ok());
  EXPECT_EQ(created.SerializeAsString(), created_again.SerializeAsString());
  EXPECT_EQ(created_again.approval_state(), v1::DRAFT);
  // A stranger replaying c1 for the same author: refused, nothing answered.
  v1::SupportDocument nothing;
  grpc::Status s = plans->CreatePlan(As(kStranger).get(), create, &nothing);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(nothing.ByteSizeLong(), 0u);

  // --- plans SubmitDocument: the replay is complete (approval_state SUBMITTED).
  v1::SubmitSupportDocumentRequest submit;
  submit.set_name(kPlan);
  submit.set_request_id("s1");
  v1::SupportDocument submitted, submitted_again;
  s = plans->SubmitDocument(As(kAuthor).get(), submit, &submitted);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(plans->SubmitDocument(As(kAuthor).get(), submit, &submitted_again).ok());
  EXPECT_EQ(submitted_again.approval_state(), v1::SUBMITTED);
  EXPECT_FALSE(submitted_again.approved_content_sha256().empty());
  EXPECT_EQ(submitted.SerializeAsString(), submitted_again.SerializeAsString());
  // The same author reusing s1 for an edit: REQUEST_ID_REUSED naming SubmitDocument.
  v1::RefreshReportCountsRequest refresh;
  refresh.set_name(kPlan);
  refresh.set_request_id("s1");
  s = plans->RefreshReportCounts(As(kAuthor).get(), refresh, &nothing);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  EXPECT_EQ(ErrorInfoOf(s).first, "REQUEST_ID_REUSED");
  EXPECT_EQ(ErrorInfoOf(s).second["method"], "/bdtx.v1.Plans/SubmitDocument");
  // A stranger replaying s1: refused before the id is looked up.
  s = plans->SubmitDocument(As(kStranger).get(), submit, &nothing);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(nothing.ByteSizeLong(), 0u);

  // --- approvals: the lecturer approves with k1.
  v1::ApproveRequest approve;
  approve.set_document(kPlan);
  approve.set_comment("Đạt");
  approve.set_request_id("k1");
  v1::Document approved, approved_again;
  s = approvals->Approve(As(kLecturer).get(), approve, &approved);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(approvals->Approve(As(kLecturer).get(), approve, &approved_again).ok());
  EXPECT_EQ(approved.SerializeAsString(), approved_again.SerializeAsString());
  // Return with k1 (a different command): refused, naming Approve; nothing lost silently.
  v1::ReturnRequest ret;
  ret.set_document(kPlan);
  ret.set_reason("Thiếu minh chứng");
  ret.set_request_id("k1");
  v1::Document returned;
  s = approvals->Return(As(kLecturer).get(), ret, &returned);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  EXPECT_EQ(ErrorInfoOf(s).first, "REQUEST_ID_REUSED");
  EXPECT_EQ(ErrorInfoOf(s).second["method"], "/bdtx.v1.Approvals/Approve");
  EXPECT_EQ(returned.ByteSizeLong(), 0u);
  // Approve again with k1 but another comment: also a different request.
  approve.set_comment("Đạt yêu cầu");
  s = approvals->Approve(As(kLecturer).get(), approve, &returned);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  // A stranger calling Return with k1: PERMISSION_DENIED and no document.
  s = approvals->Return(As(kStranger).get(), ret, &returned);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_EQ(returned.ByteSizeLong(), 0u);
  // Nothing was written by any of the refused calls.
  v1::GetDocumentRequest get;
  get.set_name(kPlan);
  v1::Document now;
  ASSERT_TRUE(approvals->GetDocument(As(kAuthor).get(), get, &now).ok());
  EXPECT_EQ(now.version(), approved.version());
  EXPECT_EQ(now.state(), approved.state());

  // --- approvals SignOff by the principal with o1: retry identical; Return with o1 is
  // REQUEST_ID_REUSED; a stranger's SignOff with o1 is PERMISSION_DENIED.
  const Who principal{"people/ht-thcs", {"PRINCIPAL", "CORE_MANAGER"}, "units/thcs-tanphu"};
  v1::SignOffRequest sign;
  sign.set_document(kPlan);
  sign.set_method(v1::ONLINE);
  sign.set_request_id("o1");
  v1::Document signed_off, signed_again;
  s = approvals->SignOff(As(principal).get(), sign, &signed_off);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(approvals->SignOff(As(principal).get(), sign, &signed_again).ok());
  EXPECT_EQ(signed_off.SerializeAsString(), signed_again.SerializeAsString());
  ret.set_request_id("o1");
  s = approvals->Return(As(principal).get(), ret, &returned);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  EXPECT_EQ(ErrorInfoOf(s).second["method"], "/bdtx.v1.Approvals/SignOff");
  s = approvals->SignOff(As(kStranger).get(), sign, &returned);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_EQ(returned.ByteSizeLong(), 0u);
}

TEST_F(EdgeE2eTest, SupportRequestIdsAreBoundToo) {
  auto support = StubTo<v1::Support>(shared_->support.address);
  // gv-1 (kStranger elsewhere) is a colleague of kAuthor's support group in module 5.
  v1::AskQuestionRequest ask;
  ask.set_year(2023);
  ask.set_module(5);
  ask.set_channel(v1::SUPPORT_CHANNEL_CHAT);
  ask.set_text("Làm sao soạn kế hoạch bài dạy theo mô đun 5?");
  ask.set_request_id("q1");
  v1::Question asked, asked_again, nothing;
  grpc::Status s = support->AskQuestion(As(kStranger).get(), ask, &asked);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(support->AskQuestion(As(kStranger).get(), ask, &asked_again).ok());
  EXPECT_EQ(asked.SerializeAsString(), asked_again.SerializeAsString());
  ask.set_text("Một câu hỏi khác");
  s = support->AskQuestion(As(kStranger).get(), ask, &nothing);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  EXPECT_EQ(ErrorInfoOf(s).first, "REQUEST_ID_REUSED");
  EXPECT_EQ(ErrorInfoOf(s).second["method"], "/bdtx.v1.Support/AskQuestion");
  EXPECT_EQ(nothing.ByteSizeLong(), 0u);

  // The core member answers with a1: the retry is the identical full question.
  v1::AnswerQuestionRequest answer;
  answer.set_name(asked.name());
  answer.set_text("Xem mẫu ở phụ lục 1.");
  answer.set_request_id("a1");
  v1::Question answered, answered_again;
  s = support->AnswerQuestion(As(kAuthor).get(), answer, &answered);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(support->AnswerQuestion(As(kAuthor).get(), answer, &answered_again).ok());
  EXPECT_EQ(answered.SerializeAsString(), answered_again.SerializeAsString());
  EXPECT_EQ(answered_again.state(), v1::QUESTION_ANSWERED);
  // a1 again for another command on the same question: REUSED naming AnswerQuestion.
  v1::EscalateQuestionRequest escalate;
  escalate.set_name(asked.name());
  escalate.set_note("Cần giảng viên");
  escalate.set_request_id("a1");
  s = support->EscalateQuestion(As(kAuthor).get(), escalate, &nothing);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  EXPECT_EQ(ErrorInfoOf(s).second["method"], "/bdtx.v1.Support/AnswerQuestion");
  // Someone outside the question replaying a1: refused before the id is looked up.
  s = support->AnswerQuestion(As(kOtherTeacher).get(), answer, &nothing);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_EQ(nothing.ByteSizeLong(), 0u);
}

TEST_F(EdgeE2eTest, GradingRequestIdsAreBoundToo) {
  auto grading = StubTo<v1::Grading>(shared_->grading.address);
  v1::EnrollClassRequest enroll;
  enroll.set_class_name("classes/m3-1");
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  enroll.mutable_start()->set_year(static_cast<int>(today.year()));
  enroll.mutable_start()->set_month(today.month());
  enroll.mutable_start()->set_day(today.day());
  enroll.set_request_id("e1");
  v1::Run run, run_again, nothing;
  grpc::Status s = grading->EnrollClass(As(kSo).get(), enroll, &run);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(grading->EnrollClass(As(kSo).get(), enroll, &run_again).ok());
  EXPECT_EQ(run.SerializeAsString(), run_again.SerializeAsString());
  // The same officer reusing e1 for an extension: REQUEST_ID_REUSED naming EnrollClass.
  v1::GrantExtensionRequest ext;
  ext.set_class_name("classes/m3-1");
  *ext.mutable_deadline() = enroll.start();
  ext.set_reason("bão");
  ext.set_request_id("e1");
  s = grading->GrantExtension(As(kSo).get(), ext, &nothing);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  EXPECT_EQ(ErrorInfoOf(s).first, "REQUEST_ID_REUSED");
  EXPECT_EQ(ErrorInfoOf(s).second["method"], "/bdtx.v1.Grading/EnrollClass");
  // A stranger replaying e1: their ids are their own; the command itself is refused.
  s = grading->EnrollClass(As(kStranger).get(), enroll, &nothing);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_EQ(nothing.ByteSizeLong(), 0u);

  // Submit and grade with ids: retries identical, a stranger refused.
  v1::SubmitAssignmentRequest submit;
  submit.set_class_name("classes/m3-1");
  submit.set_file_ref("lms://final/gv-1.docx");
  submit.set_sha256(std::string(64, 'a'));
  submit.set_request_id("a1");
  v1::Assignment a, a_again, none;
  s = grading->SubmitAssignment(As(kStranger).get(), submit, &a);  // gv-1 is the learner
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(grading->SubmitAssignment(As(kStranger).get(), submit, &a_again).ok());
  EXPECT_EQ(a.SerializeAsString(), a_again.SerializeAsString());
  v1::GradeRequest grade;
  grade.set_assignment(a.name());
  grade.set_verdict(v1::PASS);
  grade.set_has_score(true);
  grade.set_score(8);
  grade.set_request_id("a1");  // the grader's own namespace: a new request
  v1::Assignment graded, graded_again;
  s = grading->Grade(As(kAuthor).get(), grade, &graded);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(grading->Grade(As(kAuthor).get(), grade, &graded_again).ok());
  EXPECT_EQ(graded.SerializeAsString(), graded_again.SerializeAsString());
  s = grading->Grade(As(kOtherTeacher).get(), grade, &none);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_EQ(none.ByteSizeLong(), 0u);
}

// A caller who may not see a document gets one and the same refusal whether it exists
// or not: no NOT_FOUND oracle, no state, no author's unit in the message (issue 15).
TEST_F(EdgeE2eTest, StrangerCannotTellWhetherADocumentExists) {
  auto approvals = StubTo<v1::Approvals>(shared_->approvals.address);
  auto plans = StubTo<v1::Plans>(shared_->plans.address);
  // Make sure kPlan exists in plans and approvals (other tests may have done it).
  v1::CreatePlanRequest create;
  create.set_author(kAuthor.name);
  create.set_year(2023);
  create.set_module(4);
  v1::SupportDocument doc;
  plans->CreatePlan(As(kAuthor).get(), create, &doc);
  v1::SubmitSupportDocumentRequest submit_plan;
  submit_plan.set_name(kPlan);
  plans->SubmitDocument(As(kAuthor).get(), submit_plan, &doc);
  v1::GetDocumentRequest exists;
  exists.set_name(kPlan);
  v1::Document summary;
  ASSERT_TRUE(approvals->GetDocument(As(kAuthor).get(), exists, &summary).ok());

  const std::string absent = "documents/gvcc-thcs-2031-m4-plan";
  // Every document-addressed call of approvals and plans, as `who` on `name`.
  auto calls = [&](const Who& who, const std::string& name) {
    std::vector<std::pair<std::string, grpc::Status>> out;
    v1::Document d;
    v1::GetDocumentRequest get;
    get.set_name(name);
    out.emplace_back("approvals GetDocument", approvals->GetDocument(As(who).get(), get, &d));
    v1::ListHistoryRequest history;
    history.set_document(name);
    v1::ListHistoryResponse history_out;
    out.emplace_back("approvals ListHistory",
                     approvals->ListHistory(As(who).get(), history, &history_out));
    v1::VerifyChainRequest verify;
    verify.set_document(name);
    v1::VerifyChainResponse verify_out;
    out.emplace_back("approvals VerifyChain",
                     approvals->VerifyChain(As(who).get(), verify, &verify_out));
    v1::ApproveRequest approve;
    approve.set_document(name);
    approve.set_request_id("k-stranger");
    out.emplace_back("approvals Approve", approvals->Approve(As(who).get(), approve, &d));
    v1::ReturnRequest ret;
    ret.set_document(name);
    ret.set_reason("x");
    out.emplace_back("approvals Return", approvals->Return(As(who).get(), ret, &d));
    v1::SupportDocument sd;
    v1::GetSupportDocumentRequest plan_get;
    plan_get.set_name(name);
    out.emplace_back("plans GetDocument", plans->GetDocument(As(who).get(), plan_get, &sd));
    v1::ListVersionsRequest versions;
    versions.set_name(name);
    v1::ListVersionsResponse versions_out;
    out.emplace_back("plans ListVersions",
                     plans->ListVersions(As(who).get(), versions, &versions_out));
    v1::RenderDocumentRequest render;
    render.set_name(name);
    v1::RenderedDocument rendered;
    out.emplace_back("plans RenderDocument",
                     plans->RenderDocument(As(who).get(), render, &rendered));
    {
      v1::DownloadAttachmentRequest download;
      download.set_document(name);
      download.set_sha256(std::string(64, 'a'));
      auto ctx = As(who);
      auto reader = plans->DownloadAttachment(ctx.get(), download);
      v1::AttachmentChunk chunk;
      while (reader->Read(&chunk)) {
      }
      out.emplace_back("plans DownloadAttachment", reader->Finish());
    }
    {
      auto ctx = As(who);
      v1::Attachment attachment;
      auto writer = plans->UploadAttachment(ctx.get(), &attachment);
      v1::UploadAttachmentRequest msg;
      msg.mutable_metadata()->set_document(name);
      msg.mutable_metadata()->set_file_name("x.pdf");
      writer->Write(msg);
      writer->WritesDone();
      out.emplace_back("plans UploadAttachment", writer->Finish());
    }
    return out;
  };
  for (const Who& who : {kOtherTeacher, kStranger}) {
    const auto on_existing = calls(who, kPlan);
    const auto on_absent = calls(who, absent);
    ASSERT_EQ(on_existing.size(), on_absent.size());
    for (size_t i = 0; i < on_existing.size(); ++i) {
      const auto& [what, e] = on_existing[i];
      const grpc::Status& a = on_absent[i].second;
      EXPECT_EQ(e.error_code(), grpc::StatusCode::PERMISSION_DENIED)
          << who.name << " " << what << ": " << e.error_message();
      EXPECT_EQ(a.error_code(), e.error_code())
          << who.name << " " << what << ": " << a.error_message();
      std::string masked = a.error_message();
      if (auto at = masked.find(absent); at != std::string::npos)
        masked.replace(at, absent.size(), kPlan);
      EXPECT_EQ(masked, e.error_message()) << who.name << " " << what;
      EXPECT_EQ(e.error_message().find("units/"), std::string::npos) << e.error_message();
    }
  }
  // Its author is still told that a document does not exist.
  v1::GetSupportDocumentRequest own;
  own.set_name(absent);
  v1::SupportDocument none;
  EXPECT_EQ(plans->GetDocument(As(kAuthor).get(), own, &none).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(EdgeE2eTest, ControlCharactersInStringsAreInvalidArgument) {
  auto directory = StubTo<v1::Directory>(shared_->directory.address);
  for (const std::string& bad :
       {std::string("people/gv\0-1", 12), std::string("people/gv-1\x1b[31m"),
        std::string("people/gv-1\x7f"), std::string("people/gv-1\xC2\x85")}) {
    v1::GetPersonRequest get;
    get.set_name(bad);
    v1::Person person;
    grpc::Status s = directory->GetPerson(As(kAdmin).get(), get, &person);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_EQ(Violations(s), std::vector<std::string>{"name"});
    EXPECT_NE(s.error_message().find("ký tự điều khiển"), std::string::npos);
  }
  // Line breaks in free text are text, not control: they pass the edge.
  auto approvals = StubTo<v1::Approvals>(shared_->approvals.address);
  v1::ReturnRequest ret;
  ret.set_document("documents/gvcc-thcs-2031-m4-plan");
  ret.set_reason("Thiếu minh chứng:\n\t- biên bản\r\n");
  v1::Document d;
  EXPECT_NE(approvals->Return(As(kAdmin).get(), ret, &d).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// Every string a request carries, at any depth of its own messages, has a declared
// limit, and every request_id is at most 100 bytes (docs/api.md), including the one in
// UploadAttachment's metadata.
TEST_F(EdgeE2eTest, EveryRequestStringDeclaresItsLimitAndRequestIdsAre100Bytes) {
  std::vector<std::string> unlimited, wrong_request_id;
  std::set<const google::protobuf::Descriptor*> seen;
  std::function<void(const google::protobuf::Descriptor*)> walk =
      [&](const google::protobuf::Descriptor* d) {
        if (d->file()->package() != "bdtx.v1" || !seen.insert(d).second) return;
        for (int i = 0; i < d->field_count(); ++i) {
          const FieldDescriptor* f = d->field(i);
          const auto& rules = f->options().GetExtension(v1::field);
          if (f->type() == FieldDescriptor::TYPE_STRING) {
            if (f->name() == "request_id" && rules.max_bytes() != 100) {
              wrong_request_id.push_back(f->full_name());
            }
            if (rules.max_bytes() == 0 && rules.max_chars() == 0 &&
                f->containing_type()->full_name().find("Request") != std::string::npos) {
              unlimited.push_back(f->full_name());
            }
          }
          if (f->type() == FieldDescriptor::TYPE_MESSAGE) walk(f->message_type());
        }
      };
  for (const auto& [service, address] : Services()) {
    for (int i = 0; i < service->method_count(); ++i) walk(service->method(i)->input_type());
  }
  EXPECT_THAT(unlimited, ::testing::IsEmpty());
  EXPECT_THAT(wrong_request_id, ::testing::IsEmpty());

  auto plans = StubTo<v1::Plans>(shared_->plans.address);
  auto ctx = As(kAuthor);
  v1::Attachment attachment;
  auto writer = plans->UploadAttachment(ctx.get(), &attachment);
  v1::UploadAttachmentRequest msg;
  msg.mutable_metadata()->set_document(kPlan);
  msg.mutable_metadata()->set_file_name("ke-hoach.pdf");
  msg.mutable_metadata()->set_request_id(std::string(101, 'r'));
  writer->Write(msg);
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(Violations(s), std::vector<std::string>{"metadata.request_id"});
}

// Concurrent duplicates of one command with one request_id: exactly one is applied;
// the others replay it or are told to retry (ABORTED), and no second event is written.
TEST_F(EdgeE2eTest, ConcurrentDuplicatesApplyOnce) {
  auto plans = StubTo<v1::Plans>(shared_->plans.address);
  v1::CreatePlanRequest create;
  create.set_author(kAuthor.name);
  create.set_year(2023);
  create.set_module(5);  // the module kAssignments gives kAuthor colleagues for
  v1::SupportDocument plan;
  plans->CreatePlan(As(kAuthor).get(), create, &plan);  // or another test created it
  v1::GetSupportDocumentRequest get;
  get.set_name("documents/gvcc-thcs-2023-m5-plan");
  ASSERT_TRUE(plans->GetDocument(As(kAuthor).get(), get, &plan).ok());
  v1::ListVersionsRequest list;
  list.set_name(plan.content().name());
  v1::ListVersionsResponse before;
  ASSERT_TRUE(plans->ListVersions(As(kAuthor).get(), list, &before).ok());
  v1::UpdateSupportDocumentRequest update;
  *update.mutable_content() = plan.content();
  update.mutable_content()->mutable_header()->set_position(
      absl::StrCat("Tổ trưởng chuyên môn ", plan.version()));
  update.mutable_update_mask()->add_paths("header.position");
  update.set_request_id("dup-1");
  constexpr int kCalls = 8;
  std::vector<grpc::Status> results(kCalls);
  std::vector<v1::SupportDocument> answers(kCalls);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back(
        [&, i] { results[i] = plans->UpdateDocument(As(kAuthor).get(), update, &answers[i]); });
  }
  for (auto& t : threads) t.join();
  std::set<int64_t> versions;
  for (int i = 0; i < kCalls; ++i) {
    if (results[i].ok()) {
      versions.insert(answers[i].version());
    } else {
      EXPECT_EQ(results[i].error_code(), grpc::StatusCode::ABORTED) << results[i].error_message();
    }
  }
  EXPECT_EQ(versions.size(), 1u);
  v1::ListVersionsResponse listed;
  ASSERT_TRUE(plans->ListVersions(As(kAuthor).get(), list, &listed).ok());
  EXPECT_EQ(listed.entries_size(), before.entries_size() + 1);  // one update, not eight

  // The same in approvals: eight identical Approve calls with one id, one transition.
  auto approvals = StubTo<v1::Approvals>(shared_->approvals.address);
  v1::SubmitSupportDocumentRequest submit;
  submit.set_name(plan.content().name());
  v1::SupportDocument submitted;
  grpc::Status s = plans->SubmitDocument(As(kAuthor).get(), submit, &submitted);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::ApproveRequest approve;
  approve.set_document(plan.content().name());
  approve.set_request_id("dup-a");
  std::vector<v1::Document> approved(kCalls);
  threads.clear();
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back(
        [&, i] { results[i] = approvals->Approve(As(kLecturer).get(), approve, &approved[i]); });
  }
  for (auto& t : threads) t.join();
  versions.clear();
  for (int i = 0; i < kCalls; ++i) {
    if (results[i].ok()) {
      versions.insert(approved[i].version());
    } else {
      EXPECT_EQ(results[i].error_code(), grpc::StatusCode::ABORTED) << results[i].error_message();
    }
  }
  EXPECT_EQ(versions.size(), 1u);
  v1::ListHistoryRequest history;
  history.set_document(plan.content().name());
  v1::ListHistoryResponse events;
  ASSERT_TRUE(approvals->ListHistory(As(kAuthor).get(), history, &events).ok());
  int approvals_recorded = 0;
  for (const auto& e : events.entries()) approvals_recorded += e.event().has_lecturer_approved();
  EXPECT_EQ(approvals_recorded, 1);

  // grading: one caller's id used again for another class is REQUEST_ID_REUSED.
  EnsureM31Enrolled();
  auto grading = StubTo<v1::Grading>(shared_->grading.address);
  v1::GrantExtensionRequest extend;
  extend.set_class_name("classes/m3-1");
  extend.mutable_deadline()->set_year(2099);
  extend.mutable_deadline()->set_month(1);
  extend.mutable_deadline()->set_day(1);
  extend.set_reason("lũ");
  extend.set_request_id("dup-g");
  v1::Run run;
  s = grading->GrantExtension(As(kSo).get(), extend, &run);
  ASSERT_TRUE(s.ok()) << s.error_message();
  extend.set_class_name("classes/m3-2");
  s = grading->GrantExtension(As(kSo).get(), extend, &run);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  EXPECT_EQ(ErrorInfoOf(s).first, "REQUEST_ID_REUSED");
}

// Page tokens are opaque to clients but forged ones arrive: negative or huge numeric
// offsets must be refused, not used as an index (grading once read units[-5]).
TEST_F(EdgeE2eTest, ForgedPageTokensAreInvalidArgumentAndTheServiceSurvives) {
  EnsureM31Enrolled();
  auto grading = StubTo<v1::Grading>(shared_->grading.address);
  for (const char* token : {"-5", "-2147483648", "2147483647", "99999999999", "1e3", "x"}) {
    v1::ListStatisticsRequest list;
    list.set_unit("classes/m3-1");
    list.set_page_token(token);
    v1::ListStatisticsResponse out;
    grpc::Status s = grading->ListStatistics(As(kAdmin).get(), list, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << token << ": " << s.error_message();
  }
  v1::ListStatisticsRequest list;
  list.set_unit("classes/m3-1");
  v1::ListStatisticsResponse out;
  grpc::Status s = grading->ListStatistics(As(kAdmin).get(), list, &out);
  EXPECT_TRUE(s.ok()) << s.error_message();
  auto approvals = StubTo<v1::Approvals>(shared_->approvals.address);
  auto notifications = StubTo<v1::Notifications>(shared_->notifications.address);
  v1::ListInboxRequest inbox;
  inbox.set_page_token("-5");
  v1::ListInboxResponse inbox_out;
  EXPECT_EQ(approvals->ListInbox(As(kAuthor).get(), inbox, &inbox_out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListNotificationsRequest notes;
  notes.set_page_token("garbage");
  v1::ListNotificationsResponse notes_out;
  EXPECT_EQ(notifications->ListNotifications(As(kAuthor).get(), notes, &notes_out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// GetAssignment refuses an outsider alike for a learner who exists and one who does not
// (it answered NOT_FOUND from the directory for the one, the learner's unit for the other).
TEST_F(EdgeE2eTest, StrangerCannotTellWhetherAnAssignmentExists) {
  EnsureM31Enrolled();
  auto grading = StubTo<v1::Grading>(shared_->grading.address);
  v1::SubmitAssignmentRequest submit;
  submit.set_class_name("classes/m3-1");
  submit.set_file_ref("lms://final/gv-1.docx");
  submit.set_sha256(std::string(64, 'a'));
  submit.set_request_id("a1");
  v1::Assignment a;
  grpc::Status s = grading->SubmitAssignment(As(kStranger).get(), submit, &a);  // gv-1 learns
  ASSERT_TRUE(s.ok()) << s.error_message();
  const std::string exists = "classes/m3-1/assignments/gv-1";
  const std::string absent = "classes/m3-1/assignments/gv-404";
  const Who outsider{"people/gvcc-phong", {"CORE_TEACHER"}, "units/dx"};
  v1::GetAssignmentRequest get;
  get.set_name(exists);
  v1::Assignment out;
  grpc::Status on_existing = grading->GetAssignment(As(outsider).get(), get, &out);
  get.set_name(absent);
  grpc::Status on_absent = grading->GetAssignment(As(outsider).get(), get, &out);
  EXPECT_EQ(on_existing.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << on_existing.error_message();
  EXPECT_EQ(on_absent.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << on_absent.error_message();
  std::string masked = on_absent.error_message();
  masked.replace(masked.find(absent), absent.size(), exists);
  EXPECT_EQ(masked, on_existing.error_message());
  // The learner still reads their own.
  get.set_name(exists);
  EXPECT_TRUE(grading->GetAssignment(As(kStranger).get(), get, &out).ok());
}

// Issue 15 sweep: a class's run (graders, dates, skipped core members) is read by its
// graders, the officers of the unit running it and above, and the lecturer assigned to
// one of its core members; anyone else gets the one refusal, whether the class exists.
TEST_F(EdgeE2eTest, OnlyGradersOfficersAboveAndAssignedLecturersReadARun) {
  EnsureM31Enrolled();
  auto grading = StubTo<v1::Grading>(shared_->grading.address);
  const Who other_lecturer{"people/gvqlgd-1", {"MANAGEMENT_LECTURER"}, "units/hvqlgd"};
  const Who district_below{"people/cv-phong", {"DISTRICT_OFFICER"}, "units/dx"};
  v1::GetRunRequest get;
  get.set_class_name("classes/m3-1");
  for (const Who& reader : {kAuthor, kSo, kLecturer, kAdmin}) {
    v1::Run run;
    grpc::Status s = grading->GetRun(As(reader).get(), get, &run);
    EXPECT_TRUE(s.ok()) << reader.name << ": " << s.error_message();
    EXPECT_EQ(run.class_name(), "classes/m3-1");
  }
  for (const Who& outsider : {kStranger, kOtherTeacher, other_lecturer, district_below}) {
    v1::Run run;
    get.set_class_name("classes/m3-1");
    grpc::Status on_existing = grading->GetRun(As(outsider).get(), get, &run);
    EXPECT_EQ(on_existing.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << outsider.name << ": " << on_existing.error_message();
    EXPECT_EQ(run.ByteSizeLong(), 0u);
    get.set_class_name("classes/m3-404");
    grpc::Status on_absent = grading->GetRun(As(outsider).get(), get, &run);
    EXPECT_EQ(on_absent.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    std::string masked = on_absent.error_message();
    masked.replace(masked.find("classes/m3-404"), 14, "classes/m3-1");
    EXPECT_EQ(masked, on_existing.error_message());
  }
  // Nor do a class's statistics tell an outsider whether the class has a run.
  v1::ListStatisticsRequest stats;
  stats.set_year(2023);
  stats.set_module(3);
  v1::ListStatisticsResponse out;
  for (const char* cls : {"classes/m3-1", "classes/m3-404"}) {
    stats.set_unit(cls);
    EXPECT_EQ(grading->ListStatistics(As(kStranger).get(), stats, &out).error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << cls;
  }
}

// Issue 15 sweep: a lecturer reads the assignments graded by the core members the
// directory assigns to them (the ones they review), not every assignment in the country.
TEST_F(EdgeE2eTest, LecturersReadOnlyAssignmentsGradedByTheirCoreMembers) {
  EnsureM31Enrolled();
  auto grading = StubTo<v1::Grading>(shared_->grading.address);
  v1::SubmitAssignmentRequest submit;  // as GradingRequestIdsAreBoundToo sends it
  submit.set_class_name("classes/m3-1");
  submit.set_file_ref("lms://final/gv-1.docx");
  submit.set_sha256(std::string(64, 'a'));
  submit.set_request_id("a1");
  v1::Assignment a;
  ASSERT_TRUE(grading->SubmitAssignment(As(kStranger).get(), submit, &a).ok());
  const Who other_lecturer{"people/gvqlgd-1", {"MANAGEMENT_LECTURER"}, "units/hvqlgd"};
  v1::GetAssignmentRequest get;
  get.set_name(a.name());
  v1::Assignment out;
  // Not graded yet: no lecturer has anything to review in it.
  EXPECT_EQ(grading->GetAssignment(As(other_lecturer).get(), get, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::GradeRequest grade;
  grade.set_assignment(a.name());
  grade.set_verdict(v1::PASS);
  grade.set_has_score(true);
  grade.set_score(8);
  grade.set_request_id("a1");
  v1::Assignment graded;
  grpc::Status s = grading->Grade(As(kAuthor).get(), grade, &graded);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // Graded by gvcc-thcs, whose lecturer for 2023 module 3 is gvsp-1.
  s = grading->GetAssignment(As(kLecturer).get(), get, &out);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.name(), a.name());
  out.Clear();
  s = grading->GetAssignment(As(other_lecturer).get(), get, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_EQ(out.ByteSizeLong(), 0u);
}

// Issue 15 §1 for notifications SetPreferences (AIP-154 + AIP-155): a write naming the
// etag it read is refused (ABORTED) once someone else changed the preferences, and a
// late retry of a request_id answers its first result without undoing a later change.
TEST_F(EdgeE2eTest, PreferencesWritesAreBoundToTheEtagReadAndRetriesNeverUndoALaterChange) {
  auto notifications = StubTo<v1::Notifications>(shared_->notifications.address);
  const Who person = kOtherTeacher;
  v1::Preferences read;
  ASSERT_TRUE(
      notifications->GetPreferences(As(person).get(), v1::GetPreferencesRequest(), &read).ok());
  ASSERT_FALSE(read.etag().empty());
  auto set = [&](bool email, const std::string& etag, const std::string& id, v1::Preferences* out,
                 const Who& who) {
    v1::SetPreferencesRequest req;
    req.mutable_preferences()->set_email(email);
    req.mutable_preferences()->set_email_digest_daily(true);
    req.mutable_preferences()->set_etag(etag);
    req.set_request_id(id);
    return notifications->SetPreferences(As(who).get(), req, out);
  };
  v1::Preferences first, again, later, nothing;
  grpc::Status s = set(false, read.etag(), "p1", &first, person);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(first.email());
  EXPECT_NE(first.etag(), read.etag());
  // A write over the version read before p1: refused, nothing written.
  s = set(true, read.etag(), "", &nothing, person);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED) << s.error_message();
  // The retry of p1: the first answer.
  ASSERT_TRUE(set(false, read.etag(), "p1", &again, person).ok());
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  // A later change over the current etag, then a late retry of p1: p1's answer, and the
  // later change stands.
  ASSERT_TRUE(set(true, first.etag(), "p2", &later, person).ok());
  again.Clear();
  ASSERT_TRUE(set(false, read.etag(), "p1", &again, person).ok());
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  v1::Preferences now;
  ASSERT_TRUE(
      notifications->GetPreferences(As(person).get(), v1::GetPreferencesRequest(), &now).ok());
  EXPECT_TRUE(now.email()) << "a late retry of p1 must not undo p2";
  EXPECT_EQ(now.etag(), later.etag());
  // p1 reused for another request: REQUEST_ID_REUSED naming SetPreferences.
  s = set(true, "", "p1", &nothing, person);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  EXPECT_EQ(ErrorInfoOf(s).first, "REQUEST_ID_REUSED");
  EXPECT_EQ(ErrorInfoOf(s).second["method"], "/bdtx.v1.Notifications/SetPreferences");
  EXPECT_EQ(nothing.ByteSizeLong(), 0u);
  // Another person's p1 is theirs: their own preferences are written.
  v1::Preferences theirs;
  ASSERT_TRUE(set(false, "", "p1", &theirs, kStranger).ok());
  EXPECT_EQ(theirs.person(), kStranger.name);
}

}  // namespace
}  // namespace bdtx
