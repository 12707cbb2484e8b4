// Delivery on libcurl against real loopback servers: an HTTPS receiver (OpenSSL, with a
// certificate made by `openssl req` at run time), a plain HTTP receiver, and
// python3-aiosmtpd with STARTTLS + AUTH (tests/smtp_tls_server.py) or without TLS.
// Also the personal-webhook URL rules (SSRF) and Standard Webhooks signatures.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
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
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"
#include "services/notifications/delivery/net.h"
#include "services/notifications/delivery/signature.h"
#include "services/notifications/delivery/webhook_url.h"

namespace bdtx::notifications {
namespace {

// A self-signed certificate for localhost, 127.0.0.1 and ::1.
struct TestCert {
  std::string cert, key;
};
TestCert MakeCert(const testing::TempDir& dir) {
  TestCert c{dir.Sub("cert.pem"), dir.Sub("key.pem")};
  const std::string cmd = absl::StrCat(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -addext "
      "'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1' -keyout ",
      c.key, " -out ", c.cert, " >/dev/null 2>&1");
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  return c;
}

// An HTTP(S) receiver on loopback: records each request, answers `status`.
class Receiver {
 public:
  struct Request {
    std::string first_line;
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;
  };

  // `cert` empty: plain HTTP. `family`: AF_INET (127.0.0.1) or AF_INET6 (::1).
  explicit Receiver(const TestCert* cert, int family = AF_INET, int port = 0) {
    if (cert != nullptr) {
      ctx_ = SSL_CTX_new(TLS_server_method());
      SSL_CTX_use_certificate_chain_file(ctx_, cert->cert.c_str());
      SSL_CTX_use_PrivateKey_file(ctx_, cert->key.c_str(), SSL_FILETYPE_PEM);
    }
    fd_ = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_storage ss{};
    socklen_t len;
    if (family == AF_INET) {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a->sin_port = htons(static_cast<uint16_t>(port));
      len = sizeof(*a);
    } else {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_addr = in6addr_loopback;
      a->sin6_port = htons(static_cast<uint16_t>(port));
      len = sizeof(*a);
    }
    bound_ = bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) == 0;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
    port_ = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                    : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    listen(fd_, 16);
    thread_ = std::thread([this] { Serve(); });
  }
  ~Receiver() {
    stop_ = true;
    thread_.join();
    close(fd_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  }
  bool bound() const { return bound_; }
  int port() const { return port_; }
  int connections() const { return connections_; }
  void set_answer(std::string answer) {
    absl::MutexLock lock(&mu_);
    answer_ = std::move(answer);
  }
  std::vector<Request> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      ++connections_;
      timeval tv{5, 0};
      setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      SSL* ssl = nullptr;
      if (ctx_ != nullptr) {
        ssl = SSL_new(ctx_);
        SSL_set_fd(ssl, c);
        if (SSL_accept(ssl) != 1) {  // e.g. the client refused our certificate
          SSL_free(ssl);
          close(c);
          continue;
        }
      }
      auto read = [&](char* buf, int n) -> int {
        return ssl != nullptr ? SSL_read(ssl, buf, n) : static_cast<int>(recv(c, buf, n, 0));
      };
      std::string data;
      char buf[4096];
      size_t header_end = std::string::npos, want = 0;
      Request r;
      while (true) {
        const int n = read(buf, sizeof(buf));
        if (n <= 0) break;
        data.append(buf, static_cast<size_t>(n));
        if (header_end == std::string::npos &&
            (header_end = data.find("\r\n\r\n")) != std::string::npos) {
          bool first = true;
          for (absl::string_view line : absl::StrSplit(data.substr(0, header_end), "\r\n")) {
            if (first) {
              r.first_line = std::string(line);
              first = false;
              continue;
            }
            const size_t colon = line.find(':');
            if (colon == absl::string_view::npos) continue;
            r.headers[absl::AsciiStrToLower(line.substr(0, colon))] =
                std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
          }
          (void)absl::SimpleAtoi(r.headers["content-length"], &want);
        }
        if (header_end != std::string::npos && data.size() >= header_end + 4 + want) break;
      }
      if (header_end != std::string::npos) {
        r.body = data.substr(header_end + 4, want);
        std::string answer;
        {
          absl::MutexLock lock(&mu_);
          answer = answer_;
          requests_.push_back(r);
        }
        if (ssl != nullptr) {
          SSL_write(ssl, answer.data(), static_cast<int>(answer.size()));
        } else {
          send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
        }
      }
      if (ssl != nullptr) {
        SSL_shutdown(ssl);
        SSL_free(ssl);
      }
      close(c);
    }
  }

  SSL_CTX* ctx_ = nullptr;
  int fd_ = -1;
  int port_ = 0;
  bool bound_ = false;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
  absl::Mutex mu_;
  std::string answer_ ABSL_GUARDED_BY(mu_) = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  std::vector<Request> requests_ ABSL_GUARDED_BY(mu_);
};

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

bool Connectable(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

const std::vector<std::pair<std::string, std::string>> kHeaders = {
    {"webhook-id", "msg_1"}, {"webhook-timestamp", "1700000000"}};

HttpConfig Https(const TestCert& cert) {
  HttpConfig c;
  c.ca_file = cert.cert;
  c.timeout = absl::Seconds(5);
  return c;
}

class DeliveryTest : public ::testing::Test {
 protected:
  // One certificate for the suite: RSA key generation under ASan is slow.
  static void SetUpTestSuite() {
    cert_dir_ = new testing::TempDir();
    shared_cert_ = new TestCert(MakeCert(*cert_dir_));
  }
  static void TearDownTestSuite() {
    delete shared_cert_;
    delete cert_dir_;
  }
  static testing::TempDir* cert_dir_;
  static TestCert* shared_cert_;
  testing::TempDir dir_;
  const TestCert& cert_ = *shared_cert_;
};
testing::TempDir* DeliveryTest::cert_dir_ = nullptr;
TestCert* DeliveryTest::shared_cert_ = nullptr;

TEST_F(DeliveryTest, HttpsPostWithAVerifiedCertificateCarriesBodyAndHeaders) {
  Receiver receiver(&cert_);
  auto code = PostHttp(absl::StrCat("https://localhost:", receiver.port(), "/hooks/bdtx"),
                       "{\"a\":1}", kHeaders, Https(cert_));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 200);
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].first_line, "POST /hooks/bdtx HTTP/1.1");
  EXPECT_EQ(requests[0].body, "{\"a\":1}");
  EXPECT_EQ(requests[0].headers.at("webhook-id"), "msg_1");
  EXPECT_EQ(requests[0].headers.at("content-type"), "application/json; charset=utf-8");
}

TEST_F(DeliveryTest, HttpsRefusesACertificateItCannotVerify) {
  Receiver receiver(&cert_);
  HttpConfig config = Https(cert_);
  config.ca_file = "";  // the system store does not know the test CA
  auto code =
      PostHttp(absl::StrCat("https://localhost:", receiver.port(), "/h"), "{}", kHeaders, config);
  EXPECT_EQ(code.status().code(), absl::StatusCode::kUnavailable) << code.status();
  EXPECT_TRUE(receiver.requests().empty());
}

TEST_F(DeliveryTest, AnIpv6LiteralHostWorks) {
  Receiver receiver(&cert_, AF_INET6);
  auto code =
      PostHttp(absl::StrCat("https://[::1]:", receiver.port(), "/h"), "{}", kHeaders, Https(cert_));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 200);
  EXPECT_EQ(receiver.requests().size(), 1u);
}

TEST_F(DeliveryTest, PlainHttpOnlyWhenAllowed) {
  Receiver receiver(nullptr);
  const std::string url = absl::StrCat("http://127.0.0.1:", receiver.port(), "/h");
  HttpConfig config;
  EXPECT_EQ(PostHttp(url, "{}", kHeaders, config).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(receiver.connections(), 0);
  config.allow_http = true;
  auto code = PostHttp(url, "{}", kHeaders, config);
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 200);
}

TEST_F(DeliveryTest, HttpWithoutAPortUsesPort80) {
  Receiver receiver(nullptr, AF_INET, 80);
  if (!receiver.bound()) GTEST_SKIP() << "port 80 is not free or not bindable here";
  HttpConfig config;
  config.allow_http = true;
  auto code = PostHttp("http://127.0.0.1/hooks/no-port", "{}", kHeaders, config);
  ASSERT_TRUE(code.ok()) << code.status();
  ASSERT_EQ(receiver.requests().size(), 1u);
  EXPECT_EQ(receiver.requests()[0].first_line, "POST /hooks/no-port HTTP/1.1");
}

TEST_F(DeliveryTest, RedirectsAreAnswersNeverFollowed) {
  Receiver elsewhere(&cert_);
  Receiver receiver(&cert_);
  receiver.set_answer(absl::StrCat(
      "HTTP/1.1 307 Temporary Redirect\r\nLocation: https://localhost:", elsewhere.port(),
      "/admin\r\nContent-Length: 0\r\n\r\n"));
  auto code = PostHttp(absl::StrCat("https://localhost:", receiver.port(), "/h"), "{}", kHeaders,
                       Https(cert_));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 307);
  EXPECT_EQ(elsewhere.connections(), 0);
}

TEST_F(DeliveryTest, HeaderValuesWithLineBreaksNeverLeave) {
  Receiver receiver(&cert_);
  const std::string url = absl::StrCat("https://localhost:", receiver.port(), "/h");
  EXPECT_EQ(PostHttp(url, "{}", {{"webhook-id", "x\r\nX-Admin: 1"}}, Https(cert_)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PostHttp(url + "\r\nX-Admin: 1", "{}", kHeaders, Https(cert_)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(receiver.connections(), 0);
}

TEST_F(DeliveryTest, TheAddressConnectedToIsCheckedAfterResolution) {
  // "localhost" passes no URL check here: only the socket-level check stands between the
  // request and a loopback receiver, as with a name rebound to 127.0.0.1 after the API
  // resolved it to a public address.
  Receiver receiver(&cert_);
  HttpConfig config = Https(cert_);
  config.check_address = [](const sockaddr* a) -> absl::Status {
    if (auto why = ForbiddenAddress(a)) return absl::PermissionDeniedError(*why);
    return absl::OkStatus();
  };
  auto code = PostHttp(absl::StrCat("https://localhost:", receiver.port(), "/internal-admin"), "{}",
                       kHeaders, config);
  EXPECT_EQ(code.status().code(), absl::StatusCode::kPermissionDenied) << code.status();
  EXPECT_TRUE(absl::StrContains(code.status().message(), "loopback")) << code.status();
  EXPECT_EQ(receiver.connections(), 0);
}

TEST(WebhookUrl, RefusesLoopbackPrivateAndOtherInternalAddressesInEverySpelling) {
  for (const char* url : {"https://127.0.0.1/x",
                          "https://127.1/x",
                          "https://2130706433/x",
                          "https://0x7f000001/x",
                          "https://0x7f.0.0.1/x",
                          "https://017700000001/x",
                          "https://0177.0.0.1/x",
                          "https://localhost/x",
                          "https://LOCALHOST./x",
                          "https://a.localhost/x",
                          "https://[::1]/x",
                          "https://[::]/x",
                          "https://0.0.0.0/x",
                          "https://0/x",
                          "https://[::ffff:127.0.0.1]/x",
                          "https://[::ffff:7f00:1]/x",
                          "https://[::127.0.0.1]/x",
                          "https://[64:ff9b::a00:1]/x",
                          "https://[2002:7f00:1::]/x",
                          "https://10.1.2.3/x",
                          "https://172.16.0.1/x",
                          "https://172.31.255.255/x",
                          "https://192.168.1.1/x",
                          "https://100.64.0.1/x",
                          "https://169.254.169.254/latest/meta-data",
                          "https://[fe80::1]/x",
                          "https://[fd00::1]/x",
                          "https://[fc00::1]/x",
                          "https://224.0.0.1/x",
                          "https://255.255.255.255/x",
                          "https://[ff02::1]/x",
                          "https://127.0.0.1.:443/x"}) {
    auto checked = CheckWebhookUrl(url, {}, /*resolve=*/true);
    EXPECT_EQ(checked.status().code(), absl::StatusCode::kInvalidArgument) << url;
  }
  EXPECT_TRUE(absl::StrContains(
      CheckWebhookUrl("https://2130706433/", {}, false).status().message(), "loopback"));
  EXPECT_TRUE(
      absl::StrContains(CheckWebhookUrl("https://[::ffff:10.0.0.1]/", {}, false).status().message(),
                        "địa chỉ riêng"));
}

TEST(WebhookUrl, RefusesHttpCredentialsControlCharactersAndOtherSchemes) {
  for (const char* url :
       {"http://93.184.216.34/x", "ftp://93.184.216.34/x", "file:///etc/passwd",
        "gopher://93.184.216.34/x", "https://user:pw@93.184.216.34/x",
        "https://user@93.184.216.34/", "https://93.184.216.34/x\r\nX-Injected: 1",
        "https://93.184.216.34/a b", "https://93.184.216.34/\x7f", "93.184.216.34/x",
        "https://[fe80::1%25eth0]/", "https://93.184.216.34:0/x", "https://hooks.example.com:0/x",
        "https://93.184.216.34:99999/x", "https://93.184.216.34:-1/x"}) {
    EXPECT_EQ(CheckWebhookUrl(url, {}, false).status().code(), absl::StatusCode::kInvalidArgument)
        << absl::CHexEscape(url);
  }
}

TEST(WebhookUrl, AVeryLongUrlIsRefusedWithoutBeingEchoed) {
  const std::string prefix = "https://hooks.example.com/";
  EXPECT_TRUE(
      CheckWebhookUrl(prefix + std::string(kMaxWebhookUrlBytes - prefix.size(), 'a'), {}, false)
          .ok());
  auto long_url = CheckWebhookUrl(
      prefix + std::string(kMaxWebhookUrlBytes - prefix.size() + 1, 'a'), {}, false);
  EXPECT_EQ(long_url.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(long_url.status().message(), "tối đa 2048")) << long_url.status();
  auto huge = CheckWebhookUrl(prefix + std::string(1 << 20, 'a'), {}, false);
  EXPECT_EQ(huge.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_LT(huge.status().message().size(), 300u);
}

TEST(WebhookUrl, AcceptsPublicHttpsAndAllowListedHosts) {
  auto ok = CheckWebhookUrl("https://93.184.216.34:8443/hooks?a=1", {}, false);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_FALSE(ok->allow_listed);
  EXPECT_TRUE(CheckWebhookUrl("https://[2606:4700::1111]/h", {}, false).ok());
  EXPECT_TRUE(CheckWebhookUrl("https://hooks.example.com/h", {}, false).ok());  // not resolved
  auto allow = ParseAllowHosts("hooks.internal.example, 127.0.0.1 [::1]");
  ASSERT_TRUE(allow.ok()) << allow.status();
  auto allowed = CheckWebhookUrl("http://127.0.0.1:9000/h", *allow, true);
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_TRUE(allowed->allow_listed);
  EXPECT_TRUE(CheckWebhookUrl("http://HOOKS.internal.example./h", *allow, false).ok());
  EXPECT_TRUE(CheckWebhookUrl("https://[::1]:9/h", *allow, false).ok());
  // Allow-listing a host never allows credentials or control characters.
  EXPECT_FALSE(CheckWebhookUrl("http://u:p@127.0.0.1/h", *allow, false).ok());
  EXPECT_FALSE(CheckWebhookUrl("http://127.0.0.1/h\nX: 1", *allow, false).ok());
  EXPECT_FALSE(ParseAllowHosts("http://x/").ok());
}

TEST(Signature, StandardWebhooksSignatureVerifiesAndAReplayUnderANewIdDoesNot) {
  const std::string secret = GenerateWebhookSecret();
  ASSERT_TRUE(absl::StartsWith(secret, "whsec_"));
  ASSERT_TRUE(WebhookKey(secret).ok());
  EXPECT_NE(secret, GenerateWebhookSecret());
  const std::string body = "{\"title\":\"Chờ duyệt\"}";
  const std::string sig = SignWebhook({secret}, "msg_1", "1700000000", body);
  EXPECT_TRUE(absl::StartsWith(sig, "v1,"));
  EXPECT_TRUE(VerifyWebhook(secret, "msg_1", "1700000000", body, sig));
  // The signed content covers the id: the same body and signature under a new id (a
  // replay dodging de-duplication) fails, as do a new timestamp and a changed body.
  EXPECT_FALSE(VerifyWebhook(secret, "msg_2", "1700000000", body, sig));
  EXPECT_FALSE(VerifyWebhook(secret, "msg_1", "1700000001", body, sig));
  EXPECT_FALSE(VerifyWebhook(secret, "msg_1", "1700000000", body + " ", sig));
  EXPECT_FALSE(VerifyWebhook(GenerateWebhookSecret(), "msg_1", "1700000000", body, sig));
}

TEST(Signature, MatchesTheSpecificationsTestVector) {
  // From the Standard Webhooks reference libraries' tests.
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const std::string body = R"({"test": 2432232314})";
  EXPECT_EQ(SignWebhook({secret}, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(Signature, DuringARotationBothSecretsSign) {
  const std::string old_secret = GenerateWebhookSecret(), new_secret = GenerateWebhookSecret();
  const std::string sig = SignWebhook({new_secret, old_secret}, "msg_1", "1", "{}");
  EXPECT_EQ(std::count(sig.begin(), sig.end(), ' '), 1);
  EXPECT_TRUE(VerifyWebhook(old_secret, "msg_1", "1", "{}", sig));
  EXPECT_TRUE(VerifyWebhook(new_secret, "msg_1", "1", "{}", sig));
  EXPECT_FALSE(WebhookKey("whsec_!!notbase64").ok());
  EXPECT_FALSE(WebhookKey("short").ok());
}

// SMTP against real aiosmtpd processes.
class SmtpTest : public DeliveryTest {
 protected:
  ~SmtpTest() override {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  // STARTTLS required, AUTH user/secret (tests/smtp_tls_server.py), or plain aiosmtpd.
  void Start(bool tls) {
    port_ = FreePort();
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      const std::string port = absl::StrCat(port_);
      if (tls) {
        execl("/usr/bin/python3", "python3", BDTX_SMTP_SERVER_PY, port.c_str(), cert_.cert.c_str(),
              cert_.key.c_str(), dir_.Sub("maildir").c_str(), dir_.Sub("smtp.log").c_str(),
              "relay-user", "relay-secret", nullptr);
      } else {
        execl("/usr/bin/python3", "python3", "-m", "aiosmtpd", "-n", "-l",
              absl::StrCat("127.0.0.1:", port).c_str(), "-c", "aiosmtpd.handlers.Mailbox",
              dir_.Sub("maildir").c_str(), nullptr);
      }
      _exit(127);
    }
    const absl::Time end = absl::Now() + absl::Seconds(20);
    while (!Connectable(port_) && absl::Now() < end) absl::SleepFor(absl::Milliseconds(50));
    ASSERT_TRUE(Connectable(port_));
  }
  SmtpConfig Config() {
    SmtpConfig c;
    c.url = absl::StrCat("smtp://127.0.0.1:", port_);
    c.require_tls = true;
    c.username = "relay-user";
    c.password = "relay-secret";
    c.ca_file = cert_.cert;
    c.timeout = absl::Seconds(10);
    return c;
  }
  std::string Log() {
    std::ifstream in(dir_.Sub("smtp.log"));
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  int Mails() {
    int n = 0;
    std::error_code ec;
    for (const auto& f : std::filesystem::directory_iterator(dir_.Sub("maildir") + "/new", ec)) {
      (void)f;
      ++n;
    }
    return n;
  }

  int port_ = 0;
  pid_t pid_ = -1;
};

constexpr char kMessage[] =
    "From: bdtx@so.example\r\nTo: an@thcs.example\r\nSubject: test\r\n\r\n.leading dot\r\nbody\r\n";

TEST_F(SmtpTest, StartTlsAndAuthDeliverToTheRelay) {
  Start(/*tls=*/true);
  // The relay's name in the certificate is 127.0.0.1 (IP SAN), verified against the CA file.
  absl::Status s = SendSmtp(Config(), "bdtx@so.example", "an@thcs.example", kMessage);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(Log(),
            R"({"from": "bdtx@so.example", "rcpt": ["an@thcs.example"], "tls": true, "auth": true})"
            "\n");
  EXPECT_EQ(Mails(), 1);
}

TEST_F(SmtpTest, WrongPasswordOrUnverifiableRelayDeliversNothing) {
  Start(/*tls=*/true);
  SmtpConfig bad = Config();
  bad.password = "wrong";
  EXPECT_EQ(SendSmtp(bad, "bdtx@so.example", "an@thcs.example", kMessage).code(),
            absl::StatusCode::kUnavailable);
  SmtpConfig unverified = Config();
  unverified.ca_file = "";
  EXPECT_EQ(SendSmtp(unverified, "bdtx@so.example", "an@thcs.example", kMessage).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(Log(), "");
}

TEST_F(SmtpTest, RequiredStartTlsNeverFallsBackToClearText) {
  Start(/*tls=*/false);  // a relay that offers no STARTTLS
  SmtpConfig c = Config();
  c.username.clear();
  c.password.clear();
  absl::Status s = SendSmtp(c, "bdtx@so.example", "an@thcs.example", kMessage);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(Mails(), 0);
  c.require_tls = false;  // as configured for a local relay: plain SMTP works
  s = SendSmtp(c, "bdtx@so.example", "an@thcs.example", kMessage);
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(Mails(), 1);
}

TEST_F(SmtpTest, AnAddressCarryingAnSmtpCommandIsRefusedBeforeConnecting) {
  Start(/*tls=*/true);
  absl::Status s = SendSmtp(Config(), "bdtx@so.example",
                            "gvsp-06@example.test>\r\nRCPT TO:<intruder@example.test", kMessage);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(Log(), "");
}

TEST(SmtpConfigTest, AuthWithoutTlsIsAConfigurationError) {
  SmtpConfig c;
  c.url = "relay.example:25";
  c.username = "u";
  EXPECT_EQ(ValidateSmtpConfig(c).code(), absl::StatusCode::kInvalidArgument);
  c.require_tls = true;
  EXPECT_TRUE(ValidateSmtpConfig(c).ok());
  c.url = "http://relay.example";
  EXPECT_FALSE(ValidateSmtpConfig(c).ok());
}

}  // namespace
}  // namespace bdtx::notifications
