#include "common/auth/jwt.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sys/stat.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"

namespace bdtx::auth {
namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef";
const absl::Time kNow = absl::FromUnixSeconds(1700000000);

Claims Valid() {
  Claims c;
  c.subject = "people/gv-001";
  c.roles = {"CORE_TEACHER", "REPORTER"};
  c.unit = "units/thcs-tan-phu";
  c.issuer = "bdtx";
  c.audience = "bdtx";
  c.issued_at = kNow;
  c.not_before = kNow;
  c.expires_at = kNow + absl::Hours(1);
  return c;
}

JwtVerifier Hs256Verifier() {
  JwtVerifier::Options o;
  o.hs256_secret = kSecret;
  return *JwtVerifier::Create(o);
}

std::string Mint(const Claims& c) { return *MintJwt(c, {JwtAlgorithm::kHs256, kSecret}); }

void ExpectRejected(const absl::StatusOr<Claims>& r, const std::string& why,
                    const std::string& token) {
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated) << why;
  EXPECT_NE(r.status().message().find(why), std::string::npos) << r.status();
  if (token.size() > 8) {
    EXPECT_EQ(r.status().message().find(token), std::string::npos) << "token leaked into error";
  }
}

TEST(JwtTest, Hs256RoundTripCarriesSubjectRolesAndUnit) {
  auto claims = Hs256Verifier().Verify(Mint(Valid()), kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject, "people/gv-001");
  EXPECT_EQ(claims->roles, (std::vector<std::string>{"CORE_TEACHER", "REPORTER"}));
  EXPECT_EQ(claims->unit, "units/thcs-tan-phu");
  EXPECT_EQ(claims->expires_at, kNow + absl::Hours(1));
}

TEST(JwtTest, ExpiredTokenIsRejected) {
  const std::string token = Mint(Valid());
  ExpectRejected(Hs256Verifier().Verify(token, kNow + absl::Hours(2)), "expired at", token);
  // Within the leeway it is still accepted.
  EXPECT_TRUE(Hs256Verifier().Verify(token, kNow + absl::Hours(1) + absl::Seconds(10)).ok());
}

TEST(JwtTest, NotYetValidTokenIsRejected) {
  Claims c = Valid();
  c.not_before = kNow + absl::Hours(1);
  const std::string token = Mint(c);
  ExpectRejected(Hs256Verifier().Verify(token, kNow), "not valid before", token);
}

TEST(JwtTest, WrongAudienceOrIssuerIsRejected) {
  Claims c = Valid();
  c.audience = "someone-else";
  std::string token = Mint(c);
  ExpectRejected(Hs256Verifier().Verify(token, kNow), "audience must include 'bdtx'", token);
  c = Valid();
  c.issuer = "evil";
  token = Mint(c);
  ExpectRejected(Hs256Verifier().Verify(token, kNow), "issuer must be 'bdtx'", token);
}

TEST(JwtTest, BadSignatureIsRejected) {
  const std::string other = *MintJwt(Valid(), {JwtAlgorithm::kHs256, std::string(32, 'z')});
  ExpectRejected(Hs256Verifier().Verify(other, kNow), "bad signature", other);
  // A payload edited after signing (say, a role added) fails too.
  std::vector<std::string> parts = absl::StrSplit(Mint(Valid()), '.');
  Claims admin = Valid();
  admin.roles = {"SYSTEM_ADMIN"};
  std::vector<std::string> forged = absl::StrSplit(Mint(admin), '.');
  const std::string tampered = absl::StrCat(parts[0], ".", forged[1], ".", parts[2]);
  ExpectRejected(Hs256Verifier().Verify(tampered, kNow), "bad signature", tampered);
}

TEST(JwtTest, AlgNoneAndUnknownAlgorithmsAreRejected) {
  std::vector<std::string> parts = absl::StrSplit(Mint(Valid()), '.');
  const std::string none =
      absl::StrCat(absl::WebSafeBase64Escape(R"({"alg":"none","typ":"JWT"})"), ".", parts[1], ".");
  ExpectRejected(Hs256Verifier().Verify(none, kNow), "alg none", none);
  const std::string hs512 =
      absl::StrCat(absl::WebSafeBase64Escape(R"({"alg":"HS512"})"), ".", parts[1], ".", parts[2]);
  ExpectRejected(Hs256Verifier().Verify(hs512, kNow), "algorithm HS512 is not supported", hs512);
}

TEST(JwtTest, GarbageAndMissingClaimsAreRejected) {
  ExpectRejected(Hs256Verifier().Verify("", kNow), "three dot-separated parts", "");
  ExpectRejected(Hs256Verifier().Verify("a.b", kNow), "three dot-separated parts", "a.b");
  ExpectRejected(Hs256Verifier().Verify("!!.??.**", kNow), "not base64url", "!!.??.**");
  Claims c = Valid();
  c.expires_at = absl::InfinitePast();
  std::string token = Mint(c);
  ExpectRejected(Hs256Verifier().Verify(token, kNow), "no expiry", token);
  c = Valid();
  c.subject = "";
  token = Mint(c);
  ExpectRejected(Hs256Verifier().Verify(token, kNow), "no subject", token);
}

TEST(JwtTest, ShortSecretsAreRefused) {
  EXPECT_EQ(MintJwt(Valid(), {JwtAlgorithm::kHs256, "short"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  JwtVerifier::Options o;
  o.hs256_secret = "short";
  EXPECT_EQ(JwtVerifier::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(JwtVerifier::Create({}).status().code(), absl::StatusCode::kInvalidArgument);
}

std::pair<std::string, std::string> RsaKeyPair() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  BIO* priv = BIO_new(BIO_s_mem());
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr);
  PEM_write_bio_PUBKEY(pub, key);
  auto drain = [](BIO* b) {
    char* data = nullptr;
    long n = BIO_get_mem_data(b, &data);
    return std::string(data, static_cast<size_t>(n));
  };
  std::pair<std::string, std::string> out{drain(priv), drain(pub)};
  BIO_free(priv);
  BIO_free(pub);
  EVP_PKEY_free(key);
  return out;
}

TEST(JwtTest, Rs256RoundTripAndHs256Confusion) {
  auto [private_pem, public_pem] = RsaKeyPair();
  JwtVerifier::Options o;
  o.rs256_public_key_pem = public_pem;
  JwtVerifier verifier = *JwtVerifier::Create(o);
  const std::string token = *MintJwt(Valid(), {JwtAlgorithm::kRs256, private_pem});
  auto claims = verifier.Verify(token, kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject, "people/gv-001");
  // An HS256 token "signed" with the public key must not pass an RS256-only verifier.
  const std::string confused = *MintJwt(Valid(), {JwtAlgorithm::kHs256, public_pem});
  ExpectRejected(verifier.Verify(confused, kNow), "HS256 tokens are not accepted", confused);
}

TEST(JwtTest, DevKeyIsCreatedOncePrivatelyAndReused) {
  testing::TempDir dir;
  const std::string path = dir.Sub("keys/auth.key");
  auto first = ReadOrCreateDevKey(path);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_GE(first->size(), 32u);
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(*ReadOrCreateDevKey(path), *first);
  EXPECT_EQ(ReadKeyFile(dir.Sub("missing")).status().code(), absl::StatusCode::kNotFound);
}

// A correctly signed token whose payload is hostile (a trusted issuer's bug, or a leaked
// key): time claims no 64-bit second count can hold were converted with undefined
// behaviour (found by fuzz/jwt_fuzz.cc). They are refused now.
TEST(JwtTest, SignedTokenWithOutOfRangeTimeClaimsIsRejected) {
  auto signed_token = [](const std::string& payload) {
    const std::string input =
        absl::StrCat(absl::WebSafeBase64Escape(R"({"alg":"HS256","typ":"JWT"})"), ".",
                     absl::WebSafeBase64Escape(payload));
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_size = 0;
    HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_size);
    return absl::StrCat(
        input, ".", absl::WebSafeBase64Escape(std::string(reinterpret_cast<char*>(mac), mac_size)));
  };
  for (const char* claim :
       {R"("nbf":1e300)", R"("exp":-1e300)", R"("iat":9.3e18)", R"("exp":253402300800)"}) {
    const std::string token =
        signed_token(absl::StrCat(R"({"sub":"people/x","iss":"bdtx","aud":"bdtx",)", claim, "}"));
    ExpectRejected(Hs256Verifier().Verify(token, kNow), "before year 10000", token);
  }
  // The largest representable date still verifies as a time (here: not expired).
  const std::string ok =
      signed_token(R"({"sub":"people/x","iss":"bdtx","aud":"bdtx","exp":253402300799})");
  EXPECT_TRUE(Hs256Verifier().Verify(ok, kNow).ok());
}

// A claim that is not UTF-8 cannot be a JSON string: minting refuses it instead of
// producing a token no verifier accepts (found by fuzz/jwt_fuzz.cc).
TEST(JwtTest, MintingRefusesClaimsThatAreNotUtf8) {
  Claims c = Valid();
  c.subject = "people/Nguy\xEAn";
  auto token = MintJwt(c, {JwtAlgorithm::kHs256, kSecret});
  EXPECT_EQ(token.status().code(), absl::StatusCode::kInvalidArgument) << token.status();
  c = Valid();
  c.roles.push_back("CORE\xFF");
  EXPECT_EQ(MintJwt(c, {JwtAlgorithm::kHs256, kSecret}).status().code(),
            absl::StatusCode::kInvalidArgument);
  c = Valid();
  c.unit = "units/trường-tân-phú";  // UTF-8 Vietnamese is fine
  EXPECT_TRUE(MintJwt(c, {JwtAlgorithm::kHs256, kSecret}).ok());
}

}  // namespace
}  // namespace bdtx::auth
