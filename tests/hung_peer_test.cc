// A hung peer: the directory process is stopped (SIGSTOP: connections stay open, nothing
// answers). Calls that need it fail within the caller's deadline with UNAVAILABLE naming
// the directory; a burst of such calls does not pile up (every one is answered by its
// deadline, and once the directory answers again the next call is served at once).
#include <signal.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bdtx/v1/approvals.grpc.pb.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "bdtx/v1/grading.grpc.pb.h"
#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"
#include "services/directory/testing/fake_directory.h"
#include "tests/e2e_support.h"

namespace bdtx {
namespace {

using ::bdtx::testing::Running;
using ::bdtx::testing::StartService;
using ::bdtx::testing::Who;

const Who kTeacher{"people/gvcc-thcs", {"CORE_TEACHER", "REPORTER"}, "units/thcs-tanphu"};
const Who kPhong{"people/cv-phong", {"DISTRICT_OFFICER"}, "units/dx"};

class HungPeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory =
        testing::StartDirectory(BDTX_DIRECTORY_PATH, dir_.Sub("directory"), Key(), tokens_,
                                {{v1::UNITS, directory::kSampleUnits},
                                 {v1::PEOPLE, directory::kSamplePeople},
                                 {v1::ASSIGNMENTS, directory::kSampleAssignments}});
    ASSERT_TRUE(directory.ok()) << directory.status();
    directory_ = *std::move(directory);
  }
  void TearDown() override {
    if (directory_.process) directory_.process->Signal(SIGCONT);
  }
  std::unique_ptr<grpc::ClientContext> Ctx(const Who& who, absl::Duration timeout) {
    auto ctx = tokens_.As(who);
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    return ctx;
  }
  std::string Key() const { return "--auth_key_file=" + dir_.Sub("auth.key"); }

  testing::TempDir dir_;
  testing::Tokens tokens_{dir_.Sub("auth.key")};
  Running directory_;
};

TEST_F(HungPeerTest, ApprovalsAnswersUnavailableNamingTheDirectoryWithinTheDeadline) {
  auto approvals = StartService(BDTX_APPROVALS_PATH, {"--data_dir=" + dir_.Sub("approvals"), Key(),
                                                      "--directory=" + directory_.address});
  ASSERT_TRUE(approvals.ok()) << approvals.status();
  auto stub = testing::StubTo<v1::Approvals>(approvals->address);
  directory_.process->Signal(SIGSTOP);
  // A first submission needs the directory's routing.
  v1::SubmitRequest req;
  req.set_document("documents/gvcc-thcs-2023-m4-plan");
  req.set_content_sha256(std::string(64, 'a'));
  v1::Document out;
  const absl::Time start = absl::Now();
  grpc::Status s = stub->Submit(Ctx(kTeacher, absl::Seconds(3)).get(), req, &out);
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "directory")) << s.error_message();
  EXPECT_LT(took, absl::Seconds(3));

  // Back: served again once the fail-fast window (1 s, or the watch's next heartbeat)
  // is over.
  directory_.process->Signal(SIGCONT);
  const absl::Time back = absl::Now();
  while (!(s = stub->Submit(Ctx(kTeacher, absl::Seconds(10)).get(), req, &out)).ok() &&
         absl::Now() < back + absl::Seconds(3)) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_LT(absl::Now() - back, absl::Seconds(2));
}

TEST_F(HungPeerTest, GradingBurstAgainstAHungDirectoryIsAnsweredByEachDeadline) {
  auto grading = StartService(BDTX_GRADING_PATH, {"--data_dir=" + dir_.Sub("grading"), Key(),
                                                  "--directory=" + directory_.address});
  ASSERT_TRUE(grading.ok()) << grading.status();
  auto stub = testing::StubTo<v1::Grading>(grading->address);
  directory_.process->Signal(SIGSTOP);
  // A Phòng officer reading a learner's completion: grading asks the directory where the
  // learner works. 40 at once, far more than grading's workers.
  constexpr int kCalls = 40;
  // The service's own wait on the directory is 2 s; the callers allow 5 s so that a
  // burst on a loaded 2-core CI machine is still answered by the service (UNAVAILABLE
  // naming the directory), not cut by the caller's deadline.
  const absl::Duration timeout = absl::Seconds(5);
  std::atomic<int> unavailable_naming_directory{0}, late{0}, other{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < kCalls; ++i) {
    callers.emplace_back([&, i] {
      v1::GetCompletionRequest req;
      req.set_learner(absl::StrCat("people/hung-", i));
      v1::GetCompletionResponse resp;
      const absl::Time start = absl::Now();
      grpc::Status s = stub->GetCompletion(Ctx(kPhong, timeout).get(), req, &resp);
      if (absl::Now() - start > timeout + absl::Milliseconds(500)) ++late;
      // The Phòng's current roles also come from the directory (ADR 012): the first
      // lookups wait for their 2 s deadline, every later one is refused at once
      // (common/auth/current_roles fails fast while the directory is known down).
      if (s.error_code() == grpc::StatusCode::UNAVAILABLE &&
          absl::StrContains(s.error_message(), "directory")) {
        ++unavailable_naming_directory;
      } else {
        ++other;
        ADD_FAILURE() << s.error_code() << " " << s.error_message();
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(unavailable_naming_directory.load(), kCalls);
  EXPECT_EQ(late.load(), 0);

  // Still hung: a further call is refused at once (fail-fast), not after 2 s.
  {
    v1::GetCompletionRequest req;
    req.set_learner("people/hung-again");
    v1::GetCompletionResponse resp;
    const absl::Time start = absl::Now();
    grpc::Status s = stub->GetCompletion(Ctx(kPhong, timeout).get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
    EXPECT_LT(absl::Now() - start, absl::Seconds(1)) << s.error_message();
  }

  // Nothing queued behind: once the directory answers, calls are served again within the
  // fail-fast window (1 s, or until the watch's next heartbeat).
  directory_.process->Signal(SIGCONT);
  v1::GetCompletionRequest req;
  req.set_learner("people/gv-1");
  v1::GetCompletionResponse resp;
  const absl::Time start = absl::Now();
  grpc::Status s;
  while (!(s = stub->GetCompletion(Ctx(kPhong, absl::Seconds(10)).get(), req, &resp)).ok() &&
         absl::Now() < start + absl::Seconds(3)) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

}  // namespace
}  // namespace bdtx
