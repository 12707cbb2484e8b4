// DirectoryClient against a real directory process: batched people lookups (more than
// one batch), their order, the cache, and errors.
#include "common/clients/directory_client.h"

#include <signal.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/auth/jwt.h"
#include "common/auth/service_token.h"
#include "common/clock/clock.h"
#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"
#include "services/directory/testing/fake_directory.h"
#include "tests/e2e_support.h"

namespace bdtx {
namespace {

namespace v1 = ::bdtx::v1;

constexpr int kTeachers = 2'345;  // three batches of up to 1000

class DirectoryClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory = testing::StartService(
        BDTX_DIRECTORY_PATH,
        {"--data_dir=" + dir_.Sub("directory"), "--auth_key_file=" + dir_.Sub("auth.key")});
    ASSERT_TRUE(directory.ok()) << directory.status();
    directory_ = *std::move(directory);
    stub_ = testing::StubTo<v1::Directory>(directory_.address);
    people_ = directory::kSamplePeople;
    for (int i = 0; i < kTeachers; ++i) {
      absl::StrAppendFormat(&people_, "gv-%04d,,Giáo viên %d,mass_teacher,thcs-tanphu,,THCS,\n", i,
                            i);
    }
    ASSERT_TRUE(
        testing::ImportCsvs(*stub_, tokens_,
                            {{v1::UNITS, directory::kSampleUnits}, {v1::PEOPLE, people_.c_str()}})
            .ok());
    auto key = auth::ReadKeyFile(dir_.Sub("auth.key"));
    ASSERT_TRUE(key.ok());
    token_ = std::make_unique<auth::ServiceToken>("grading", *key, &RealClock());
  }

  static std::vector<std::string> Teachers(int from, int to) {
    std::vector<std::string> names;
    for (int i = from; i < to; ++i) names.push_back(absl::StrFormat("people/gv-%04d", i));
    return names;
  }

  testing::TempDir dir_;
  testing::Tokens tokens_{dir_.Sub("auth.key")};
  testing::Running directory_;
  std::unique_ptr<v1::Directory::Stub> stub_;
  std::string people_;
  std::unique_ptr<auth::ServiceToken> token_;
};

TEST_F(DirectoryClientTest, GetPeopleAnswersEveryoneInOrderAcrossBatches) {
  clients::DirectoryClient client(stub_.get(), token_.get());
  std::vector<std::string> names = Teachers(0, kTeachers);
  std::reverse(names.begin(), names.end());
  names.push_back("people/gvcc-thcs");
  auto people = client.GetPeople(names);
  ASSERT_TRUE(people.ok()) << people.status();
  ASSERT_EQ(people->size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ((*people)[i].name(), names[i]) << i;
  EXPECT_EQ(people->front().display_name(), absl::StrCat("Giáo viên ", kTeachers - 1));
  EXPECT_EQ(people->back().display_name(), "Nguyễn Văn An");

  auto none = client.GetPeople({});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(DirectoryClientTest, GetPeopleNamesTheFirstUnknownPerson) {
  clients::DirectoryClient client(stub_.get(), token_.get());
  std::vector<std::string> names = Teachers(0, 1500);
  names.push_back("people/nobody");
  auto people = client.GetPeople(names);
  EXPECT_EQ(people.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(people.status().message().find("people/nobody"), std::string::npos) << people.status();
}

TEST_F(DirectoryClientTest, CachedPeopleAreServedWithoutTheDirectory) {
  clients::DirectoryClient client(stub_.get(), token_.get(), absl::Minutes(1));
  auto first = client.GetPeople(Teachers(0, 1200));
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(client.GetPerson("people/gvcc-thcs").ok());
  directory_.process->Signal(SIGTERM);
  ASSERT_TRUE(directory_.process->WaitExit(absl::Seconds(30)).ok());
  // Everyone asked before comes from the cache, whether fetched singly or in a batch.
  std::vector<std::string> again = Teachers(100, 1200);
  again.insert(again.begin() + 50, "people/gvcc-thcs");
  auto cached = client.GetPeople(again);
  ASSERT_TRUE(cached.ok()) << cached.status();
  ASSERT_EQ(cached->size(), again.size());
  EXPECT_EQ((*cached)[50].display_name(), "Nguyễn Văn An");
  EXPECT_EQ((*cached)[0].name(), "people/gv-0100");
  // Someone never asked needs the directory, which is gone: UNAVAILABLE names it.
  auto gone = client.GetPeople({"people/gv-0000", "people/gv-2000"});
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kUnavailable) << gone.status();
  EXPECT_NE(gone.status().message().find("directory"), std::string::npos) << gone.status();
}

}  // namespace
}  // namespace bdtx
