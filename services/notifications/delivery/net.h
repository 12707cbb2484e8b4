// Minimal blocking clients for the outgoing channels, with a deadline on every step so a
// slow or dead peer costs one worker thread for at most `timeout`, never the consumer.
//   SMTP: plain SMTP (RFC 5321: EHLO, MAIL FROM, RCPT TO, DATA, QUIT), no TLS/AUTH —
//         for a relay on the local network.
//   HTTP: one POST over HTTP/1.1 ("http://host:port/path"), no TLS, Connection: close.
#ifndef BDTX_SERVICES_NOTIFICATIONS_DELIVERY_NET_H_
#define BDTX_SERVICES_NOTIFICATIONS_DELIVERY_NET_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace bdtx::notifications {

// UNAVAILABLE when the server cannot be reached or answers with an error code.
absl::Status SendSmtp(const std::string& host_port, const std::string& from, const std::string& to,
                      const std::string& message, absl::Duration timeout);

// The HTTP status code of the answer, or UNAVAILABLE when there is none.
absl::StatusOr<int> PostHttp(const std::string& url, const std::string& body,
                             const std::vector<std::pair<std::string, std::string>>& headers,
                             absl::Duration timeout);

}  // namespace bdtx::notifications

#endif  // BDTX_SERVICES_NOTIFICATIONS_DELIVERY_NET_H_
