// Sign-in for people through the gateway (issue 18, ADR 015): real bdtx-directory
// (which serves bdtx.v1.Sessions from its credentials store) and bdtx-gateway processes
// on loopback, driven over HTTP with libcurl as a browser or mobile app would.
#include <curl/curl.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>
#include <map>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "bdtx/v1/sessions.pb.h"
#include "common/testing/temp_dir.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "services/directory/testing/fake_directory.h"
#include "tests/e2e_support.h"
#include "tests/http_support.h"

namespace bdtx {
namespace {

using ::bdtx::testing::As;
using ::bdtx::testing::ExpectAip193;
using ::bdtx::testing::Http;
using ::bdtx::testing::Json;
using ::bdtx::testing::Response;
using ::bdtx::testing::Running;
using ::bdtx::testing::StartService;
using ::bdtx::testing::Who;

constexpr char kPeople[] =
    "id,code,full_name,roles,home_unit_id,subject,level,email\n"
    "gv-an,GV0001,Nguyễn Văn An,mass_teacher,thcs-tanphu,Toán,THCS,an.nguyen@tanphu.edu.vn\n"
    "gv-binh,GV0002,Trần Thị Bình,mass_teacher,thcs-tanphu,Văn,THCS,binh@tanphu.edu.vn\n"
    "cv-so,SO0001,Chuyên viên Sở,province_officer,bp,,,\n"
    "ht-thcs,HT0001,Hiệu trưởng,principal,thcs-tanphu,,THCS,\n";
const Who kProvinceOfficer{"people/cv-so", {"PROVINCE_OFFICER"}, "units/bp"};
const Who kPrincipal{"people/ht-thcs", {"PRINCIPAL"}, "units/thcs-tanphu"};
constexpr char kPassword[] = "Mật khẩu rất dài 2026";
constexpr char kWrongCredentials[] = "Tên đăng nhập hoặc mật khẩu không đúng.";

std::string Field(const std::string& json, const std::string& name) {
  google::protobuf::Struct s;
  if (!google::protobuf::util::JsonStringToMessage(json, &s).ok()) return "";
  auto it = s.fields().find(name);
  return it == s.fields().end() ? "" : it->second.string_value();
}

std::string ErrorMessage(const Response& r) {
  google::protobuf::Struct s;
  if (!google::protobuf::util::JsonStringToMessage(r.body, &s).ok()) return "";
  return s.fields().at("error").struct_value().fields().at("message").string_value();
}

// name=value of each Set-Cookie, and the whole header lines.
std::map<std::string, std::string> Cookies(const Response& r,
                                           std::vector<std::string>* lines = nullptr) {
  std::map<std::string, std::string> out;
  auto [begin, end] = r.headers.equal_range("set-cookie");
  for (auto it = begin; it != end; ++it) {
    if (lines) lines->push_back(it->second);
    std::string first(it->second.substr(0, it->second.find(';')));
    const size_t eq = first.find('=');
    out[first.substr(0, eq)] = first.substr(eq + 1);
  }
  return out;
}

// An RSA key of the single sign-on issuer: its PEM (to sign) and its JWK (to publish).
struct IssuerKey {
  std::string kid, private_pem, jwk;
};

IssuerKey NewIssuerKey(const std::string& kid) {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  IssuerKey out{kid, std::string(data, len), ""};
  auto b64 = [&](const char* name) {
    BIGNUM* bn = nullptr;
    EVP_PKEY_get_bn_param(key, name, &bn);
    std::string bytes(BN_num_bytes(bn), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
    BN_free(bn);
    return absl::WebSafeBase64Escape(bytes);
  };
  out.jwk =
      absl::StrCat(R"({"kty":"RSA","use":"sig","alg":"RS256","kid":")", kid, R"(","n":")",
                   b64(OSSL_PKEY_PARAM_RSA_N), R"(","e":")", b64(OSSL_PKEY_PARAM_RSA_E), R"("})");
  BIO_free(bio);
  EVP_PKEY_free(key);
  return out;
}

void WriteJwks(const std::string& path, const std::vector<const IssuerKey*>& keys) {
  std::vector<std::string> jwks;
  for (const IssuerKey* k : keys) jwks.push_back(k->jwk);
  std::ofstream(path) << R"({"keys":[)" << absl::StrJoin(jwks, ",") << "]}";
}

constexpr char kSsoIssuer[] = "https://sso.moet.gov.vn";

// A token of the ministry's issuer for `person`, signed by `key` and naming `kid`.
std::string SsoToken(const IssuerKey& key, const std::string& kid, const std::string& person,
                     const std::string& issuer = kSsoIssuer) {
  auth::Claims claims;
  claims.subject = person;
  claims.issuer = issuer;
  claims.audience = "bdtx-web";
  claims.issued_at = absl::Now();
  claims.expires_at = absl::Now() + absl::Minutes(5);
  return *auth::MintJwt(claims, {auth::JwtAlgorithm::kRs256, key.private_pem, kid});
}

class GatewaySignInE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { curl_global_init(CURL_GLOBAL_DEFAULT); }

  // Argon2id at test strength (1 MiB, 1 pass): the parameters are the directory's flags.
  void Start(std::vector<std::string> directory_flags = {}) {
    std::vector<std::string> args = {"--data_dir=" + dir_.Sub("directory"), Key(),
                                     "--argon2_memory_kib=1024", "--argon2_time_cost=1"};
    args.insert(args.end(), directory_flags.begin(), directory_flags.end());
    auto directory = StartService(BDTX_DIRECTORY_PATH, args);
    ASSERT_TRUE(directory.ok()) << directory.status();
    directory_ = *std::move(directory);
    auto dir_stub = testing::StubTo<v1::Directory>(directory_.address);
    ASSERT_TRUE(testing::ImportCsvs(*dir_stub, tokens_,
                                    {{v1::UNITS, directory::kSampleUnits}, {v1::PEOPLE, kPeople}})
                    .ok());
    auto gateway =
        StartService(BDTX_GATEWAY_PATH, {"--directory=" + directory_.address, "--rate_limit=0"});
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);
    base_ = "http://" + gateway_.address;
  }

  std::string Key() const { return "--auth_key_file=" + dir_.Sub("auth.key"); }

  Response Post(const std::string& path, const std::string& body,
                std::vector<std::string> headers = {}) {
    headers.push_back("Content-Type: application/json");
    return Http("POST", base_ + path, headers, body);
  }

  // An activation code for `person` issued over REST by the province officer.
  std::string IssueCode(const std::string& person) {
    Response r = Http("POST", base_ + "/v1/" + person + ":issueActivationCode",
                      {"Authorization: Bearer " + tokens_.For(kProvinceOfficer)});
    EXPECT_EQ(r.status, 200) << r.body;
    return Field(r.body, "code");
  }

  void Activate(const std::string& person, const std::string& username,
                const std::string& password) {
    const std::string code = IssueCode(person);
    Response r = Post("/v1/accounts:activate",
                      absl::StrCat(R"({"username":")", username, R"(","activationCode":")", code,
                                   R"(","newPassword":")", password, R"("})"));
    ASSERT_EQ(r.status, 200) << r.body;
  }

  Response SignIn(const std::string& username, const std::string& password, bool browser = false) {
    return Post("/v1/sessions",
                absl::StrCat(R"({"username":")", username, R"(","password":")", password,
                             R"(","browser":)", browser ? "true" : "false", "}"));
  }

  testing::TempDir dir_;
  testing::Tokens tokens_{dir_.Sub("auth.key")};
  Running directory_, gateway_;
  std::string base_;
};

TEST_F(GatewaySignInE2eTest, PersonActivatesSignsInAndCallsRestByCookieAndByBearer) {
  ASSERT_NO_FATAL_FAILURE(Start());
  // The code is single use and typed by a person: dashes and case do not matter.
  const std::string code = IssueCode("people/gv-an");
  ASSERT_EQ(code.size(), 14u) << code;
  Response r = Post("/v1/accounts:activate",
                    absl::StrCat(R"({"username":"AN.Nguyen@tanphu.edu.vn","activationCode":")",
                                 absl::AsciiStrToLower(code), R"(","newPassword":"ngắn"})"));
  EXPECT_EQ(r.status, 400) << r.body;  // too short: the code is not spent
  EXPECT_TRUE(absl::StrContains(ErrorMessage(r), "ít nhất 10 ký tự")) << r.body;
  r = Post("/v1/accounts:activate",
           absl::StrCat(R"({"username":"AN.Nguyen@tanphu.edu.vn","activationCode":")",
                        absl::AsciiStrToLower(code), R"(","newPassword":")", kPassword, R"("})"));
  ASSERT_EQ(r.status, 200) << r.body;
  r = Post("/v1/accounts:activate", absl::StrCat(R"({"username":"GV0001","activationCode":")", code,
                                                 R"(","newPassword":"một mật khẩu khác nữa"})"));
  EXPECT_EQ(r.status, 401) << "a used code must not set a password again: " << r.body;

  // Mobile: tokens in the JSON; the access token works as a bearer token.
  r = SignIn("GV0001", kPassword);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string access = Field(r.body, "accessToken");
  ASSERT_FALSE(access.empty()) << r.body;
  EXPECT_FALSE(Field(r.body, "refreshToken").empty());
  EXPECT_EQ(Field(r.body, "person"), "people/gv-an");
  r = Http("GET", base_ + "/v1/people/gv-an", {"Authorization: Bearer " + access});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Field(r.body, "code"), "GV0001");
  // The directory's roles travel with the token: a mass teacher is not an admin.
  r = Http("POST", base_ + "/v1/people/gv-binh:issueActivationCode",
           {"Authorization: Bearer " + access});
  EXPECT_EQ(r.status, 403) << r.body;

  // Browser: tokens only in HttpOnly __Host- cookies; the page gets the CSRF token.
  r = SignIn("an.nguyen@tanphu.edu.vn", kPassword, /*browser=*/true);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Field(r.body, "accessToken"), "") << r.body;
  EXPECT_EQ(Field(r.body, "refreshToken"), "") << r.body;
  const std::string csrf = Field(r.body, "csrfToken");
  ASSERT_FALSE(csrf.empty()) << r.body;
  std::vector<std::string> lines;
  auto cookies = Cookies(r, &lines);
  ASSERT_EQ(cookies.size(), 3u) << r.body;
  EXPECT_EQ(cookies["__Host-bdtx_csrf"], csrf);
  for (const std::string& line : lines) {
    EXPECT_TRUE(absl::StrContains(line, "; Secure; SameSite=Strict")) << line;
    EXPECT_TRUE(absl::StrContains(line, "; Path=/")) << line;
    EXPECT_EQ(absl::StrContains(line, "HttpOnly"), !absl::StartsWith(line, "__Host-bdtx_csrf"))
        << line;
  }
  EXPECT_TRUE(absl::StrContains(lines[0], "Max-Age=900")) << lines[0];  // 15 min access
  const std::string cookie = absl::StrCat(
      "Cookie: __Host-bdtx_session=", cookies["__Host-bdtx_session"],
      "; __Host-bdtx_refresh=", cookies["__Host-bdtx_refresh"], "; __Host-bdtx_csrf=", csrf);
  r = Http("GET", base_ + "/v1/people/gv-an", {cookie});
  ASSERT_EQ(r.status, 200) << r.body;

  // A state-changing request by cookie needs the CSRF header, equal to the cookie.
  const std::string change =
      absl::StrCat(R"({"oldPassword":")", kPassword, R"(","newPassword":"Mật khẩu mới 2027!"})");
  r = Post("/v1/accounts:changePassword", change, {cookie});
  ExpectAip193(r, 403, "PERMISSION_DENIED");
  EXPECT_TRUE(absl::StrContains(ErrorMessage(r), "CSRF")) << r.body;
  r = Post("/v1/accounts:changePassword", change, {cookie, "X-CSRF-Token: " + csrf + "x"});
  EXPECT_EQ(r.status, 403) << r.body;
  r = Post("/v1/accounts:changePassword", change, {cookie, "X-CSRF-Token: " + csrf});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(SignIn("GV0001", kPassword).status, 401);
  EXPECT_EQ(SignIn("GV0001", "Mật khẩu mới 2027!").status, 200);
  // A password change ends the sign-ins made before it.
  r = Post("/v1/sessions:refresh", "{}", {cookie, "X-CSRF-Token: " + csrf});
  EXPECT_EQ(r.status, 401) << r.body;

  // Sign out clears the cookies and revokes the refresh token.
  r = SignIn("GV0001", "Mật khẩu mới 2027!", /*browser=*/true);
  ASSERT_EQ(r.status, 200) << r.body;
  cookies = Cookies(r);
  const std::string cookie2 =
      absl::StrCat("Cookie: __Host-bdtx_session=", cookies["__Host-bdtx_session"],
                   "; __Host-bdtx_refresh=", cookies["__Host-bdtx_refresh"],
                   "; __Host-bdtx_csrf=", cookies["__Host-bdtx_csrf"]);
  r = Post("/v1/sessions:refresh", "{}", {cookie2, "X-CSRF-Token: " + cookies["__Host-bdtx_csrf"]});
  ASSERT_EQ(r.status, 200) << r.body;  // rotated: the new cookies replace the old
  cookies = Cookies(r);
  const std::string cookie3 =
      absl::StrCat("Cookie: __Host-bdtx_session=", cookies["__Host-bdtx_session"],
                   "; __Host-bdtx_refresh=", cookies["__Host-bdtx_refresh"],
                   "; __Host-bdtx_csrf=", cookies["__Host-bdtx_csrf"]);
  r = Http("DELETE", base_ + "/v1/sessions", {cookie3});
  EXPECT_EQ(r.status, 403) << "sign-out by cookie needs CSRF too: " << r.body;
  r = Http("DELETE", base_ + "/v1/sessions",
           {cookie3, "X-CSRF-Token: " + cookies["__Host-bdtx_csrf"]});
  ASSERT_EQ(r.status, 200) << r.body;
  lines.clear();
  Cookies(r, &lines);
  ASSERT_EQ(lines.size(), 3u);
  for (const std::string& line : lines) EXPECT_TRUE(absl::StrContains(line, "Max-Age=0")) << line;
  r = Post("/v1/sessions:refresh", "{}", {cookie3, "X-CSRF-Token: " + cookies["__Host-bdtx_csrf"]});
  EXPECT_EQ(r.status, 401) << r.body;

  // Who may issue codes: not a principal; a Sở officer only in their province.
  r = Http("POST", base_ + "/v1/people/gv-binh:issueActivationCode",
           {"Authorization: Bearer " + tokens_.For(kPrincipal)});
  EXPECT_EQ(r.status, 403) << r.body;
}

TEST_F(GatewaySignInE2eTest, WrongPasswordNeverSaysWhichPartAndLocksTheAccount) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Activate("people/gv-an", "GV0001", kPassword));
  Response wrong = SignIn("GV0001", "sai mật khẩu rồi");
  ExpectAip193(wrong, 401, "UNAUTHENTICATED", "google.rpc.ErrorInfo");
  EXPECT_EQ(ErrorMessage(wrong), kWrongCredentials);
  Response unknown = SignIn("KHONGCO", "sai mật khẩu rồi");
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(ErrorMessage(unknown), kWrongCredentials) << "same answer for an unknown user";
  Response not_activated = SignIn("GV0002", "sai mật khẩu rồi");
  EXPECT_EQ(ErrorMessage(not_activated), kWrongCredentials);
  // The 5th failure locks the account for 15 minutes, even for the right password.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(SignIn("GV0001", "sai").status, 401);
  Response locked = SignIn("GV0001", "sai");
  ExpectAip193(locked, 429, "RESOURCE_EXHAUSTED");
  EXPECT_EQ(locked.Header("retry-after"), "900");
  EXPECT_TRUE(absl::StrContains(ErrorMessage(locked), "thử lại sau 15 phút")) << locked.body;
  locked = SignIn("an.nguyen@tanphu.edu.vn", kPassword);
  EXPECT_EQ(locked.status, 429) << locked.body;
  EXPECT_FALSE(locked.Header("retry-after").empty());
  // Another account from the same address is not locked by it.
  ASSERT_NO_FATAL_FAILURE(Activate("people/gv-binh", "GV0002", kPassword));
  EXPECT_EQ(SignIn("GV0002", kPassword).status, 200);
  // Guessing codes counts too: the address is locked after 50 failures in all.
  int status = 0;
  for (int i = 0; i < 60 && status != 429; ++i) {
    status = static_cast<int>(SignIn(absl::StrCat("NGUOI", i), "sai").status);
  }
  EXPECT_EQ(status, 429);
  EXPECT_EQ(SignIn("GV0002", kPassword).status, 429) << "the address is locked";
}

TEST_F(GatewaySignInE2eTest, StaleRefreshTokenIsRefusedAndRevokesTheWholeSignIn) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Activate("people/gv-an", "GV0001", kPassword));
  Response r = SignIn("GV0001", kPassword);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string first = Field(r.body, "refreshToken");
  r = Post("/v1/sessions:refresh", absl::StrCat(R"({"refreshToken":")", first, R"("})"));
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string second = Field(r.body, "refreshToken");
  ASSERT_NE(second, first);
  EXPECT_FALSE(Field(r.body, "accessToken").empty());
  r = Post("/v1/sessions:refresh", absl::StrCat(R"({"refreshToken":")", first, R"("})"));
  ExpectAip193(r, 401, "UNAUTHENTICATED");
  r = Post("/v1/sessions:refresh", absl::StrCat(R"({"refreshToken":")", second, R"("})"));
  EXPECT_EQ(r.status, 401) << "reuse of a rotated token revokes its successors: " << r.body;
  // Another sign-in is unaffected.
  r = SignIn("GV0001", kPassword);
  ASSERT_EQ(r.status, 200);
  r = Post("/v1/sessions:refresh",
           absl::StrCat(R"({"refreshToken":")", Field(r.body, "refreshToken"), R"("})"));
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(GatewaySignInE2eTest, ExpiredSessionMustSignInAgain) {
  ASSERT_NO_FATAL_FAILURE(Start({"--refresh_token_ttl=2s", "--access_token_ttl=1s"}));
  ASSERT_NO_FATAL_FAILURE(Activate("people/gv-an", "GV0001", kPassword));
  Response r = SignIn("GV0001", kPassword, /*browser=*/true);
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> lines;
  auto cookies = Cookies(r, &lines);
  EXPECT_TRUE(absl::StrContains(lines[0], "Max-Age=1")) << lines[0];
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  r = Post("/v1/sessions:refresh", "{}",
           {absl::StrCat("Cookie: __Host-bdtx_refresh=", cookies["__Host-bdtx_refresh"],
                         "; __Host-bdtx_csrf=", cookies["__Host-bdtx_csrf"]),
            "X-CSRF-Token: " + cookies["__Host-bdtx_csrf"]});
  ExpectAip193(r, 401, "UNAUTHENTICATED");
  EXPECT_TRUE(absl::StrContains(ErrorMessage(r), "đăng nhập lại")) << r.body;
  // Without a session cookie a browser request is anonymous: 401.
  r = Http("GET", base_ + "/v1/people/gv-an");
  EXPECT_EQ(r.status, 401) << r.body;
}

TEST_F(GatewaySignInE2eTest, SingleSignOnTokensAreCheckedByKidWithRotationAndUnknownKidRefused) {
  const IssuerKey november = NewIssuerKey("2026-11"), december = NewIssuerKey("2026-12");
  const std::string jwks = dir_.Sub("jwks.json");
  WriteJwks(jwks, {&november});
  ASSERT_NO_FATAL_FAILURE(Start(
      {"--oidc_jwks_file=" + jwks, absl::StrCat("--oidc_issuer=", kSsoIssuer),
       "--oidc_audience=bdtx-web", "--oidc_person_claim=sub", "--oidc_jwks_reload_interval=0s"}));
  auto get = [&](const std::string& token) {
    return Http("GET", base_ + "/v1/people/gv-an", {"Authorization: Bearer " + token});
  };
  Response r = get(SsoToken(november, "2026-11", "gv-an"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Field(r.body, "code"), "GV0001");
  // The issuer's next key is not published yet: refused, saying why.
  r = get(SsoToken(december, "2026-12", "gv-an"));
  ExpectAip193(r, 401, "UNAUTHENTICATED");
  EXPECT_TRUE(absl::StrContains(ErrorMessage(r), "kid")) << r.body;
  // A known kid with another key's signature, or another issuer: refused.
  EXPECT_EQ(get(SsoToken(december, "2026-11", "gv-an")).status, 401);
  EXPECT_EQ(get(SsoToken(november, "2026-11", "gv-an", "https://evil.example")).status, 401);
  // A person the directory does not know: refused although the signature is good.
  EXPECT_EQ(get(SsoToken(november, "2026-11", "khong-co")).status, 403);
  // Rotation: the issuer publishes its new key; no restart needed.
  WriteJwks(jwks, {&november, &december});
  r = get(SsoToken(december, "2026-12", "gv-an"));
  EXPECT_EQ(r.status, 200) << r.body;
  // The person's roles are the directory's, not the token's: not an admin.
  r = Http("POST", base_ + "/v1/people/gv-binh:issueActivationCode",
           {"Authorization: Bearer " + SsoToken(november, "2026-11", "gv-an")});
  EXPECT_EQ(r.status, 403) << r.body;
}

}  // namespace
}  // namespace bdtx
