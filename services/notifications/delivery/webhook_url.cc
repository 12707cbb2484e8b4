#include "services/notifications/delivery/webhook_url.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cstring>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace bdtx::notifications {
namespace {

struct V4Range {
  uint32_t base;
  int bits;
  const char* what;
};

// IANA special-purpose IPv4 registry: nothing here is a public webhook receiver.
constexpr V4Range kV4Forbidden[] = {
    {0x00000000, 8, "địa chỉ không xác định (\"this network\")"},
    {0x0A000000, 8, "địa chỉ riêng (RFC 1918)"},
    {0x64400000, 10, "vùng địa chỉ dùng chung / CGNAT (RFC 6598)"},
    {0x7F000000, 8, "địa chỉ loopback"},
    {0xA9FE0000, 16, "địa chỉ link-local"},
    {0xAC100000, 12, "địa chỉ riêng (RFC 1918)"},
    {0xC0000000, 24, "vùng dành cho giao thức IETF"},
    {0xC0000200, 24, "địa chỉ dành cho tài liệu"},
    {0xC0586300, 24, "địa chỉ anycast chuyển tiếp 6to4"},
    {0xC0A80000, 16, "địa chỉ riêng (RFC 1918)"},
    {0xC6120000, 15, "vùng dành cho đo hiệu năng"},
    {0xC6336400, 24, "địa chỉ dành cho tài liệu"},
    {0xCB007100, 24, "địa chỉ dành cho tài liệu"},
    {0xE0000000, 4, "địa chỉ multicast"},
    {0xF0000000, 4, "địa chỉ dành riêng hoặc broadcast"},
};

std::optional<std::string> ForbiddenV4(uint32_t host_order) {
  for (const V4Range& r : kV4Forbidden) {
    const uint32_t mask = r.bits == 0 ? 0 : ~uint32_t{0} << (32 - r.bits);
    if ((host_order & mask) == r.base) {
      in_addr a{htonl(host_order)};
      char text[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, &a, text, sizeof(text));
      return absl::StrCat(text, " là ", r.what);
    }
  }
  return std::nullopt;
}

uint32_t V4At(const uint8_t* b) {
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

std::optional<std::string> ForbiddenV6(const in6_addr& a) {
  const uint8_t* b = a.s6_addr;
  char text[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, &a, text, sizeof(text));
  auto is = [&](const char* what) { return absl::StrCat(text, " là ", what); };
  auto zero = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      if (b[i] != 0) return false;
    }
    return true;
  };
  // IPv4 inside IPv6: mapped (::ffff:a.b.c.d), translated (::ffff:0:a.b.c.d), compatible
  // (::a.b.c.d, also :: and ::1), NAT64 (64:ff9b::/96), 6to4 (2002:AABB:CCDD::/16).
  const bool mapped = zero(0, 10) && b[10] == 0xff && b[11] == 0xff;
  const bool translated = zero(0, 8) && b[8] == 0xff && b[9] == 0xff && zero(10, 12);
  if (zero(0, 16)) return is("địa chỉ không xác định");
  if (zero(0, 15) && b[15] == 1) return is("địa chỉ loopback");
  if (mapped || translated || zero(0, 12)) {
    if (auto v4 = ForbiddenV4(V4At(b + 12)))
      return is(absl::StrCat("IPv4 trong IPv6: ", *v4).c_str());
    if (!mapped) return is("địa chỉ IPv4-compatible/translated đã lỗi thời");
    return std::nullopt;
  }
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) {
    if (zero(4, 12)) {
      if (auto v4 = ForbiddenV4(V4At(b + 12))) return is(absl::StrCat("NAT64 của ", *v4).c_str());
      return std::nullopt;
    }
    return is("NAT64 dùng cục bộ");
  }
  if (b[0] == 0x20 && b[1] == 0x02) {
    if (auto v4 = ForbiddenV4(V4At(b + 2))) return is(absl::StrCat("6to4 của ", *v4).c_str());
  }
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00) return is("địa chỉ Teredo");
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
    return is("địa chỉ dành cho tài liệu");
  if (b[0] == 0x01 && b[1] == 0x00 && zero(2, 8))
    return is("địa chỉ chỉ để loại bỏ (discard-only)");
  if ((b[0] & 0xfe) == 0xfc) return is("địa chỉ unique-local (fc00::/7)");
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return is("địa chỉ link-local");
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return is("địa chỉ site-local");
  if (b[0] == 0xff) return is("địa chỉ multicast");
  return std::nullopt;
}

// Lower case, without brackets and trailing dots.
std::string NormalHost(absl::string_view host) {
  host = absl::StripAsciiWhitespace(host);
  if (absl::ConsumePrefix(&host, "[")) absl::ConsumeSuffix(&host, "]");
  while (absl::ConsumeSuffix(&host, ".")) {
  }
  return absl::AsciiStrToLower(host);
}

// The address `host` spells, in any form inet_aton accepts (2130706433, 0x7f.1, 0177.1).
std::optional<std::string> ForbiddenLiteral(const std::string& host, bool* literal) {
  *literal = true;
  in6_addr v6;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return ForbiddenV6(v6);
  in_addr v4;
  if (inet_aton(host.c_str(), &v4) == 1) return ForbiddenV4(ntohl(v4.s_addr));
  *literal = false;
  return std::nullopt;
}

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

// One part of a parsed URL, or nullopt when absent.
std::optional<std::string> Part(CURLU* u, CURLUPart part) {
  char* value = nullptr;
  if (curl_url_get(u, part, &value, 0) != CURLUE_OK || value == nullptr) return std::nullopt;
  std::string out(value);
  curl_free(value);
  return out;
}

absl::Status Refuse(absl::string_view url, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("URL webhook '", absl::CHexEscape(url), "' bị từ chối: ", why));
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseAllowHosts(absl::string_view list) {
  std::vector<std::string> out;
  for (absl::string_view entry : absl::StrSplit(list, absl::ByAnyChar(", "), absl::SkipEmpty())) {
    std::string host = NormalHost(entry);
    bool literal = false;
    (void)ForbiddenLiteral(host, &literal);
    if (host.empty() || (!literal && host.find_first_of("/:@?#[]%") != std::string::npos)) {
      return absl::InvalidArgumentError(
          absl::StrCat("máy chủ được cho phép '", entry, "' phải là tên máy hoặc địa chỉ IP"));
    }
    out.push_back(std::move(host));
  }
  return out;
}

std::optional<std::string> ForbiddenAddress(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    return ForbiddenV4(ntohl(reinterpret_cast<const sockaddr_in*>(address)->sin_addr.s_addr));
  }
  if (address->sa_family == AF_INET6) {
    return ForbiddenV6(reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr);
  }
  return "không phải địa chỉ Internet";
}

absl::StatusOr<CheckedUrl> CheckWebhookUrl(absl::string_view url,
                                           const std::vector<std::string>& allow_hosts,
                                           bool resolve) {
  // The URL is stored with the person's preferences and copied into every delivery job,
  // dead letter and log line: a receiver needs no more than browsers reliably handle.
  if (url.size() > kMaxWebhookUrlBytes) {
    return Refuse(url.substr(0, 64),
                  absl::StrCat("dài ", url.size(), " ký tự, tối đa ", kMaxWebhookUrlBytes));
  }
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == ' ') {
      return Refuse(url, "có ký tự điều khiển hoặc dấu cách (chèn header)");
    }
    if (u >= 0x80) {
      return Refuse(
          url, "tên máy không phải ASCII hãy viết bằng punycode (xn--...), đường dẫn hãy mã hoá %");
    }
  }
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  const std::string text(url);
  if (curl_url_set(u.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
    return Refuse(url, "không phải URL (https://host/path)");
  }
  const std::string scheme = absl::AsciiStrToLower(Part(u.get(), CURLUPART_SCHEME).value_or(""));
  if (Part(u.get(), CURLUPART_USER) || Part(u.get(), CURLUPART_PASSWORD) ||
      Part(u.get(), CURLUPART_OPTIONS)) {
    return Refuse(url, "có kèm thông tin đăng nhập (user:password@); chữ ký đã xác thực người gửi");
  }
  if (Part(u.get(), CURLUPART_ZONEID)) return Refuse(url, "không được dùng zone id của IPv6");
  // libcurl's parser takes ":0" (no receiver listens there; the socket layer would pick
  // any port); 65536 and above it refuses itself.
  if (Part(u.get(), CURLUPART_PORT) == "0") return Refuse(url, "cổng 0 không phải là cổng");
  CheckedUrl out;
  out.host = NormalHost(Part(u.get(), CURLUPART_HOST).value_or(""));
  if (out.host.empty()) return Refuse(url, "không có tên máy");
  for (const std::string& allowed : allow_hosts) out.allow_listed |= out.host == allowed;
  if (scheme != "https" && !(scheme == "http" && out.allow_listed)) {
    return Refuse(url,
                  "webhook cá nhân phải dùng https:// (http:// chỉ cho các máy quản trị viên "
                  "cho phép)");
  }
  if (out.allow_listed) return out;
  bool literal = false;
  if (auto why = ForbiddenLiteral(out.host, &literal)) return Refuse(url, *why);
  if (literal) return out;
  if (out.host == "localhost" || absl::EndsWith(out.host, ".localhost")) {
    return Refuse(url, "localhost là địa chỉ loopback");
  }
  if (!resolve) return out;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(out.host.c_str(), nullptr, &hints, &found); rc != 0) {
    return Refuse(
        url, absl::StrCat("tên máy ", out.host, " không phân giải được (", gai_strerror(rc), ")"));
  }
  std::optional<std::string> why;
  for (addrinfo* a = found; a != nullptr && !why; a = a->ai_next)
    why = ForbiddenAddress(a->ai_addr);
  freeaddrinfo(found);
  if (why) return Refuse(url, absl::StrCat(out.host, " phân giải thành ", *why));
  return out;
}

}  // namespace bdtx::notifications
