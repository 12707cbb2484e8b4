#include "common/auth/jwt.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/text/unicode.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace bdtx::auth {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

constexpr size_t kMinSecretBytes = 32;

absl::Status Unauthenticated(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("invalid bearer token: ", why));
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

PkeyPtr ReadPem(const std::string& pem, bool is_private) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  EVP_PKEY* key = is_private ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                             : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  return PkeyPtr(key);
}

std::string HmacSha256(absl::string_view secret, absl::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

absl::StatusOr<std::string> RsaSign(EVP_PKEY* key, absl::string_view data) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1) {
    return absl::InternalError("RS256 signing failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return absl::InternalError("RS256 signing failed");
  }
  sig.resize(len);
  return sig;
}

bool RsaVerify(EVP_PKEY* key, absl::string_view data, absl::string_view sig) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
}

std::string ToJson(const Struct& s) {
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(s, &out);
  return out;
}

absl::StatusOr<Struct> FromJson(absl::string_view json) {
  Struct s;
  auto status = google::protobuf::util::JsonStringToMessage(std::string(json), &s);
  if (!status.ok()) return absl::InvalidArgumentError("not a JSON object");
  return s;
}

// A NumericDate (RFC 7519 §2): seconds since the epoch. InfinitePast when absent; nullopt
// when the number is no time at all (NaN, infinite, or beyond year 9999), which would
// otherwise overflow the conversion to integer seconds (undefined behaviour; found by
// fuzz/jwt_fuzz.cc).
std::optional<absl::Time> TimeClaim(const Struct& s, const std::string& name) {
  auto it = s.fields().find(name);
  if (it == s.fields().end() || it->second.kind_case() != Value::kNumberValue) {
    return absl::InfinitePast();
  }
  constexpr double kLimit = 253402300799.0;  // 9999-12-31T23:59:59Z
  const double seconds = it->second.number_value();
  if (!std::isfinite(seconds) || seconds > kLimit || seconds < -kLimit) return std::nullopt;
  return absl::FromUnixSeconds(static_cast<int64_t>(seconds));
}

std::string StringClaim(const Struct& s, const std::string& name) {
  auto it = s.fields().find(name);
  if (it == s.fields().end() || it->second.kind_case() != Value::kStringValue) return "";
  return it->second.string_value();
}

}  // namespace

absl::StatusOr<std::string> MintJwt(const Claims& claims, const SigningKey& key) {
  // JSON strings are UTF-8: a claim that is not would be minted into a token that no
  // verifier accepts (found by fuzz/jwt_fuzz.cc).
  std::vector<std::pair<const char*, absl::string_view>> texts = {{"subject", claims.subject},
                                                                  {"unit", claims.unit},
                                                                  {"issuer", claims.issuer},
                                                                  {"audience", claims.audience}};
  for (const std::string& role : claims.roles) texts.push_back({"role", role});
  for (const auto& [name, text] : texts) {
    if (!text::IsValidUtf8(text)) {
      return absl::InvalidArgumentError(absl::StrCat("the ", name, " claim is not UTF-8"));
    }
  }
  Struct header;
  (*header.mutable_fields())["alg"].set_string_value(
      key.algorithm == JwtAlgorithm::kHs256 ? "HS256" : "RS256");
  (*header.mutable_fields())["typ"].set_string_value("JWT");
  Struct payload;
  auto& f = *payload.mutable_fields();
  f["sub"].set_string_value(claims.subject);
  f["iss"].set_string_value(claims.issuer);
  f["aud"].set_string_value(claims.audience);
  if (!claims.unit.empty()) f["unit"].set_string_value(claims.unit);
  for (const std::string& role : claims.roles) {
    f["roles"].mutable_list_value()->add_values()->set_string_value(role);
  }
  if (claims.roles.empty()) f["roles"].mutable_list_value();
  auto set_time = [&](const char* name, absl::Time t) {
    if (t != absl::InfinitePast())
      f[name].set_number_value(static_cast<double>(absl::ToUnixSeconds(t)));
  };
  set_time("iat", claims.issued_at);
  set_time("nbf", claims.not_before);
  set_time("exp", claims.expires_at);

  const std::string signing_input = absl::StrCat(absl::WebSafeBase64Escape(ToJson(header)), ".",
                                                 absl::WebSafeBase64Escape(ToJson(payload)));
  std::string signature;
  if (key.algorithm == JwtAlgorithm::kHs256) {
    if (key.material.size() < kMinSecretBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("HS256 secret must be at least ", kMinSecretBytes, " bytes"));
    }
    signature = HmacSha256(key.material, signing_input);
  } else {
    PkeyPtr pkey = ReadPem(key.material, /*is_private=*/true);
    if (!pkey) return absl::InvalidArgumentError("RS256 key is not a PEM private key");
    auto sig = RsaSign(pkey.get(), signing_input);
    if (!sig.ok()) return sig.status();
    signature = *std::move(sig);
  }
  return absl::StrCat(signing_input, ".", absl::WebSafeBase64Escape(signature));
}

absl::StatusOr<JwtVerifier> JwtVerifier::Create(Options options) {
  if (options.hs256_secret.empty() && options.rs256_public_key_pem.empty()) {
    return absl::InvalidArgumentError("token verification needs an HS256 secret or RS256 key");
  }
  if (!options.hs256_secret.empty() && options.hs256_secret.size() < kMinSecretBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("HS256 secret must be at least ", kMinSecretBytes, " bytes"));
  }
  if (!options.rs256_public_key_pem.empty() &&
      !ReadPem(options.rs256_public_key_pem, /*is_private=*/false)) {
    return absl::InvalidArgumentError("RS256 key is not a PEM public key");
  }
  return JwtVerifier(std::move(options));
}

absl::StatusOr<Claims> JwtVerifier::Verify(absl::string_view token, absl::Time now) const {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return Unauthenticated("not a JWT (expected three dot-separated parts)");
  std::string header_json, payload_json, signature;
  if (!absl::WebSafeBase64Unescape(parts[0], &header_json) ||
      !absl::WebSafeBase64Unescape(parts[1], &payload_json) ||
      !absl::WebSafeBase64Unescape(parts[2], &signature)) {
    return Unauthenticated("not base64url");
  }
  auto header = FromJson(header_json);
  if (!header.ok()) return Unauthenticated("header is not a JSON object");
  const std::string alg = StringClaim(*header, "alg");
  const std::string signing_input = absl::StrCat(parts[0], ".", parts[1]);
  if (alg == "HS256") {
    if (options_.hs256_secret.empty()) return Unauthenticated("HS256 tokens are not accepted");
    const std::string expected = HmacSha256(options_.hs256_secret, signing_input);
    if (expected.size() != signature.size() ||
        CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) != 0) {
      return Unauthenticated("bad signature");
    }
  } else if (alg == "RS256") {
    if (options_.rs256_public_key_pem.empty()) {
      return Unauthenticated("RS256 tokens are not accepted");
    }
    PkeyPtr key = ReadPem(options_.rs256_public_key_pem, /*is_private=*/false);
    if (!key || !RsaVerify(key.get(), signing_input, signature)) {
      return Unauthenticated("bad signature");
    }
  } else if (alg == "none" || alg.empty()) {
    return Unauthenticated("unsigned tokens (alg none) are rejected");
  } else {
    return Unauthenticated(absl::StrCat("algorithm ", alg, " is not supported"));
  }

  auto payload = FromJson(payload_json);
  if (!payload.ok()) return Unauthenticated("payload is not a JSON object");
  Claims claims;
  claims.subject = StringClaim(*payload, "sub");
  claims.issuer = StringClaim(*payload, "iss");
  claims.unit = StringClaim(*payload, "unit");
  for (auto [name, out] :
       {std::pair{"iat", &claims.issued_at}, std::pair{"nbf", &claims.not_before},
        std::pair{"exp", &claims.expires_at}}) {
    std::optional<absl::Time> t = TimeClaim(*payload, name);
    if (!t.has_value()) {
      return Unauthenticated(absl::StrCat(name, " must be seconds since 1970 before year 10000"));
    }
    *out = *t;
  }
  auto aud = payload->fields().find("aud");
  if (aud != payload->fields().end()) {
    if (aud->second.kind_case() == Value::kStringValue) {
      if (aud->second.string_value() == options_.audience) claims.audience = options_.audience;
    } else if (aud->second.kind_case() == Value::kListValue) {
      for (const Value& v : aud->second.list_value().values()) {
        if (v.string_value() == options_.audience) claims.audience = options_.audience;
      }
    }
  }
  auto roles = payload->fields().find("roles");
  if (roles != payload->fields().end() && roles->second.kind_case() == Value::kListValue) {
    for (const Value& v : roles->second.list_value().values()) {
      if (v.kind_case() == Value::kStringValue) claims.roles.push_back(v.string_value());
    }
  }

  if (claims.subject.empty()) return Unauthenticated("no subject (sub)");
  if (claims.issuer != options_.issuer) {
    return Unauthenticated(absl::StrCat("issuer must be '", options_.issuer, "'"));
  }
  if (claims.audience.empty()) {
    return Unauthenticated(absl::StrCat("audience must include '", options_.audience, "'"));
  }
  if (absl::Status s = CheckTimes(claims, now); !s.ok()) return s;
  return claims;
}

absl::Status JwtVerifier::CheckTimes(const Claims& claims, absl::Time now) const {
  if (claims.expires_at == absl::InfinitePast()) return Unauthenticated("no expiry (exp)");
  if (now > claims.expires_at + options_.leeway) {
    return Unauthenticated(absl::StrCat("expired at ", absl::FormatTime(claims.expires_at)));
  }
  if (claims.not_before != absl::InfinitePast() && now + options_.leeway < claims.not_before) {
    return Unauthenticated(absl::StrCat("not valid before ", absl::FormatTime(claims.not_before)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read key file ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string key = buffer.str();
  if (key.empty()) return absl::InvalidArgumentError(absl::StrCat("key file ", path, " is empty"));
  return key;
}

absl::StatusOr<std::string> ReadOrCreateDevKey(const std::string& path) {
  if (std::filesystem::exists(path)) return ReadKeyFile(path);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  unsigned char random[kMinSecretBytes];
  if (RAND_bytes(random, sizeof(random)) != 1) return absl::InternalError("no randomness");
  // Printable, so the file can be passed around as an environment variable too.
  const std::string secret =
      absl::WebSafeBase64Escape(absl::string_view(reinterpret_cast<char*>(random), sizeof(random)));
  // Write a private temporary file, then link it into place: readers never see a
  // half-written key, and of two racing processes exactly one key wins.
  const std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot create key file ", path));
  const bool ok = write(fd, secret.data(), secret.size()) == static_cast<ssize_t>(secret.size()) &&
                  fsync(fd) == 0;
  close(fd);
  if (!ok) {
    unlink(tmp.c_str());
    return absl::UnavailableError(absl::StrCat("cannot write key file ", path));
  }
  const bool linked = link(tmp.c_str(), path.c_str()) == 0;
  unlink(tmp.c_str());
  if (!linked) return ReadKeyFile(path);  // another process created it first
  return secret;
}

}  // namespace bdtx::auth
