// Outgoing e-mail (SMTP) and webhooks (HTTP POST) on libcurl (ADR 010): blocking calls
// with a connect timeout and a total timeout, so a slow or dead peer costs one worker
// thread for at most `timeout`, never the consumer.
//
//   SMTP: "smtp://host:port" (STARTTLS when `require_tls`; the relay must offer it or
//         nothing is sent), "smtps://host:port" (TLS from the first byte), or a bare
//         "host:port" (= smtp://). AUTH with username/password when set. The relay's
//         certificate is verified against `ca_file` or the system store.
//   HTTP: one POST to "https://..." (certificate verified) or, only when `allow_http`,
//         "http://..."; redirects are never followed, proxies from the environment are
//         never used, and `check_address` sees every address libcurl is about to connect
//         to (after DNS resolution), so a name that resolves to a forbidden address is
//         refused at the socket, whatever it resolved to when the URL was checked.
//
// Header values (webhook headers, addresses) with CR, LF or NUL are refused before
// anything is sent. Thread-safety: every function may be called from any thread.
#ifndef BDTX_SERVICES_NOTIFICATIONS_DELIVERY_NET_H_
#define BDTX_SERVICES_NOTIFICATIONS_DELIVERY_NET_H_

#include <sys/socket.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace bdtx::notifications {

struct SmtpConfig {
  std::string url;           // "smtp://host:port", "smtps://host:port" or "host:port"
  bool require_tls = false;  // smtp://: STARTTLS is required (no clear-text fallback)
  std::string username;      // AUTH when non-empty
  std::string password;
  std::string ca_file;  // PEM CA bundle for the relay's certificate; empty: system store
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration timeout = absl::Seconds(10);  // the whole exchange
};

// INVALID_ARGUMENT for a configuration that would leak (AUTH without TLS) or a bad URL.
absl::Status ValidateSmtpConfig(const SmtpConfig& config);

// Sends `message` (RFC 5322, CRLF line ends) from `from` to `to` (bare addresses,
// already validated). INVALID_ARGUMENT when an address holds CR/LF/NUL or angle
// brackets; UNAVAILABLE when the relay cannot be reached, refuses STARTTLS, fails
// verification or answers with an error (the relay's reply in the message).
absl::Status SendSmtp(const SmtpConfig& config, const std::string& from, const std::string& to,
                      const std::string& message);

struct HttpConfig {
  std::string ca_file;      // PEM CA bundle for https; empty: the system store
  bool allow_http = false;  // "http://" permitted (operator-configured endpoints)
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration timeout = absl::Seconds(10);
  // Sees each address before libcurl connects to it; a non-OK status refuses it (the
  // POST then fails with PERMISSION_DENIED carrying that message). Null: no check.
  std::function<absl::Status(const sockaddr*)> check_address;
};

// The HTTP status code of the answer (redirects are answers, not followed).
// INVALID_ARGUMENT: a header name or value with CR/LF/NUL, a scheme not permitted;
// PERMISSION_DENIED: `check_address` refused the address; UNAVAILABLE: no answer.
absl::StatusOr<int> PostHttp(const std::string& url, const std::string& body,
                             const std::vector<std::pair<std::string, std::string>>& headers,
                             const HttpConfig& config);

}  // namespace bdtx::notifications

#endif  // BDTX_SERVICES_NOTIFICATIONS_DELIVERY_NET_H_
