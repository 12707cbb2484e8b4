// Starts a real service process built on the shared bootstrap and talks to it over
// gRPC on loopback: health, graceful drain on SIGTERM, clear start-up failures.
#include <signal.h>
#include <sys/wait.h>

#include "absl/synchronization/notification.h"
#include "bdtx/testing/v1/probe.grpc.pb.h"
#include "common/auth/jwt.h"
#include "common/eventstore/rocksdb_event_store.h"
#include "common/testing/service_process.h"
#include "common/testing/temp_dir.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace bdtx {
namespace {

using ::bdtx::testing::ServiceProcess;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;

std::unique_ptr<ServiceProcess> StartProbe(const std::string& data_dir,
                                           std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--listen=127.0.0.1:0", "--data_dir=" + data_dir,
                                   "--auth_key_file=" + data_dir + "/auth.key"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto process = ServiceProcess::Start(BDTX_PROBE_SERVER_PATH, args);
  EXPECT_TRUE(process.ok()) << process.status();
  return process.ok() ? std::move(*process) : nullptr;
}

// A token signed with the key the probe server created in `data_dir`.
std::string Token(const std::string& data_dir, absl::Duration ttl = absl::Hours(1)) {
  auth::Claims claims;
  claims.subject = "people/tester";
  claims.roles = {"SYSTEM_ADMIN"};
  claims.issuer = "bdtx";
  claims.audience = "bdtx";
  claims.expires_at = absl::Now() + ttl;
  auto key = auth::ReadKeyFile(data_dir + "/auth.key");
  EXPECT_TRUE(key.ok()) << key.status();
  return *auth::MintJwt(claims, {auth::JwtAlgorithm::kHs256, key.value_or("")});
}

grpc::Status Sleep(grpc::Channel* channel, const std::string& token, int millis) {
  auto stub = bdtx::testing::v1::Probe::NewStub(
      std::shared_ptr<grpc::Channel>(channel, [](grpc::Channel*) {}));
  grpc::ClientContext context;
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  bdtx::testing::v1::SleepRequest request;
  request.set_millis(millis);
  bdtx::testing::v1::SleepResponse response;
  return stub->Sleep(&context, request, &response);
}

grpc::Status Check(grpc::Channel* channel, HealthCheckResponse* response) {
  auto stub = grpc::health::v1::Health::NewStub(
      std::shared_ptr<grpc::Channel>(channel, [](grpc::Channel*) {}));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return stub->Check(&context, HealthCheckRequest(), response);
}

TEST(ServerBootstrapTest, AnswersHealthAndDrainsInFlightCallsOnSigterm) {
  testing::TempDir dir;
  auto probe = StartProbe(dir.path());
  ASSERT_NE(probe, nullptr);
  auto port = probe->WaitListening(absl::Seconds(20));
  ASSERT_TRUE(port.ok()) << port.status();
  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", *port), grpc::InsecureChannelCredentials());

  HealthCheckResponse health;
  grpc::Status s = Check(channel.get(), &health);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(health.status(), HealthCheckResponse::SERVING);

  // A call in flight when SIGTERM arrives still completes.
  auto stub = bdtx::testing::v1::Probe::NewStub(channel);
  grpc::ClientContext sleep_context;
  sleep_context.AddMetadata("authorization", "Bearer " + Token(dir.path()));
  bdtx::testing::v1::SleepRequest request;
  request.set_millis(1500);
  bdtx::testing::v1::SleepResponse response;
  grpc::Status sleep_status;
  absl::Notification sleep_done;
  stub->async()->Sleep(&sleep_context, &request, &response, [&](grpc::Status status) {
    sleep_status = status;
    sleep_done.Notify();
  });
  absl::SleepFor(absl::Milliseconds(300));
  probe->Signal(SIGTERM);
  ASSERT_TRUE(probe->WaitForOutput("shutdown signal received", absl::Seconds(5)));

  // New calls are no longer served as healthy.
  absl::SleepFor(absl::Milliseconds(100));
  HealthCheckResponse after;
  grpc::Status after_status = Check(channel.get(), &after);
  EXPECT_FALSE(after_status.ok() && after.status() == HealthCheckResponse::SERVING);

  ASSERT_TRUE(sleep_done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_TRUE(sleep_status.ok()) << sleep_status.error_message();
  EXPECT_EQ(response.slept_millis(), 1500);

  auto exit = probe->WaitExit(absl::Seconds(15));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0) << probe->Output();
  const std::string log = probe->Output();
  EXPECT_NE(log.find("\"msg\":\"drained; in-flight calls finished\""), std::string::npos);
  EXPECT_NE(log.find("\"msg\":\"event store closed\""), std::string::npos);
  EXPECT_NE(log.find("\"msg\":\"stopped\""), std::string::npos);
  EXPECT_NE(log.find("\"service\":\"probe\""), std::string::npos);

  // The store was closed cleanly: it opens again.
  EXPECT_TRUE(eventstore::RocksDbEventStore::Open(dir.path() + "/events").ok());
}

TEST(ServerBootstrapTest, EveryCallNeedsAValidBearerTokenButHealthDoesNot) {
  testing::TempDir dir;
  auto probe = StartProbe(dir.path());
  ASSERT_NE(probe, nullptr);
  auto port = probe->WaitListening(absl::Seconds(20));
  ASSERT_TRUE(port.ok()) << port.status();
  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", *port), grpc::InsecureChannelCredentials());
  HealthCheckResponse health;
  EXPECT_TRUE(Check(channel.get(), &health).ok());

  grpc::Status missing = Sleep(channel.get(), "", 1);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(missing.error_message().find("thiếu bearer token"), std::string::npos)
      << missing.error_message();

  const std::string expired = Token(dir.path(), -absl::Hours(1));
  grpc::Status old = Sleep(channel.get(), expired, 1);
  EXPECT_EQ(old.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(old.error_message().find("expired"), std::string::npos) << old.error_message();

  grpc::Status garbage = Sleep(channel.get(), "not-a-token", 1);
  EXPECT_EQ(garbage.error_code(), grpc::StatusCode::UNAUTHENTICATED);

  EXPECT_TRUE(Sleep(channel.get(), Token(dir.path()), 1).ok());
  // Tokens never reach the logs.
  EXPECT_EQ(probe->Output().find(expired), std::string::npos);
}

TEST(ServerBootstrapTest, UnknownFlagFailsWithAClearMessage) {
  testing::TempDir dir;
  auto probe = StartProbe(dir.path(), {"--lisen=1"});
  ASSERT_NE(probe, nullptr);
  auto exit = probe->WaitExit(absl::Seconds(15));
  ASSERT_TRUE(exit.ok());
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 1);
  EXPECT_NE(probe->Output().find("unknown flag --lisen"), std::string::npos) << probe->Output();
}

TEST(ServerBootstrapTest, SecondProcessOnTheSameDataDirIsRefused) {
  testing::TempDir dir;
  auto first = StartProbe(dir.path());
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(first->WaitListening(absl::Seconds(20)).ok());
  auto second = StartProbe(dir.path());
  ASSERT_NE(second, nullptr);
  auto exit = second->WaitExit(absl::Seconds(15));
  ASSERT_TRUE(exit.ok());
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 1);
  EXPECT_NE(second->Output().find("locked by another process"), std::string::npos)
      << second->Output();
}

}  // namespace
}  // namespace bdtx
