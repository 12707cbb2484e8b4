// End to end through the gateway: real bdtx-directory, -grading, -approvals, -plans,
// -notifications and -gateway processes on loopback, driven only over HTTP with
// libcurl as a web or mobile client would. The seed sequence (a core teacher's plan
// signed off online; a THCS manager's plan signed off SCANNED with an uploaded scan),
// the notifications watch as Server-Sent Events, every error class with its HTTP status
// and AIP-193 body, gRPC-Web framing, CORS, limits, health and metrics.
#include <curl/curl.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <fstream>
#include <map>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bdtx/v1/approvals.pb.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "bdtx/v1/plans.pb.h"
#include "bdtx/v1/support.pb.h"
#include "common/testing/temp_dir.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "services/directory/testing/fake_directory.h"
#include "tests/e2e_support.h"
#include "tests/http_support.h"

namespace bdtx {
namespace {

using ::bdtx::testing::As;
using ::bdtx::testing::ExpectAip193;
using ::bdtx::testing::Http;
using ::bdtx::testing::Json;
using ::bdtx::testing::Response;
using ::bdtx::testing::Running;
using ::bdtx::testing::Sink;
using ::bdtx::testing::StartService;
using ::bdtx::testing::Who;
using ::bdtx::testing::WriteBody;

const Who kTeacher{"people/gvcc-thcs", {"CORE_TEACHER", "REPORTER"}, "units/thcs-tanphu"};
const Who kLecturer{"people/gvsp-1", {"PEDAGOGY_LECTURER"}, "units/dhsp"};
const Who kPrincipal{"people/ht-thcs", {"PRINCIPAL", "CORE_MANAGER"}, "units/thcs-tanphu"};
const Who kManager{"people/cbqlcc-dx-lower", {"CORE_MANAGER"}, "units/thcsthpt-dx"};
const Who kManagerLecturer{"people/gvqlgd-1", {"MANAGEMENT_LECTURER"}, "units/hvqlgd"};
const Who kOtherTeacher{"people/gvcc-phong", {"CORE_TEACHER"}, "units/dx"};

constexpr char kManagerSupport[] =
    "year,module,kind,from_id,to_id\n"
    "2023,4,support,cbqlcc-dx-lower,cbqlcc-dx-upper\n";

class GatewayE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { curl_global_init(CURL_GLOBAL_DEFAULT); }

  void SetUp() override {
    auto directory =
        testing::StartDirectory(BDTX_DIRECTORY_PATH, dir_.Sub("directory"), Key(), tokens_,
                                {{v1::UNITS, directory::kSampleUnits},
                                 {v1::PEOPLE, directory::kSamplePeople},
                                 {v1::ASSIGNMENTS, directory::kSampleAssignments},
                                 {v1::ASSIGNMENTS, kManagerSupport}});
    ASSERT_TRUE(directory.ok()) << directory.status();
    directory_ = *std::move(directory);
    const std::string d = "--directory=" + directory_.address;
    auto grading = StartService(BDTX_GRADING_PATH, {"--data_dir=" + dir_.Sub("grading"), Key(), d});
    ASSERT_TRUE(grading.ok()) << grading.status();
    grading_ = *std::move(grading);
    auto approvals =
        StartService(BDTX_APPROVALS_PATH, {"--data_dir=" + dir_.Sub("approvals"), Key(), d});
    ASSERT_TRUE(approvals.ok()) << approvals.status();
    approvals_ = *std::move(approvals);
    auto support = StartService(BDTX_SUPPORT_PATH, {"--data_dir=" + dir_.Sub("support"), Key(), d});
    ASSERT_TRUE(support.ok()) << support.status();
    support_ = *std::move(support);
    auto plans = StartService(BDTX_PLANS_PATH,
                              {"--data_dir=" + dir_.Sub("plans"), Key(), d,
                               "--approvals=" + approvals_.address, "--grading=" + grading_.address,
                               "--support=" + support_.address, "--max_attachment_bytes=200000"});
    ASSERT_TRUE(plans.ok()) << plans.status();
    plans_ = *std::move(plans);
    auto notifications = StartService(
        BDTX_NOTIFICATIONS_PATH,
        {"--data_dir=" + dir_.Sub("notifications"), Key(), d, "--approvals=" + approvals_.address,
         "--grading=" + grading_.address, "--support=" + support_.address});
    ASSERT_TRUE(notifications.ok()) << notifications.status();
    notifications_ = *std::move(notifications);
    StartGateway({});
  }

  void StartGateway(std::vector<std::string> extra) {
    std::vector<std::string> args = {
        "--directory=" + directory_.address,         "--plans=" + plans_.address,
        "--approvals=" + approvals_.address,         "--grading=" + grading_.address,
        "--notifications=" + notifications_.address, "--support=" + support_.address,
        "--cors_origins=https://app.bdtx.test"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto gateway = StartService(BDTX_GATEWAY_PATH, args);
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);
    base_ = "http://" + gateway_.address;
  }

  std::string Key() const { return "--auth_key_file=" + dir_.Sub("auth.key"); }
  std::string Bearer(const Who& who) const { return "Authorization: Bearer " + tokens_.For(who); }

  Response Call(const Who& who, const std::string& method, const std::string& path,
                const std::string& body = "") {
    std::vector<std::string> headers = {Bearer(who)};
    if (!body.empty()) headers.push_back("Content-Type: application/json");
    return Http(method, base_ + path, headers, body);
  }

  testing::TempDir dir_;
  testing::Tokens tokens_{dir_.Sub("auth.key")};
  Running directory_, grading_, approvals_, support_, plans_, notifications_, gateway_;
  std::string base_;
};

std::string Pdf(size_t size) {
  std::string out = "%PDF-1.4\n% scanned, signed and stamped\n";
  while (out.size() < size - 6) out += static_cast<char>('a' + out.size() % 26);
  return out + "%%EOF\n";
}

TEST_F(GatewayE2eTest, SeedSequenceOverRestWithLiveNotifications) {
  // The principal watches their notifications as Server-Sent Events.
  std::atomic<bool> got_event{false};
  std::string events;
  std::thread watcher([&] {
    Response r = Http("GET", base_ + "/v1/notifications:watch",
                      {Bearer(kPrincipal), "Accept: text/event-stream"}, "", 20000, "data: {");
    events = r.body;
    got_event = absl::StrContains(r.body, "data: {");
  });

  // Core teacher creates and submits the module-4 plan.
  Response r = Call(kTeacher, "POST", "/v1/plans",
                    R"({"author":"people/gvcc-thcs","year":2023,"module":4,"requestId":"c1"})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto plan = As<v1::SupportDocument>(r.body);
  EXPECT_EQ(plan.content().name(), "documents/gvcc-thcs-2023-m4-plan");
  EXPECT_EQ(plan.version(), 1);
  r = Call(kTeacher, "GET", "/v1/documents?author=people%2Fgvcc-thcs&year=2023&pageSize=10");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(As<v1::ListSupportDocumentsResponse>(r.body).documents_size(), 1);
  r = Call(kTeacher, "POST", "/v1/documents/gvcc-thcs-2023-m4-plan:submit", "{}");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(As<v1::SupportDocument>(r.body).approval_state(), v1::SUBMITTED);

  // The lecturer approves; the principal signs off online.
  r = Call(kLecturer, "GET", "/v1/inbox?pageSize=10");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(absl::StrContains(r.body, "documents/gvcc-thcs-2023-m4-plan")) << r.body;
  r = Call(kLecturer, "POST", "/v1/documents/gvcc-thcs-2023-m4-plan:approve",
           R"({"comment":"Đạt"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(As<v1::Document>(r.body).state(), v1::LECTURER_APPROVED);
  r = Call(kPrincipal, "POST", "/v1/documents/gvcc-thcs-2023-m4-plan:signOff",
           R"({"method":"ONLINE"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(As<v1::Document>(r.body).state(), v1::SIGNED_OFF);
  r = Call(kTeacher, "GET", "/v1/documents/gvcc-thcs-2023-m4-plan/approval");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(As<v1::Document>(r.body).state(), v1::SIGNED_OFF);
  r = Call(kTeacher, "GET", "/v1/documents/gvcc-thcs-2023-m4-plan:verifyChain");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(As<v1::VerifyChainResponse>(r.body).intact());

  // A THCS manager's plan: signed off SCANNED by whoever routing names, with the scan
  // uploaded (streamed) and downloaded back byte for byte.
  r = Call(kManager, "POST", "/v1/plans",
           R"({"author":"people/cbqlcc-dx-lower","year":2023,"module":4})");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string doc = "/v1/documents/cbqlcc-dx-lower-2023-m4-plan";
  ASSERT_EQ(Call(kManager, "POST", doc + ":submit", "{}").status, 200);
  r = Call(kManagerLecturer, "POST", doc + ":approve", "{}");
  ASSERT_EQ(r.status, 200) << r.body;
  r = Call(kManager, "GET", "/v1/people/cbqlcc-dx-lower/routing?kind=PLAN&year=2023&module=4");
  ASSERT_EQ(r.status, 200) << r.body;
  auto routing = As<v1::Routing>(r.body);
  ASSERT_GT(routing.sign_off().people_size(), 0) << r.body;
  r = Call(kManager, "GET", "/v1/" + routing.sign_off().people(0));
  ASSERT_EQ(r.status, 200) << r.body;
  auto signer_person = As<v1::Person>(r.body);
  Who signer{signer_person.name(), {}, signer_person.home_unit()};
  for (int role : signer_person.roles()) signer.roles.push_back(v1::Role_Name(role));

  const std::string scan = Pdf(150000);
  r = Http("POST", base_ + doc + "/attachments?metadata.fileName=ke-hoach-da-ky.pdf",
           {Bearer(signer), "Content-Type: application/pdf"}, scan);
  ASSERT_EQ(r.status, 200) << r.body;
  auto attachment = As<v1::Attachment>(r.body);
  EXPECT_EQ(attachment.size(), static_cast<int64_t>(scan.size()));
  EXPECT_EQ(attachment.media_type(), "application/pdf");
  r = Http("GET", base_ + doc + "/attachments/" + attachment.sha256(), {Bearer(signer)});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-type"), "application/octet-stream");
  EXPECT_TRUE(r.body == scan) << "downloaded " << r.body.size() << " bytes";
  r = Call(signer, "POST", doc + ":signOff",
           absl::StrCat(R"({"method":"SCANNED","evidenceSha256":")", attachment.sha256(),
                        R"(","evidenceReference":")", attachment.reference(),
                        R"(","evidenceReceipt":")", attachment.receipt(), R"("})"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(As<v1::Document>(r.body).state(), v1::SIGNED_OFF);
  auto m = As<v1::SupportDocument>(Call(kManager, "GET", doc).body);
  EXPECT_EQ(m.approval_state(), v1::SIGNED_OFF);
  EXPECT_EQ(m.attachments_size(), 1);

  // The printable form as its own media type (response_body).
  r = Call(kTeacher, "GET", "/v1/documents/gvcc-thcs-2023-m4-plan:render");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(absl::StartsWith(r.Header("content-type"), "text/html")) << r.Header("content-type");

  watcher.join();
  EXPECT_TRUE(got_event) << events;
}

TEST_F(GatewayE2eTest, PeerSupportOverRest) {
  const Who colleague{"people/gv-1", {"MASS_TEACHER"}, "units/thcs-tanphu"};
  const std::string ask =
      R"({"year":2023,"module":4,"channel":"SUPPORT_CHANNEL_CHAT","text":"Hỏi về mô đun 4?",)"
      R"("requestId":"q1"})";
  Response r = Call(colleague, "POST", "/v1/questions", ask);
  ASSERT_EQ(r.status, 200) << r.body;
  auto question = As<v1::Question>(r.body);
  EXPECT_EQ(question.core_member(), kTeacher.name);
  // A retry answers the same question; the id reused for another text is 409.
  r = Call(colleague, "POST", "/v1/questions", ask);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(As<v1::Question>(r.body).name(), question.name());
  r = Call(colleague, "POST", "/v1/questions",
           R"({"year":2023,"module":4,"channel":"SUPPORT_CHANNEL_CHAT","text":"Khác",)"
           R"("requestId":"q1"})");
  ExpectAip193(r, 409, "ALREADY_EXISTS", "google.rpc.ErrorInfo");
  // The core member answers through the custom method; the asker reads it back.
  r = Call(kTeacher, "POST", "/v1/" + question.name() + ":answer",
           R"({"text":"Xem phụ lục 1.","requestId":"a1"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(As<v1::Question>(r.body).state(), v1::QUESTION_ANSWERED);
  r = Call(colleague, "GET", "/v1/" + question.name());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(As<v1::Question>(r.body).state(), v1::QUESTION_ANSWERED);
  r = Call(colleague, "GET", "/v1/questions?view=ASKED_BY_ME");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(As<v1::ListQuestionsResponse>(r.body).questions_size(), 1);
  // A text past 4,000 characters is refused at the edge with the field named.
  r = Call(colleague, "POST", "/v1/questions",
           absl::StrCat(R"({"year":2023,"module":4,"channel":"SUPPORT_CHANNEL_CHAT","text":")",
                        std::string(4001, 'a'), R"("})"));
  ExpectAip193(r, 400, "INVALID_ARGUMENT", "google.rpc.BadRequest");

  // Plan vs done (support asks plans for the plan): support restarted knowing plans, the
  // gateway with the new support.
  support_ = {};
  auto support = StartService(BDTX_SUPPORT_PATH,
                              {"--data_dir=" + dir_.Sub("support"), Key(),
                               "--directory=" + directory_.address, "--plans=" + plans_.address});
  ASSERT_TRUE(support.ok()) << support.status();
  support_ = *std::move(support);
  gateway_ = {};
  StartGateway({});
  r = Call(kTeacher, "POST", "/v1/plans",
           R"({"author":"people/gvcc-thcs","year":2023,"module":4})");
  ASSERT_EQ(r.status, 200) << r.body;
  r = Call(kTeacher, "POST", "/v1/supportActivities",
           R"({"year":2023,"module":4,"row":"SUPPORT_ROW_ONLINE","form":"Nhóm Zalo",)"
           R"("date":{"year":2023,"month":10,"day":2},"participants":["people/gv-1"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string progress_path =
      "/v1/people/gvcc-thcs/supportActivityProgress?year=2023&module=4";
  r = Call(kTeacher, "GET", progress_path);
  ASSERT_EQ(r.status, 200) << r.body;
  auto progress = As<v1::ActivityProgress>(r.body);
  EXPECT_EQ(progress.plan(), "documents/gvcc-thcs-2023-m4-plan");
  EXPECT_EQ(progress.plan_state(), v1::DRAFT);
  EXPECT_EQ(progress.unplanned_total(), 1);  // the fresh plan names no sub-rows
  ExpectAip193(Call(colleague, "GET", progress_path), 403, "PERMISSION_DENIED");
  ExpectAip193(Call(kTeacher, "GET", "/v1/people/gvcc-thcs/supportActivityProgress?year=2023"), 400,
               "INVALID_ARGUMENT");
}

// The value of "field" in one JSON log line ("" when absent).
std::string LogField(const std::string& line, const std::string& field) {
  const std::string key = absl::StrCat("\"", field, "\":\"");
  const size_t at = line.find(key);
  if (at == std::string::npos) return "";
  const size_t from = at + key.size();
  return line.substr(from, line.find('"', from) - from);
}

// The one log line of `output` with this msg, method (when given) and trace_id.
std::string TraceLine(const std::string& output, const std::string& msg, const std::string& method,
                      const std::string& trace_id) {
  std::string found;
  for (absl::string_view l : absl::StrSplit(output, '\n')) {
    const std::string line(l);
    if (LogField(line, "msg") == msg && LogField(line, "trace_id") == trace_id &&
        (method.empty() || LogField(line, "method") == method)) {
      EXPECT_TRUE(found.empty()) << "two lines: " << found << "\n" << line;
      found = line;
    }
  }
  return found;
}

TEST_F(GatewayE2eTest, OneSubmitIsFollowedByItsTraceparentFromHttpToTheDirectory) {
  Response r = Call(kTeacher, "POST", "/v1/plans",
                    R"({"author":"people/gvcc-thcs","year":2023,"module":4,"requestId":"t1"})");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string trace_id = "0af7651916cd43dd8448eb211c80319c";
  const std::string client_span = "b7ad6b7169203331";
  r = Http("POST", base_ + "/v1/documents/gvcc-thcs-2023-m4-plan:submit",
           {Bearer(kTeacher), "Content-Type: application/json",
            "traceparent: 00-" + trace_id + "-" + client_span + "-01"},
           "{}");
  ASSERT_EQ(r.status, 200) << r.body;

  // gateway -> plans -> approvals -> directory, each a child of the one before.
  ASSERT_TRUE(directory_.process->WaitForOutput(trace_id, absl::Seconds(10)));
  ASSERT_TRUE(gateway_.process->WaitForOutput(trace_id, absl::Seconds(10)));
  const std::string gateway = TraceLine(gateway_.process->Output(), "request", "POST", trace_id);
  ASSERT_FALSE(gateway.empty()) << gateway_.process->Output();
  EXPECT_EQ(LogField(gateway, "parent_span_id"), client_span);
  EXPECT_EQ(LogField(gateway, "status"), "200");
  const std::string plans =
      TraceLine(plans_.process->Output(), "call", "/bdtx.v1.Plans/SubmitDocument", trace_id);
  ASSERT_FALSE(plans.empty()) << plans_.process->Output();
  EXPECT_EQ(LogField(plans, "parent_span_id"), LogField(gateway, "span_id"));
  const std::string approvals =
      TraceLine(approvals_.process->Output(), "call", "/bdtx.v1.Approvals/Submit", trace_id);
  ASSERT_FALSE(approvals.empty()) << approvals_.process->Output();
  EXPECT_EQ(LogField(approvals, "parent_span_id"), LogField(plans, "span_id"));
  const std::string directory =
      TraceLine(directory_.process->Output(), "call", "/bdtx.v1.Directory/RouteDocument", trace_id);
  ASSERT_FALSE(directory.empty()) << directory_.process->Output();
  EXPECT_EQ(LogField(directory, "parent_span_id"), LogField(approvals, "span_id"));
}

TEST_F(GatewayE2eTest, EveryErrorClassHasItsStatusAndAnAip193Body) {
  const std::string plan = "/v1/documents/gvcc-thcs-2023-m4-plan";
  // 401: no token.
  ExpectAip193(Http("GET", base_ + plan), 401, "UNAUTHENTICATED");
  // 400: bad JSON, unknown field, bad query value, query on a body-"*" route.
  ExpectAip193(Call(kTeacher, "POST", "/v1/plans", "{nope"), 400, "INVALID_ARGUMENT");
  ExpectAip193(Call(kTeacher, "POST", "/v1/plans", R"({"colour":"red"})"), 400, "INVALID_ARGUMENT");
  ExpectAip193(Call(kTeacher, "GET", "/v1/documents?year=abc"), 400, "INVALID_ARGUMENT");
  // 400 with BadRequest from the service: module out of range.
  ExpectAip193(Call(kTeacher, "POST", "/v1/plans",
                    R"({"author":"people/gvcc-thcs","year":2023,"module":99})"),
               400, "INVALID_ARGUMENT");
  // 403: another teacher's plan.
  ExpectAip193(Call(kOtherTeacher, "POST", "/v1/plans",
                    R"({"author":"people/gvcc-thcs","year":2023,"module":4})"),
               403, "PERMISSION_DENIED");
  // 404: no such document; no such route.
  ExpectAip193(Call(kTeacher, "GET", plan), 404, "NOT_FOUND");
  ExpectAip193(Call(kTeacher, "GET", "/v1/nothing/here"), 404, "NOT_FOUND");
  // 409 ALREADY_EXISTS: the same plan twice (without the same request id).
  const std::string create = R"({"author":"people/gvcc-thcs","year":2023,"module":4})";
  ASSERT_EQ(Call(kTeacher, "POST", "/v1/plans", create).status, 200);
  ExpectAip193(Call(kTeacher, "POST", "/v1/plans", create), 409, "ALREADY_EXISTS");
  // 403: a lecturer approving a plan never submitted learns nothing of the draft (one
  // refusal whether it exists, issue 15).
  ExpectAip193(Call(kLecturer, "POST", plan + ":approve", "{}"), 403, "PERMISSION_DENIED");
  // 409 ABORTED: a stale expected version.
  ExpectAip193(Call(kTeacher, "POST", plan + ":submit", R"({"expectedVersion":"7"})"), 409,
               "ABORTED");
  // 405: a path that exists with another method.
  ExpectAip193(Call(kTeacher, "DELETE", plan), 405, "UNIMPLEMENTED");
  // 415: a JSON route with another body type.
  ExpectAip193(
      Http("POST", base_ + "/v1/plans", {Bearer(kTeacher), "Content-Type: text/plain"}, create),
      415, "INVALID_ARGUMENT");
  // 413: a body over the limit.
  ExpectAip193(Call(kTeacher, "POST", "/v1/plans",
                    R"({"requestId":")" + std::string(2 << 20, 'x') + R"("})"),
               413, "RESOURCE_EXHAUSTED");
}

TEST_F(GatewayE2eTest, UnavailableBackendIs503AndNotReady) {
  ASSERT_EQ(Http("GET", base_ + "/readyz").status, 200);
  notifications_.process.reset();  // stops it
  Response r = Call(kPrincipal, "GET", "/v1/notifications");
  ExpectAip193(r, 503, "UNAVAILABLE");
  // The transport's text (internal addresses) stays in the gateway's log.
  EXPECT_FALSE(absl::StrContains(r.body, "127.0.0.1")) << r.body;
  r = Http("GET", base_ + "/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_TRUE(absl::StrContains(r.body, R"("bdtx.v1.Notifications":"UNAVAILABLE")")) << r.body;
  EXPECT_EQ(Http("GET", base_ + "/healthz").status, 200);
}

TEST_F(GatewayE2eTest, RateLimitAnswers429WithRetryAfterPerClient) {
  // Behind a trusted load balancer (loopback here) the client is X-Forwarded-For's last.
  // 0.01/s: no token comes back during the test, however slow the machine.
  StartGateway({"--rate_limit=0.01", "--rate_burst=3", "--trusted_proxies=127.0.0.1"});
  auto get = [&](const std::string& client) {
    return Http("GET", base_ + "/v1/documents?author=people%2Fgvcc-thcs",
                {Bearer(kTeacher), "X-Forwarded-For: 203.0.113.9, " + client});
  };
  Response r;
  for (int i = 0; i < 6 && r.status != 429; ++i) r = get("10.0.0.1");
  ExpectAip193(r, 429, "RESOURCE_EXHAUSTED");
  EXPECT_GE(std::stoi(r.Header("retry-after")), 1);
  EXPECT_EQ(get("10.0.0.2").status, 200);  // another client is not held back
}

// Several requests on one kept-alive connection (curl reuses it), and the process
// stops cleanly on SIGTERM with nothing leaked (ASan) while a live stream is open.
TEST_F(GatewayE2eTest, KeepAliveAndCleanShutdownWithAnOpenStream) {
  CURL* curl = curl_easy_init();
  std::string body;
  Sink sink{&body, ""};
  curl_slist* headers = curl_slist_append(nullptr, Bearer(kLecturer).c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  for (int i = 0; i < 3; ++i) {
    body.clear();
    curl_easy_setopt(curl, CURLOPT_URL, (base_ + "/v1/inbox").c_str());
    ASSERT_EQ(curl_easy_perform(curl), CURLE_OK);
    long code = 0, connects = -1;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
    EXPECT_EQ(code, 200) << body;
    if (i > 0) {
      EXPECT_EQ(connects, 0) << "request " << i << " opened a new connection";
    }
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);

  std::thread watcher(
      [&] { Http("GET", base_ + "/v1/notifications:watch", {Bearer(kPrincipal)}, "", 5000); });
  absl::SleepFor(absl::Milliseconds(500));
  gateway_.process->Signal(SIGTERM);
  auto status = gateway_.process->WaitExit(absl::Seconds(15));
  watcher.join();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << gateway_.process->Output();
}

// /openapi.json is the document written at build time; /docs serves Swagger UI from
// the npm package folder, and nothing outside its fixed file list.
TEST_F(GatewayE2eTest, OpenApiDocumentAndDocsViewer) {
  StartGateway({std::string("--docs_dir=") + BDTX_WEB_TESTS_DIR + "/node_modules/swagger-ui-dist"});
  Response r = Http("GET", base_ + "/openapi.json");
  ASSERT_EQ(r.status, 200);
  std::ifstream file(BDTX_OPENAPI_PATH);
  const std::string built((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_FALSE(built.empty());
  EXPECT_TRUE(r.body == built) << "served and built OpenAPI documents differ";
  r = Http("GET", base_ + "/docs");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(absl::StrContains(r.body, "/docs/swagger-ui-bundle.js")) << r.body;
  EXPECT_TRUE(absl::StrContains(r.Header("content-security-policy"), "script-src") ||
              absl::StrContains(r.Header("content-security-policy"), "default-src 'self'"));
  r = Http("GET", base_ + "/docs/swagger-ui-bundle.js");
  EXPECT_EQ(r.status, 200);
  EXPECT_GT(r.body.size(), 100000u);
  EXPECT_EQ(Http("GET", base_ + "/docs/package.json").status, 404);
  EXPECT_EQ(Http("GET", base_ + "/docs/..%2F..%2Fpackage.json").status, 404);
}

// What the document says about tokens is what the services do: every operation it
// secures refuses a call without one (401 UNAUTHENTICATED), and those it marks public
// (security: []) are exactly the sign-in routes that answer without one.
TEST_F(GatewayE2eTest, TheDocumentsSecurityMatchesWhatEveryRouteDemands) {
  google::protobuf::Struct doc = Json(Http("GET", base_ + "/openapi.json").body);
  int secured = 0;
  std::vector<std::string> public_routes;
  for (const auto& [path, item] : doc.fields().at("paths").struct_value().fields()) {
    for (const auto& [verb, op] : item.struct_value().fields()) {
      std::string url = base_;
      for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
        // "{documentsId}:approve" -> "x:approve"
        std::string segment(part);
        if (const size_t open = segment.find('{'); open != std::string::npos) {
          segment.replace(open, segment.find('}') - open + 1, "x");
        }
        absl::StrAppend(&url, "/", segment);
      }
      const auto& fields = op.struct_value().fields();
      const auto& security = fields.at("security").list_value();
      // A body only where the operation takes one; streams (SSE) answer 200 at once and
      // report the backend's refusal as their `event: error` (docs/gateway.md).
      std::string body, type = "Content-Type: application/json";
      if (fields.count("requestBody")) {
        const auto& content =
            fields.at("requestBody").struct_value().fields().at("content").struct_value();
        body = content.fields().count("application/json") ? "{}" : "bytes";
        if (body == "bytes") type = "Content-Type: application/octet-stream";
      }
      // The authenticator's sentence (common/auth/authenticator.cc), in Vietnamese.
      Response r =
          Http(absl::AsciiStrToUpper(verb), url, {type}, body, 10000, "thiếu bearer token");
      if (security.values_size() == 0) {
        public_routes.push_back(absl::StrCat(absl::AsciiStrToUpper(verb), " ", path));
        EXPECT_FALSE(absl::StrContains(r.body, "thiếu bearer token")) << path << r.body;
        continue;
      }
      ++secured;
      if (absl::StrContains(r.Header("content-type"), "text/event-stream")) {
        EXPECT_EQ(r.status, 200) << verb << " " << path << ": " << r.body;
        EXPECT_TRUE(absl::StrContains(r.body, "event: error")) << path << r.body;
        EXPECT_TRUE(absl::StrContains(r.body, "UNAUTHENTICATED")) << path << r.body;
      } else {
        EXPECT_EQ(r.status, 401) << verb << " " << path << ": " << r.body;
      }
      EXPECT_TRUE(absl::StrContains(r.body, "thiếu bearer token")) << path << r.body;
    }
  }
  EXPECT_GT(secured, 60);
  EXPECT_THAT(public_routes,
              ::testing::UnorderedElementsAre("POST /v1/sessions", "POST /v1/sessions:refresh",
                                              "DELETE /v1/sessions", "POST /v1/accounts:activate"));
}

// The streamed CSV import over HTTP: the raw file is the body, its settings the query
// (the route's body is the bytes field `content`; a JSON body could never stream).
TEST_F(GatewayE2eTest, LargeCsvImportsStreamOverHttp) {
  const Who admin{"operators/admin", {"SYSTEM_ADMIN"}, ""};
  std::string csv = directory::kSampleUnits;
  Response r = Http("POST",
                    base_ +
                        "/v1/directory:importCsvStream?kind=UNITS&fileName=units.csv&"
                        "validateOnly=true&requestId=rest-import-1",
                    {Bearer(admin), "Content-Type: text/csv"}, csv);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto result = As<v1::ImportCsvResponse>(r.body);
  EXPECT_GT(result.rows(), 5) << r.body;
  EXPECT_EQ(result.sha256().size(), 64u) << r.body;
  // A JSON body is not what this route takes: its body is the file (not a CSV here).
  r = Http("POST", base_ + "/v1/directory:importCsvStream?kind=UNITS",
           {Bearer(admin), "Content-Type: application/json"}, R"({"content":"eA=="})");
  EXPECT_EQ(r.status, 400) << r.body;
}

TEST_F(GatewayE2eTest, CorsSecurityHeadersAndMetrics) {
  Response r = Http("OPTIONS", base_ + "/v1/plans",
                    {"Origin: https://app.bdtx.test", "Access-Control-Request-Method: POST"});
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.Header("access-control-allow-origin"), "https://app.bdtx.test");
  EXPECT_TRUE(absl::StrContains(r.Header("access-control-allow-headers"), "authorization"));
  r = Http("OPTIONS", base_ + "/v1/plans", {"Origin: https://evil.test"});
  EXPECT_EQ(r.status, 403);
  r = Http("GET", base_ + "/v1/inbox", {Bearer(kLecturer), "Origin: https://evil.test"});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("access-control-allow-origin"), "");
  EXPECT_EQ(r.Header("x-content-type-options"), "nosniff");
  EXPECT_EQ(r.Header("x-frame-options"), "DENY");
  // The gateway counts a request once its last bytes are written, which may be just
  // after the client has read them: look again for a little while.
  const std::string counted = R"(bdtx_gateway_requests_total{code="200",route="GET /v1/inbox"})";
  for (absl::Time until = absl::Now() + absl::Seconds(5); absl::Now() < until;) {
    r = Http("GET", base_ + "/metrics");
    if (r.status != 200 || absl::StrContains(r.body, counted)) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(absl::StrContains(r.body, counted)) << r.body;
  EXPECT_TRUE(absl::StrContains(r.body, "bdtx_gateway_request_duration_seconds_bucket")) << r.body;
}

// gRPC-Web framing by hand (the npm client test covers a real client): a unary call
// in binary and text form, and an error in the trailer frame.
TEST_F(GatewayE2eTest, GrpcWebUnaryBinaryAndText) {
  v1::GetPersonRequest req;
  req.set_name("people/gvcc-thcs");
  std::string msg = req.SerializeAsString();
  std::string frame(5, '\0');
  frame[4] = static_cast<char>(msg.size());
  frame += msg;
  Response r =
      Http("POST", base_ + "/bdtx.v1.Directory/GetPerson",
           {Bearer(kTeacher), "Content-Type: application/grpc-web+proto", "X-Grpc-Web: 1"}, frame);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-type"), "application/grpc-web+proto");
  ASSERT_GT(r.body.size(), 5u);
  ASSERT_EQ(r.body[0], 0);
  const uint32_t n = (uint8_t(r.body[1]) << 24) | (uint8_t(r.body[2]) << 16) |
                     (uint8_t(r.body[3]) << 8) | uint8_t(r.body[4]);
  v1::Person person;
  ASSERT_TRUE(person.ParseFromString(r.body.substr(5, n)));
  EXPECT_EQ(person.display_name(), "Nguyễn Văn An");
  EXPECT_TRUE(absl::StrContains(r.body.substr(5 + n), "grpc-status:0"));

  r = Http("POST", base_ + "/bdtx.v1.Directory/GetPerson",
           {Bearer(kTeacher), "Content-Type: application/grpc-web-text"},
           absl::Base64Escape(frame));
  ASSERT_EQ(r.status, 200);
  std::string decoded, part;
  // Segments are base64 each (one per frame).
  for (size_t at = 0; at < r.body.size();) {
    size_t end = at;
    while (end < r.body.size() && r.body[end] != '=') ++end;
    while (end < r.body.size() && r.body[end] == '=') ++end;
    ASSERT_TRUE(absl::Base64Unescape(r.body.substr(at, end - at), &part));
    decoded += part;
    at = end;
  }
  EXPECT_TRUE(absl::StrContains(decoded, "Nguyễn Văn An"));
  EXPECT_TRUE(absl::StrContains(decoded, "grpc-status:0"));

  req.set_name("people/nobody");
  msg = req.SerializeAsString();
  frame = std::string(5, '\0');
  frame[4] = static_cast<char>(msg.size());
  frame += msg;
  r = Http("POST", base_ + "/bdtx.v1.Directory/GetPerson",
           {Bearer(kTeacher), "Content-Type: application/grpc-web+proto"}, frame);
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(absl::StrContains(r.body, "grpc-status:5")) << r.body;
}

}  // namespace
}  // namespace bdtx

namespace bdtx {
namespace {

// The npm gRPC-Web client (tests/web/grpc_web_client.mjs, @connectrpc/connect-node):
// the seed sequence and a live notifications stream, as a browser app would.
TEST_F(GatewayE2eTest, NpmGrpcWebClientDrivesTheSequenceAndALiveStream) {
  const std::string tokens =
      absl::StrCat(R"({"teacher":")", tokens_.For(kTeacher), R"(","lecturer":")",
                   tokens_.For(kLecturer), R"(","principal":")", tokens_.For(kPrincipal), R"("})");
  auto node = testing::ServiceProcess::Start(
      BDTX_NODE_PATH, {std::string(BDTX_WEB_TESTS_DIR) + "/grpc_web_client.mjs"},
      {"BDTX_GATEWAY_URL=" + base_, "BDTX_DESCRIPTORS=" BDTX_DESCRIPTORS_PATH,
       "BDTX_TOKENS=" + tokens, "NODE_PATH=" BDTX_WEB_TESTS_DIR "/node_modules"});
  ASSERT_TRUE(node.ok()) << node.status();
  auto status = (*node)->WaitExit(absl::Seconds(60));
  ASSERT_TRUE(status.ok()) << status.status() << (*node)->Output();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
      << "node tests/web/grpc_web_client.mjs failed (run `npm ci` in tests/web):\n"
      << (*node)->Output();
  EXPECT_TRUE(absl::StrContains((*node)->Output(), "grpc-web sequence ok")) << (*node)->Output();
}

}  // namespace
}  // namespace bdtx

namespace bdtx {
namespace {

// A client generated from the served /openapi.json (tests/web/openapi_client.mjs:
// openapi-typescript + openapi-fetch, type-checked by tsc) creates and submits a plan,
// lists the lecturer's inbox, approves, and reads typed AIP-193 errors.
TEST_F(GatewayE2eTest, ClientGeneratedFromTheOpenApiDocumentListsAndApproves) {
  const std::string tokens = absl::StrCat(R"({"teacher":")", tokens_.For(kTeacher),
                                          R"(","lecturer":")", tokens_.For(kLecturer), R"("})");
  auto node = testing::ServiceProcess::Start(
      BDTX_NODE_PATH, {std::string(BDTX_WEB_TESTS_DIR) + "/openapi_client.mjs"},
      {"BDTX_GATEWAY_URL=" + base_, "BDTX_TOKENS=" + tokens,
       "BDTX_WORK_DIR=" + dir_.Sub("openapi-client")});
  ASSERT_TRUE(node.ok()) << node.status();
  auto status = (*node)->WaitExit(absl::Seconds(120));
  ASSERT_TRUE(status.ok()) << status.status() << (*node)->Output();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
      << "node tests/web/openapi_client.mjs failed (run `npm ci` in tests/web):\n"
      << (*node)->Output();
  EXPECT_TRUE(absl::StrContains((*node)->Output(), "openapi client ok")) << (*node)->Output();
  // What the client did is what the services hold.
  auto r = Call(kLecturer, "GET", "/v1/documents/gvcc-thcs-2023-m4-plan/approval");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(As<v1::Document>(r.body).state(), v1::LECTURER_APPROVED) << r.body;
}

}  // namespace
}  // namespace bdtx
