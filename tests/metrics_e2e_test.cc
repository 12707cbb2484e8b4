// A real service (directory) with --metrics_listen and --health_listen: its /metrics is
// valid Prometheus text (promtool check metrics), counts the calls it served by method and
// code and the event store's appends; the plaintext health port answers SERVING.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/testing/temp_dir.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/directory/testing/fake_directory.h"
#include "tests/e2e_support.h"

namespace bdtx {
namespace {

using ::bdtx::testing::StartService;

// The value of `"field":"N"` in the service's "listening" log line.
int LoggedPort(const std::string& output, const std::string& field) {
  const std::string key = absl::StrCat("\"", field, "\":\"");
  const size_t at = output.find(key);
  if (at == std::string::npos) return 0;
  int port = 0;
  const size_t from = at + key.size();
  return absl::SimpleAtoi(output.substr(from, output.find('"', from) - from), &port) ? port : 0;
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

TEST(MetricsE2eTest, DirectoryServesValidMetricsOfItsCallsAndStoreAndAPlaintextHealthPort) {
  testing::TempDir dir;
  const std::string key = "--auth_key_file=" + dir.path() + "/auth.key";
  auto directory = StartService(BDTX_DIRECTORY_PATH, {"--data_dir=" + dir.Sub("directory"), key,
                                                      "--health_listen=127.0.0.1:0"});
  ASSERT_TRUE(directory.ok()) << directory.status();
  const std::string log = directory->process->Output();
  const int metrics_port = LoggedPort(log, "metrics_port");
  const int health_port = LoggedPort(log, "health_port");
  ASSERT_GT(metrics_port, 0) << log;
  ASSERT_GT(health_port, 0) << log;

  testing::Tokens tokens(dir.path() + "/auth.key");
  auto stub = testing::StubTo<v1::Directory>(directory->address);
  ASSERT_TRUE(testing::ImportCsvs(*stub, tokens,
                                  {{v1::UNITS, directory::kSampleUnits},
                                   {v1::PEOPLE, directory::kSamplePeople},
                                   {v1::ASSIGNMENTS, directory::kSampleAssignments}})
                  .ok());
  v1::GetPersonRequest missing;
  missing.set_name("people/nobody-here");
  v1::Person person;
  EXPECT_EQ(
      stub->GetPerson(tokens.As({"people/admin", {"SYSTEM_ADMIN"}, ""}).get(), missing, &person)
          .error_code(),
      grpc::NOT_FOUND);

  // The health port: plaintext, no token, SERVING.
  auto health = grpc::health::v1::Health::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", health_port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  grpc::health::v1::HealthCheckResponse serving;
  ASSERT_TRUE(health->Check(&ctx, {}, &serving).ok());
  EXPECT_EQ(serving.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  const std::string response = HttpGet(metrics_port, "/metrics");
  ASSERT_NE(response.find("200 OK"), std::string::npos) << response.substr(0, 200);
  const std::string body = response.substr(response.find("\r\n\r\n") + 4);
  for (const char* want : {
           "grpc_server_started_total{grpc_method=\"ImportCsv\",grpc_service=\"bdtx.v1."
           "Directory\",grpc_type=\"unary\"} 3",
           "grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"ImportCsv\",grpc_service="
           "\"bdtx.v1.Directory\",grpc_type=\"unary\"} 3",
           "grpc_server_handled_total{grpc_code=\"NotFound\",grpc_method=\"GetPerson\","
           "grpc_service=\"bdtx.v1.Directory\",grpc_type=\"unary\"} 1",
           "grpc_server_handling_seconds_count{grpc_method=\"GetPerson\"",
           "bdtx_eventstore_append_seconds_count{result=\"ok\"}",
           "bdtx_eventstore_group_commit_appends_count",
           "bdtx_eventstore_write_sync_seconds_bucket",
           "bdtx_rocksdb_stall_seconds_total",
           "bdtx_rocksdb_pending_compaction_bytes",
           "bdtx_rocksdb_live_sst_bytes",
           "bdtx_rocksdb_block_cache_hits_total",
       }) {
    EXPECT_NE(body.find(want), std::string::npos) << want << "\n" << body;
  }
  // Imports appended events: the append count is at least the three imports.
  const std::string count_key = "bdtx_eventstore_append_seconds_count{result=\"ok\"} ";
  const size_t at = body.find(count_key);
  ASSERT_NE(at, std::string::npos);
  double appends = 0;
  ASSERT_TRUE(absl::SimpleAtod(
      body.substr(at + count_key.size(), body.find('\n', at) - at - count_key.size()), &appends));
  EXPECT_GE(appends, 3);

  // promtool (Debian's prometheus package) accepts the exposition.
  const std::string file = dir.path() + "/metrics.txt";
  std::ofstream(file) << body;
  const std::string cmd = absl::StrCat(BDTX_PROMTOOL, " check metrics < ", file, " 2>&1");
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string promtool_out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof(buf), pipe)) > 0;) promtool_out.append(buf, n);
  const int status = pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << promtool_out;
}

}  // namespace
}  // namespace bdtx
