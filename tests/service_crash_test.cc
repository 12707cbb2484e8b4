// kill -9 under load, per stateful service: many concurrent gRPC clients drive a real
// service process; each records every acknowledged command and the one it had in flight.
// The process is SIGKILLed at a random moment, restarted on the same data directory,
// and then:
//   - nothing acknowledged is lost (every document/person is at least where its last
//     acknowledgement left it);
//   - nothing unacknowledged is half-applied (the command in flight is either wholly
//     there or wholly absent; retried with its request_id it applies exactly once);
//   - approvals' hash chains verify and, after the last round, the read models equal a
//     rebuild from the events.
// Kills per service: BDTX_CRASH_KILLS (default 10; run ≥ 50 by hand, docs/fuzzing.md).
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bdtx/v1/approvals.grpc.pb.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "bdtx/v1/grading.grpc.pb.h"
#include "bdtx/v1/notifications.grpc.pb.h"
#include "bdtx/v1/plans.grpc.pb.h"
#include "common/eventstore/rocksdb_event_store.h"
#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"
#include "services/approvals/store/approvals_store.h"
#include "services/directory/testing/fake_directory.h"
#include "services/notifications/domain/rules.h"
#include "tests/e2e_support.h"

namespace bdtx {
namespace {

using ::bdtx::testing::Running;
using ::bdtx::testing::StartService;
using ::bdtx::testing::Who;

int Kills() {
  const char* env = std::getenv("BDTX_CRASH_KILLS");
  return env != nullptr && std::atoi(env) > 0 ? std::atoi(env) : 10;
}

// A failure that means "the process is gone" (the kill), not a wrong answer.
bool Died(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::UNAVAILABLE ||
         s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
         s.error_code() == grpc::StatusCode::CANCELLED ||
         s.error_code() == grpc::StatusCode::INTERNAL;  // connection reset mid-response
}

std::unique_ptr<grpc::ClientContext> Ctx(const testing::Tokens& tokens, const Who& who,
                                         int seconds = 10) {
  auto ctx = tokens.As(who);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return ctx;
}

class ServiceCrashTest : public ::testing::Test {
 protected:
  void StartDirectory() {
    auto directory =
        StartService(BDTX_DIRECTORY_PATH, {"--data_dir=" + dir_.Sub("directory"), Key()});
    ASSERT_TRUE(directory.ok()) << directory.status();
    directory_ = *std::move(directory);
  }
  void ImportSample() {
    auto stub = testing::StubTo<v1::Directory>(directory_.address);
    ASSERT_TRUE(testing::ImportCsvs(*stub, tokens_,
                                    {{v1::UNITS, directory::kSampleUnits},
                                     {v1::PEOPLE, directory::kSamplePeople},
                                     {v1::ASSIGNMENTS, directory::kSampleAssignments}})
                    .ok());
  }
  // SIGKILL after a random 50–600 ms of load.
  void KillSoon(Running& running, std::mt19937& rng) {
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(50, 600)(rng)));
    running.process->Signal(SIGKILL);
    ASSERT_TRUE(running.process->WaitExit(absl::Seconds(20)).ok());
  }

  std::string Key() const { return "--auth_key_file=" + dir_.Sub("auth.key"); }

  testing::TempDir dir_;
  testing::Tokens tokens_{dir_.Sub("auth.key")};
  Running directory_;
};

// ------------------------------------------------------------------ approvals

struct Author {
  Who who;
  Who lecturer;
};

const Who kPedagogy{"people/gvsp-1", {"PEDAGOGY_LECTURER"}, "units/dhsp"};
const Who kManagement{"people/gvqlgd-1", {"MANAGEMENT_LECTURER"}, "units/hvqlgd"};

const std::vector<Author>& Authors() {
  static const auto* authors = new std::vector<Author>{
      {{"people/gvcc-thcs", {"CORE_TEACHER", "REPORTER"}, "units/thcs-tanphu"}, kPedagogy},
      {{"people/gvcc-phong", {"CORE_TEACHER"}, "units/dx"}, kPedagogy},
      {{"people/gvcc-so", {"CORE_TEACHER"}, "units/bp"}, kPedagogy},
      {{"people/cbqlcc-th", {"CORE_MANAGER"}, "units/th-tanphu"}, kManagement},
      {{"people/cbqlcc-ththcs", {"CORE_MANAGER"}, "units/ththcs-tienhung"}, kManagement},
      {{"people/cbqlcc-dx-lower", {"CORE_MANAGER"}, "units/thcsthpt-dx"}, kManagement},
  };
  return *authors;
}

// One client's view of its document: what was acknowledged, what is in flight.
struct DocumentLedger {
  std::string name;
  int64_t acked_version = 0;
  v1::DocumentState acked_state = v1::DRAFT;
  int counter = 0;
  bool in_flight = false;  // a command whose answer never came
  std::string in_flight_request;
};

class ApprovalsCrashTest : public ServiceCrashTest {
 protected:
  void StartApprovals() {
    auto approvals = StartService(
        BDTX_APPROVALS_PATH,
        {"--data_dir=" + dir_.Sub("approvals"), Key(), "--directory=" + directory_.address});
    ASSERT_TRUE(approvals.ok()) << approvals.status();
    approvals_ = *std::move(approvals);
    stub_ = testing::StubTo<v1::Approvals>(approvals_.address);
  }

  // The next command for the document: submit when it is a draft or returned, the
  // lecturer returns it when submitted. Every command carries a request_id.
  grpc::Status Next(const Author& a, DocumentLedger& d, const std::string& request_id,
                    v1::Document* out) {
    if (d.acked_state == v1::SUBMITTED) {
      v1::ReturnRequest req;
      req.set_document(d.name);
      req.set_reason(absl::StrCat("Bổ sung minh chứng lần ", d.counter));
      req.set_request_id(request_id);
      return stub_->Return(Ctx(tokens_, a.lecturer).get(), req, out);
    }
    v1::SubmitRequest req;
    req.set_document(d.name);
    req.set_content_sha256(absl::StrFormat("%064x", d.counter + 1));
    req.set_request_id(request_id);
    return stub_->Submit(Ctx(tokens_, a.who).get(), req, out);
  }

  void Acknowledge(DocumentLedger& d, const v1::Document& doc) {
    d.acked_version = doc.version();
    d.acked_state = doc.state();
    d.in_flight = false;
    ++d.counter;
  }

  std::unique_ptr<v1::Approvals::Stub> stub_;
  Running approvals_;
};

TEST_F(ApprovalsCrashTest, KilledUnderLoadLosesNothingAcknowledgedAndHalfAppliesNothing) {
  StartDirectory();
  ImportSample();
  StartApprovals();
  std::vector<DocumentLedger> ledgers;
  for (const Author& a : Authors()) {
    DocumentLedger d;
    d.name = absl::StrCat("documents/", a.who.name.substr(7), "-2023-m4-plan");
    ledgers.push_back(d);
  }
  std::mt19937 rng(20231129);
  const int kills = Kills();
  int64_t acknowledged = 0, replayed = 0, reapplied = 0;
  for (int round = 0; round < kills; ++round) {
    std::atomic<bool> stop{false};
    std::atomic<int64_t> acks{0};
    std::vector<std::string> failures;
    std::mutex failures_mu;
    std::vector<std::thread> clients;
    for (size_t i = 0; i < Authors().size(); ++i) {
      clients.emplace_back([&, i] {
        const Author& a = Authors()[i];
        DocumentLedger& d = ledgers[i];
        while (!stop.load() && !d.in_flight) {
          const std::string request_id = absl::StrCat("c", i, "-", d.counter);
          v1::Document doc;
          grpc::Status s = Next(a, d, request_id, &doc);
          if (s.ok()) {
            if (doc.version() != d.acked_version + 1) {
              std::lock_guard lock(failures_mu);
              failures.push_back(absl::StrCat(d.name, ": acknowledged version ", doc.version(),
                                              " after ", d.acked_version));
            }
            Acknowledge(d, doc);
            ++acks;
          } else if (Died(s)) {
            d.in_flight = true;
            d.in_flight_request = request_id;
          } else {
            std::lock_guard lock(failures_mu);
            failures.push_back(absl::StrCat(d.name, ": ", s.error_code(), " ", s.error_message()));
            return;
          }
        }
      });
    }
    KillSoon(approvals_, rng);
    stop = true;
    for (auto& t : clients) t.join();
    ASSERT_TRUE(failures.empty()) << "round " << round << ": " << failures.front();
    acknowledged += acks.load();

    StartApprovals();
    for (size_t i = 0; i < Authors().size(); ++i) {
      const Author& a = Authors()[i];
      DocumentLedger& d = ledgers[i];
      v1::GetDocumentRequest get;
      get.set_name(d.name);
      v1::Document now;
      grpc::Status s = stub_->GetDocument(Ctx(tokens_, a.who).get(), get, &now);
      if (d.acked_version == 0 && s.error_code() == grpc::StatusCode::NOT_FOUND) {
        now.set_version(0);  // never written: the first submission was not applied
      } else {
        ASSERT_TRUE(s.ok()) << d.name << ": " << s.error_message();
      }
      // Nothing acknowledged lost; at most the one command in flight applied.
      ASSERT_GE(now.version(), d.acked_version) << d.name << " lost acknowledged events";
      ASSERT_LE(now.version(), d.acked_version + (d.in_flight ? 1 : 0))
          << d.name << " has events nobody sent";
      if (d.in_flight) {
        // The retry with the same request_id applies it exactly once.
        const bool was_applied = now.version() == d.acked_version + 1;
        v1::Document retried;
        grpc::Status r = Next(a, d, d.in_flight_request, &retried);
        ASSERT_TRUE(r.ok()) << d.name << " retry: " << r.error_message();
        ASSERT_EQ(retried.version(), d.acked_version + 1) << d.name;
        (was_applied ? replayed : reapplied) += 1;
        Acknowledge(d, retried);
      }
      if (d.acked_version > 0) {
        v1::VerifyChainRequest vreq;
        vreq.set_document(d.name);
        v1::VerifyChainResponse chain;
        ASSERT_TRUE(stub_->VerifyChain(Ctx(tokens_, a.who).get(), vreq, &chain).ok());
        ASSERT_TRUE(chain.intact()) << d.name << ": " << chain.detail();
        ASSERT_EQ(chain.events(), d.acked_version) << d.name;
      }
    }
  }
  std::printf(
      "approvals: %d kills survived, %lld commands acknowledged, %lld in-flight commands "
      "found applied (retry replayed), %lld found absent (retry applied)\n",
      kills, static_cast<long long>(acknowledged), static_cast<long long>(replayed),
      static_cast<long long>(reapplied));
  EXPECT_GT(acknowledged, kills);  // the load was real

  // The read models equal a rebuild from the events.
  approvals_.process->Signal(SIGTERM);
  ASSERT_TRUE(approvals_.process->WaitExit(absl::Seconds(20)).ok());
  auto events = eventstore::RocksDbEventStore::Open(dir_.Sub("approvals/events"));
  ASSERT_TRUE(events.ok()) << events.status();
  approvals::ApprovalsStore store(events->get());
  auto mismatches = store.CheckReadModels();
  ASSERT_TRUE(mismatches.ok()) << mismatches.status();
  EXPECT_TRUE(mismatches->empty()) << mismatches->front();
}

// ------------------------------------------------------------------ directory

// Each client imports files of three new people; an import is one atomic write, so after
// a kill each file's people are all there (and must be, when acknowledged) or none are.
TEST_F(ServiceCrashTest, DirectoryKilledUnderImportsKeepsEveryAcknowledgedFileWhole) {
  StartDirectory();
  ImportSample();
  constexpr int kClients = 4;
  struct Ledger {
    int next = 0;
    std::vector<int> acked;       // file numbers acknowledged (checked after every kill)
    std::vector<int> unanswered;  // file numbers in flight at a kill
  };
  std::vector<Ledger> ledgers(kClients);
  const Who admin{"operators/admin", {"SYSTEM_ADMIN"}, ""};
  auto person = [](int client, int file, int k) {
    return absl::StrCat("crash-", client, "-", file, "-", k);
  };
  std::mt19937 rng(7);
  const int kills = Kills();
  int64_t acknowledged = 0;
  for (int round = 0; round < kills; ++round) {
    auto stub = testing::StubTo<v1::Directory>(directory_.address);
    std::atomic<bool> stop{false};
    std::vector<std::string> failures;
    std::mutex failures_mu;
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        Ledger& l = ledgers[c];
        while (!stop.load()) {
          const int file = l.next++;
          std::string csv = "id,code,full_name,roles,home_unit_id,subject,level,email\n";
          for (int k = 0; k < 3; ++k) {
            absl::StrAppend(&csv, person(c, file, k), ",,Giáo viên ", file, ",mass_teacher,",
                            "thcs-tanphu,Toán,THCS,\n");
          }
          v1::ImportCsvRequest req;
          req.set_kind(v1::PEOPLE);
          req.set_file_name(absl::StrCat("people-", c, "-", file, ".csv"));
          req.set_content(csv);
          v1::ImportCsvResponse resp;
          grpc::Status s = stub->ImportCsv(Ctx(tokens_, admin).get(), req, &resp);
          if (s.ok()) {
            l.acked.push_back(file);
          } else if (Died(s)) {
            l.unanswered.push_back(file);
            return;
          } else {
            std::lock_guard lock(failures_mu);
            failures.push_back(absl::StrCat(s.error_code(), " ", s.error_message()));
            return;
          }
        }
      });
    }
    KillSoon(directory_, rng);
    stop = true;
    for (auto& t : clients) t.join();
    ASSERT_TRUE(failures.empty()) << "round " << round << ": " << failures.front();
    StartDirectory();
    stub = testing::StubTo<v1::Directory>(directory_.address);
    auto present = [&](const std::string& id) {
      v1::GetPersonRequest req;
      req.set_name("people/" + id);
      v1::Person p;
      grpc::Status s = stub->GetPerson(Ctx(tokens_, admin).get(), req, &p);
      EXPECT_TRUE(s.ok() || s.error_code() == grpc::StatusCode::NOT_FOUND) << s.error_message();
      return s.ok();
    };
    for (int c = 0; c < kClients; ++c) {
      Ledger& l = ledgers[c];
      for (int file : l.acked) {
        for (int k = 0; k < 3; ++k) {
          ASSERT_TRUE(present(person(c, file, k)))
              << "acknowledged " << person(c, file, k) << " lost at kill " << round;
        }
      }
      for (int file : l.unanswered) {
        const int found =
            present(person(c, file, 0)) + present(person(c, file, 1)) + present(person(c, file, 2));
        ASSERT_TRUE(found == 0 || found == 3)
            << "file " << c << "-" << file << " half-applied: " << found << " of 3 people";
        if (found == 3) l.acked.push_back(file);  // from now on it must stay
      }
      l.unanswered.clear();
    }
  }
  for (const Ledger& l : ledgers) acknowledged += static_cast<int64_t>(l.acked.size());
  std::printf("directory: %d kills survived, %lld imports acknowledged\n", kills,
              static_cast<long long>(acknowledged));
  EXPECT_GT(acknowledged, 0);
}

// ------------------------------------------------------------------ plans

// Each author edits its own plan (header.position, one content version per edit, each with
// a request_id) while plans is killed; directory, grading and approvals keep running.
TEST_F(ServiceCrashTest, PlansKilledUnderEditsLosesNoAcknowledgedVersion) {
  StartDirectory();
  ImportSample();
  {
    // A support group for every author (a plan's N comes from it).
    auto stub = testing::StubTo<v1::Directory>(directory_.address);
    ASSERT_TRUE(
        testing::ImportCsvs(*stub, tokens_,
                            {{v1::PEOPLE,
                              "id,code,full_name,roles,home_unit_id,subject,level,email\n"
                              "col-1,,Đồng nghiệp 1,mass_teacher,thcs-tanphu,Toán,THCS,\n"
                              "col-2,,Đồng nghiệp 2,mass_teacher,thcs-tanphu,Toán,THCS,\n"
                              "col-3,,Đồng nghiệp 3,mass_teacher,th-tanphu,,TH,\n"
                              "col-4,,Đồng nghiệp 4,mass_teacher,ththcs-tienhung,,THCS,\n"
                              "col-5,,Đồng nghiệp 5,mass_teacher,thcsthpt-dx,,THCS,\n"},
                             {v1::ASSIGNMENTS,
                              "year,module,kind,from_id,to_id\n"
                              "2023,4,support,gvcc-phong,col-1\n2023,4,support,gvcc-so,col-2\n"
                              "2023,4,support,cbqlcc-th,col-3\n2023,4,support,cbqlcc-ththcs,col-4\n"
                              "2023,4,support,cbqlcc-dx-lower,col-5\n"}})
            .ok());
  }
  auto grading = StartService(BDTX_GRADING_PATH, {"--data_dir=" + dir_.Sub("grading"), Key(),
                                                  "--directory=" + directory_.address});
  ASSERT_TRUE(grading.ok()) << grading.status();
  auto approvals = StartService(BDTX_APPROVALS_PATH, {"--data_dir=" + dir_.Sub("approvals"), Key(),
                                                      "--directory=" + directory_.address});
  ASSERT_TRUE(approvals.ok()) << approvals.status();
  Running plans;
  std::unique_ptr<v1::Plans::Stub> stub;
  auto start_plans = [&] {
    auto p =
        StartService(BDTX_PLANS_PATH,
                     {"--data_dir=" + dir_.Sub("plans"), Key(), "--directory=" + directory_.address,
                      "--approvals=" + approvals->address, "--grading=" + grading->address});
    ASSERT_TRUE(p.ok()) << p.status();
    plans = *std::move(p);
    stub = testing::StubTo<v1::Plans>(plans.address);
  };
  start_plans();
  struct Ledger {
    std::string name;
    int64_t acked = 0;  // content version acknowledged (0: not created yet)
    bool in_flight = false;
    std::string request_id;
  };
  const std::vector<Author>& authors = Authors();
  std::vector<Ledger> ledgers(authors.size());
  for (size_t i = 0; i < authors.size(); ++i) {
    ledgers[i].name = absl::StrCat("documents/", authors[i].who.name.substr(7), "-2023-m4-plan");
  }
  // Creates the plan (version 1) or edits it (version + 1), with `request_id`.
  auto next = [&](size_t i, const std::string& request_id, v1::SupportDocument* out) {
    Ledger& l = ledgers[i];
    if (l.acked == 0) {
      v1::CreatePlanRequest req;
      req.set_author(authors[i].who.name);
      req.set_year(2023);
      req.set_module(4);
      req.set_request_id(request_id);
      return stub->CreatePlan(Ctx(tokens_, authors[i].who).get(), req, out);
    }
    v1::UpdateSupportDocumentRequest req;
    req.mutable_content()->set_name(l.name);
    req.mutable_content()->mutable_header()->set_position(
        absl::StrCat("Tổ trưởng, sửa lần ", l.acked));
    req.mutable_update_mask()->add_paths("header.position");
    req.set_request_id(request_id);
    return stub->UpdateDocument(Ctx(tokens_, authors[i].who).get(), req, out);
  };
  std::mt19937 rng(4);
  const int kills = Kills();
  std::atomic<int64_t> acknowledged{0};
  int64_t replayed = 0, reapplied = 0;
  for (int round = 0; round < kills; ++round) {
    std::atomic<bool> stop{false};
    std::vector<std::string> failures;
    std::mutex failures_mu;
    std::vector<std::thread> clients;
    for (size_t i = 0; i < authors.size(); ++i) {
      clients.emplace_back([&, i] {
        Ledger& l = ledgers[i];
        int attempt = 0;
        while (!stop.load() && !l.in_flight) {
          const std::string request_id = absl::StrCat("p", i, "-", l.acked, "-", round, attempt++);
          v1::SupportDocument doc;
          grpc::Status s = next(i, request_id, &doc);
          if (s.ok()) {
            if (doc.version() != l.acked + 1) {
              std::lock_guard lock(failures_mu);
              failures.push_back(absl::StrCat(l.name, ": acknowledged version ", doc.version(),
                                              " after ", l.acked));
            }
            l.acked = doc.version();
            ++acknowledged;
          } else if (Died(s)) {
            l.in_flight = true;
            l.request_id = request_id;
          } else {
            std::lock_guard lock(failures_mu);
            failures.push_back(absl::StrCat(l.name, ": ", s.error_code(), " ", s.error_message()));
            return;
          }
        }
      });
    }
    KillSoon(plans, rng);
    stop = true;
    for (auto& t : clients) t.join();
    ASSERT_TRUE(failures.empty()) << "round " << round << ": " << failures.front();
    start_plans();
    for (size_t i = 0; i < authors.size(); ++i) {
      Ledger& l = ledgers[i];
      v1::GetSupportDocumentRequest get;
      get.set_name(l.name);
      v1::SupportDocument now;
      grpc::Status s = stub->GetDocument(Ctx(tokens_, authors[i].who).get(), get, &now);
      if (!(l.acked == 0 && s.error_code() == grpc::StatusCode::NOT_FOUND)) {
        ASSERT_TRUE(s.ok()) << l.name << ": " << s.error_message();
      }
      ASSERT_GE(now.version(), l.acked) << l.name << " lost acknowledged versions";
      ASSERT_LE(now.version(), l.acked + (l.in_flight ? 1 : 0)) << l.name;
      if (l.in_flight) {
        const bool was_applied = now.version() == l.acked + 1;
        v1::SupportDocument retried;
        grpc::Status r = next(i, l.request_id, &retried);
        ASSERT_TRUE(r.ok()) << l.name << " retry: " << r.error_message();
        ASSERT_EQ(retried.version(), l.acked + 1) << l.name;
        (was_applied ? replayed : reapplied) += 1;
        l.acked = retried.version();
        l.in_flight = false;
      }
    }
  }
  std::printf(
      "plans: %d kills survived, %lld edits acknowledged, %lld in flight found applied, "
      "%lld found absent\n",
      kills, static_cast<long long>(acknowledged.load()), static_cast<long long>(replayed),
      static_cast<long long>(reapplied));
  EXPECT_GT(acknowledged, kills);
}

// ------------------------------------------------------------------ grading

// Clients import LMS result files of three new learners each; an import is one event, so
// after a kill a file's learners all have their result (and must, when acknowledged) or
// none do, and importing an applied file again says already_imported.
TEST_F(ServiceCrashTest, GradingKilledUnderLmsImportsKeepsEveryAcknowledgedFileWhole) {
  StartDirectory();
  ImportSample();
  Running grading;
  std::unique_ptr<v1::Grading::Stub> stub;
  auto start_grading = [&] {
    auto g = StartService(BDTX_GRADING_PATH, {"--data_dir=" + dir_.Sub("grading"), Key(),
                                              "--directory=" + directory_.address});
    ASSERT_TRUE(g.ok()) << g.status();
    grading = *std::move(g);
    stub = testing::StubTo<v1::Grading>(grading.address);
  };
  start_grading();
  // The learners are made up (not in the directory): only an admin (or a service) may
  // import results for them; a Sở imports only its own province's learners.
  const Who admin{"operators/admin", {"SYSTEM_ADMIN"}, ""};
  constexpr int kClients = 4;
  struct Ledger {
    int next = 0;
    std::vector<int> acked;
    std::vector<int> unanswered;
  };
  std::vector<Ledger> ledgers(kClients);
  auto learner = [](int c, int file, int k) { return absl::StrCat("lms-", c, "-", file, "-", k); };
  auto file_of = [&](int c, int file) {
    std::string csv = "learner_id,year,module,result,quiz_done,survey_done\n";
    for (int k = 0; k < 3; ++k) absl::StrAppend(&csv, learner(c, file, k), ",2023,3,pass,yes,no\n");
    return csv;
  };
  auto import = [&](int c, int file, v1::ImportLmsResultsResponse* out) {
    v1::ImportLmsResultsRequest req;
    req.set_format(v1::CSV);
    req.set_file_name(absl::StrCat("lms-", c, "-", file, ".csv"));
    req.set_content(file_of(c, file));
    return stub->ImportLmsResults(Ctx(tokens_, admin).get(), req, out);
  };
  auto has_result = [&](const std::string& id) {
    v1::GetCompletionRequest req;
    req.set_learner("people/" + id);
    req.set_year(2023);
    v1::GetCompletionResponse resp;
    grpc::Status s = stub->GetCompletion(Ctx(tokens_, admin).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    for (const auto& m : resp.modules()) {
      if (m.module() == 3 && m.lms() == v1::LMS_PASS) return true;
    }
    return false;
  };
  std::mt19937 rng(11);
  const int kills = Kills();
  for (int round = 0; round < kills; ++round) {
    std::atomic<bool> stop{false};
    std::vector<std::string> failures;
    std::mutex failures_mu;
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        Ledger& l = ledgers[c];
        while (!stop.load()) {
          const int file = l.next++;
          v1::ImportLmsResultsResponse resp;
          grpc::Status s = import(c, file, &resp);
          if (s.ok()) {
            l.acked.push_back(file);
          } else if (Died(s)) {
            l.unanswered.push_back(file);
            return;
          } else {
            std::lock_guard lock(failures_mu);
            failures.push_back(absl::StrCat(s.error_code(), " ", s.error_message()));
            return;
          }
        }
      });
    }
    KillSoon(grading, rng);
    stop = true;
    for (auto& t : clients) t.join();
    ASSERT_TRUE(failures.empty()) << "round " << round << ": " << failures.front();
    start_grading();
    for (int c = 0; c < kClients; ++c) {
      Ledger& l = ledgers[c];
      for (int file : l.acked) {
        for (int k = 0; k < 3; ++k) {
          ASSERT_TRUE(has_result(learner(c, file, k)))
              << "acknowledged LMS result of " << learner(c, file, k) << " lost at kill " << round;
        }
      }
      for (int file : l.unanswered) {
        const int found = has_result(learner(c, file, 0)) + has_result(learner(c, file, 1)) +
                          has_result(learner(c, file, 2));
        ASSERT_TRUE(found == 0 || found == 3)
            << "LMS file " << c << "-" << file << " half-applied: " << found << " of 3 learners";
        v1::ImportLmsResultsResponse again;
        grpc::Status s = import(c, file, &again);
        ASSERT_TRUE(s.ok()) << s.error_message();
        EXPECT_EQ(again.already_imported(), found == 3) << "LMS file " << c << "-" << file;
        l.acked.push_back(file);
      }
      l.unanswered.clear();
    }
  }
  int64_t acknowledged = 0;
  for (const Ledger& l : ledgers) acknowledged += static_cast<int64_t>(l.acked.size());
  std::printf("grading: %d kills survived, %lld LMS files acknowledged\n", kills,
              static_cast<long long>(acknowledged));
  EXPECT_GT(acknowledged, kills);
}

// ------------------------------------------------------------------ notifications

// Approvals runs a steady submit/return load (never killed) while notifications, which
// follows its event stream, is killed again and again. Afterwards every inbox holds
// exactly what the rules say the events mean: no notification lost, none duplicated.
TEST_F(ApprovalsCrashTest, NotificationsKilledWhileFollowingLosesAndDuplicatesNothing) {
  StartDirectory();
  ImportSample();
  StartApprovals();
  Running notifications;
  std::unique_ptr<v1::Notifications::Stub> nstub;
  auto start_notifications = [&] {
    auto n = StartService(
        BDTX_NOTIFICATIONS_PATH,
        {"--data_dir=" + dir_.Sub("notifications"), Key(), "--directory=" + directory_.address,
         "--approvals=" + approvals_.address, "--grading=", "--poll_interval=50ms"});
    ASSERT_TRUE(n.ok()) << n.status();
    notifications = *std::move(n);
    nstub = testing::StubTo<v1::Notifications>(notifications.address);
  };
  start_notifications();
  std::vector<DocumentLedger> ledgers;
  for (const Author& a : Authors()) {
    DocumentLedger d;
    d.name = absl::StrCat("documents/", a.who.name.substr(7), "-2023-m4-plan");
    ledgers.push_back(d);
  }
  std::atomic<bool> stop{false};
  std::atomic<int64_t> events{0};
  std::vector<std::string> failures;
  std::mutex failures_mu;
  std::vector<std::thread> clients;
  for (size_t i = 0; i < Authors().size(); ++i) {
    clients.emplace_back([&, i] {
      DocumentLedger& d = ledgers[i];
      while (!stop.load()) {
        v1::Document doc;
        grpc::Status s = Next(Authors()[i], d, absl::StrCat("n", i, "-", d.counter), &doc);
        if (!s.ok()) {
          std::lock_guard lock(failures_mu);
          failures.push_back(absl::StrCat(d.name, ": ", s.error_code(), " ", s.error_message()));
          return;
        }
        Acknowledge(d, doc);
        ++events;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }
  std::mt19937 rng(99);
  const int kills = Kills();
  for (int round = 0; round < kills; ++round) {
    KillSoon(notifications, rng);
    start_notifications();
  }
  stop = true;
  for (auto& t : clients) t.join();
  ASSERT_TRUE(failures.empty()) << failures.front();
  const int64_t last_position = events.load();  // one event per acknowledged command

  // Wait until notifications has followed approvals to its last event.
  const Who admin{"operators/admin", {"SYSTEM_ADMIN"}, ""};
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  while (true) {
    v1::GetStatusResponse status;
    ASSERT_TRUE(nstub->GetStatus(Ctx(tokens_, admin).get(), v1::GetStatusRequest(), &status).ok());
    int64_t checkpoint = 0;
    for (const auto& source : status.sources()) {
      if (absl::StrContains(source.source(), "approvals")) checkpoint = source.checkpoint();
    }
    if (checkpoint >= last_position) break;
    ASSERT_LT(absl::Now(), give_up)
        << "notifications stuck at " << checkpoint << " of " << last_position;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  // What the rules say every approvals event means.
  std::map<std::string, int> expected;  // "recipient|kind|source" -> count
  {
    auto ctx = Ctx(tokens_, admin, 30);
    v1::SubscribeEventsRequest req;
    req.set_from_position(1);
    auto reader = stub_->SubscribeEvents(ctx.get(), req);
    std::map<std::string, v1::DocumentFacts> facts;
    v1::StoredEvent e;
    int64_t read = 0;
    while (read < last_position && reader->Read(&e)) {
      ++read;
      auto known = facts.find(e.document());
      auto outcome =
          notifications::OnApprovalEvent(e, known == facts.end() ? nullptr : &known->second);
      facts[e.document()] = outcome.facts;
      for (const v1::Notification& n : outcome.notifications) {
        ++expected[absl::StrCat(n.recipient(), "|", n.kind(), "|approvals:", e.position())];
      }
    }
    ctx->TryCancel();
    ASSERT_EQ(read, last_position);
  }
  ASSERT_FALSE(expected.empty());
  std::set<std::string> recipients;
  for (const auto& [key, count] : expected) recipients.insert(key.substr(0, key.find('|')));
  std::map<std::string, int> actual;
  for (const std::string& recipient : recipients) {
    std::string token;
    do {
      v1::ListNotificationsRequest req;
      req.set_recipient(recipient);
      req.set_page_size(500);
      req.set_page_token(token);
      v1::ListNotificationsResponse resp;
      grpc::Status s = nstub->ListNotifications(Ctx(tokens_, admin).get(), req, &resp);
      ASSERT_TRUE(s.ok()) << s.error_message();
      for (const v1::Notification& n : resp.notifications()) {
        if (absl::StartsWith(n.source(), "approvals:")) {
          ++actual[absl::StrCat(n.recipient(), "|", n.kind(), "|", n.source())];
        }
      }
      token = resp.next_page_token();
    } while (!token.empty());
  }
  for (const auto& [key, count] : expected) {
    auto it = actual.find(key);
    ASSERT_TRUE(it != actual.end()) << "lost: " << key;
    ASSERT_EQ(it->second, count) << "duplicated: " << key;
  }
  ASSERT_EQ(actual.size(), expected.size()) << "notifications nobody's event implies";
  std::printf(
      "notifications: %d kills survived, %lld approvals events, %zu notifications, none "
      "lost or duplicated\n",
      kills, static_cast<long long>(last_position), expected.size());
}

}  // namespace
}  // namespace bdtx
