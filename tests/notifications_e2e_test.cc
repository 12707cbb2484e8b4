// End to end: real bdtx-directory, bdtx-approvals, bdtx-grading and bdtx-notifications
// processes, a real SMTP server (Debian's python3-aiosmtpd, writing a Maildir) and a real
// HTTP receiver for webhooks (a loopback socket server in this test that answers 500
// while told to). Scenarios: the approval chain produces exactly the expected
// notifications in order (inbox, live watch, e-mail, signed webhook); SMTP down for a
// while, then mails arrive; a failing webhook is retried, dead-lettered and replayed by an
// operator; kill -9 mid-stream loses and doubles nothing; a reminder timer set before a
// restart fires once after it.
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "bdtx/v1/approvals.grpc.pb.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "bdtx/v1/grading.grpc.pb.h"
#include "bdtx/v1/notifications.grpc.pb.h"
#include "bdtx/v1/sessions.grpc.pb.h"
#include "common/crypto/sha256.h"
#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"
#include "services/directory/testing/fake_directory.h"
#include "tests/e2e_support.h"

namespace bdtx {
namespace {

using ::bdtx::testing::Running;
using ::bdtx::testing::StartService;
using ::bdtx::testing::StubTo;
using ::bdtx::testing::Who;

const Who kAdmin{"operators/admin", {"SYSTEM_ADMIN"}, ""};
const Who kAuthor{"people/gvcc-thcs", {"CORE_TEACHER", "REPORTER"}, "units/thcs-tanphu"};
const Who kLecturer{"people/gvsp-1", {"PEDAGOGY_LECTURER"}, "units/dhsp"};
const Who kManagementLecturer{"people/gvqlgd-1", {"MANAGEMENT_LECTURER"}, "units/hvqlgd"};
const Who kPrincipal{"people/ht-thcs", {"PRINCIPAL", "CORE_MANAGER"}, "units/thcs-tanphu"};
constexpr char kSecret[] = "webhook-test-secret";
constexpr char kPlan[] = "documents/gvcc-thcs-2023-m4-plan";

constexpr char kClasses[] =
    "id,code,name,year,module,unit_id\n"
    "m3-1,L3001,Lớp mô đun 3 số 1,2023,3,bp\n";
constexpr char kClassAssignments[] =
    "year,module,kind,from_id,to_id\n"
    "2023,3,learner,m3-1,gv-1\n2023,3,learner,m3-1,gv-2\n"
    "2023,3,grader,m3-1,gvcc-thcs\n"
    "2023,3,support,gvcc-thcs,gv-1\n2023,3,support,gvcc-thcs,gv-2\n";
const Who kSo{"people/cv-so", {"PROVINCE_OFFICER"}, "units/bp"};

constexpr char kEmails[] =
    "id,code,full_name,roles,home_unit_id,subject,level,email\n"
    "gvcc-thcs,,Nguyễn Văn An,core_teacher;reporter,thcs-tanphu,Toán,THCS,an@thcs.example\n"
    "ht-thcs,,Trần Thị Bình,principal;core_manager,thcs-tanphu,,THCS,binh@thcs.example\n"
    "gvsp-1,,GVSP Nguyễn Thị Phương,pedagogy_lecturer,dhsp,,,phuong@dhsp.example\n";

// A webhook receiver: records every POST; answers 500 while `failing` is set.
class WebhookReceiver {
 public:
  WebhookReceiver() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    listen(fd_, 64);
    thread_ = std::thread([this] { Serve(); });
  }
  ~WebhookReceiver() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_, "/hooks/bdtx"); }
  int port() const { return port_; }
  void set_failing(bool f) { failing_ = f; }

  struct Request {
    std::map<std::string, std::string> headers;
    std::string body;
    int answered = 0;
  };
  std::vector<Request> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  void Serve() {
    while (!stop_) {
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string data;
      char buf[4096];
      size_t header_end = std::string::npos;
      size_t want = 0;
      while (true) {
        const ssize_t n = recv(c, buf, sizeof(buf), 0);
        if (n <= 0) break;
        data.append(buf, static_cast<size_t>(n));
        if (header_end == std::string::npos &&
            (header_end = data.find("\r\n\r\n")) != std::string::npos) {
          Request r;
          for (absl::string_view line : absl::StrSplit(data.substr(0, header_end), "\r\n")) {
            const size_t colon = line.find(": ");
            if (colon != absl::string_view::npos) {
              r.headers[std::string(line.substr(0, colon))] = std::string(line.substr(colon + 2));
            }
          }
          (void)absl::SimpleAtoi(r.headers["Content-Length"], &want);
          pending_ = r;
        }
        if (header_end != std::string::npos && data.size() >= header_end + 4 + want) break;
      }
      if (header_end != std::string::npos) {
        pending_.body = data.substr(header_end + 4, want);
        pending_.answered = failing_ ? 500 : 200;
        const std::string answer =
            failing_ ? "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"
                     : "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
        absl::MutexLock lock(&mu_);
        requests_.push_back(pending_);
      }
      close(c);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> failing_{false};
  std::thread thread_;
  Request pending_;
  absl::Mutex mu_;
  std::vector<Request> requests_ ABSL_GUARDED_BY(mu_);
};

// What a Standard Webhooks receiver checks: one "v1,<base64 HMAC-SHA256(key,
// id.timestamp.body)>" of the webhook-signature header matches (key: the base64 after
// "whsec_", or a legacy secret's own bytes).
std::string ExpectedSignature(const std::string& secret, const std::string& id,
                              const std::string& timestamp, const std::string& body) {
  std::string key = secret;
  if (absl::StartsWith(secret, "whsec_")) {
    EXPECT_TRUE(absl::Base64Unescape(secret.substr(6), &key));
  }
  const std::string raw =
      absl::HexStringToBytes(HmacSha256Hex(key, id + "." + timestamp + "." + body));
  return "v1," + absl::Base64Escape(raw);
}
template <typename Request>
bool Verified(const std::string& secret, const Request& r, const std::string& id = "") {
  auto get = [&](const char* name) {
    auto it = r.headers.find(name);
    return it == r.headers.end() ? std::string() : it->second;
  };
  const std::string expected = ExpectedSignature(secret, id.empty() ? get("webhook-id") : id,
                                                 get("webhook-timestamp"), r.body);
  for (absl::string_view sig : absl::StrSplit(get("webhook-signature"), ' ')) {
    if (sig == expected) return true;
  }
  return false;
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// Polls `done` until it holds or `timeout` passes.
template <typename F>
bool Eventually(F done, absl::Duration timeout = absl::Seconds(30)) {
  const absl::Time end = absl::Now() + timeout;
  while (absl::Now() < end) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return done();
}

class NotificationsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory =
        testing::StartDirectory(BDTX_DIRECTORY_PATH, dir_.Sub("directory"), Key(), tokens_,
                                {{v1::UNITS, directory::kSampleUnits},
                                 {v1::PEOPLE, directory::kSamplePeople},
                                 {v1::PEOPLE, kEmails},
                                 {v1::CLASSES, kClasses},
                                 {v1::ASSIGNMENTS, kClassAssignments},
                                 {v1::ASSIGNMENTS, directory::kSampleAssignments}});
    ASSERT_TRUE(directory.ok()) << directory.status();
    directory_ = *std::move(directory);
    auto approvals = StartService(
        BDTX_APPROVALS_PATH,
        {"--data_dir=" + dir_.Sub("approvals"), Key(), "--directory=" + directory_.address});
    ASSERT_TRUE(approvals.ok()) << approvals.status();
    approvals_ = *std::move(approvals);
    approvals_stub_ = StubTo<v1::Approvals>(approvals_.address);
    smtp_port_ = FreePort();
    const std::string cert = absl::StrCat(
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -addext "
        "'subjectAltName=DNS:localhost,IP:127.0.0.1' -keyout ",
        dir_.Sub("key.pem"), " -out ", dir_.Sub("cert.pem"), " >/dev/null 2>&1");
    ASSERT_EQ(std::system(cert.c_str()), 0);
  }

  void TearDown() override {
    if (smtp_pid_ > 0) {
      kill(smtp_pid_, SIGTERM);
      waitpid(smtp_pid_, nullptr, 0);
    }
  }

  void StartNotifications(const std::string& deadlines = "", const std::string& grading = "",
                          const std::string& poll = "50ms",
                          const std::vector<std::string>& extra = {}) {
    // The relay requires STARTTLS and AUTH (tests/smtp_tls_server.py), verified against
    // the test CA.
    std::vector<std::string> args = {"--data_dir=" + dir_.Sub("notifications"),
                                     Key(),
                                     "--directory=" + directory_.address,
                                     "--approvals=" + approvals_.address,
                                     "--grading=" + grading,
                                     absl::StrCat("--smtp=smtp://127.0.0.1:", smtp_port_),
                                     "--smtp_starttls=true",
                                     "--smtp_user=relay-user",
                                     "--smtp_password=relay-secret",
                                     "--smtp_ca_file=" + dir_.Sub("cert.pem"),
                                     "--mail_from=bdtx@so.example",
                                     "--webhook_url=" + webhook_.url(),
                                     std::string("--webhook_secret=") + kSecret,
                                     "--max_attempts=6",
                                     "--base_backoff=200ms",
                                     "--max_backoff=2s",
                                     "--poll_interval=" + poll,
                                     "--delivery_timeout=2s",
                                     "--deadlines=" + deadlines};
    args.insert(args.end(), extra.begin(), extra.end());
    auto n = StartService(BDTX_NOTIFICATIONS_PATH, args);
    ASSERT_TRUE(n.ok()) << n.status();
    notifications_ = *std::move(n);
    stub_ = StubTo<v1::Notifications>(notifications_.address);
  }

  void StartSmtp() {
    smtp_pid_ = fork();
    if (smtp_pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test
      execl("/usr/bin/python3", "python3", BDTX_SMTP_SERVER_PY, absl::StrCat(smtp_port_).c_str(),
            dir_.Sub("cert.pem").c_str(), dir_.Sub("key.pem").c_str(), dir_.Sub("maildir").c_str(),
            dir_.Sub("smtp.log").c_str(), "relay-user", "relay-secret", nullptr);
      _exit(127);
    }
  }

  // Every envelope the relay accepted, one JSON line each.
  std::string SmtpLog() {
    std::ifstream in(dir_.Sub("smtp.log"));
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // The mails the SMTP server stored, as raw messages.
  std::vector<std::string> Mails() {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& f : std::filesystem::directory_iterator(dir_.Sub("maildir") + "/new", ec)) {
      std::ifstream in(f.path());
      std::stringstream s;
      s << in.rdbuf();
      out.push_back(s.str());
    }
    return out;
  }

  std::string Key() const { return "--auth_key_file=" + dir_.Sub("auth.key"); }

  std::vector<v1::Notification> Inbox(const Who& who) {
    v1::ListNotificationsRequest req;
    req.set_page_size(500);
    v1::ListNotificationsResponse resp;
    grpc::Status s = stub_->ListNotifications(tokens_.As(who).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.notifications().begin(), resp.notifications().end()};
  }
  std::vector<v1::NotificationKind> Kinds(const Who& who) {
    std::vector<v1::NotificationKind> out;
    for (const auto& n : Inbox(who)) out.push_back(n.kind());
    return out;
  }

  grpc::Status Act(const std::string& verb, const Who& who, const std::string& doc,
                   const std::string& reason = "") {
    v1::Document d;
    if (verb == "submit") {
      v1::SubmitRequest r;
      r.set_document(doc);
      r.set_content_sha256(Sha256Hex(doc + reason));
      return approvals_stub_->Submit(tokens_.As(who).get(), r, &d);
    }
    if (verb == "approve") {
      v1::ApproveRequest r;
      r.set_document(doc);
      return approvals_stub_->Approve(tokens_.As(who).get(), r, &d);
    }
    if (verb == "return") {
      v1::ReturnRequest r;
      r.set_document(doc);
      r.set_reason(reason);
      return approvals_stub_->Return(tokens_.As(who).get(), r, &d);
    }
    v1::SignOffRequest r;
    r.set_document(doc);
    r.set_method(v1::ONLINE);
    return approvals_stub_->SignOff(tokens_.As(who).get(), r, &d);
  }

  v1::GetStatusResponse Status() {
    v1::GetStatusResponse s;
    (void)stub_->GetStatus(tokens_.As(kAdmin).get(), v1::GetStatusRequest(), &s);
    return s;
  }

  bdtx::testing::TempDir dir_;
  bdtx::testing::Tokens tokens_{dir_.Sub("auth.key")};
  Running directory_, approvals_, notifications_;
  WebhookReceiver webhook_;
  int smtp_port_ = 0;
  pid_t smtp_pid_ = -1;
  std::unique_ptr<v1::Approvals::Stub> approvals_stub_;
  std::unique_ptr<v1::Notifications::Stub> stub_;
};

TEST_F(NotificationsE2eTest, ApprovalChainInboxWatchMailWebhookDeadLetterAndReplay) {
  webhook_.set_failing(true);  // the other system is down: retried, then dead letters
  StartNotifications();        // SMTP is not up yet either

  // A live watcher for the principal (the signer must be told at once).
  grpc::ClientContext watch_ctx;
  watch_ctx.AddMetadata("authorization", "Bearer " + tokens_.For(kPrincipal));
  v1::WatchNotificationsRequest watch_req;
  auto watch = stub_->WatchNotifications(&watch_ctx, watch_req);

  ASSERT_TRUE(Act("submit", kAuthor, kPlan).ok());
  ASSERT_TRUE(Act("return", kLecturer, kPlan, "thiếu hoạt động 2.3").ok());
  ASSERT_TRUE(Act("submit", kAuthor, kPlan, "v2").ok());
  ASSERT_TRUE(Act("approve", kLecturer, kPlan).ok());

  v1::Notification live;
  ASSERT_TRUE(watch->Read(&live));
  EXPECT_EQ(live.kind(), v1::DOCUMENT_LECTURER_APPROVED);
  EXPECT_TRUE(live.urgent());
  EXPECT_EQ(live.subject(), kPlan);

  ASSERT_TRUE(Act("sign-off", kPrincipal, kPlan).ok());
  ASSERT_TRUE(Eventually([&] { return Inbox(kAuthor).size() == 2; }));
  EXPECT_EQ(Kinds(kLecturer),
            (std::vector<v1::NotificationKind>{v1::DOCUMENT_SUBMITTED, v1::DOCUMENT_SUBMITTED}));
  EXPECT_EQ(Kinds(kAuthor),
            (std::vector<v1::NotificationKind>{v1::DOCUMENT_RETURNED, v1::DOCUMENT_SIGNED_OFF}));
  EXPECT_TRUE(absl::StrContains(Inbox(kAuthor)[0].body(), "thiếu hoạt động 2.3"));
  EXPECT_EQ(Kinds(kPrincipal), (std::vector<v1::NotificationKind>{v1::DOCUMENT_LECTURER_APPROVED}));
  EXPECT_TRUE(Kinds(kManagementLecturer).empty());

  // Mark read; unread counts follow.
  v1::MarkReadRequest mark;
  v1::MarkReadResponse marked;
  ASSERT_TRUE(stub_->MarkRead(tokens_.As(kAuthor).get(), mark, &marked).ok());
  EXPECT_EQ(marked.marked(), 2);
  v1::ListNotificationsRequest unread_req;
  unread_req.set_unread_only(true);
  v1::ListNotificationsResponse unread;
  ASSERT_TRUE(stub_->ListNotifications(tokens_.As(kAuthor).get(), unread_req, &unread).ok());
  EXPECT_EQ(unread.notifications_size(), 0);
  EXPECT_EQ(unread.unread(), 0);
  v1::ListNotificationsRequest other;
  other.set_recipient(kAuthor.name);
  EXPECT_EQ(stub_->ListNotifications(tokens_.As(kLecturer).get(), other, &unread).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // SMTP was down: the first attempts failed; start it, and every mail arrives.
  ASSERT_TRUE(Eventually([&] { return Status().pending_jobs() > 0; }));
  StartSmtp();
  ASSERT_TRUE(Eventually([&] { return Mails().size() == 5; })) << Mails().size() << " mails\n"
                                                               << notifications_.process->Output();
  std::set<std::string> to;
  for (const std::string& m : Mails()) {
    for (absl::string_view line : absl::StrSplit(m, '\n')) {
      if (absl::StartsWith(line, "To: "))
        to.insert(std::string(absl::StripSuffix(line.substr(4), "\r")));
    }
  }
  EXPECT_EQ(to,
            (std::set<std::string>{"an@thcs.example", "binh@thcs.example", "phuong@dhsp.example"}));
  // Every mail went over STARTTLS with AUTH, to exactly its one recipient.
  const std::string envelopes = SmtpLog();
  int lines = 0;
  for (absl::string_view line : absl::StrSplit(envelopes, '\n', absl::SkipEmpty())) {
    ++lines;
    EXPECT_TRUE(absl::StrContains(line, "\"tls\": true, \"auth\": true")) << line;
    EXPECT_TRUE(absl::StrContains(line, "\"from\": \"bdtx@so.example\"")) << line;
  }
  EXPECT_EQ(lines, 5);
  // People are named by their names, not their resource ids.
  EXPECT_TRUE(absl::StrContains(Inbox(kLecturer)[0].title(), "của Nguyễn Văn An"))
      << Inbox(kLecturer)[0].title();
  EXPECT_FALSE(absl::StrContains(Inbox(kLecturer)[0].body(), "people/"))
      << Inbox(kLecturer)[0].body();

  // The webhook kept failing: 6 attempts each, then dead letters.
  ASSERT_TRUE(Eventually([&] { return Status().dead_letters() == 5; }, absl::Seconds(60)))
      << Status().ShortDebugString();
  v1::ListDeadLettersResponse dead;
  ASSERT_TRUE(
      stub_->ListDeadLetters(tokens_.As(kAdmin).get(), v1::ListDeadLettersRequest(), &dead).ok());
  ASSERT_EQ(dead.jobs_size(), 5);
  EXPECT_EQ(dead.jobs(0).attempts(), 6);
  EXPECT_TRUE(absl::StrContains(dead.jobs(0).last_error(), "trả lời mã 500"));
  EXPECT_EQ(stub_->ListDeadLetters(tokens_.As(kAuthor).get(), v1::ListDeadLettersRequest(), &dead)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(webhook_.requests().size(), 30u);

  // The operator fixes the receiver and replays: each delivered once, signed.
  webhook_.set_failing(false);
  v1::ReplayDeadLetterRequest replay;
  replay.set_job("all");
  v1::ReplayDeadLetterResponse replayed;
  ASSERT_TRUE(stub_->ReplayDeadLetter(tokens_.As(kAdmin).get(), replay, &replayed).ok());
  EXPECT_EQ(replayed.replayed(), 5);
  ASSERT_TRUE(Eventually([&] { return webhook_.requests().size() == 35u; }));
  absl::SleepFor(absl::Milliseconds(500));
  const auto requests = webhook_.requests();
  EXPECT_EQ(requests.size(), 35u);
  std::set<std::string> delivered;
  for (const auto& r : requests) {
    // Standard Webhooks, signed with the operator's secret (a legacy plain string: its bytes).
    EXPECT_TRUE(Verified(kSecret, r)) << r.headers.at("webhook-signature");
    if (r.answered == 200) delivered.insert(r.headers.at("webhook-id"));
  }
  EXPECT_EQ(delivered.size(), 5u);
  EXPECT_EQ(Status().dead_letters(), 0);
  EXPECT_TRUE(Eventually([&] { return Status().pending_jobs() == 0; }));
}

TEST_F(NotificationsE2eTest, PersonalWebhooksCannotReachInternalAddressesAndHaveTheirOwnSecret) {
  webhook_.set_failing(false);
  WebhookReceiver internal;  // an "internal admin" endpoint on loopback
  internal.set_failing(false);
  StartNotifications("", "", "50ms", {"--webhook_allow_hosts=127.0.0.1"});
  auto set_webhook = [&](const Who& who, const std::string& url, v1::Preferences* out) {
    v1::SetPreferencesRequest req;
    req.mutable_preferences()->set_webhook(true);
    req.mutable_preferences()->set_email(false);
    req.mutable_preferences()->set_webhook_url(url);
    return stub_->SetPreferences(tokens_.As(who).get(), req, out);
  };
  const std::string port = absl::StrCat(internal.port());
  v1::Preferences prefs;
  for (const std::string& url : std::vector<std::string>{
           "http://localhost:" + port + "/internal-admin/reset-all",
           "https://localhost:" + port + "/internal-admin/reset-all",
           "https://127.0.0.2:" + port + "/x", "https://2130706434:" + port + "/x",
           "https://0x7f.2:" + port + "/x", "https://[::ffff:127.0.0.2]:" + port + "/x",
           "https://[::1]:" + port + "/x", "https://169.254.169.254/latest/meta-data",
           "https://10.0.0.1/x", "https://user:pw@127.0.0.1:" + port + "/x",
           "https://hooks.example/x\r\nX-Injected: 1", "ftp://127.0.0.1:" + port + "/x"}) {
    grpc::Status s = set_webhook(kLecturer, url, &prefs);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << url;
  }
  // The operator allow-listed 127.0.0.1: http to it is accepted, with the endpoint's own
  // secret, shown once.
  v1::Preferences set;
  ASSERT_TRUE(set_webhook(kLecturer, internal.url(), &set).ok());
  const std::string secret = set.webhook_secret();
  ASSERT_TRUE(absl::StartsWith(secret, "whsec_")) << secret;
  EXPECT_EQ(set.webhook_keys_size(), 0);
  v1::GetPreferencesRequest get;
  v1::Preferences got;
  ASSERT_TRUE(stub_->GetPreferences(tokens_.As(kLecturer).get(), get, &got).ok());
  EXPECT_TRUE(got.webhook_secret().empty());
  EXPECT_EQ(got.webhook_keys_size(), 0);
  EXPECT_EQ(got.webhook_url(), internal.url());
  // Another person's endpoint gets another secret.
  v1::Preferences other;
  ASSERT_TRUE(set_webhook(kAuthor, internal.url() + "?who=author", &other).ok());
  EXPECT_NE(other.webhook_secret(), secret);

  ASSERT_TRUE(Act("submit", kAuthor, kPlan).ok());
  ASSERT_TRUE(Eventually([&] { return internal.requests().size() == 1; }));
  auto first = internal.requests()[0];
  EXPECT_TRUE(Verified(secret, first));
  EXPECT_FALSE(Verified(kSecret, first));  // not the system secret
  EXPECT_FALSE(Verified(other.webhook_secret(), first));
  // A captured request replayed under a new id (to dodge de-duplication) fails.
  EXPECT_FALSE(Verified(secret, first, first.headers.at("webhook-id") + "-replay"));
  EXPECT_TRUE(absl::StrContains(first.body, "Nguyễn Văn An")) << first.body;

  // Rotation: the new secret is shown once; both sign for a while.
  v1::RotateWebhookSecretResponse rotated;
  v1::RotateWebhookSecretRequest rotate;
  rotate.set_request_id("rotate-1");
  ASSERT_TRUE(stub_->RotateWebhookSecret(tokens_.As(kLecturer).get(), rotate, &rotated).ok());
  ASSERT_TRUE(absl::StartsWith(rotated.webhook_secret(), "whsec_"));
  EXPECT_GT(rotated.previous_valid_until().seconds(), absl::ToUnixSeconds(absl::Now()));
  // A retry with the same request_id answers the same secret and rotates nothing; the
  // id on another request is refused (AIP-155, docs/api.md).
  v1::RotateWebhookSecretResponse retried;
  ASSERT_TRUE(stub_->RotateWebhookSecret(tokens_.As(kLecturer).get(), rotate, &retried).ok());
  EXPECT_EQ(retried.webhook_secret(), rotated.webhook_secret());
  rotate.set_person(kLecturer.name);
  EXPECT_EQ(stub_->RotateWebhookSecret(tokens_.As(kLecturer).get(), rotate, &retried).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  v1::RotateWebhookSecretRequest someone_else;
  someone_else.set_person(kAuthor.name);
  EXPECT_EQ(
      stub_->RotateWebhookSecret(tokens_.As(kLecturer).get(), someone_else, &rotated).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Act("return", kLecturer, kPlan, "thiếu minh chứng").ok());
  ASSERT_TRUE(Act("submit", kAuthor, kPlan, "v2").ok());
  ASSERT_TRUE(Eventually([&] {
    for (const auto& r : internal.requests()) {
      if (absl::StrContains(r.headers.at("webhook-signature"), " ")) return true;
    }
    return false;
  }));
  for (const auto& r : internal.requests()) {
    if (!absl::StrContains(r.headers.at("webhook-signature"), " ")) continue;
    EXPECT_TRUE(Verified(secret, r));
    EXPECT_TRUE(Verified(rotated.webhook_secret(), r));
  }
  // The system webhook got everything, signed with the operator's secret.
  ASSERT_TRUE(Eventually([&] { return webhook_.requests().size() >= 3; }));
  for (const auto& r : webhook_.requests()) EXPECT_TRUE(Verified(kSecret, r));
}

TEST_F(NotificationsE2eTest, KillNineMidStreamLosesAndDoublesNothing) {
  webhook_.set_failing(false);
  StartSmtp();
  StartNotifications();
  // Core members whose module-4 documents gvsp-1 / gvqlgd-1 approve.
  const std::vector<std::pair<std::string, Who>> authors = {
      {"gvcc-thcs", kLecturer},
      {"gvcc-phong", kLecturer},
      {"gvcc-so", kLecturer},
      {"cbqlcc-dx-lower", kManagementLecturer},
      {"cbqlcc-th", kManagementLecturer},
      {"cbqlcc-ththcs", kManagementLecturer}};
  constexpr int kRounds = 20;
  std::atomic<bool> done{false};
  std::thread load([&] {
    for (int round = 0; round < kRounds; ++round) {
      for (const auto& [id, lecturer] : authors) {
        const Who author{"people/" + id, {"CORE_TEACHER", "CORE_MANAGER"}, ""};
        const std::string doc = absl::StrCat("documents/", id, "-2023-m4-plan");
        EXPECT_TRUE(Act("submit", author, doc, absl::StrCat(round)).ok());
        EXPECT_TRUE(Act("return", lecturer, doc, absl::StrCat("vòng ", round)).ok());
      }
    }
    done = true;
  });
  // Kill it while it is consuming: some events behind it, more still coming.
  int64_t at_kill = 0;
  ASSERT_TRUE(Eventually([&] {
    const v1::GetStatusResponse status = Status();
    for (const auto& s : status.sources()) {
      if (s.source() == "approvals") at_kill = s.checkpoint();
    }
    return at_kill >= 20;
  }));
  notifications_.process->Signal(SIGKILL);
  ASSERT_TRUE(notifications_.process->WaitExit(absl::Seconds(10)).ok());
  StartNotifications();
  load.join();
  const int64_t events = 2 * kRounds * static_cast<int64_t>(authors.size());
  EXPECT_LT(at_kill, events);  // it really was mid-stream
  ASSERT_TRUE(Eventually([&] {
    const v1::GetStatusResponse status = Status();
    for (const auto& s : status.sources()) {
      if (s.source() == "approvals") return s.checkpoint() == events;
    }
    return false;
  })) << Status().ShortDebugString();
  // Each author: one "returned" per round; each lecturer: one "submitted" per round and author.
  for (const auto& [id, lecturer] : authors) {
    const Who author{"people/" + id, {"CORE_TEACHER"}, ""};
    const auto inbox = Inbox(author);
    EXPECT_EQ(inbox.size(), static_cast<size_t>(kRounds)) << id;
    std::set<std::string> sources;
    for (size_t i = 0; i < inbox.size(); ++i) {
      sources.insert(inbox[i].source());
      EXPECT_TRUE(absl::StrContains(inbox[i].body(), absl::StrCat("vòng ", i))) << id;
    }
    EXPECT_EQ(sources.size(), inbox.size()) << id;
  }
  EXPECT_EQ(Inbox(kLecturer).size(), 3u * kRounds);
  EXPECT_EQ(Inbox(kManagementLecturer).size(), 3u * kRounds);
}

TEST_F(NotificationsE2eTest, AReminderSetBeforeARestartFiresOnceAfterIt) {
  webhook_.set_failing(false);
  StartSmtp();
  // The 2023 campaign closes in 7 days and 4 seconds: the 7-day digest is due in 4 s.
  const absl::Time deadline = absl::Now() + absl::Hours(24 * 7) + absl::Seconds(4);
  const std::string spec =
      absl::StrCat("2023=", absl::FormatTime(absl::RFC3339_sec, deadline, absl::UTCTimeZone()));
  StartNotifications(spec);
  ASSERT_TRUE(Act("submit", kAuthor, kPlan).ok());
  ASSERT_TRUE(Eventually([&] { return Inbox(kLecturer).size() == 1; }));
  EXPECT_EQ(Status().pending_timers(), 2);  // 7 days and 1 day before
  notifications_.process->Signal(SIGTERM);
  ASSERT_TRUE(notifications_.process->WaitExit(absl::Seconds(10)).ok());
  absl::SleepFor(absl::Seconds(5));  // it falls due while the service is down
  StartNotifications(spec);
  ASSERT_TRUE(Eventually([&] { return Inbox(kLecturer).size() == 2; }));
  const auto inbox = Inbox(kLecturer);
  EXPECT_EQ(inbox[1].kind(), v1::CAMPAIGN_DEADLINE_DIGEST);
  EXPECT_TRUE(absl::StrContains(inbox[1].body(), kPlan));
  EXPECT_TRUE(absl::StrContains(inbox[1].body(), "kế hoạch mô đun 4 năm 2023 của Nguyễn Văn An"))
      << inbox[1].body();
  EXPECT_EQ(Status().pending_timers(), 1);  // the 1-day one is still ahead
  // Another restart: it does not fire again.
  notifications_.process->Signal(SIGTERM);
  ASSERT_TRUE(notifications_.process->WaitExit(absl::Seconds(10)).ok());
  StartNotifications(spec);
  absl::SleepFor(absl::Seconds(1));
  EXPECT_EQ(Inbox(kLecturer).size(), 2u);
}

TEST_F(NotificationsE2eTest, GradingEventsSetTheDeadlineRemindersOfAClass) {
  auto grading = StartService(BDTX_GRADING_PATH, {"--data_dir=" + dir_.Sub("grading"), Key(),
                                                  "--directory=" + directory_.address});
  ASSERT_TRUE(grading.ok()) << grading.status();
  auto stub = StubTo<v1::Grading>(grading->address);
  // A run whose grading deadline is tomorrow (Vietnam time): the "2 days before" reminder is
  // already due, the "overdue" one is not.
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(7 * 3600));
  const absl::CivilDay start = today - 24;  // ends after 15 days; deadline 10 days later
  v1::EnrollClassRequest enrol;
  enrol.set_class_name("classes/m3-1");
  enrol.mutable_start()->set_year(static_cast<int>(start.year()));
  enrol.mutable_start()->set_month(start.month());
  enrol.mutable_start()->set_day(start.day());
  v1::Run run;
  grpc::Status s = stub->EnrollClass(tokens_.As(kSo).get(), enrol, &run);
  ASSERT_TRUE(s.ok()) << s.error_message();
  for (const char* learner : {"gv-1", "gv-2"}) {
    v1::SubmitAssignmentRequest submit;
    submit.set_class_name("classes/m3-1");
    submit.set_file_ref(absl::StrCat("lms://", learner));
    submit.set_sha256(Sha256Hex(learner));
    v1::Assignment a;
    const Who who{absl::StrCat("people/", learner), {"MASS_TEACHER"}, "units/thcs-tanphu"};
    s = stub->SubmitAssignment(tokens_.As(who).get(), submit, &a);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  v1::GradeRequest grade;
  grade.set_assignment("classes/m3-1/assignments/gv-1");
  grade.set_verdict(v1::PASS);
  v1::Assignment graded;
  s = stub->Grade(tokens_.As(kAuthor).get(), grade, &graded);
  ASSERT_TRUE(s.ok()) << s.error_message();

  // The LMS: gv-1 did the quiz and the survey; gv-2 nothing.
  v1::ImportLmsResultsRequest lms;
  lms.set_format(v1::CSV);
  lms.set_file_name("lms.csv");
  lms.set_content(
      "learner_id,year,module,result,quiz_done,survey_done\ngv-1,2023,3,pass,yes,yes\n");
  v1::ImportLmsResultsResponse imported;
  s = stub->ImportLmsResults(tokens_.As(kSo).get(), lms, &imported);
  ASSERT_TRUE(s.ok()) << s.error_message();

  // First run: timers are not looked at (poll 1h); it consumes the grading stream.
  StartNotifications("", grading->address, "1h");
  ASSERT_TRUE(Eventually([&] {
    const v1::GetStatusResponse status = Status();
    for (const auto& src : status.sources()) {
      if (src.source() == "grading" && src.checkpoint() >= 5) return true;
    }
    return false;
  })) << Status().ShortDebugString();
  EXPECT_EQ(Status().pending_timers(), 3);  // closing, overdue, learners' nudge
  EXPECT_TRUE(Inbox(kAuthor).empty());
  notifications_.process->Signal(SIGTERM);
  ASSERT_TRUE(notifications_.process->WaitExit(absl::Seconds(10)).ok());

  // Second run: the due reminders fire once: the grader hears of the one ungraded
  // assignment, and (as gv-2's core member) of what gv-2 has not done.
  StartNotifications("", grading->address);
  ASSERT_TRUE(Eventually([&] { return Inbox(kAuthor).size() == 2; }));
  auto inbox = Inbox(kAuthor);
  std::sort(inbox.begin(), inbox.end(),
            [](const auto& a, const auto& b) { return a.kind() < b.kind(); });
  EXPECT_EQ(inbox[0].kind(), v1::GRADING_WINDOW_CLOSING);
  EXPECT_EQ(inbox[0].subject(), "classes/m3-1");
  EXPECT_TRUE(absl::StrContains(inbox[0].body(), "1 bài")) << inbox[0].body();
  EXPECT_EQ(inbox[1].kind(), v1::LEARNERS_MISSING_WORK);
  EXPECT_TRUE(absl::StrContains(inbox[1].body(),
                                "Giáo viên Hai: bài kiểm tra trắc nghiệm, "
                                "phiếu khảo sát cuối mô đun"))
      << inbox[1].body();  // named, not "people/gv-2"
  EXPECT_FALSE(absl::StrContains(inbox[1].body(), "Giáo viên Một")) << inbox[1].body();
  EXPECT_FALSE(absl::StrContains(inbox[1].body(), "people/")) << inbox[1].body();
  EXPECT_EQ(Status().pending_timers(), 1);  // overdue: the morning after tomorrow
  // The Sở's inbox has nothing yet (only an overdue reminder goes there).
  v1::ListNotificationsRequest so_req;
  so_req.set_recipient("units/bp");
  v1::ListNotificationsResponse so_inbox;
  ASSERT_TRUE(stub_->ListNotifications(tokens_.As(kSo).get(), so_req, &so_inbox).ok());
  EXPECT_EQ(so_inbox.notifications_size(), 0);
}

TEST_F(NotificationsE2eTest, ASlowMailServerHoldsUpNeitherTheStreamNorTheWebhook) {
  // A "mail server" that accepts connections and never says a word.
  const int black_hole = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(smtp_port_));
  ASSERT_EQ(bind(black_hole, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(black_hole, 128), 0);
  webhook_.set_failing(false);
  StartNotifications();
  // Enough mails to occupy every e-mail worker for its whole timeout.
  const absl::Time t0 = absl::Now();
  ASSERT_TRUE(Act("submit", kAuthor, kPlan).ok());
  ASSERT_TRUE(Act("return", kLecturer, kPlan, "a").ok());
  ASSERT_TRUE(Act("submit", kAuthor, kPlan, "b").ok());
  ASSERT_TRUE(Act("return", kLecturer, kPlan, "c").ok());
  ASSERT_TRUE(Act("submit", kAuthor, kPlan, "d").ok());
  ASSERT_TRUE(Eventually([&] { return Inbox(kLecturer).size() == 3 && Inbox(kAuthor).size() == 2; },
                         absl::Seconds(10)));
  ASSERT_TRUE(Eventually([&] { return webhook_.requests().size() == 5; }, absl::Seconds(10)));
  // All of it inside one mail timeout (2 s): nothing waited behind the silent server.
  EXPECT_LT(absl::Now() - t0, absl::Milliseconds(1800));
  EXPECT_GT(Status().pending_jobs(), 0);  // the mails are still waiting for their server
  close(black_hole);
}

}  // namespace
}  // namespace bdtx

namespace bdtx {
namespace {

// The body of a stored mail (base64 after the blank line), decoded.
std::string MailBody(const std::string& mail) {
  const size_t blank = mail.find("\r\n\r\n") != std::string::npos ? mail.find("\r\n\r\n") + 4
                                                                  : mail.find("\n\n") + 2;
  std::string encoded;
  for (char c : mail.substr(blank)) {
    if (c != '\r' && c != '\n') encoded.push_back(c);
  }
  std::string out;
  EXPECT_TRUE(absl::Base64Unescape(encoded, &out)) << mail;
  return out;
}

// An operator has the directory e-mail a sign-in activation code (bdtx.v1.Sessions
// IssueActivationCode with send_email): notifications sends it over the real relay
// (STARTTLS + AUTH) in Vietnamese, the person activates the account with the code from
// the mail, and the code is in no answer to the operator, no inbox and no log line.
TEST_F(NotificationsE2eTest, ActivationCodesAreEmailedToThePersonAndNowhereElse) {
  // The directory, restarted to know where notifications will listen (a port chosen now).
  const int notifications_port = FreePort();
  directory_.process->Signal(SIGTERM);
  ASSERT_TRUE(directory_.process->WaitExit(absl::Seconds(30)).ok());
  auto directory = StartService(BDTX_DIRECTORY_PATH,
                                {"--data_dir=" + dir_.Sub("directory"), Key(),
                                 absl::StrCat("--notifications=127.0.0.1:", notifications_port),
                                 "--argon2_memory_kib=1024", "--argon2_time_cost=1"});
  ASSERT_TRUE(directory.ok()) << directory.status();
  directory_ = *std::move(directory);
  StartNotifications("", "", "50ms", {absl::StrCat("--listen=127.0.0.1:", notifications_port)});
  auto sessions = StubTo<v1::Sessions>(directory_.address);
  v1::IssueActivationCodeRequest issue;
  issue.set_person("people/gvcc-thcs");
  issue.set_send_email(true);
  v1::ActivationCode answer;

  // The relay is down: the operator is told nothing was sent.
  grpc::Status s = sessions->IssueActivationCode(tokens_.As(kAdmin).get(), issue, &answer);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "chưa gửi được mã kích hoạt"))
      << s.error_message();

  StartSmtp();
  ASSERT_TRUE(Eventually([&] {
    answer.Clear();
    return sessions->IssueActivationCode(tokens_.As(kAdmin).get(), issue, &answer).ok();
  })) << directory_.process->Output();
  EXPECT_EQ(answer.person(), "people/gvcc-thcs");
  EXPECT_EQ(answer.code(), "") << "an e-mailed code is not shown to the operator";
  EXPECT_EQ(answer.emailed_to(), "an@thcs.example");
  EXPECT_GT(answer.expires_in_seconds(), 0);

  ASSERT_TRUE(Eventually([&] { return Mails().size() == 1; })) << SmtpLog();
  const std::string mail = Mails()[0];
  EXPECT_TRUE(absl::StrContains(mail, "\nTo: an@thcs.example\n") ||
              absl::StrContains(mail, "\nTo: an@thcs.example\r\n"))
      << mail;
  EXPECT_TRUE(absl::StrContains(SmtpLog(), "\"tls\": true, \"auth\": true")) << SmtpLog();
  const std::string body = MailBody(mail);
  EXPECT_TRUE(absl::StrContains(body, "Kính gửi Nguyễn Văn An")) << body;
  EXPECT_TRUE(absl::StrContains(body, "Mã kích hoạt tài khoản bdtx")) << body;
  EXPECT_TRUE(absl::StrContains(body, "(giờ Việt Nam)")) << body;
  // The code: three groups of four after the line that announces it.
  const size_t at = body.find(":\n\n    ");
  ASSERT_NE(at, std::string::npos) << body;
  const std::string code = body.substr(at + 7, 14);
  ASSERT_EQ(code.size(), 14u);
  EXPECT_EQ(code[4], '-');
  EXPECT_EQ(code[9], '-');

  // The mailed code is the real one: the person sets a password with it, once.
  v1::ActivateAccountRequest activate;
  activate.set_username("an@thcs.example");
  activate.set_activation_code(code);
  activate.set_new_password("mat-khau-tu-thu-dien-tu");
  v1::ActivateAccountResponse activated;
  {
    grpc::ClientContext ctx;
    s = sessions->ActivateAccount(&ctx, activate, &activated);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }
  v1::CreateSessionRequest sign_in;
  sign_in.set_username("an@thcs.example");
  sign_in.set_password("mat-khau-tu-thu-dien-tu");
  v1::Session session;
  {
    grpc::ClientContext ctx;
    s = sessions->CreateSession(&ctx, sign_in, &session);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }

  // Nowhere else: no inbox entry, no log line of either service.
  for (const v1::Notification& n : Inbox(kAuthor)) {
    EXPECT_NE(n.kind(), v1::ACCOUNT_ACTIVATION_CODE);
    EXPECT_FALSE(absl::StrContains(n.body(), code));
  }
  EXPECT_FALSE(absl::StrContains(notifications_.process->Output(), code));
  EXPECT_FALSE(absl::StrContains(directory_.process->Output(), code));
  EXPECT_TRUE(absl::StrContains(notifications_.process->Output(), "activation code e-mailed"));

  // Someone without an address in the directory: refused before any code exists.
  issue.set_person("people/gv-1");
  s = sessions->IssueActivationCode(tokens_.As(kAdmin).get(), issue, &answer);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "chưa có địa chỉ e-mail")) << s.error_message();
  // Only the directory may have notifications send one.
  v1::SendActivationCodeRequest direct;
  direct.set_person("people/gvcc-thcs");
  direct.set_email("an@thcs.example");
  direct.set_code("AAAA-BBBB-CCCC");
  v1::SendActivationCodeResponse sent;
  EXPECT_EQ(stub_->SendActivationCode(tokens_.As(kAdmin).get(), direct, &sent).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Mails().size(), 1u);
}

}  // namespace
}  // namespace bdtx
