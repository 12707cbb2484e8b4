#include "services/bdtxctl/cli.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "common/auth/jwt.h"
#include "common/server/server.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "openssl/rand.h"

namespace bdtx::ctl {

void DefineCommonFlags(Flags& flags) {
  bdtx::server::DefineAuthFlags(flags);
  flags.Define("key_file", "", "alias of --auth_key_file");
  flags.Define("addr", bdtx::server::DefaultServiceAddress("directory"),
               "address of the directory service (which also answers --as)");
  flags.Define("token", "", "bearer token for the call (env BDTX_TOKEN)");
  flags.Define("ttl", "1h",
               "token lifetime (people: keep it short, mint again to refresh; ADR 012)");
  flags.Define("as", "", "act as this person (people/ID): roles and unit from the directory");
  flags.Define("tls_ca_file", "",
               "PEM CA the services' TLS certificates chain to, for every call (empty: "
               "plaintext, loopback)");
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "bdtxctl: %s\n", status.ToString().c_str());
  return 1;
}

int Exit(const absl::Status& status) { return status.ok() ? 0 : Fail(status); }

namespace {

std::string KeyFile(const Flags& flags) {
  return flags.Get("key_file").empty() ? flags.Get("auth_key_file") : flags.Get("key_file");
}

}  // namespace

absl::StatusOr<std::string> Mint(const Flags& flags, const std::string& subject,
                                 std::vector<std::string> roles, const std::string& unit) {
  absl::StatusOr<std::string> secret = flags.Get("auth_key");
  if (secret->empty()) secret = bdtx::auth::ReadOrCreateDevKey(KeyFile(flags));
  if (!secret.ok()) return secret.status();
  absl::Duration ttl;
  if (!absl::ParseDuration(flags.Get("ttl"), &ttl) || ttl <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--ttl must be a positive duration like 12h");
  }
  bdtx::auth::Claims claims;
  claims.subject = subject;
  claims.roles = std::move(roles);
  claims.unit = unit;
  claims.issuer = flags.Get("auth_issuer");
  claims.audience = flags.Get("auth_audience");
  claims.issued_at = absl::Now();
  claims.not_before = claims.issued_at;
  claims.expires_at = claims.issued_at + ttl;
  return bdtx::auth::MintJwt(claims, {bdtx::auth::JwtAlgorithm::kHs256, *std::move(secret)});
}

absl::StatusOr<std::string> CallToken(const Flags& flags) {
  if (!flags.Get("token").empty()) return flags.Get("token");
  return Mint(flags, "operators/bdtxctl", {"SYSTEM_ADMIN"}, "");
}

absl::StatusOr<std::string> TokenAs(const Flags& flags) {
  if (!flags.Get("token").empty()) return flags.Get("token");
  if (flags.Get("as").empty()) return absl::InvalidArgumentError("--as people/ID is required");
  auto admin = Mint(flags, "operators/bdtxctl", {"SYSTEM_ADMIN"}, "");
  if (!admin.ok()) return admin.status();
  grpc::ClientContext context;
  Authorize(context, *admin);
  bdtx::v1::GetPersonRequest req;
  req.set_name(flags.Get("as"));
  bdtx::v1::Person person;
  grpc::Status s = DirectoryStub(flags.Get("addr"))->GetPerson(&context, req, &person);
  if (!s.ok()) return bdtx::FromGrpcStatus(s);
  std::vector<std::string> roles;
  for (int r : person.roles()) roles.push_back(bdtx::v1::Role_Name(static_cast<bdtx::v1::Role>(r)));
  return Mint(flags, person.name(), roles, person.home_unit());
}

absl::StatusOr<std::string> TokenFor(const Flags& flags, Caller caller) {
  switch (caller) {
    case Caller::kAs:
      return TokenAs(flags);
    case Caller::kOperator:
      return CallToken(flags);
    case Caller::kOperatorUnlessAs:
      return flags.Get("as").empty() ? CallToken(flags) : TokenAs(flags);
  }
  return TokenAs(flags);
}

void Authorize(grpc::ClientContext& context, const std::string& token) {
  context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
}

std::string& TlsCa() {
  static std::string* ca = new std::string;
  return *ca;
}

std::shared_ptr<grpc::Channel> Channel(const std::string& address, int max_message_bytes) {
  grpc::ChannelArguments args;
  if (max_message_bytes > 0) {
    args.SetMaxReceiveMessageSize(max_message_bytes);
    args.SetMaxSendMessageSize(max_message_bytes);
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!TlsCa().empty()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = TlsCa();
    credentials = grpc::SslCredentials(ssl);
  }
  return grpc::CreateCustomChannel(address, credentials, args);
}

std::unique_ptr<bdtx::v1::Directory::Stub> DirectoryStub(const std::string& addr) {
  return bdtx::v1::Directory::NewStub(Channel(addr, 256 << 20));
}

std::string Json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, options);
  return out;
}

std::string NewRequestId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    std::fprintf(stderr, "bdtxctl: no random bytes for a request_id\n");
    std::exit(1);
  }
  std::string id = "ctl-";
  for (unsigned char b : bytes) absl::StrAppendFormat(&id, "%02x", b);
  return id;
}

absl::StatusOr<bdtx::v1::Date> ParseDay(const std::string& flag, const std::string& value) {
  absl::CivilDay day;
  if (!absl::ParseCivilTime(value, &day)) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, " must be a date like 2023-10-02"));
  }
  bdtx::v1::Date d;
  d.set_year(static_cast<int32_t>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

int IntFlag(const Flags& flags, const std::string& name) {
  int value = 0;
  (void)absl::SimpleAtoi(flags.Get(name), &value);
  return value;
}

int64_t Int64Flag(const Flags& flags, const std::string& name) {
  int64_t value = 0;
  (void)absl::SimpleAtoi(flags.Get(name), &value);
  return value;
}

void SetFromFlags(const Flags& flags, const std::vector<const char*>& fields,
                  google::protobuf::Message* request) {
  const google::protobuf::Descriptor* descriptor = request->GetDescriptor();
  const google::protobuf::Reflection* reflection = request->GetReflection();
  for (absl::string_view entry : fields) {
    const size_t eq = entry.find('=');
    const std::string field_name(entry.substr(0, eq));
    const std::string flag(eq == absl::string_view::npos ? entry : entry.substr(eq + 1));
    const google::protobuf::FieldDescriptor* field = descriptor->FindFieldByName(field_name);
    if (field == nullptr || field->is_repeated()) {
      std::fprintf(stderr, "bdtxctl: %s has no field %s\n", descriptor->full_name().c_str(),
                   field_name.c_str());
      std::abort();
    }
    const std::string& value = flags.Get(flag);
    switch (field->cpp_type()) {
      case google::protobuf::FieldDescriptor::CPPTYPE_STRING:
        reflection->SetString(request, field, value);
        break;
      case google::protobuf::FieldDescriptor::CPPTYPE_INT32:
        reflection->SetInt32(request, field, IntFlag(flags, flag));
        break;
      case google::protobuf::FieldDescriptor::CPPTYPE_INT64:
        reflection->SetInt64(request, field, Int64Flag(flags, flag));
        break;
      case google::protobuf::FieldDescriptor::CPPTYPE_BOOL:
        reflection->SetBool(request, field, value == "true");
        break;
      default:
        std::fprintf(stderr, "bdtxctl: cannot set %s from a flag\n", field->full_name().c_str());
        std::abort();
    }
  }
}

}  // namespace bdtx::ctl
