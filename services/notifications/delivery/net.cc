#include "services/notifications/delivery/net.h"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace bdtx::notifications {
namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct ListDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;
using List = std::unique_ptr<curl_slist, ListDeleter>;

bool HasLineBreakOrNul(absl::string_view s) {
  return s.find_first_of(absl::string_view("\r\n\0", 3)) != absl::string_view::npos;
}

// Settings every transfer shares: timeouts, no signals (threads), no proxies from the
// environment, no redirects, certificate verification on.
void CommonOptions(CURL* c, const std::string& ca_file, absl::Duration connect_timeout,
                   absl::Duration timeout, char* error_buffer) {
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(connect_timeout)));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(timeout)));
  curl_easy_setopt(c, CURLOPT_PROXY, "");  // never https_proxy & co. from the environment
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, ca_file.c_str());
}

std::string CurlError(CURLcode rc, const char* error_buffer) {
  return error_buffer[0] != '\0' ? std::string(error_buffer) : curl_easy_strerror(rc);
}

struct Upload {
  absl::string_view rest;
};

size_t ReadUpload(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, upload->rest.size());
  std::memcpy(buffer, upload->rest.data(), n);
  upload->rest.remove_prefix(n);
  return n;
}

size_t DiscardBody(char*, size_t size, size_t count, void*) { return size * count; }

struct AddressCheck {
  const std::function<absl::Status(const sockaddr*)>* check;
  absl::Status refused;
};

curl_socket_t OpenCheckedSocket(void* user, curlsocktype, curl_sockaddr* address) {
  auto* check = static_cast<AddressCheck*>(user);
  if (absl::Status s = (*check->check)(&address->addr); !s.ok()) {
    check->refused = s;
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

}  // namespace

absl::Status ValidateSmtpConfig(const SmtpConfig& config) {
  if (config.url.empty()) return absl::InvalidArgumentError("no SMTP relay configured");
  const bool smtps = absl::StartsWith(config.url, "smtps://");
  if (absl::StrContains(config.url, "://") && !smtps && !absl::StartsWith(config.url, "smtp://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("SMTP relay '", config.url, "' must be smtp://, smtps:// or host:port"));
  }
  if (HasLineBreakOrNul(config.url) || HasLineBreakOrNul(config.username) ||
      HasLineBreakOrNul(config.password)) {
    return absl::InvalidArgumentError("SMTP settings must not contain line breaks");
  }
  if (!config.username.empty() && !smtps && !config.require_tls) {
    return absl::InvalidArgumentError(
        "SMTP AUTH needs TLS: use smtps:// or require STARTTLS (the password would travel in "
        "clear text)");
  }
  return absl::OkStatus();
}

absl::Status SendSmtp(const SmtpConfig& config, const std::string& from, const std::string& to,
                      const std::string& message) {
  if (absl::Status s = ValidateSmtpConfig(config); !s.ok()) return s;
  for (const std::string* address : {&from, &to}) {
    if (address->empty() || HasLineBreakOrNul(*address) ||
        address->find_first_of("<> ") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("e-mail address '", absl::CEscape(*address), "' is not a bare address"));
    }
  }
  GlobalInit();
  Easy curl(curl_easy_init());
  if (!curl) return absl::InternalError("curl_easy_init failed");
  CURL* c = curl.get();
  char error_buffer[CURL_ERROR_SIZE] = "";
  CommonOptions(c, config.ca_file, config.connect_timeout, config.timeout, error_buffer);
  const bool smtps = absl::StartsWith(config.url, "smtps://");
  std::string url = absl::StrContains(config.url, "://") ? config.url : "smtp://" + config.url;
  // The path is the EHLO name.
  if (url.find('/', url.find("://") + 3) == std::string::npos) url += "/bdtx";
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, smtps ? "smtps" : "smtp");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, smtps ? "smtps" : "smtp");
  if (!smtps) {
    curl_easy_setopt(c, CURLOPT_USE_SSL,
                     static_cast<long>(config.require_tls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
  }
  if (!config.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, config.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, config.password.c_str());
  }
  const std::string mail_from = absl::StrCat("<", from, ">");
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
  List recipients(curl_slist_append(nullptr, absl::StrCat("<", to, ">").c_str()));
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
  // libcurl dot-stuffs the body and ends it with CRLF.CRLF (RFC 5321 4.5.2).
  Upload upload{message};
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, &ReadUpload);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    long reply = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
    return absl::UnavailableError(
        absl::StrCat("SMTP ", config.url, ": ", CurlError(rc, error_buffer),
                     reply > 0 ? absl::StrCat(" (reply ", reply, ")") : ""));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> PostHttp(const std::string& url, const std::string& body,
                             const std::vector<std::pair<std::string, std::string>>& headers,
                             const HttpConfig& config) {
  const bool https = absl::StartsWith(url, "https://");
  if (!https && !(config.allow_http && absl::StartsWith(url, "http://"))) {
    return absl::InvalidArgumentError(absl::StrCat("webhook URL '", absl::CEscape(url),
                                                   "' must be ",
                                                   config.allow_http ? "http(s)" : "https", "://"));
  }
  if (HasLineBreakOrNul(url)) {
    return absl::InvalidArgumentError("a webhook URL must not contain line breaks");
  }
  List list(curl_slist_append(nullptr, "Content-Type: application/json; charset=utf-8"));
  list.reset(curl_slist_append(list.release(), "Expect:"));  // no 100-continue round trip
  for (const auto& [name, value] : headers) {
    if (name.empty() || HasLineBreakOrNul(name) || HasLineBreakOrNul(value) ||
        name.find_first_of(": ") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("header '", absl::CEscape(name), "' is not a single header line"));
    }
    list.reset(curl_slist_append(list.release(), absl::StrCat(name, ": ", value).c_str()));
  }
  GlobalInit();
  Easy curl(curl_easy_init());
  if (!curl) return absl::InternalError("curl_easy_init failed");
  CURL* c = curl.get();
  char error_buffer[CURL_ERROR_SIZE] = "";
  CommonOptions(c, config.ca_file, config.connect_timeout, config.timeout, error_buffer);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  const char* protocols = config.allow_http ? "http,https" : "https";
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols);
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &DiscardBody);
  AddressCheck check{&config.check_address, absl::OkStatus()};
  if (config.check_address) {
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, &OpenCheckedSocket);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &check);
  }
  const CURLcode rc = curl_easy_perform(c);
  if (!check.refused.ok()) {
    return absl::PermissionDeniedError(absl::StrCat("POST ", url, ": ", check.refused.message()));
  }
  if (rc != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat("POST ", url, ": ", CurlError(rc, error_buffer)));
  }
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  return static_cast<int>(code);
}

}  // namespace bdtx::notifications
