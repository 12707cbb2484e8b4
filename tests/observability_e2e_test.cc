// End to end, real bdtx-directory and bdtx-approvals processes: one Submit can be followed
// across both processes' logs by its W3C trace id, and approvals' /metrics reports its
// documents by province and state, the late and the overdue ones.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bdtx/v1/approvals.grpc.pb.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "common/testing/temp_dir.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
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

const Person kTeacher{"people/gvcc-thcs", {"CORE_TEACHER", "REPORTER"}, "units/thcs-tanphu"};
const Person kMgmtLecturer{"people/gvqlgd-1", {"MANAGEMENT_LECTURER"}, "units/hvqlgd"};
const Person kThManager{"people/cbqlcc-th", {"CORE_MANAGER"}, "units/th-tanphu"};
const Person kThptManager{"people/ht-thpt", {"PRINCIPAL", "CORE_MANAGER"}, "units/thpt-dx"};
const Person kSoOfficer{"people/cv-so", {"PROVINCE_OFFICER"}, "units/bp"};

// The string value of "field" in one JSON log line ("" when absent).
std::string Field(const std::string& line, const std::string& field) {
  const std::string key = absl::StrCat("\"", field, "\":\"");
  const size_t at = line.find(key);
  if (at == std::string::npos) return "";
  const size_t from = at + key.size();
  return line.substr(from, line.find('"', from) - from);
}

// The log lines of `output` whose "msg" is "call" and "method" is `method`.
std::vector<std::string> CallLines(const std::string& output, const std::string& method) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    std::string l(line);
    if (Field(l, "msg") == "call" && Field(l, "method") == method) out.push_back(l);
  }
  return out;
}

// GET http://127.0.0.1:port/path with a plain socket; returns the whole response.
std::string HttpGet(int port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "";
  }
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return "";
  }
  std::string response;
  char buf[8192];
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;) response.append(buf, n);
  close(fd);
  return response;
}

// The value of the sample `series` (name with its labels, as exposed), or -1 if absent.
double Sample(const std::string& metrics, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(metrics, '\n')) {
    if (!absl::StartsWith(line, series + " ")) continue;
    double value = 0;
    if (absl::SimpleAtod(line.substr(series.size() + 1), &value)) return value;
  }
  return -1;
}

class ObservabilityE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory =
        StartService(BDTX_DIRECTORY_PATH, {"--data_dir=" + dir_.Sub("directory"), Key()});
    ASSERT_TRUE(directory.ok()) << directory.status();
    directory_ = *std::move(directory);
    auto stub = testing::StubTo<v1::Directory>(directory_.address);
    // One module of another year, whose deadline has not passed.
    const std::string assignments =
        absl::StrCat(directory::kSampleAssignments, "2024,4,lecturer,gvqlgd-1,cbqlcc-th\n");
    ASSERT_TRUE(testing::ImportCsvs(*stub, tokens_,
                                    {{v1::UNITS, directory::kSampleUnits},
                                     {v1::PEOPLE, directory::kSamplePeople},
                                     {v1::ASSIGNMENTS, assignments.c_str()}})
                    .ok());
    StartApprovals();
  }

  void StartApprovals() {
    auto approvals = StartService(
        BDTX_APPROVALS_PATH,
        {"--data_dir=" + dir_.Sub("approvals"), Key(), "--directory=" + directory_.address,
         // Module 4 of 2023 closed long ago; 2024 has no deadline.
         "--deadlines=2023:4=2020-01-01T00:00:00+07:00"});
    ASSERT_TRUE(approvals.ok()) << approvals.status();
    approvals_ = *std::move(approvals);
    stub_ = testing::StubTo<v1::Approvals>(approvals_.address);
  }

  std::string Key() const { return "--auth_key_file=" + dir_.Sub("auth.key"); }

  grpc::Status Submit(const Person& p, const std::string& doc,
                      const std::string& traceparent = "") {
    v1::SubmitRequest req;
    req.set_document(doc);
    req.set_content_sha256(std::string(64, '1'));
    v1::Document resp;
    auto ctx = tokens_.As(p);
    if (!traceparent.empty()) ctx->AddMetadata("traceparent", traceparent);
    return stub_->Submit(ctx.get(), req, &resp);
  }
  grpc::Status Approve(const Person& p, const std::string& doc) {
    v1::ApproveRequest req;
    req.set_document(doc);
    req.set_comment("Đạt");
    v1::Document resp;
    return stub_->Approve(tokens_.As(p).get(), req, &resp);
  }
  grpc::Status SignOff(const Person& p, const std::string& doc) {
    v1::SignOffRequest req;
    req.set_document(doc);
    req.set_method(v1::ONLINE);
    v1::Document resp;
    return stub_->SignOff(tokens_.As(p).get(), req, &resp);
  }

  int MetricsPort() {
    const int port = std::atoi(Field(approvals_.process->Output(), "metrics_port").c_str());
    EXPECT_GT(port, 0) << approvals_.process->Output();
    return port;
  }

  testing::TempDir dir_;
  testing::Tokens tokens_{dir_.Sub("auth.key")};
  testing::Running directory_, approvals_;
  std::unique_ptr<v1::Approvals::Stub> stub_;
};

TEST_F(ObservabilityE2eTest, OneSubmitIsFollowedByItsTraceIdAcrossApprovalsAndTheDirectory) {
  const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  const std::string caller_span = "00f067aa0ba902b7";
  grpc::Status s = Submit(kTeacher, "documents/gvcc-thcs-2023-m4-plan",
                          absl::StrCat("00-", trace_id, "-", caller_span, "-01"));
  ASSERT_TRUE(s.ok()) << s.error_message();

  // Approvals: one access line for Submit in the caller's trace, its parent the caller's span.
  ASSERT_TRUE(approvals_.process->WaitForOutput(trace_id, absl::Seconds(10)));
  std::vector<std::string> submits =
      CallLines(approvals_.process->Output(), "/bdtx.v1.Approvals/Submit");
  ASSERT_EQ(submits.size(), 1u) << approvals_.process->Output();
  EXPECT_EQ(Field(submits[0], "trace_id"), trace_id);
  EXPECT_EQ(Field(submits[0], "parent_span_id"), caller_span);
  EXPECT_EQ(Field(submits[0], "grpc_code"), "OK");
  const std::string approvals_span = Field(submits[0], "span_id");
  ASSERT_EQ(approvals_span.size(), 16u);
  EXPECT_NE(approvals_span, caller_span);

  // The directory: the routing call approvals made is in the same trace, a child of
  // approvals' span, with a span of its own.
  ASSERT_TRUE(directory_.process->WaitForOutput(trace_id, absl::Seconds(10)))
      << directory_.process->Output();
  std::vector<std::string> routes =
      CallLines(directory_.process->Output(), "/bdtx.v1.Directory/RouteDocument");
  ASSERT_EQ(routes.size(), 1u) << directory_.process->Output();
  EXPECT_EQ(Field(routes[0], "trace_id"), trace_id);
  EXPECT_EQ(Field(routes[0], "parent_span_id"), approvals_span);
  EXPECT_NE(Field(routes[0], "span_id"), approvals_span);
}

TEST_F(ObservabilityE2eTest, AMalformedTraceparentIsIgnoredAndANewTraceReachesTheDirectory) {
  // Upper-case hex is not a valid version-00 traceparent.
  const std::string bad = "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01";
  grpc::Status s = Submit(kTeacher, "documents/gvcc-thcs-2023-m4-plan", bad);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(approvals_.process->WaitForOutput("/bdtx.v1.Approvals/Submit", absl::Seconds(10)));
  std::vector<std::string> submits =
      CallLines(approvals_.process->Output(), "/bdtx.v1.Approvals/Submit");
  ASSERT_EQ(submits.size(), 1u);
  const std::string trace_id = Field(submits[0], "trace_id");
  ASSERT_EQ(trace_id.size(), 32u) << submits[0];
  EXPECT_NE(trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(Field(submits[0], "parent_span_id"), "");  // a new trace's root
  ASSERT_TRUE(directory_.process->WaitForOutput(trace_id, absl::Seconds(10)))
      << directory_.process->Output();
  std::vector<std::string> routes =
      CallLines(directory_.process->Output(), "/bdtx.v1.Directory/RouteDocument");
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(Field(routes[0], "parent_span_id"), Field(submits[0], "span_id"));
}

TEST_F(ObservabilityE2eTest, ApprovalsReportsDocumentsByProvinceAndStateAndTheLateAndOverdueOnes) {
  // SUBMITTED, late (module 4 closed) and overdue.
  ASSERT_OK_GRPC(Submit(kTeacher, "documents/gvcc-thcs-2023-m4-plan"));
  // LECTURER_APPROVED, 2024: neither late nor overdue.
  ASSERT_OK_GRPC(Submit(kThManager, "documents/cbqlcc-th-2024-m4-plan"));
  ASSERT_OK_GRPC(Approve(kMgmtLecturer, "documents/cbqlcc-th-2024-m4-plan"));
  // SIGNED_OFF late: late but no longer overdue.
  ASSERT_OK_GRPC(Submit(kThptManager, "documents/ht-thpt-2023-m4-plan"));
  ASSERT_OK_GRPC(Approve(kMgmtLecturer, "documents/ht-thpt-2023-m4-plan"));
  ASSERT_OK_GRPC(SignOff(kSoOfficer, "documents/ht-thpt-2023-m4-plan"));

  auto check = [&](const std::string& when) {
    const std::string metrics = HttpGet(MetricsPort(), "/metrics");
    auto docs = [&](const char* state) {
      return Sample(metrics, absl::StrCat("bdtx_approvals_documents{province=\"units/bp\",state=\"",
                                          state, "\"}"));
    };
    EXPECT_EQ(docs("SUBMITTED"), 1) << when << metrics;
    EXPECT_EQ(docs("RETURNED"), 0) << when;
    EXPECT_EQ(docs("LECTURER_APPROVED"), 1) << when;
    EXPECT_EQ(docs("SIGNED_OFF"), 1) << when;
    EXPECT_EQ(Sample(metrics, "bdtx_approvals_documents_late{province=\"units/bp\"}"), 2) << when;
    EXPECT_EQ(Sample(metrics, "bdtx_approvals_documents_overdue{province=\"units/bp\"}"), 1)
        << when;
  };
  check("while running: ");
  // A restarted process counts the same from its store.
  approvals_.process.reset();
  StartApprovals();
  check("after a restart: ");
}

}  // namespace
}  // namespace bdtx
