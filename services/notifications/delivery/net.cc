#include "services/notifications/delivery/net.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace bdtx::notifications {
namespace {

// A TCP connection whose every operation ends by `deadline`.
class Connection {
 public:
  ~Connection() {
    if (fd_ >= 0) close(fd_);
  }

  absl::Status Connect(const std::string& host_port, absl::Time deadline) {
    deadline_ = deadline;
    const size_t colon = host_port.rfind(':');
    if (colon == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("'", host_port, "' needs host:port"));
    }
    const std::string host = host_port.substr(0, colon), port = host_port.substr(colon + 1);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
      return absl::UnavailableError(absl::StrCat("cannot resolve ", host, ": ", gai_strerror(rc)));
    }
    absl::Status last = absl::UnavailableError(absl::StrCat("no address for ", host_port));
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
      fd_ = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
      if (fd_ < 0) continue;
      if (connect(fd_, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS) {
        if (absl::Status s = Wait(POLLOUT); s.ok()) {
          int err = 0;
          socklen_t len = sizeof(err);
          getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
          if (err == 0) {
            freeaddrinfo(found);
            return absl::OkStatus();
          }
          last =
              absl::UnavailableError(absl::StrCat("connect to ", host_port, ": ", strerror(err)));
        } else {
          last = s;
        }
      }
      close(fd_);
      fd_ = -1;
    }
    freeaddrinfo(found);
    return last;
  }

  absl::Status Send(absl::string_view data) {
    while (!data.empty()) {
      if (absl::Status s = Wait(POLLOUT); !s.ok()) return s;
      const ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        return absl::UnavailableError(absl::StrCat("send: ", strerror(errno)));
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return absl::OkStatus();
  }

  // One line without its CRLF.
  absl::StatusOr<std::string> ReadLine() {
    while (true) {
      if (size_t eol = buffer_.find("\r\n"); eol != std::string::npos) {
        std::string line = buffer_.substr(0, eol);
        buffer_.erase(0, eol + 2);
        return line;
      }
      if (absl::Status s = Fill(); !s.ok()) return s;
    }
  }

  // Everything until the peer closes.
  absl::StatusOr<std::string> ReadAll() {
    while (true) {
      absl::Status s = Fill();
      if (absl::IsOutOfRange(s)) return std::move(buffer_);
      if (!s.ok()) return s;
    }
  }

 private:
  absl::Status Fill() {
    if (absl::Status s = Wait(POLLIN); !s.ok()) return s;
    char chunk[4096];
    const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n == 0) return absl::OutOfRangeError("the peer closed the connection");
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return absl::OkStatus();
      return absl::UnavailableError(absl::StrCat("recv: ", strerror(errno)));
    }
    buffer_.append(chunk, static_cast<size_t>(n));
    return absl::OkStatus();
  }

  absl::Status Wait(short events) {
    const int64_t ms = absl::ToInt64Milliseconds(deadline_ - absl::Now());
    if (ms <= 0) return absl::DeadlineExceededError("timed out");
    pollfd p{fd_, events, 0};
    const int rc = poll(&p, 1, static_cast<int>(ms));
    if (rc == 0) return absl::DeadlineExceededError("timed out");
    if (rc < 0 && errno != EINTR) return absl::UnavailableError(strerror(errno));
    return absl::OkStatus();
  }

  int fd_ = -1;
  absl::Time deadline_;
  std::string buffer_;
};

// Reads an SMTP reply (possibly multi-line) and checks its code class.
absl::Status Expect(Connection& c, char want, absl::string_view step) {
  while (true) {
    auto line = c.ReadLine();
    if (!line.ok())
      return absl::UnavailableError(absl::StrCat("SMTP ", step, ": ", line.status().message()));
    if (line->size() < 3) return absl::UnavailableError(absl::StrCat("SMTP ", step, ": bad reply"));
    if (line->size() > 3 && (*line)[3] == '-') continue;  // more lines follow
    if ((*line)[0] != want) {
      return absl::UnavailableError(absl::StrCat("SMTP ", step, ": ", *line));
    }
    return absl::OkStatus();
  }
}

}  // namespace

absl::Status SendSmtp(const std::string& host_port, const std::string& from, const std::string& to,
                      const std::string& message, absl::Duration timeout) {
  Connection c;
  if (absl::Status s = c.Connect(host_port, absl::Now() + timeout); !s.ok()) {
    return absl::UnavailableError(absl::StrCat("SMTP ", host_port, ": ", s.message()));
  }
  // Dot-stuffing (RFC 5321 4.5.2): a line starting with '.' gets another.
  std::string data;
  for (absl::string_view line : absl::StrSplit(message, "\r\n")) {
    absl::StrAppend(&data, absl::StartsWith(line, ".") ? "." : "", line, "\r\n");
  }
  struct Step {
    std::string send;
    char want;
    const char* name;
  };
  const Step steps[] = {{"", '2', "greeting"},
                        {"EHLO bdtx\r\n", '2', "EHLO"},
                        {absl::StrCat("MAIL FROM:<", from, ">\r\n"), '2', "MAIL FROM"},
                        {absl::StrCat("RCPT TO:<", to, ">\r\n"), '2', "RCPT TO"},
                        {"DATA\r\n", '3', "DATA"},
                        {absl::StrCat(data, ".\r\n"), '2', "message"},
                        {"QUIT\r\n", '2', "QUIT"}};
  for (const Step& step : steps) {
    if (!step.send.empty()) {
      if (absl::Status s = c.Send(step.send); !s.ok()) {
        return absl::UnavailableError(absl::StrCat("SMTP ", step.name, ": ", s.message()));
      }
    }
    if (absl::Status s = Expect(c, step.want, step.name); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<int> PostHttp(const std::string& url, const std::string& body,
                             const std::vector<std::pair<std::string, std::string>>& headers,
                             absl::Duration timeout) {
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "http://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("webhook URL '", url, "' must start with http://"));
  }
  const size_t slash = rest.find('/');
  const std::string host_port(rest.substr(0, slash));
  const std::string path = slash == absl::string_view::npos ? "/" : std::string(rest.substr(slash));
  Connection c;
  if (absl::Status s = c.Connect(host_port, absl::Now() + timeout); !s.ok()) {
    return absl::UnavailableError(absl::StrCat("POST ", url, ": ", s.message()));
  }
  std::string request = absl::StrCat("POST ", path, " HTTP/1.1\r\nHost: ", host_port,
                                     "\r\nContent-Type: application/json; charset=utf-8\r\n",
                                     "Content-Length: ", body.size(), "\r\nConnection: close\r\n");
  for (const auto& [name, value] : headers) absl::StrAppend(&request, name, ": ", value, "\r\n");
  absl::StrAppend(&request, "\r\n", body);
  if (absl::Status s = c.Send(request); !s.ok()) {
    return absl::UnavailableError(absl::StrCat("POST ", url, ": ", s.message()));
  }
  auto status_line = c.ReadLine();
  if (!status_line.ok()) {
    return absl::UnavailableError(absl::StrCat("POST ", url, ": ", status_line.status().message()));
  }
  // "HTTP/1.1 200 OK"
  std::vector<absl::string_view> parts = absl::StrSplit(*status_line, ' ');
  int code = 0;
  if (parts.size() < 2 || !absl::SimpleAtoi(parts[1], &code)) {
    return absl::UnavailableError(
        absl::StrCat("POST ", url, ": bad status line '", *status_line, "'"));
  }
  return code;
}

}  // namespace bdtx::notifications
