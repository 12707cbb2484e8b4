// JWT parsing and verification on hostile tokens (HS256 and RS256 verifiers, both
// configured). Mode byte 0: the rest is a token, which must be refused with
// UNAUTHENTICATED unless it carries a valid signature (it cannot: the fuzzer has no key).
// Mode byte 2: the rest is a payload (JSON or not) signed with the key, as a trusted
// issuer with a broken or hostile payload would send it: refused or accepted, never UB.
// Mode byte 1: the rest builds claims that are minted with the key and must verify back
// to exactly the same claims.
#include <fuzzer/FuzzedDataProvider.h>

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/auth/jwt.h"
#include "fuzz/fuzz_support.h"
#include "openssl/evp.h"
#include "openssl/hmac.h"

namespace {

constexpr char kSecret[] = "fuzzing-secret-of-at-least-32-bytes!!";
const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

const bdtx::auth::JwtVerifier& Verifier() {
  static const auto* verifier = [] {
    bdtx::auth::JwtVerifier::Options options;
    options.hs256_secret = kSecret;
    return new bdtx::auth::JwtVerifier(*bdtx::auth::JwtVerifier::Create(options));
  }();
  return *verifier;
}

std::string Minted() {
  bdtx::auth::Claims c;
  c.subject = "people/gvcc-001";
  c.roles = {"CORE_TEACHER", "REPORTER"};
  c.unit = "units/thcs-tanphu";
  c.issuer = c.audience = "bdtx";
  c.issued_at = kNow;
  c.expires_at = kNow + absl::Hours(1);
  return *bdtx::auth::MintJwt(c, {bdtx::auth::JwtAlgorithm::kHs256, kSecret});
}

std::string SignedWithPayload(const std::string& payload) {
  const std::string input =
      absl::StrCat(absl::WebSafeBase64Escape(R"({"alg":"HS256","typ":"JWT"})"), ".",
                   absl::WebSafeBase64Escape(payload));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), kSecret, sizeof(kSecret) - 1,
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_size);
  return absl::StrCat(
      input, ".", absl::WebSafeBase64Escape(std::string(reinterpret_cast<char*>(mac), mac_size)));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const std::string token = Minted();
  bdtx::fuzz::MaybeWriteSeeds({
      std::string(1, '\0') + token,
      std::string(1, '\0') + token.substr(0, token.rfind('.')) + ".",
      std::string(1, '\0') + "eyJhbGciOiJub25lIn0.eyJzdWIiOiJwZW9wbGUveCJ9.",
      std::string(1, '\0') + "a.b.c.d",
      std::string(1, '\2') +
          R"({"sub":"people/x","iss":"bdtx","aud":["bdtx"],"roles":["ADMIN"],"exp":1700003600})",
      std::string(1, '\2') + R"({"sub":"people/x","iss":"bdtx","aud":"bdtx","nbf":1e300})",
      std::string(1, '\1') + "people/gvcc-001\\\x01CORE_TEACHER\\units/x\\" +
          std::string(24, '\x10'),
  });
  Verifier();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  if (data[0] % 3 == 2) {
    const std::string payload(reinterpret_cast<const char*>(data + 1), size - 1);
    auto claims = Verifier().Verify(SignedWithPayload(payload), kNow);
    if (!claims.ok()) {
      BDTX_FUZZ_CHECK(claims.status().code() == absl::StatusCode::kUnauthenticated);
    } else {
      BDTX_FUZZ_CHECK(!claims->subject.empty() && claims->issuer == "bdtx");
    }
    return 0;
  }
  if (data[0] % 3 == 0) {
    const std::string token(reinterpret_cast<const char*>(data + 1), size - 1);
    auto claims = Verifier().Verify(token, kNow);
    if (!claims.ok()) {
      BDTX_FUZZ_CHECK(claims.status().code() == absl::StatusCode::kUnauthenticated);
      // A refusal never quotes the token (it is a secret).
      // (Only for JWT-shaped inputs: a short dotless one can be a piece of the fixed text.)
      if (token.size() >= 12 && token.find('.') != std::string::npos) {
        BDTX_FUZZ_CHECK(claims.status().message().find(token) == std::string::npos);
      }
    }
    return 0;
  }
  FuzzedDataProvider in(data + 1, size - 1);
  bdtx::auth::Claims c;
  c.subject = in.ConsumeRandomLengthString(200);
  const int roles = in.ConsumeIntegralInRange(0, 4);
  for (int i = 0; i < roles; ++i) c.roles.push_back(in.ConsumeRandomLengthString(40));
  c.unit = in.ConsumeRandomLengthString(100);
  c.issuer = c.audience = "bdtx";
  c.issued_at = kNow - absl::Seconds(in.ConsumeIntegralInRange<int64_t>(0, 1'000'000));
  c.expires_at = kNow + absl::Seconds(in.ConsumeIntegralInRange<int64_t>(60, 1'000'000));
  auto token = bdtx::auth::MintJwt(c, {bdtx::auth::JwtAlgorithm::kHs256, kSecret});
  if (!token.ok()) return 0;  // e.g. claims that are not UTF-8
  // The verifier requires a subject; minting does not check it (bdtx never mints without).
  if (c.subject.empty()) return 0;
  auto back = Verifier().Verify(*token, kNow);
  BDTX_FUZZ_CHECK(back.ok());
  BDTX_FUZZ_CHECK(back->subject == c.subject);
  BDTX_FUZZ_CHECK(back->roles == c.roles);
  BDTX_FUZZ_CHECK(back->unit == c.unit);
  return 0;
}
