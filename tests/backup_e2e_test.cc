// Backups under load: approvals takes commands from several clients while `bdtxctl admin
// backup` streams a checkpoint of its store; the backup is restored (`bdtxctl admin
// restore`) into a fresh directory and a new approvals process starts on it. Every command
// acknowledged before the backup began is there, every hash chain verifies, and the read
// models are exactly what a rebuild from the events gives.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bdtx/v1/approvals.grpc.pb.h"
#include "bdtx/v1/plans.grpc.pb.h"
#include "bdtx/v1/sessions.grpc.pb.h"
#include "common/eventstore/rocksdb_event_store.h"
#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"
#include "services/approvals/store/approvals_store.h"
#include "services/directory/testing/fake_directory.h"
#include "tests/e2e_support.h"

namespace bdtx {
namespace {

using ::bdtx::testing::StartService;
using Person = ::bdtx::testing::Who;

const Person kTeacher{"people/gvcc-thcs", {"CORE_TEACHER", "REPORTER"}, "units/thcs-tanphu"};
const Person kLecturer{"people/gvsp-1", {"PEDAGOGY_LECTURER"}, "units/dhsp"};

// Runs `command` (a shell line) and returns its exit status and output.
std::pair<int, std::string> RunShell(const std::string& command) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof(buf), pipe)) > 0;) output.append(buf, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

TEST(BackupE2eTest, ApprovalsBackedUpUnderLoadRestoresEveryAcknowledgedCommand) {
  testing::TempDir dir;
  const std::string key = "--auth_key_file=" + dir.Sub("auth.key");
  testing::Tokens tokens(dir.Sub("auth.key"));
  auto directory = StartService(BDTX_DIRECTORY_PATH, {"--data_dir=" + dir.Sub("directory"), key});
  ASSERT_TRUE(directory.ok()) << directory.status();
  auto directory_stub = testing::StubTo<v1::Directory>(directory->address);
  ASSERT_TRUE(testing::ImportCsvs(*directory_stub, tokens,
                                  {{v1::UNITS, directory::kSampleUnits},
                                   {v1::PEOPLE, directory::kSamplePeople},
                                   {v1::ASSIGNMENTS, directory::kSampleAssignments}})
                  .ok());
  // The teacher's lecturer for every (year, module) the load uses: 800 documents.
  std::string lecturers = "year,module,kind,from_id,to_id\n";
  for (int n = 0; n < 800; ++n) {
    absl::StrAppend(&lecturers, 2001 + n / 9, ",", 1 + n % 9, ",lecturer,gvsp-1,gvcc-thcs\n");
  }
  ASSERT_TRUE(
      testing::ImportCsvs(*directory_stub, tokens, {{v1::ASSIGNMENTS, lecturers.c_str()}}).ok());
  auto approvals = StartService(BDTX_APPROVALS_PATH, {"--data_dir=" + dir.Sub("approvals"), key,
                                                      "--directory=" + directory->address});
  ASSERT_TRUE(approvals.ok()) << approvals.status();
  auto stub = testing::StubTo<v1::Approvals>(approvals->address);

  // Load: each client submits its documents and the lecturer approves each. The state
  // each acknowledged command left, and when it was acknowledged.
  struct Ack {
    v1::DocumentState state;
    absl::Time at;
  };
  std::mutex mu;
  std::map<std::string, Ack> acked;
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::string first_failure;  // guarded by mu
  auto failed = [&](const std::string& doc, const grpc::Status& s) {
    ++failures;
    std::lock_guard<std::mutex> lock(mu);
    if (first_failure.empty()) first_failure = absl::StrCat(doc, ": ", s.error_message());
  };
  std::vector<std::thread> clients;
  constexpr int kClients = 4;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; !stop && i < 200; ++i) {
        const int n = c * 200 + i;  // 800 distinct (year, module) documents of one teacher
        const std::string doc =
            absl::StrCat("documents/gvcc-thcs-", 2001 + n / 9, "-m", 1 + n % 9, "-plan");
        v1::SubmitRequest submit;
        submit.set_document(doc);
        submit.set_content_sha256(std::string(64, 'a' + c));
        v1::Document d;
        if (grpc::Status s = stub->Submit(tokens.As(kTeacher).get(), submit, &d); !s.ok()) {
          failed(doc, s);
          continue;
        }
        {
          std::lock_guard<std::mutex> lock(mu);
          acked[doc] = {v1::SUBMITTED, absl::Now()};
        }
        v1::ApproveRequest approve;
        approve.set_document(doc);
        approve.set_comment("Đạt");
        if (grpc::Status s = stub->Approve(tokens.As(kLecturer).get(), approve, &d); !s.ok()) {
          failed(doc, s);
          continue;
        }
        std::lock_guard<std::mutex> lock(mu);
        acked[doc] = {v1::LECTURER_APPROVED, absl::Now()};
      }
    });
  }
  // Let the load run, then back up while it goes on.
  for (const absl::Time give_up = absl::Now() + absl::Seconds(60);;) {
    absl::SleepFor(absl::Milliseconds(50));
    std::lock_guard<std::mutex> lock(mu);
    if (acked.size() >= 40) break;
    if (absl::Now() > give_up || failures > 0) {
      stop = true;
      break;
    }
  }
  if (stop) {
    for (std::thread& t : clients) t.join();
    std::lock_guard<std::mutex> lock(mu);
    FAIL() << "the load did not get going: " << acked.size() << " acknowledged, " << failures
           << " failed, first: " << first_failure;
  }
  const absl::Time backup_began = absl::Now();
  const std::string backup_dir = dir.Sub("backup");
  auto [backup_rc, backup_out] = RunShell(
      absl::StrCat(BDTX_BDTXCTL_PATH, " admin backup --service approvals --address ",
                   approvals->address, " --out ", backup_dir, " --key-file ", dir.Sub("auth.key")));
  size_t acked_during_backup;
  {
    std::lock_guard<std::mutex> lock(mu);
    acked_during_backup = acked.size();
  }
  stop = true;
  for (std::thread& t : clients) t.join();
  ASSERT_EQ(backup_rc, 0) << backup_out;
  EXPECT_EQ(failures, 0) << first_failure;
  EXPECT_NE(backup_out.find("events up to position"), std::string::npos) << backup_out;
  ASSERT_TRUE(std::filesystem::exists(backup_dir + "/backup.json"));

  // The load went on during the backup (else this test proves little).
  std::map<std::string, Ack> before;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& [doc, ack] : acked) {
      if (ack.at < backup_began) before[doc] = ack;
    }
  }
  // `acked` keeps each document's latest acknowledgement, so a document acknowledged again
  // after the backup began drops out of `before`: ask for a solid share, not all 40.
  ASSERT_GE(before.size(), 20u);
  EXPECT_GT(acked_during_backup, before.size()) << "no command was acknowledged during the backup";

  // A restore never overwrites a store.
  auto [over_rc, over_out] =
      RunShell(absl::StrCat(BDTX_BDTXCTL_PATH, " admin restore --from ", backup_dir, " --data_dir ",
                            dir.Sub("approvals")));
  EXPECT_NE(over_rc, 0);
  EXPECT_NE(over_out.find("holds a store"), std::string::npos) << over_out;

  // A corrupted backup is refused before anything is written.
  const std::string corrupt_dir = dir.Sub("corrupt");
  std::filesystem::copy(backup_dir, corrupt_dir, std::filesystem::copy_options::recursive);
  for (const auto& e : std::filesystem::directory_iterator(corrupt_dir + "/events")) {
    if (e.path().extension() == ".sst" || e.path().filename().string().rfind("MANIFEST", 0) == 0) {
      std::FILE* f = std::fopen(e.path().c_str(), "r+b");
      ASSERT_NE(f, nullptr);
      std::fputc('X', f);
      std::fclose(f);
      break;
    }
  }
  auto [bad_rc, bad_out] = RunShell(absl::StrCat(BDTX_BDTXCTL_PATH, " admin restore --from ",
                                                 corrupt_dir, " --data_dir ", dir.Sub("bad")));
  EXPECT_NE(bad_rc, 0);
  EXPECT_NE(bad_out.find("does not match"), std::string::npos) << bad_out;
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("bad") + "/events"));

  // Restore into a fresh directory and start approvals on it.
  auto [restore_rc, restore_out] =
      RunShell(absl::StrCat(BDTX_BDTXCTL_PATH, " admin restore --from ", backup_dir, " --data_dir ",
                            dir.Sub("restored")));
  ASSERT_EQ(restore_rc, 0) << restore_out;
  approvals->process->Signal(SIGTERM);
  ASSERT_TRUE(approvals->process->WaitExit(absl::Seconds(30)).ok());
  auto restored = StartService(BDTX_APPROVALS_PATH, {"--data_dir=" + dir.Sub("restored"), key,
                                                     "--directory=" + directory->address});
  ASSERT_TRUE(restored.ok()) << restored.status();
  auto restored_stub = testing::StubTo<v1::Approvals>(restored->address);
  for (const auto& [doc, ack] : before) {
    v1::GetDocumentRequest get;
    get.set_name(doc);
    v1::Document d;
    grpc::Status s = restored_stub->GetDocument(tokens.As(kTeacher).get(), get, &d);
    ASSERT_TRUE(s.ok()) << doc << ": " << s.error_message();
    // At least what was acknowledged before the backup (a later approval may be there too).
    if (ack.state == v1::LECTURER_APPROVED) {
      EXPECT_EQ(d.state(), v1::LECTURER_APPROVED) << doc;
    } else {
      EXPECT_TRUE(d.state() == v1::SUBMITTED || d.state() == v1::LECTURER_APPROVED) << doc;
    }
    v1::VerifyChainRequest verify;
    verify.set_document(doc);
    v1::VerifyChainResponse chain;
    ASSERT_TRUE(restored_stub->VerifyChain(tokens.As(kTeacher).get(), verify, &chain).ok());
    EXPECT_TRUE(chain.intact()) << doc << ": " << chain.detail();
  }
  restored->process->Signal(SIGTERM);
  ASSERT_TRUE(restored->process->WaitExit(absl::Seconds(30)).ok());

  // The restored read models are exactly what the restored events imply.
  auto events = eventstore::RocksDbEventStore::Open(dir.Sub("restored") + "/events");
  ASSERT_TRUE(events.ok()) << events.status();
  approvals::ApprovalsStore store(events->get());
  auto mismatches = store.CheckReadModels();
  ASSERT_TRUE(mismatches.ok()) << mismatches.status();
  EXPECT_TRUE(mismatches->empty()) << mismatches->front();
}

}  // namespace
}  // namespace bdtx

namespace bdtx {
namespace {

const Person kAdmin{"operators/admin", {"SYSTEM_ADMIN"}, ""};
const Person kPrincipal{"people/ht-thcs", {"PRINCIPAL", "CORE_MANAGER"}, "units/thcs-tanphu"};

// Every store a service owns comes back: the directory's credentials (a password set with
// an activation code still signs in) and plans' attachments (a signed scan downloads the
// same bytes) from services restored from `bdtxctl admin backup`.
TEST(BackupE2eTest, CredentialsAndAttachmentsComeBackWithTheirServices) {
  testing::TempDir dir;
  const std::string key = "--auth_key_file=" + dir.Sub("auth.key");
  testing::Tokens tokens(dir.Sub("auth.key"));
  const std::vector<std::string> fast_argon2 = {"--argon2_memory_kib=1024", "--argon2_time_cost=1"};
  auto start_directory = [&](const std::string& data) {
    std::vector<std::string> args = {"--data_dir=" + data, key};
    args.insert(args.end(), fast_argon2.begin(), fast_argon2.end());
    return StartService(BDTX_DIRECTORY_PATH, args);
  };
  auto directory = start_directory(dir.Sub("directory"));
  ASSERT_TRUE(directory.ok()) << directory.status();
  std::string people = directory::kSamplePeople;
  people.replace(people.find("gvcc-thcs,,"), 11, "gvcc-thcs,GV0001,");
  auto directory_stub = testing::StubTo<v1::Directory>(directory->address);
  ASSERT_TRUE(testing::ImportCsvs(*directory_stub, tokens,
                                  {{v1::UNITS, directory::kSampleUnits},
                                   {v1::PEOPLE, people.c_str()},
                                   {v1::ASSIGNMENTS, directory::kSampleAssignments}})
                  .ok());
  const std::string d = "--directory=" + directory->address;
  auto grading = StartService(BDTX_GRADING_PATH, {"--data_dir=" + dir.Sub("grading"), key, d});
  ASSERT_TRUE(grading.ok()) << grading.status();
  auto approvals =
      StartService(BDTX_APPROVALS_PATH, {"--data_dir=" + dir.Sub("approvals"), key, d});
  ASSERT_TRUE(approvals.ok()) << approvals.status();
  auto start_plans = [&](const std::string& data) {
    return StartService(BDTX_PLANS_PATH,
                        {"--data_dir=" + data, key, d, "--approvals=" + approvals->address,
                         "--grading=" + grading->address});
  };
  auto plans = start_plans(dir.Sub("plans"));
  ASSERT_TRUE(plans.ok()) << plans.status();

  // A password, set with an activation code.
  auto sessions = testing::StubTo<v1::Sessions>(directory->address);
  v1::IssueActivationCodeRequest issue;
  issue.set_person("people/gvcc-thcs");
  v1::ActivationCode code;
  ASSERT_TRUE(sessions->IssueActivationCode(tokens.As(kAdmin).get(), issue, &code).ok());
  v1::ActivateAccountRequest activate;
  activate.set_username("GV0001");
  activate.set_activation_code(code.code());
  activate.set_new_password("sao-luu-roi-khoi-phuc");
  v1::ActivateAccountResponse activated;
  {
    grpc::ClientContext ctx;
    grpc::Status s = sessions->ActivateAccount(&ctx, activate, &activated);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  // A signed scan on the teacher's approved plan.
  auto plans_stub = testing::StubTo<v1::Plans>(plans->address);
  v1::CreatePlanRequest create;
  create.set_author(kTeacher.name);
  create.set_year(2023);
  create.set_module(4);
  v1::SupportDocument plan;
  ASSERT_TRUE(plans_stub->CreatePlan(tokens.As(kTeacher).get(), create, &plan).ok());
  v1::SubmitSupportDocumentRequest submit;
  submit.set_name(plan.content().name());
  ASSERT_TRUE(plans_stub->SubmitDocument(tokens.As(kTeacher).get(), submit, &plan).ok());
  auto approvals_stub = testing::StubTo<v1::Approvals>(approvals->address);
  v1::ApproveRequest approve;
  approve.set_document(plan.content().name());
  v1::Document approved;
  ASSERT_TRUE(approvals_stub->Approve(tokens.As(kLecturer).get(), approve, &approved).ok());
  std::string scan = "%PDF-1.4\n";
  while (scan.size() < 300000) scan += static_cast<char>('a' + scan.size() * 7 % 26);
  scan += "%%EOF\n";
  v1::Attachment attachment;
  {
    auto ctx = tokens.As(kPrincipal);
    auto writer = plans_stub->UploadAttachment(ctx.get(), &attachment);
    v1::UploadAttachmentRequest msg;
    msg.mutable_metadata()->set_document(plan.content().name());
    msg.mutable_metadata()->set_file_name("ke-hoach-da-ky.pdf");
    ASSERT_TRUE(writer->Write(msg));
    for (size_t at = 0; at < scan.size(); at += 64 << 10) {
      msg.Clear();
      msg.set_chunk(scan.substr(at, 64 << 10));
      ASSERT_TRUE(writer->Write(msg));
    }
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // Back up both, stop them, restore into fresh directories, start there.
  for (const auto& [service, address] :
       {std::pair<std::string, std::string>{"directory", directory->address},
        {"plans", plans->address}}) {
    auto [rc, out] = RunShell(
        absl::StrCat(BDTX_BDTXCTL_PATH, " admin backup --service ", service, " --address ", address,
                     " --out ", dir.Sub("backup-" + service), " --key-file ", dir.Sub("auth.key")));
    ASSERT_EQ(rc, 0) << out;
  }
  const std::string manifest = [&] {
    std::ifstream in(dir.Sub("backup-directory") + "/backup.json");
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }();
  EXPECT_NE(manifest.find("\"credentials/"), std::string::npos) << manifest;
  EXPECT_NE(manifest.find("\"events/"), std::string::npos) << manifest;
  EXPECT_TRUE(std::filesystem::exists(dir.Sub("backup-plans") + "/attachments"));
  for (auto* running : {&*plans, &*directory}) {
    running->process->Signal(SIGTERM);
    ASSERT_TRUE(running->process->WaitExit(absl::Seconds(30)).ok());
  }
  for (const std::string service : {"directory", "plans"}) {
    auto [rc, out] = RunShell(absl::StrCat(BDTX_BDTXCTL_PATH, " admin restore --from ",
                                           dir.Sub("backup-" + service), " --data_dir ",
                                           dir.Sub("restored-" + service)));
    ASSERT_EQ(rc, 0) << out;
  }
  EXPECT_TRUE(std::filesystem::exists(dir.Sub("restored-directory") + "/credentials/CURRENT"));
  EXPECT_TRUE(std::filesystem::exists(dir.Sub("restored-plans") + "/attachments/CURRENT"));
  // Restore refuses to overwrite any of the stores (here: the credentials).
  std::filesystem::create_directories(dir.Sub("partly") + "/credentials");
  std::ofstream(dir.Sub("partly") + "/credentials/CURRENT") << "x";
  auto [over_rc, over_out] =
      RunShell(absl::StrCat(BDTX_BDTXCTL_PATH, " admin restore --from ",
                            dir.Sub("backup-directory"), " --data_dir ", dir.Sub("partly")));
  EXPECT_NE(over_rc, 0);
  EXPECT_NE(over_out.find("credentials holds a store"), std::string::npos) << over_out;
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("partly") + "/events"));

  // The restored directory listens on a new port: plans (and the test) follow it.
  auto restored_directory = start_directory(dir.Sub("restored-directory"));
  ASSERT_TRUE(restored_directory.ok()) << restored_directory.status();
  auto restored_sessions = testing::StubTo<v1::Sessions>(restored_directory->address);
  v1::CreateSessionRequest sign_in;
  sign_in.set_username("GV0001");
  sign_in.set_password("sao-luu-roi-khoi-phuc");
  v1::Session session;
  {
    grpc::ClientContext ctx;
    grpc::Status s = restored_sessions->CreateSession(&ctx, sign_in, &session);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(session.person(), "people/gvcc-thcs");
  }
  sign_in.set_password("mat-khau-khac-han");
  {
    grpc::ClientContext ctx;
    EXPECT_EQ(restored_sessions->CreateSession(&ctx, sign_in, &session).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  auto restored_plans = StartService(
      BDTX_PLANS_PATH,
      {"--data_dir=" + dir.Sub("restored-plans"), key, "--directory=" + restored_directory->address,
       "--approvals=" + approvals->address, "--grading=" + grading->address});
  ASSERT_TRUE(restored_plans.ok()) << restored_plans.status();
  auto restored_stub = testing::StubTo<v1::Plans>(restored_plans->address);
  v1::DownloadAttachmentRequest download;
  download.set_document(plan.content().name());
  download.set_sha256(attachment.sha256());
  auto ctx = tokens.As(kPrincipal);
  auto reader = restored_stub->DownloadAttachment(ctx.get(), download);
  std::string bytes;
  for (v1::AttachmentChunk chunk; reader->Read(&chunk);) bytes += chunk.data();
  grpc::Status s = reader->Finish();
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(bytes == scan) << "restored scan has " << bytes.size() << " bytes of " << scan.size();
}

}  // namespace
}  // namespace bdtx
