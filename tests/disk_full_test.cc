// A full disk under a service: approvals runs with its data directory on a small tmpfs
// the test mounts (root only; skipped with the reason otherwise), then the disk is filled.
// Writes are refused with RESOURCE_EXHAUSTED naming the disk, reads keep working, health
// says NOT_SERVING, nothing acknowledged is lost or corrupted, and once space is freed the
// service writes again without a restart (and after one).
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bdtx/v1/approvals.grpc.pb.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "common/eventstore/rocksdb_event_store.h"
#include "common/testing/temp_dir.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/approvals/store/approvals_store.h"
#include "services/directory/testing/fake_directory.h"
#include "tests/e2e_support.h"

namespace bdtx {
namespace {

using ::bdtx::testing::Running;
using ::bdtx::testing::StartService;
using ::bdtx::testing::Who;

const Who kTeacher{"people/gvcc-thcs", {"CORE_TEACHER", "REPORTER"}, "units/thcs-tanphu"};
const Who kLecturer{"people/gvsp-1", {"PEDAGOGY_LECTURER"}, "units/dhsp"};
const std::string kDoc = "documents/gvcc-thcs-2023-m4-plan";

class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    small_ = dir_.Sub("small");
    std::filesystem::create_directories(small_);
    if (mount("tmpfs", small_.c_str(), "tmpfs", 0, "size=8m") != 0) {
      GTEST_SKIP() << "cannot mount a size-limited tmpfs for the full-disk test ("
                   << std::strerror(errno) << "); run the tests as root to include it";
    }
    mounted_ = true;
    auto directory =
        testing::StartDirectory(BDTX_DIRECTORY_PATH, dir_.Sub("directory"), Key(), tokens_,
                                {{v1::UNITS, directory::kSampleUnits},
                                 {v1::PEOPLE, directory::kSamplePeople},
                                 {v1::ASSIGNMENTS, directory::kSampleAssignments}});
    ASSERT_TRUE(directory.ok()) << directory.status();
    directory_ = *std::move(directory);
  }
  void TearDown() override {
    if (approvals_.process) {
      approvals_.process->Signal(SIGKILL);
      (void)approvals_.process->WaitExit(absl::Seconds(10));
    }
    if (mounted_) umount2(small_.c_str(), MNT_DETACH);
  }
  void StartApprovals() {
    auto approvals = StartService(BDTX_APPROVALS_PATH,
                                  {"--data_dir=" + small_ + "/approvals", Key(),
                                   "--directory=" + directory_.address, "--min_free_disk_mb=1"});
    ASSERT_TRUE(approvals.ok()) << approvals.status();
    approvals_ = *std::move(approvals);
    stub_ = testing::StubTo<v1::Approvals>(approvals_.address);
  }
  // Submit when draft/returned, return when submitted: one event per command.
  grpc::Status Step(int n, v1::Document* out) {
    if (n % 2 == 1) {
      v1::ReturnRequest req;
      req.set_document(kDoc);
      req.set_reason(absl::StrCat("Bổ sung lần ", n, std::string(1900, '.')));
      return stub_->Return(tokens_.As(kLecturer).get(), req, out);
    }
    v1::SubmitRequest req;
    req.set_document(kDoc);
    req.set_content_sha256(absl::StrFormat("%064x", n + 1));
    return stub_->Submit(tokens_.As(kTeacher).get(), req, out);
  }
  // Fills the disk with a file until the kernel says it is full.
  void Fill() {
    const int fd = open((small_ + "/filler").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    const std::string chunk(64 << 10, 'x');
    while (true) {
      const ssize_t n = write(fd, chunk.data(), chunk.size());
      if (n <= 0) break;
    }
    close(fd);
  }
  grpc::health::v1::HealthCheckResponse::ServingStatus Health() {
    auto health = grpc::health::v1::Health::NewStub(
        grpc::CreateChannel(approvals_.address, grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckResponse resp;
    grpc::Status s = health->Check(&ctx, grpc::health::v1::HealthCheckRequest(), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.status();
  }
  std::string Key() const { return "--auth_key_file=" + dir_.Sub("auth.key"); }

  testing::TempDir dir_;
  testing::Tokens tokens_{dir_.Sub("auth.key")};
  std::string small_;
  bool mounted_ = false;
  Running directory_, approvals_;
  std::unique_ptr<v1::Approvals::Stub> stub_;
};

TEST_F(DiskFullTest, WritesRefusedNamingTheDiskReadsServedNothingLostWritesAgainAfterFreeing) {
  StartApprovals();
  int n = 0;
  v1::Document doc;
  for (; n < 3; ++n) {
    grpc::Status s = Step(n, &doc);
    ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << approvals_.process->Output();
  }
  int64_t acked = doc.version();
  EXPECT_EQ(Health(), grpc::health::v1::HealthCheckResponse::SERVING);

  Fill();
  // Commands until the disk refuses one (RocksDB may still have a few pages of room).
  grpc::Status refused;
  for (int tries = 0; tries < 500; ++tries, ++n) {
    grpc::Status s = Step(n, &doc);
    if (!s.ok()) {
      refused = s;
      break;
    }
    acked = doc.version();
  }
  ASSERT_FALSE(refused.ok()) << "the full disk never refused a write";
  ASSERT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << refused.error_message() << "\n"
      << approvals_.process->Output();
  EXPECT_TRUE(absl::StrContains(refused.error_message(), "ổ đĩa")) << refused.error_message();
  // Every later write is refused the same way, reads are served, health says so.
  v1::Document ignored;
  EXPECT_EQ(Step(n, &ignored).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  v1::GetDocumentRequest get;
  get.set_name(kDoc);
  v1::Document read;
  grpc::Status r = stub_->GetDocument(tokens_.As(kTeacher).get(), get, &read);
  ASSERT_TRUE(r.ok()) << r.error_message();
  EXPECT_EQ(read.version(), acked);
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (Health() != grpc::health::v1::HealthCheckResponse::NOT_SERVING && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(Health(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);

  // Space freed: writes succeed again without a restart, health is SERVING again.
  std::filesystem::remove(small_ + "/filler");
  n = static_cast<int>(acked);  // the next command for the state the document is in
  grpc::Status again = Step(n, &doc);
  ASSERT_TRUE(again.ok()) << again.error_message();
  EXPECT_EQ(doc.version(), acked + 1);
  acked = doc.version();
  const absl::Time serving_by = absl::Now() + absl::Seconds(5);
  while (Health() != grpc::health::v1::HealthCheckResponse::SERVING && absl::Now() < serving_by) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(Health(), grpc::health::v1::HealthCheckResponse::SERVING);

  // And after a restart nothing acknowledged is lost.
  approvals_.process->Signal(SIGTERM);
  ASSERT_TRUE(approvals_.process->WaitExit(absl::Seconds(30)).ok());
  StartApprovals();
  r = stub_->GetDocument(tokens_.As(kTeacher).get(), get, &read);
  ASSERT_TRUE(r.ok()) << r.error_message();
  EXPECT_EQ(read.version(), acked);
  v1::VerifyChainRequest vreq;
  vreq.set_document(kDoc);
  v1::VerifyChainResponse chain;
  ASSERT_TRUE(stub_->VerifyChain(tokens_.As(kTeacher).get(), vreq, &chain).ok());
  EXPECT_TRUE(chain.intact()) << chain.detail();

  // The read models equal a rebuild from the events.
  approvals_.process->Signal(SIGTERM);
  ASSERT_TRUE(approvals_.process->WaitExit(absl::Seconds(30)).ok());
  approvals_ = Running{};
  auto events = eventstore::RocksDbEventStore::Open(small_ + "/approvals/events");
  ASSERT_TRUE(events.ok()) << events.status();
  approvals::ApprovalsStore store(events->get());
  auto mismatches = store.CheckReadModels();
  ASSERT_TRUE(mismatches.ok()) << mismatches.status();
  EXPECT_TRUE(mismatches->empty()) << mismatches->front();
}

}  // namespace
}  // namespace bdtx
