// What every bdtxctl command group shares: the command table, the common flags (who
// calls: a token, or --as looked up in the directory), tokens, stubs and printing.
//
// A group lives in `<group>_commands.cc`: it defines its own flags and a table of
// {name, usage, run}; main.cc prints help from the tables and dispatches through them.
// A command may read only the common flags and its group's flags (Flags::Get aborts on
// an undefined flag; tests/bdtxctl_commands_test.sh runs every command to catch it).
// Not thread-safe: one command runs once per process.
#ifndef BDTX_SERVICES_BDTXCTL_CLI_H_
#define BDTX_SERVICES_BDTXCTL_CLI_H_

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "bdtx/v1/grading.pb.h"
#include "common/server/flags.h"
#include "common/status/grpc_status.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"

namespace bdtx::ctl {

using bdtx::server::Flags;

// One verb of a group: `bdtxctl <group> <name> <usage>`. `run` returns the exit code
// (0 done, 1 failed with a message on stderr, 2 usage, 3 `approvals verify`: chain broken).
struct Command {
  std::string name;
  std::string usage;  // the arguments, shown after "bdtxctl <group> <name> "
  std::function<int(const Flags&)> run;
};

struct CommandGroup {
  std::string name;
  std::function<void(Flags&)> define_flags;  // the group's own flags (beside the common ones)
  std::vector<Command> commands;
};

// The groups, in the order help lists them (each defined in its *_commands.cc).
const CommandGroup& TokenCommands();
const CommandGroup& DirectoryCommands();
const CommandGroup& AuthCommands();
const CommandGroup& ApprovalsCommands();
const CommandGroup& GradingCommands();
const CommandGroup& SupportCommands();
const CommandGroup& PlansCommands();
const CommandGroup& NotificationsCommands();
const CommandGroup& AdminCommands();
const CommandGroup& DemoCommands();

// Flags every command takes: the auth key (--key-file, --auth_key...), --addr (the
// directory, which also answers --as), --token (env BDTX_TOKEN), --ttl, --as.
void DefineCommonFlags(Flags& flags);

// Prints "bdtxctl: <status>" on stderr; returns 1.
int Fail(const absl::Status& status);
// 0 if OK, else Fail(status).
int Exit(const absl::Status& status);

// A token signed with the key of --auth_key / --key-file (created if missing: a dev key).
absl::StatusOr<std::string> Mint(const Flags& flags, const std::string& subject,
                                 std::vector<std::string> roles, const std::string& unit);
// --token, else an operator (SYSTEM_ADMIN) token minted from the key: whoever holds the
// key is an operator.
absl::StatusOr<std::string> CallToken(const Flags& flags);
// --token, else a token for --as with its roles and unit looked up in the directory.
absl::StatusOr<std::string> TokenAs(const Flags& flags);

// Bearer token and a 10-minute deadline on `context`.
void Authorize(grpc::ClientContext& context, const std::string& token);
// The CA every channel trusts (--tls_ca_file / BDTX_TLS_CA_FILE, PEM), read once by main
// before a command runs; empty: plaintext (loopback, development).
std::string& TlsCa();
// Every bdtxctl channel: TLS verified against TlsCa() when one is given (as the services'
// --peer_tls_ca_file), plaintext otherwise. `max_message_bytes` 0 keeps gRPC's 4 MiB.
std::shared_ptr<grpc::Channel> Channel(const std::string& address, int max_message_bytes = 0);
// A directory stub allowing 256 MiB messages (exports of a national directory).
std::unique_ptr<bdtx::v1::Directory::Stub> DirectoryStub(const std::string& addr);

// `m` as indented JSON.
std::string Json(const google::protobuf::Message& m);

// A fresh request_id for one command ("ctl-" + 32 hex digits from the OS's CSPRNG).
std::string NewRequestId();
// "2023-10-02" as a Date; INVALID_ARGUMENT naming `--flag` otherwise.
absl::StatusOr<bdtx::v1::Date> ParseDay(const std::string& flag, const std::string& value);
std::string ReadFileOrEmpty(const std::string& path);
// The integer value of --name, 0 if empty or not a number (the service then says what is
// wrong with the request).
int IntFlag(const Flags& flags, const std::string& name);
int64_t Int64Flag(const Flags& flags, const std::string& name);

// Streams `path` to the directory's ImportCsvStream (directory_commands.cc): 1 MiB chunks,
// progress on stderr, applied all or nothing; `request_id` makes a retry answer the first
// result.
absl::StatusOr<bdtx::v1::ImportCsvResponse> ImportFile(const Flags& flags,
                                                       bdtx::v1::ImportKind kind,
                                                       const std::string& path,
                                                       const std::string& request_id,
                                                       bool validate_only);
void PrintImport(const std::string& file, const bdtx::v1::ImportCsvResponse& r);

// A request with fields set from flags: each entry is "field" (from the flag of the same
// name) or "field=flag". Strings are set as given, integers parsed (0 when empty or not a
// number: the service then says what is wrong), bools true when the flag is "true".
// Aborts on a field the message does not have (a programming error, caught by
// tests/bdtxctl_commands_test.sh, which runs every command).
void SetFromFlags(const Flags& flags, const std::vector<const char*>& fields,
                  google::protobuf::Message* request);
template <typename Request>
std::function<Request(const Flags&)> FromFlags(std::vector<const char*> fields) {
  return [fields = std::move(fields)](const Flags& flags) {
    Request request;
    SetFromFlags(flags, fields, &request);
    return request;
  };
}

// A service's stub and the caller's token.
template <typename Service>
struct Client {
  std::unique_ptr<typename Service::Stub> stub;
  std::string token;
};

// A client of the service at --`address_flag`, calling with `token`.
template <typename Service>
Client<Service> Connect(const Flags& flags, const std::string& address_flag, std::string token) {
  return {Service::NewStub(Channel(flags.Get(address_flag))), std::move(token)};
}

// Who a command calls as: --as (looked up in the directory), an operator (the key's
// SYSTEM_ADMIN token), or an operator unless --as is given. --token wins over all.
enum class Caller { kAs, kOperator, kOperatorUnlessAs };
absl::StatusOr<std::string> TokenFor(const Flags& flags, Caller caller);

// Calls one unary method with a fresh authorized context; prints the answer as JSON
// on stdout, or the error on stderr. Returns the exit code.
template <typename Service, typename Request, typename Response>
int Call(const Client<Service>& client,
         grpc::Status (Service::Stub::*method)(grpc::ClientContext*, const Request&, Response*),
         const Request& request) {
  grpc::ClientContext context;
  Authorize(context, client.token);
  Response response;
  grpc::Status status = ((*client.stub).*method)(&context, request, &response);
  if (!status.ok()) return Fail(bdtx::FromGrpcStatus(status));
  std::printf("%s\n", Json(response).c_str());
  return 0;
}

// A command that builds one request from the flags (`build`: Flags -> Request or
// StatusOr<Request>), calls `method` on the service at --`address_flag` as `caller` and
// prints the answer as JSON. `Service` is explicit: Unary<bdtx::v1::Plans>(...).
template <typename Service, typename Request, typename Response, typename Build>
std::function<int(const Flags&)> Unary(std::string address_flag,
                                       grpc::Status (Service::Stub::*method)(grpc::ClientContext*,
                                                                             const Request&,
                                                                             Response*),
                                       Build build, Caller caller = Caller::kAs) {
  return [address_flag = std::move(address_flag), method, build, caller](const Flags& flags) {
    absl::StatusOr<std::string> token = TokenFor(flags, caller);
    if (!token.ok()) return Fail(token.status());
    absl::StatusOr<Request> request = build(flags);
    if (!request.ok()) return Fail(request.status());
    return Call(Connect<Service>(flags, address_flag, *std::move(token)), method, *request);
  };
}

}  // namespace bdtx::ctl

#endif  // BDTX_SERVICES_BDTXCTL_CLI_H_
