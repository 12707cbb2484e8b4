// Which URLs a person may point their own webhook at (issue 16 §2: server-side request
// forgery). A personal webhook is https only and its host must be public: never
// loopback, private (RFC 1918), CGNAT (100.64/10), link-local, unique-local (fc00::/7),
// site-local, multicast, unspecified, documentation/benchmark ranges or reserved
// addresses, in any spelling (decimal, octal or hex IPv4 such as 2130706433 or 0x7f.1,
// IPv4-mapped, -compatible, NAT64 and 6to4 IPv6, trailing dots). Hosts an operator
// allow-lists (--webhook_allow_hosts / BDTX_WEBHOOK_ALLOW_HOSTS) may use http and any
// address. The URL is parsed by libcurl's own URL parser, the one that later fetches it,
// so the check and the request cannot read the URL differently.
//
// The check at the API resolves the host; the delivery checks again at the socket
// (ForbiddenAddress via HttpConfig::check_address), so DNS rebinding does not get through.
// Thread-safety: pure functions (CheckWebhookUrl with `resolve` calls getaddrinfo).
#ifndef BDTX_SERVICES_NOTIFICATIONS_DELIVERY_WEBHOOK_URL_H_
#define BDTX_SERVICES_NOTIFICATIONS_DELIVERY_WEBHOOK_URL_H_

#include <sys/socket.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bdtx::notifications {

// Host names or IP literals (case-insensitive, a trailing dot ignored) from
// "a.example,127.0.0.1, [::1]" (commas or spaces). INVALID_ARGUMENT for an empty entry
// or one that is not a host.
absl::StatusOr<std::vector<std::string>> ParseAllowHosts(absl::string_view list);

// Why a personal webhook must not reach `address` ("127.0.0.1 is loopback"), or nullopt
// when it is a public unicast address.
std::optional<std::string> ForbiddenAddress(const sockaddr* address);

struct CheckedUrl {
  std::string host;  // lower case, without brackets or trailing dot
  bool allow_listed = false;
};

// Longest personal webhook URL accepted, in bytes.
inline constexpr size_t kMaxWebhookUrlBytes = 2048;

// INVALID_ARGUMENT (the message says why, in terms a person can act on) when `url` is
// longer than kMaxWebhookUrlBytes, holds control characters or spaces, has port 0, is not https
// (http only for an allow-listed host), carries credentials, or names a forbidden address; with
// `resolve`, also when the host does not resolve or any of its addresses is forbidden.
absl::StatusOr<CheckedUrl> CheckWebhookUrl(absl::string_view url,
                                           const std::vector<std::string>& allow_hosts,
                                           bool resolve);

}  // namespace bdtx::notifications

#endif  // BDTX_SERVICES_NOTIFICATIONS_DELIVERY_WEBHOOK_URL_H_
