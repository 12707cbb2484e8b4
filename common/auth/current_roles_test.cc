#include "common/auth/current_roles.h"

#include <functional>
#include <map>
#include <utility>

#include "common/auth/authenticator.h"
#include "gtest/gtest.h"

namespace bdtx::auth {
namespace {

// The directory as a map; counts fetches; may run a hook inside a fetch.
class FakeSource : public RolesSource {
 public:
  absl::StatusOr<CurrentRoles> Fetch(const std::string& person) override {
    ++fetches;
    if (during_fetch) during_fetch();
    if (!failure.ok()) return failure;
    auto it = people.find(person);
    if (it == people.end()) return absl::NotFoundError("no person " + person);
    return it->second;
  }
  std::map<std::string, CurrentRoles> people;
  int fetches = 0;
  std::function<void()> during_fetch;
  absl::Status failure;  // when not OK, every fetch ends with it (a down directory)
};

class CurrentRolesCacheTest : public ::testing::Test {
 protected:
  FakeSource source_;
  SimulatedClock clock_{absl::FromUnixSeconds(1'700'000'000)};
  CurrentRolesCache cache_{&source_, &clock_};
};

TEST_F(CurrentRolesCacheTest, LiveWatchKeepsEntriesUntilTheDirectoryVersionChanges) {
  source_.people["people/a"] = {{"PROVINCE_OFFICER"}, "units/bp", false};
  cache_.OnWatchMessage(7);
  ASSERT_EQ(cache_.Resolve("people/a")->roles[0], "PROVINCE_OFFICER");
  for (int i = 0; i < 10; ++i) {
    clock_.Advance(absl::Seconds(1));
    cache_.OnWatchMessage(7);  // heartbeats
    ASSERT_TRUE(cache_.Resolve("people/a").ok());
  }
  EXPECT_EQ(source_.fetches, 1);  // one round trip in 10 s of calls
  source_.people["people/a"] = {{"MASS_TEACHER"}, "units/bp", false};
  cache_.OnWatchMessage(8);  // an import
  EXPECT_EQ(cache_.Resolve("people/a")->roles[0], "MASS_TEACHER");
  EXPECT_EQ(source_.fetches, 2);
}

TEST_F(CurrentRolesCacheTest, SilentWatchTrustsEntriesForTwoSecondsOnly) {
  source_.people["people/a"] = {{"PROVINCE_OFFICER"}, "units/bp", false};
  cache_.OnWatchMessage(7);
  ASSERT_TRUE(cache_.Resolve("people/a").ok());
  // The stream goes quiet (a change it carried may be lost): within 1.5 s + 2 s every
  // entry is fetched again.
  source_.people["people/a"] = {{"MASS_TEACHER"}, "units/bp", false};
  clock_.Advance(absl::Milliseconds(1400));
  EXPECT_EQ(cache_.Resolve("people/a")->roles[0], "PROVINCE_OFFICER");
  clock_.Advance(absl::Milliseconds(700));  // watch silent for 2.1 s, entry 2.1 s old
  EXPECT_EQ(cache_.Resolve("people/a")->roles[0], "MASS_TEACHER");
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(source_.fetches, 2);
  ASSERT_TRUE(cache_.Resolve("people/a").ok());  // fresh enough without the watch
  EXPECT_EQ(source_.fetches, 2);
  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(cache_.Resolve("people/a").ok());
  EXPECT_EQ(source_.fetches, 3);
}

TEST_F(CurrentRolesCacheTest, ReconnectedWatchDropsWhatWasCachedBefore) {
  source_.people["people/a"] = {{"PROVINCE_OFFICER"}, "units/bp", false};
  cache_.OnWatchMessage(7);
  ASSERT_TRUE(cache_.Resolve("people/a").ok());
  cache_.OnWatchLost();
  cache_.OnWatchMessage(7);  // same version: still dropped (a change may have come and gone)
  ASSERT_TRUE(cache_.Resolve("people/a").ok());
  EXPECT_EQ(source_.fetches, 2);
}

TEST_F(CurrentRolesCacheTest, AnswerFetchedAcrossAnImportIsNotKept) {
  source_.people["people/a"] = {{"PROVINCE_OFFICER"}, "units/bp", false};
  cache_.OnWatchMessage(7);
  source_.during_fetch = [this] { cache_.OnWatchMessage(8); };
  ASSERT_TRUE(cache_.Resolve("people/a").ok());
  source_.during_fetch = nullptr;
  EXPECT_EQ(cache_.size(), 0u);
}

TEST_F(CurrentRolesCacheTest, UnknownPeopleAreNotCached) {
  cache_.OnWatchMessage(7);
  EXPECT_TRUE(absl::IsNotFound(cache_.Resolve("people/x").status()));
  source_.people["people/x"] = {{"MASS_TEACHER"}, "units/bp", false};
  EXPECT_TRUE(cache_.Resolve("people/x").ok());
}

TEST_F(CurrentRolesCacheTest, DownDirectoryIsNotAskedAgainForASecondThenProbedOnceAtATime) {
  source_.people["people/a"] = {{"MASS_TEACHER"}, "units/bp", false};
  source_.people["people/b"] = {{"MASS_TEACHER"}, "units/bp", false};
  ASSERT_TRUE(cache_.Resolve("people/a").ok());  // cached before the directory went down
  source_.failure = absl::DeadlineExceededError("Deadline Exceeded");
  absl::Status first = cache_.Resolve("people/b").status();
  EXPECT_EQ(first.code(), absl::StatusCode::kUnavailable) << first;
  EXPECT_EQ(source_.fetches, 2);
  // Within the fail-fast window: refused at once, naming the directory, without asking.
  for (int i = 0; i < 5; ++i) {
    absl::Status s = cache_.Resolve("people/b").status();
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
    EXPECT_NE(s.message().find("directory"), absl::string_view::npos) << s;
  }
  EXPECT_EQ(source_.fetches, 2);
  EXPECT_TRUE(cache_.Resolve("people/a").ok());  // what is cached is still served
  // After the window one miss probes; while it waits, every other miss is refused at once.
  clock_.Advance(absl::Milliseconds(1100));
  absl::Status during_probe;
  source_.during_fetch = [&] { during_probe = cache_.Resolve("people/c").status(); };
  EXPECT_EQ(cache_.Resolve("people/b").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(during_probe.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(source_.fetches, 3);  // the probe only
  source_.during_fetch = nullptr;
  EXPECT_EQ(cache_.Resolve("people/b").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(source_.fetches, 3);  // the failed probe opened a new window
  // Back up: the next probe is answered and the cache works as before.
  source_.failure = absl::OkStatus();
  clock_.Advance(absl::Milliseconds(1100));
  EXPECT_TRUE(cache_.Resolve("people/b").ok());
  EXPECT_TRUE(absl::IsNotFound(cache_.Resolve("people/x").status()));
  EXPECT_EQ(source_.fetches, 5);
}

TEST_F(CurrentRolesCacheTest, AWatchMessageEndsTheFailFastWindow) {
  source_.people["people/a"] = {{"MASS_TEACHER"}, "units/bp", false};
  source_.failure = absl::UnavailableError("connection refused");
  EXPECT_EQ(cache_.Resolve("people/a").status().code(), absl::StatusCode::kUnavailable);
  source_.failure = absl::OkStatus();
  EXPECT_EQ(cache_.Resolve("people/a").status().code(), absl::StatusCode::kUnavailable);
  cache_.OnWatchMessage(3);  // the directory answers its change stream again
  EXPECT_TRUE(cache_.Resolve("people/a").ok());
  EXPECT_EQ(source_.fetches, 2);
}

TEST_F(CurrentRolesCacheTest, FetchesWaitingOnTheDirectoryAreBounded) {
  CurrentRolesCache cache(&source_, &clock_, {.max_fetches_in_flight = 1});
  source_.people["people/a"] = {{"MASS_TEACHER"}, "units/bp", false};
  source_.people["people/b"] = {{"MASS_TEACHER"}, "units/bp", false};
  absl::Status second;
  bool nested = false;
  source_.during_fetch = [&] {
    if (std::exchange(nested, true)) return;
    second = cache.Resolve("people/b").status();
  };
  EXPECT_TRUE(cache.Resolve("people/a").ok());
  EXPECT_EQ(second.code(), absl::StatusCode::kUnavailable) << second;
  EXPECT_EQ(source_.fetches, 1);
  EXPECT_TRUE(cache.Resolve("people/b").ok());  // the slot is free again
}

TEST_F(CurrentRolesCacheTest, AuthenticatorUsesTheDirectorysRolesForPeopleOnly) {
  const std::string secret(32, 'k');
  auto verifier = JwtVerifier::Create({.hs256_secret = secret});
  ASSERT_TRUE(verifier.ok());
  Authenticator authenticator(*verifier, &clock_);
  authenticator.SetRolesResolver(&cache_);
  auto mint = [&](const std::string& subject, std::vector<std::string> roles) {
    Claims c;
    c.subject = subject;
    c.roles = std::move(roles);
    c.issuer = c.audience = "bdtx";
    c.expires_at = clock_.Now() + absl::Hours(1);
    return "Bearer " + *MintJwt(c, {JwtAlgorithm::kHs256, secret});
  };
  source_.people["people/a"] = {{"MASS_TEACHER"}, "units/dx", false};
  source_.people["people/gone"] = {{"PROVINCE_OFFICER"}, "units/bp", true};
  absl::StatusOr<Claims> a = authenticator.Authenticate(mint("people/a", {"SYSTEM_ADMIN"}));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->roles, std::vector<std::string>{"MASS_TEACHER"});
  EXPECT_EQ(a->unit, "units/dx");
  EXPECT_EQ(authenticator.Authenticate(mint("people/gone", {})).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(authenticator.Authenticate(mint("people/nobody", {})).status().code(),
            absl::StatusCode::kPermissionDenied);
  absl::StatusOr<Claims> service = authenticator.Authenticate(mint("services/plans", {}));
  ASSERT_TRUE(service.ok());
  absl::StatusOr<Claims> op = authenticator.Authenticate(mint("operators/x", {"SYSTEM_ADMIN"}));
  EXPECT_EQ(op->roles, std::vector<std::string>{"SYSTEM_ADMIN"});
}

TEST_F(CurrentRolesCacheTest, TokenForNeitherAPersonNorAServiceNorAnOperatorIsRefused) {
  const std::string secret(32, 'k');
  auto verifier = JwtVerifier::Create({.hs256_secret = secret});
  ASSERT_TRUE(verifier.ok());
  Authenticator authenticator(*verifier, &clock_);
  authenticator.SetRolesResolver(&cache_);
  source_.people["people/a"] = {{"MASS_TEACHER"}, "units/dx", false};
  for (const std::string subject : {"People/a", "learners/a", "a", "units/dx", "peoplex/a"}) {
    Claims c;
    c.subject = subject;
    c.roles = {"SYSTEM_ADMIN"};
    c.issuer = c.audience = "bdtx";
    c.expires_at = clock_.Now() + absl::Hours(1);
    absl::StatusOr<Claims> got =
        authenticator.Authenticate("Bearer " + *MintJwt(c, {JwtAlgorithm::kHs256, secret}));
    EXPECT_EQ(got.status().code(), absl::StatusCode::kPermissionDenied) << subject;
  }
  EXPECT_EQ(source_.fetches, 0);
}

}  // namespace
}  // namespace bdtx::auth
