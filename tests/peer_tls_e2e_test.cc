// End to end: a directory that speaks TLS (its own certificate, made here with OpenSSL for
// "localhost") and a plans service that calls it. With --peer_tls_ca_file naming the CA,
// plans creates a plan from the directory's facts; without it, the call fails with
// UNAVAILABLE naming the directory — plans never falls back to plain text. bdtxctl, the
// gateway likewise.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "bdtx/v1/plans.grpc.pb.h"
#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"
#include "services/directory/testing/fake_directory.h"
#include "tests/e2e_support.h"

namespace bdtx {
namespace {

using ::bdtx::testing::StartService;
using ::bdtx::testing::Who;

// A self-signed certificate for localhost / 127.0.0.1 (EC P-256), as PEM files.
void WriteSelfSigned(const std::string& cert_path, const std::string& key_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ASSERT_NE(key, nullptr);
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    ASSERT_NE(ext, nullptr);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  ASSERT_GT(X509_sign(cert, key, EVP_sha256()), 0);
  FILE* c = fopen(cert_path.c_str(), "w");
  PEM_write_X509(c, cert);
  fclose(c);
  FILE* k = fopen(key_path.c_str(), "w");
  PEM_write_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr);
  fclose(k);
  X509_free(cert);
  EVP_PKEY_free(key);
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(PeerTlsE2eTest, ServicesAndTheGatewayCallATlsPeerWithTheCaAndNeverInPlainText) {
  // "localhost" must be resolved (the certificate names it); the native resolver, because
  // Debian's c-ares resolver leaks a few bytes per process that LeakSanitizer reports.
  setenv("GRPC_DNS_RESOLVER", "native", 1);
  bdtx::testing::TempDir dir;
  bdtx::testing::Tokens tokens(dir.Sub("auth.key"));
  const std::string key = "--auth_key_file=" + dir.Sub("auth.key");
  WriteSelfSigned(dir.Sub("cert.pem"), dir.Sub("key.pem"));
  auto directory = StartService(BDTX_DIRECTORY_PATH, {"--data_dir=" + dir.Sub("directory"), key,
                                                      "--tls_cert_file=" + dir.Sub("cert.pem"),
                                                      "--tls_key_file=" + dir.Sub("key.pem")});
  ASSERT_TRUE(directory.ok()) << directory.status();
  const std::string address =
      "localhost:" + directory->address.substr(directory->address.rfind(':') + 1);

  // The test itself talks TLS to the directory to load the sample province.
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = Read(dir.Sub("cert.pem"));
  auto dir_stub = v1::Directory::NewStub(grpc::CreateChannel(address, grpc::SslCredentials(tls)));
  ASSERT_TRUE(testing::ImportCsvs(*dir_stub, tokens,
                                  {{v1::UNITS, directory::kSampleUnits},
                                   {v1::PEOPLE, directory::kSamplePeople},
                                   {v1::ASSIGNMENTS, directory::kSampleAssignments}})
                  .ok());

  // bdtxctl: every channel honours --tls_ca_file (or BDTX_TLS_CA_FILE), not only admin
  // backup; without it the call fails rather than going out in plain text.
  auto bdtxctl = [&](const std::string& env, const std::string& args) {
    std::string output;
    FILE* pipe = popen(absl::StrCat(env, " ", BDTX_BDTXCTL_PATH, " ", args, " --addr ", address,
                                    " --key-file ", dir.Sub("auth.key"), " 2>&1")
                           .c_str(),
                       "r");
    char buf[4096];
    for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) output.append(buf, n);
    const int status = pclose(pipe);
    return std::pair{WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
  };
  const std::string ca = dir.Sub("cert.pem");
  auto [export_rc, export_out] = bdtxctl("", "directory export --kind units --tls_ca_file " + ca);
  EXPECT_EQ(export_rc, 0) << export_out;
  EXPECT_TRUE(absl::StrContains(export_out, "Sở GDĐT Bình Phước")) << export_out;
  auto [code_rc, code_out] =
      bdtxctl("BDTX_TLS_CA_FILE=" + ca, "auth activation-code --person people/gvcc-thcs");
  EXPECT_EQ(code_rc, 0) << code_out;
  for (const std::string& args : {std::string("directory export --kind units"),
                                  std::string("auth activation-code --person people/gvcc-thcs")}) {
    auto [plain_rc, plain_out] = bdtxctl("", args);
    EXPECT_NE(plain_rc, 0) << args << ": " << plain_out;
  }

  const Who author{"people/gvcc-thcs", {"CORE_TEACHER"}, "units/thcs-tanphu"};
  v1::CreatePlanRequest create;
  create.set_author(author.name);
  create.set_year(2023);
  create.set_module(4);
  v1::SupportDocument plan;
  for (bool with_ca : {true, false}) {
    std::vector<std::string> args = {"--data_dir=" + dir.Sub(with_ca ? "plans" : "plans-plain"),
                                     key, "--directory=" + address};
    if (with_ca) args.push_back("--peer_tls_ca_file=" + dir.Sub("cert.pem"));
    auto plans = StartService(BDTX_PLANS_PATH, args);
    ASSERT_TRUE(plans.ok()) << plans.status();
    auto stub = testing::StubTo<v1::Plans>(plans->address);
    grpc::Status s = stub->CreatePlan(tokens.As(author).get(), create, &plan);
    if (with_ca) {
      ASSERT_TRUE(s.ok()) << s.error_message();
      EXPECT_EQ(plan.content().header().author_name(), "Nguyễn Văn An");
      EXPECT_EQ(plan.content().rows(0).target().count(), 2);
    } else {
      EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
      EXPECT_TRUE(absl::StrContains(s.error_message(), "không liên lạc được dịch vụ directory"))
          << s.error_message();
    }
  }

  // The gateway calls the TLS directory with the CA (HTTP 200), never in plain text (503).
  for (bool with_ca : {true, false}) {
    std::vector<std::string> args = {"--directory=" + address};
    if (with_ca) args.push_back("--peer_tls_ca_file=" + dir.Sub("cert.pem"));
    auto gateway = StartService(BDTX_GATEWAY_PATH, args);
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    const std::string command =
        "curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer " + tokens.For(author) +
        "' http://" + gateway->address + "/v1/people/gvcc-thcs";
    FILE* curl = popen(command.c_str(), "r");
    ASSERT_NE(curl, nullptr);
    char code[8] = {};
    ASSERT_NE(fgets(code, sizeof code, curl), nullptr);
    pclose(curl);
    EXPECT_STREQ(code, with_ca ? "200" : "503") << (with_ca ? "with" : "without") << " the CA\n"
                                                << gateway->process->Output();
  }
}

}  // namespace
}  // namespace bdtx
