// Shared pieces of the end-to-end tests: who calls (a minted token per person) and
// starting a real service process on a kernel-chosen loopback port.
#ifndef BDTX_TESTS_E2E_SUPPORT_H_
#define BDTX_TESTS_E2E_SUPPORT_H_

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "common/auth/jwt.h"
#include "common/testing/service_process.h"
#include "grpcpp/grpcpp.h"

namespace bdtx::testing {

struct Who {
  std::string name;  // "people/{id}"
  std::vector<std::string> roles;
  std::string unit;
};

// Mints HS256 tokens with the key file the services under test share.
class Tokens {
 public:
  explicit Tokens(std::string key_file) : key_file_(std::move(key_file)) {}
  std::string For(const Who& who) const {
    auth::Claims claims;
    claims.subject = who.name;
    claims.roles = who.roles;
    claims.unit = who.unit;
    claims.issuer = claims.audience = "bdtx";
    claims.expires_at = absl::Now() + absl::Hours(1);
    return *auth::MintJwt(claims, {auth::JwtAlgorithm::kHs256, *auth::ReadKeyFile(key_file_)});
  }
  // A client context calling as `who`, with a 30 s deadline.
  std::unique_ptr<grpc::ClientContext> As(const Who& who) const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + For(who));
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return ctx;
  }

 private:
  std::string key_file_;
};

struct Running {
  std::unique_ptr<ServiceProcess> process;
  std::string address;  // "127.0.0.1:{port}"
};

// Starts `binary` with `args` (plus --listen=127.0.0.1:0) and waits until it listens.
inline absl::StatusOr<Running> StartService(const std::string& binary,
                                            std::vector<std::string> args) {
  args.insert(args.begin(), "--listen=127.0.0.1:0");
  auto process = ServiceProcess::Start(binary, args);
  if (!process.ok()) return process.status();
  auto port = (*process)->WaitListening(absl::Seconds(30));
  if (!port.ok()) {
    return absl::Status(port.status().code(),
                        absl::StrCat(port.status().message(), "\n", (*process)->Output()));
  }
  return Running{*std::move(process), absl::StrCat("127.0.0.1:", *port)};
}

template <typename Service>
std::unique_ptr<typename Service::Stub> StubTo(const std::string& address) {
  return Service::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

// Imports `files` (kind, CSV) into a directory in order, as a system admin.
inline absl::Status ImportCsvs(
    bdtx::v1::Directory::StubInterface& directory, const Tokens& tokens,
    std::initializer_list<std::pair<bdtx::v1::ImportKind, const char*>> files) {
  for (const auto& [kind, csv] : files) {
    bdtx::v1::ImportCsvRequest req;
    req.set_kind(kind);
    req.set_content(csv);
    bdtx::v1::ImportCsvResponse resp;
    grpc::Status s =
        directory.ImportCsv(tokens.As({"operators/admin", {"SYSTEM_ADMIN"}, ""}).get(), req, &resp);
    if (!s.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                          absl::StrCat("import: ", s.error_message()));
    }
  }
  return absl::OkStatus();
}

// Starts bdtx-directory (`binary`) on `data_dir` with `key_flag` (--auth_key_file=...)
// and `extra_args`, then imports `files` into it as a system admin.
inline absl::StatusOr<Running> StartDirectory(
    const std::string& binary, const std::string& data_dir, const std::string& key_flag,
    const Tokens& tokens, std::initializer_list<std::pair<bdtx::v1::ImportKind, const char*>> files,
    std::vector<std::string> extra_args = {}) {
  extra_args.insert(extra_args.begin(), {"--data_dir=" + data_dir, key_flag});
  auto directory = StartService(binary, std::move(extra_args));
  if (!directory.ok()) return directory.status();
  auto stub = StubTo<bdtx::v1::Directory>(directory->address);
  if (absl::Status s = ImportCsvs(*stub, tokens, files); !s.ok()) return s;
  return directory;
}

}  // namespace bdtx::testing

#endif  // BDTX_TESTS_E2E_SUPPORT_H_
