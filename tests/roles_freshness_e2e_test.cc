// Roles that stay current (ADR 012), with real processes: the directory and every
// service that serves people. A token minted before a directory import that demotes or
// removes its person is refused by every service within 5 s; a token never widens the
// roles the directory gives.
#include <signal.h>

#include <functional>
#include <iostream>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bdtx/v1/approvals.grpc.pb.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "bdtx/v1/grading.grpc.pb.h"
#include "bdtx/v1/notifications.grpc.pb.h"
#include "bdtx/v1/plans.grpc.pb.h"
#include "bdtx/v1/support.grpc.pb.h"
#include "common/auth/jwt.h"
#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"
#include "services/directory/testing/fake_directory.h"
#include "tests/e2e_support.h"

namespace bdtx {
namespace {

namespace v1 = ::bdtx::v1;
using ::bdtx::testing::Running;
using ::bdtx::testing::StartService;
using ::bdtx::testing::StubTo;
using ::bdtx::testing::Who;

constexpr char kPeopleHeader[] = "id,code,full_name,roles,home_unit_id,status\n";
const Who kOfficer{"people/so-cv-1", {"PROVINCE_OFFICER"}, "units/bp"};
const Who kOfficer2{"people/so-cv-2", {"PROVINCE_OFFICER"}, "units/bp"};

// The six processes start once for the suite (under ASan they take seconds each); every
// test works on its own people.
class RolesFreshnessE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    tokens_ = new testing::Tokens(dir_->Sub("auth.key"));
    auto directory =
        StartService(BDTX_DIRECTORY_PATH, {"--data_dir=" + dir_->Sub("directory"), Key()});
    ASSERT_TRUE(directory.ok()) << directory.status();
    directory_ = *std::move(directory);
    directory_stub_ = StubTo<v1::Directory>(directory_.address);
    ASSERT_TRUE(testing::ImportCsvs(
                    *directory_stub_, *tokens_,
                    {{v1::UNITS, directory::kSampleUnits}, {v1::PEOPLE, directory::kSamplePeople}})
                    .ok());
    Import(absl::StrCat(kPeopleHeader, "so-cv-1,,Cán bộ Sở 1,province_officer,bp,\n",
                        "so-cv-2,,Cán bộ Sở 2,province_officer,bp,\n"));
    const std::string dir_flag = "--directory=" + directory_.address;
    auto grading =
        StartService(BDTX_GRADING_PATH, {"--data_dir=" + dir_->Sub("grading"), Key(), dir_flag});
    ASSERT_TRUE(grading.ok()) << grading.status();
    grading_ = *std::move(grading);
    auto approvals = StartService(BDTX_APPROVALS_PATH,
                                  {"--data_dir=" + dir_->Sub("approvals"), Key(), dir_flag});
    ASSERT_TRUE(approvals.ok()) << approvals.status();
    approvals_ = *std::move(approvals);
    auto plans = StartService(
        BDTX_PLANS_PATH, {"--data_dir=" + dir_->Sub("plans"), Key(), dir_flag,
                          "--approvals=" + approvals_.address, "--grading=" + grading_.address});
    ASSERT_TRUE(plans.ok()) << plans.status();
    plans_ = *std::move(plans);
    auto notifications =
        StartService(BDTX_NOTIFICATIONS_PATH,
                     {"--data_dir=" + dir_->Sub("notifications"), Key(), dir_flag,
                      "--approvals=" + approvals_.address, "--grading=" + grading_.address});
    ASSERT_TRUE(notifications.ok()) << notifications.status();
    notifications_ = *std::move(notifications);
    auto support =
        StartService(BDTX_SUPPORT_PATH, {"--data_dir=" + dir_->Sub("support"), Key(), dir_flag});
    ASSERT_TRUE(support.ok()) << support.status();
    support_ = *std::move(support);

    // One call per service that a Sở officer may make about their province and a mass
    // teacher may not.
    auto approvals_stub = std::shared_ptr(StubTo<v1::Approvals>(approvals_.address));
    auto grading_stub = std::shared_ptr(StubTo<v1::Grading>(grading_.address));
    auto plans_stub = std::shared_ptr(StubTo<v1::Plans>(plans_.address));
    auto notifications_stub = std::shared_ptr(StubTo<v1::Notifications>(notifications_.address));
    auto support_stub = std::shared_ptr(StubTo<v1::Support>(support_.address));
    calls_["directory"] = [](grpc::ClientContext* ctx) {
      v1::ImportCsvRequest req;
      req.set_kind(v1::PEOPLE);
      req.set_validate_only(true);
      req.set_content(absl::StrCat(kPeopleHeader, "so-new,,Mới,mass_teacher,bp,\n"));
      v1::ImportCsvResponse resp;
      return directory_stub_->ImportCsv(ctx, req, &resp);
    };
    calls_["approvals"] = [approvals_stub](grpc::ClientContext* ctx) {
      v1::CountDocumentsRequest req;
      req.set_unit("units/bp");
      v1::CountDocumentsResponse resp;
      return approvals_stub->CountDocuments(ctx, req, &resp);
    };
    calls_["grading"] = [grading_stub](grpc::ClientContext* ctx) {
      v1::ListStatisticsRequest req;
      req.set_unit("units/bp");
      v1::ListStatisticsResponse resp;
      return grading_stub->ListStatistics(ctx, req, &resp);
    };
    calls_["plans"] = [plans_stub](grpc::ClientContext* ctx) {
      v1::ListEligibilityRequest req;
      req.set_unit("units/bp");
      req.set_year(2023);
      v1::ListEligibilityResponse resp;
      return plans_stub->ListEligibility(ctx, req, &resp);
    };
    calls_["notifications"] = [notifications_stub](grpc::ClientContext* ctx) {
      v1::ListNotificationsRequest req;
      req.set_recipient("units/bp");
      v1::ListNotificationsResponse resp;
      return notifications_stub->ListNotifications(ctx, req, &resp);
    };
    calls_["support"] = [support_stub](grpc::ClientContext* ctx) {
      v1::ListSupportStatisticsRequest req;
      req.set_unit("units/bp");
      req.set_year(2023);
      v1::ListSupportStatisticsResponse resp;
      return support_stub->ListSupportStatistics(ctx, req, &resp);
    };
  }

  static void TearDownTestSuite() {
    calls_.clear();
    directory_stub_.reset();
    // Services first, the directory they watch last.
    for (Running* r : {&support_, &notifications_, &plans_, &approvals_, &grading_, &directory_}) {
      r->process.reset();
    }
    delete tokens_;
    delete dir_;
  }

  static std::string Key() { return "--auth_key_file=" + dir_->Sub("auth.key"); }

  static void Import(const std::string& csv) {
    v1::ImportCsvRequest req;
    req.set_kind(v1::PEOPLE);
    req.set_content(csv);
    v1::ImportCsvResponse resp;
    grpc::Status s = directory_stub_->ImportCsv(
        tokens_->As({"operators/admin", {"SYSTEM_ADMIN"}, ""}).get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  static grpc::Status Call(const std::string& service, const std::string& token) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return calls_[service](&ctx);
  }

  // How long after `since` each service first refused `token` with one of `codes`
  // (polling every 50 ms for up to 10 s); a failure names the services that did not.
  void ExpectRefusedWithin5s(const std::string& token, absl::Time since,
                             std::vector<grpc::StatusCode> codes) {
    for (const auto& [service, call] : calls_) {
      grpc::Status last;
      absl::Time refused_at = absl::InfiniteFuture();
      while (absl::Now() < since + absl::Seconds(10)) {
        last = Call(service, token);
        if (std::find(codes.begin(), codes.end(), last.error_code()) != codes.end()) {
          refused_at = absl::Now();
          break;
        }
        absl::SleepFor(absl::Milliseconds(50));
      }
      std::cout << service << " refused the old token after "
                << absl::FormatDuration(refused_at - since) << "\n";
      EXPECT_LE(refused_at - since, absl::Seconds(5))
          << service << " still answered " << last.error_code() << " " << last.error_message();
      EXPECT_FALSE(last.error_message().empty()) << service;
    }
  }

  static inline testing::TempDir* dir_ = nullptr;
  static inline testing::Tokens* tokens_ = nullptr;
  static inline Running directory_, grading_, approvals_, plans_, notifications_, support_;
  static inline std::unique_ptr<v1::Directory::Stub> directory_stub_;
  static inline std::map<std::string, std::function<grpc::Status(grpc::ClientContext*)>> calls_;
};

TEST_F(RolesFreshnessE2eTest, DemotedOfficersOldTokenIsRefusedEverywhereWithin5s) {
  ASSERT_EQ(calls_.size(), 6u);  // every service is up
  const std::string token = tokens_->For(kOfficer);
  for (const auto& [service, call] : calls_) {
    grpc::Status s = Call(service, token);
    EXPECT_TRUE(s.ok()) << service << ": " << s.error_message();
  }
  // The Sở demotes the officer to a mass teacher by a CSV import.
  Import(absl::StrCat(kPeopleHeader, "so-cv-1,,Cán bộ Sở 1,mass_teacher,bp,\n"));
  ExpectRefusedWithin5s(token, absl::Now(), {grpc::StatusCode::PERMISSION_DENIED});
  // Promoted back: the same token works again, without a restart.
  Import(absl::StrCat(kPeopleHeader, "so-cv-1,,Cán bộ Sở 1,province_officer,bp,\n"));
  const absl::Time since = absl::Now();
  for (const auto& [service, call] : calls_) {
    grpc::Status s;
    while (!(s = Call(service, token)).ok() && absl::Now() < since + absl::Seconds(10)) {
      absl::SleepFor(absl::Milliseconds(50));
    }
    EXPECT_TRUE(s.ok()) << service << ": " << s.error_message();
    EXPECT_LE(absl::Now() - since, absl::Seconds(5)) << service;
  }
}

TEST_F(RolesFreshnessE2eTest, RemovedPersonIsLockedOutEverywhereWithin5s) {
  ASSERT_EQ(calls_.size(), 6u);  // every service is up
  const std::string token = tokens_->For(kOfficer2);
  for (const auto& [service, call] : calls_) {
    grpc::Status s = Call(service, token);
    EXPECT_TRUE(s.ok()) << service << ": " << s.error_message();
  }
  Import(absl::StrCat(kPeopleHeader, "so-cv-2,,Cán bộ Sở 2,province_officer,bp,removed\n"));
  ExpectRefusedWithin5s(token, absl::Now(),
                        {grpc::StatusCode::PERMISSION_DENIED, grpc::StatusCode::UNAUTHENTICATED});
}

TEST_F(RolesFreshnessE2eTest, TokenRolesNeverWidenWhatTheDirectorySays) {
  ASSERT_EQ(calls_.size(), 6u);  // every service is up
  // A mass teacher's token claiming Sở officer roles, and a token for someone the
  // directory has never heard of: refused at once by every service.
  const std::string widened =
      tokens_->For({"people/gvcc-thcs", {"PROVINCE_OFFICER", "SYSTEM_ADMIN"}, "units/bp"});
  const std::string stranger = tokens_->For({"people/nobody", {"SYSTEM_ADMIN"}, "units/bp"});
  for (const auto& [service, call] : calls_) {
    EXPECT_EQ(Call(service, widened).error_code(), grpc::StatusCode::PERMISSION_DENIED) << service;
    grpc::Status s = Call(service, stranger);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << service;
    EXPECT_NE(s.error_message().find("không có trong danh bạ"), std::string::npos)
        << service << ": " << s.error_message();
  }
}

// When and how a server stream ended.
struct StreamEnd {
  absl::Time at = absl::InfiniteFuture();
  grpc::Status status;
};

// Opens a server stream as `token` (12 s deadline) in a thread that reads and drops its
// messages until it ends, then records when and how in `*end`.
template <typename Message>
std::thread Follow(
    const std::string& token,
    std::function<std::unique_ptr<grpc::ClientReader<Message>>(grpc::ClientContext*)> open,
    StreamEnd* end) {
  return std::thread([token, open = std::move(open), end] {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(12));
    auto reader = open(&ctx);
    Message m;
    while (reader->Read(&m)) {
    }
    end->status = reader->Finish();
    end->at = absl::Now();
  });
}

// A stream is checked while it runs, not only when it opens (ADR 012: a demoted or
// removed person, an expired token, is refused within 5 s). Before, an open
// WatchNotifications went on delivering a demoted officer's unit inbox (or a removed
// person's own) for as long as it stayed open, and SubscribeEvents and WatchChanges
// outlived the token that opened them.
TEST_F(RolesFreshnessE2eTest, OpenStreamsEndWithin5sOfTheirCallerLosingTheRight) {
  ASSERT_EQ(calls_.size(), 6u);  // every service is up
  Import(absl::StrCat(kPeopleHeader, "so-cv-5,,Cán bộ Sở 5,province_officer,bp,\n"));
  const std::string officer = tokens_->For({"people/so-cv-5", {"PROVINCE_OFFICER"}, "units/bp"});
  // An operator token that stops verifying (30 s of clock leeway included) ~2 s from now.
  auth::Claims claims;
  claims.subject = "operators/admin";
  claims.roles = {"SYSTEM_ADMIN"};
  claims.issuer = claims.audience = "bdtx";
  claims.expires_at = absl::Now() - absl::Seconds(28);
  const std::string expiring = *auth::MintJwt(
      claims, {auth::JwtAlgorithm::kHs256, *auth::ReadKeyFile(dir_->Sub("auth.key"))});
  const absl::Time opened = absl::Now();
  auto notifications = StubTo<v1::Notifications>(notifications_.address);
  auto approvals = StubTo<v1::Approvals>(approvals_.address);
  auto grading = StubTo<v1::Grading>(grading_.address);
  auto support = StubTo<v1::Support>(support_.address);
  std::map<std::string, StreamEnd> ends;
  std::vector<std::thread> readers;
  readers.push_back(Follow<v1::Notification>(
      officer,
      [&](grpc::ClientContext* ctx) {
        v1::WatchNotificationsRequest req;
        req.set_recipient("units/bp");
        return notifications->WatchNotifications(ctx, req);
      },
      &ends["notifications WatchNotifications (demoted officer)"]));
  readers.push_back(Follow<v1::DirectoryChange>(
      expiring,
      [&](grpc::ClientContext* ctx) {
        return directory_stub_->WatchChanges(ctx, v1::WatchChangesRequest());
      },
      &ends["directory WatchChanges (expired token)"]));
  readers.push_back(Follow<v1::StoredEvent>(
      expiring,
      [&](grpc::ClientContext* ctx) {
        return approvals->SubscribeEvents(ctx, v1::SubscribeEventsRequest());
      },
      &ends["approvals SubscribeEvents (expired token)"]));
  readers.push_back(Follow<v1::StoredGradingEvent>(
      expiring,
      [&](grpc::ClientContext* ctx) {
        return grading->SubscribeEvents(ctx, v1::SubscribeGradingEventsRequest());
      },
      &ends["grading SubscribeEvents (expired token)"]));
  readers.push_back(Follow<v1::StoredSupportEvent>(
      expiring,
      [&](grpc::ClientContext* ctx) {
        return support->SubscribeEvents(ctx, v1::SubscribeSupportEventsRequest());
      },
      &ends["support SubscribeEvents (expired token)"]));
  absl::SleepFor(absl::Seconds(1));  // the streams are open
  Import(absl::StrCat(kPeopleHeader, "so-cv-5,,Cán bộ Sở 5,mass_teacher,bp,\n"));
  const absl::Time demoted = absl::Now();
  for (std::thread& t : readers) t.join();
  for (const auto& [what, end] : ends) {
    std::cout << what << " ended " << absl::FormatDuration(end.at - opened)
              << " after it opened: " << end.status.error_code() << " "
              << end.status.error_message() << "\n";
    EXPECT_TRUE(end.status.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
                end.status.error_code() == grpc::StatusCode::UNAUTHENTICATED)
        << what << ": " << end.status.error_code() << " " << end.status.error_message();
    EXPECT_LE(end.at - demoted, absl::Seconds(5)) << what;
  }
}

TEST_F(RolesFreshnessE2eTest, PeopleAreServedAgainWithin3sOfTheDirectoryComingBack) {
  ASSERT_EQ(calls_.size(), 6u);  // every service is up
  Import(absl::StrCat(kPeopleHeader, "so-cv-3,,Cán bộ Sở 3,province_officer,bp,\n"));
  const std::string token = tokens_->For({"people/so-cv-3", {"PROVINCE_OFFICER"}, "units/bp"});
  for (const auto& [service, call] : calls_) {
    grpc::Status s = Call(service, token);
    EXPECT_TRUE(s.ok()) << service << ": " << s.error_message();
  }
  // The directory dies and stays down for 20 s: long enough for gRPC's default reconnect
  // backoff (1 s growing by 1.6x: attempts ~16 s and ~26 s after the break) to keep every
  // service refusing people for seconds after the restart (15 s after a 29 s outage, seen).
  const std::string address = directory_.address;
  directory_.process.reset();  // SIGKILL
  absl::SleepFor(absl::Seconds(20));
  auto process = testing::ServiceProcess::Start(
      BDTX_DIRECTORY_PATH, {"--listen=" + address, "--data_dir=" + dir_->Sub("directory"), Key()});
  ASSERT_TRUE(process.ok()) << process.status();
  directory_.process = *std::move(process);
  ASSERT_TRUE(directory_.process->WaitListening(absl::Seconds(30)).ok())
      << directory_.process->Output();
  const absl::Time back = absl::Now();
  directory_stub_ = StubTo<v1::Directory>(address);  // a fresh channel for the test itself
  for (const auto& [service, call] : calls_) {
    grpc::Status s;
    while (!(s = Call(service, token)).ok() && absl::Now() < back + absl::Seconds(20)) {
      absl::SleepFor(absl::Milliseconds(100));
    }
    std::cout << service << " served people again " << absl::FormatDuration(absl::Now() - back)
              << " after the directory came back\n";
    EXPECT_TRUE(s.ok()) << service << ": " << s.error_message();
    EXPECT_LE(absl::Now() - back, absl::Seconds(3)) << service;
  }
}

TEST_F(RolesFreshnessE2eTest, AHungDirectoryFailsPeoplesCallsWithin3sNotForever) {
  ASSERT_EQ(calls_.size(), 6u);  // every service is up
  Import(absl::StrCat(kPeopleHeader, "so-cv-4,,Cán bộ Sở 4,province_officer,bp,\n"));
  const std::string token = tokens_->For({"people/so-cv-4", {"PROVINCE_OFFICER"}, "units/bp"});
  for (const auto& [service, call] : calls_) {
    grpc::Status s = Call(service, token);
    EXPECT_TRUE(s.ok()) << service << ": " << s.error_message();
  }
  // The directory hangs (connections open, nothing answered): cached roles are trusted
  // no longer than ADR 012 says, and a call then fails UNAVAILABLE after at most the
  // 2 s directory deadline instead of hanging.
  directory_.process->Signal(SIGSTOP);
  absl::SleepFor(absl::Seconds(4));  // 1.5 s of watch silence + 2 s without the watch
  for (const auto& [service, call] : calls_) {
    if (service == "directory") continue;  // itself stopped
    const absl::Time start = absl::Now();
    grpc::Status s = Call(service, token);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE)
        << service << ": " << s.error_message();
    EXPECT_LE(absl::Now() - start, absl::Seconds(3)) << service;
  }
  directory_.process->Signal(SIGCONT);
  const absl::Time back = absl::Now();
  for (const auto& [service, call] : calls_) {
    grpc::Status s;
    while (!(s = Call(service, token)).ok() && absl::Now() < back + absl::Seconds(10)) {
      absl::SleepFor(absl::Milliseconds(100));
    }
    EXPECT_TRUE(s.ok()) << service << ": " << s.error_message();
  }
}

}  // namespace
}  // namespace bdtx
