// bdtxctl: the operator's command line.
//
//   bdtxctl token mint --person people/ID [--roles a,b] [--unit units/ID]
//                      [--key-file ./data/auth.key] [--ttl 1h] [--directory ADDR]
//   bdtxctl directory import --kind units|people|classes|assignments --file F
//                            [--validate-only true] [--request-id ID] [--addr 127.0.0.1:7101]
//   bdtxctl directory export --kind KIND [--addr ...]          (CSV on stdout)
//   bdtxctl directory route --author people/ID --year Y --module M [--kind plan|report]
//   bdtxctl demo generate --out DIR
//   bdtxctl demo load --out DIR [--addr ...]    (generate, then import all four files)
//
// Calls to services carry --token (or BDTX_TOKEN); without one, bdtxctl mints a
// short-lived SYSTEM_ADMIN token from --key-file: whoever holds the key is an operator.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "bdtx/v1/admin.grpc.pb.h"
#include "bdtx/v1/approvals.grpc.pb.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "bdtx/v1/grading.grpc.pb.h"
#include "bdtx/v1/notifications.grpc.pb.h"
#include "bdtx/v1/plans.grpc.pb.h"
#include "bdtx/v1/sessions.grpc.pb.h"
#include "bdtx/v1/support.grpc.pb.h"
#include "common/auth/jwt.h"
#include "common/crypto/sha256.h"
#include "common/server/flags.h"
#include "common/server/server.h"
#include "common/status/grpc_status.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "openssl/evp.h"
#include "openssl/rand.h"
#include "services/bdtxctl/demo_data.h"

namespace {

using bdtx::server::Flags;

int Usage() {
  std::fputs(
      "usage:\n"
      "  bdtxctl token mint --person people/ID [--roles r1,r2] [--unit units/ID] [--ttl 1h]\n"
      "  bdtxctl directory import --kind units|people|classes|assignments --file F\n"
      "                           [--request-id ID]   (retry of an earlier invocation)\n"
      "  bdtxctl directory export --kind units|people|classes|assignments\n"
      "  bdtxctl directory route --author people/ID --year Y --module M [--kind plan|report]\n"
      "  bdtxctl auth activation-code --person people/ID|CODE   (one-time code: first password\n"
      "      or reset; give it to the person, who sets a password at POST /v1/accounts:activate)\n"
      "  bdtxctl approvals submit|approve|return|sign-off|get|history|verify|inbox\n"
      "          --as people/ID [--document documents/...] [--content-file F] [--reason R]\n"
      "          [--method online|scanned --evidence-sha256 H --evidence-ref REF]\n"
      "  bdtxctl grading enroll --class classes/ID --start YYYY-MM-DD --as people/ID\n"
      "  bdtxctl grading submit --class classes/ID --file F [--learner people/ID] --as ...\n"
      "  bdtxctl grading grade --assignment classes/ID/assignments/LID --verdict pass|fail\n"
      "          [--score S --comment C] --as ...\n"
      "  bdtxctl grading review --assignment A --comment C --as ...\n"
      "  bdtxctl grading extend --class classes/ID --deadline YYYY-MM-DD --reason R --as ...\n"
      "  bdtxctl grading import-lms --file F [--format csv|json] --as ...\n"
      "  bdtxctl grading stats --unit units/ID|classes/ID [--year Y --module M] --as ...\n"
      "  bdtxctl grading completion --learner people/ID [--year Y] --as ...\n"
      "  bdtxctl grading export --unit units/SO --year Y [--format recognition|temis] --as ...\n"
      "  bdtxctl support ask --year Y --module M --channel lms_forum|chat|email|in_person\n"
      "          --text T [--learner people/ASKER] --as ...\n"
      "  bdtxctl support answer|escalate|follow-up --question questions/ID --text T --as ...\n"
      "  bdtxctl support resolve|get --question questions/ID [--reason R] --as ...\n"
      "  bdtxctl support list [--view assigned_to_me|asked_by_me|supported_by_me] --as ...\n"
      "  bdtxctl support log --year Y --module M --row 2.1|2.2|2.3 --date YYYY-MM-DD --form F\n"
      "          [--participants people/A,people/B] --as ...\n"
      "  bdtxctl support counts|activities|progress --learner people/CORE --year Y --module M "
      "--as ...\n"
      "  bdtxctl support stats --unit units/ID --year Y [--module M --children true] --as ...\n"
      "  bdtxctl plans create --as people/ID --year Y --module M [--kind plan|report]\n"
      "          [--not-deployed true]\n"
      "  bdtxctl plans get|versions|refresh|submit|render --document D --as ... [--out F.html]\n"
      "  bdtxctl plans update --document D --file content.json --mask rows,header.position --as "
      "...\n"
      "  bdtxctl plans upload --document D --file scan.pdf --as ...\n"
      "  bdtxctl plans download --document D --sha256 H --out F --as ...\n"
      "  bdtxctl plans list --unit units/ID|--author people/ID [--year Y --module M] --as ...\n"
      "  bdtxctl plans eligibility --author people/ID|--unit units/ID --year Y --as ...\n"
      "  bdtxctl notifications inbox|mark-read|watch|prefs --as people/ID [--unread true]\n"
      "          [--email true|false --digest true|false --webhook-url URL]\n"
      "          (a new --webhook-url prints its signing secret once)\n"
      "  bdtxctl notifications rotate-secret --as people/ID   (new webhook secret, shown once)\n"
      "  bdtxctl notifications dead-letters|replay [--job ID|all]|status\n"
      "  bdtxctl admin backup --service directory|plans|approvals|grading|notifications\n"
      "          --out DIR [--address HOST:PORT] [--tls_ca_file CA.pem]\n"
      "  bdtxctl admin restore --from DIR --data_dir SERVICE_DATA_DIR   (service stopped)\n"
      "  bdtxctl demo generate --out DIR [--provinces N --learners M]\n"
      "  bdtxctl demo load --out DIR [--provinces N --learners M]\n"
      "common flags: --addr (directory, default 127.0.0.1:7101), --key-file, --token\n",
      stderr);
  return 2;
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "bdtxctl: %s\n", status.ToString().c_str());
  return 1;
}

Flags CommonFlags() {
  Flags flags;
  bdtx::server::DefineAuthFlags(flags);
  flags.Define("key_file", "", "alias of --auth_key_file");
  flags.Define("addr", "127.0.0.1:7101", "directory service address");
  flags.Define("token", "", "bearer token for the call (env BDTX_TOKEN)");
  flags.Define("ttl", "1h",
               "token lifetime (people: keep it short, mint again to refresh; ADR 012)");
  flags.Define("person", "", "subject of the token (people/ID)");
  flags.Define("roles", "", "comma-separated roles for the token, e.g. core_teacher,reporter");
  flags.Define("unit", "", "home unit claim of the token, or the unit of statistics (units/ID)");
  flags.Define("directory", "", "look roles and unit up in this directory when minting");
  flags.Define("kind", "", "import/export kind, or plan|report for route");
  flags.Define("file", "", "CSV file to import");
  flags.Define("validate_only", "false", "check an import without applying it");
  flags.Define("author", "", "author of the document to route (people/ID)");
  flags.Define("year", "0", "year");
  flags.Define("module", "0", "module (1..9)");
  flags.Define("out", "", "output directory");
  flags.Define("approvals", "127.0.0.1:7103", "approvals service address");
  flags.Define("as", "", "act as this person (people/ID): roles and unit from the directory");
  flags.Define("document", "", "document name, documents/{author}-{year}-m{module}-{plan|report}");
  flags.Define("content_sha256", "", "sha256 of the submitted content");
  flags.Define("content_file", "", "file whose sha256 is submitted");
  flags.Define("not_deployed", "false", "submit a 'Chưa triển khai' report");
  flags.Define("reason", "", "reason of a return or re-route");
  flags.Define("comment", "", "lecturer's comment");
  flags.Define("method", "online", "sign-off method: online or scanned");
  flags.Define("evidence_sha256", "", "sha256 of the scanned, signed and stamped document");
  flags.Define("evidence_ref", "", "where the scan is stored");
  flags.Define("evidence_receipt", "",
               "the receipt `plans upload` printed for the scan (needed for --method scanned)");
  flags.Define("request_id", "", "idempotency key of the command");
  flags.Define("grading", "127.0.0.1:7104", "grading service address");
  flags.Define("class", "", "class name, classes/{id}");
  flags.Define("start", "", "first day of a module run, YYYY-MM-DD");
  flags.Define("deadline", "", "new grading deadline, YYYY-MM-DD");
  flags.Define("assignment", "", "classes/{id}/assignments/{learner id}");
  flags.Define("learner", "", "people/{id}");
  flags.Define("file_ref", "", "where a submitted file is stored");
  flags.Define("sha256", "", "sha256 of a submitted file");
  flags.Define("verdict", "", "pass (Đạt) or fail (Chưa đạt)");
  flags.Define("score", "", "optional score 0-10");
  flags.Define("format", "csv", "csv|json for LMS imports; recognition|temis for exports");
  flags.Define("plans", "127.0.0.1:7102", "plans service address");
  flags.Define("support", "127.0.0.1:7106", "support service address");
  flags.Define("question", "", "question name, questions/{id}");
  flags.Define("text", "", "text of a question, answer, escalation note or follow-up");
  flags.Define("channel", "", "where a question was asked: lms_forum, chat, email, in_person");
  flags.Define("view", "", "questions: asked_by_me, assigned_to_me, supported_by_me");
  flags.Define("row", "", "support activity row: 2.1, 2.2 or 2.3");
  flags.Define("date", "", "day of a support activity, YYYY-MM-DD");
  flags.Define("form", "", "form of a support activity (Sinh hoạt chuyên môn, Dự giờ, ...)");
  flags.Define("participants", "", "comma-separated people/ID of an activity");
  flags.Define("children", "false", "statistics per child unit");
  flags.Define("notifications", "127.0.0.1:7105", "notifications service address");
  flags.Define("unread", "false", "only unread notifications");
  flags.Define("job", "", "a dead letter's job id, or 'all'");
  flags.Define("email", "", "preference: e-mail on (true) or off (false)");
  flags.Define("digest", "", "preference: one e-mail a day (true) instead of one per notification");
  flags.Define("webhook_url", "", "preference: a personal webhook (https://...)");
  flags.Define("version", "0", "content version of a plan or report (0: the latest)");
  flags.Define("mask", "", "comma-separated fields to update, e.g. rows,header.position");
  flags.Define("provinces", "1", "demo: number of provinces (63 for a national-size directory)");
  flags.Define("learners", "5555", "demo: learners per province");
  flags.Define("service", "", "admin: the service to back up");
  flags.Define("address", "", "admin: its address (default: the service's address flag)");
  flags.Define("tls_ca_file", "", "admin: PEM CA of a TLS service (empty: plaintext, loopback)");
  flags.Define("from", "", "admin restore: the backup directory");
  flags.Define("data_dir", "", "admin restore: the stopped service's --data_dir");
  return flags;
}

std::string KeyFile(const Flags& flags) {
  return flags.Get("key_file").empty() ? flags.Get("auth_key_file") : flags.Get("key_file");
}

absl::StatusOr<std::string> Mint(const Flags& flags, const std::string& person,
                                 std::vector<std::string> roles, const std::string& unit) {
  absl::StatusOr<std::string> secret = flags.Get("auth_key");
  if (secret->empty()) secret = bdtx::auth::ReadOrCreateDevKey(KeyFile(flags));
  if (!secret.ok()) return secret.status();
  absl::Duration ttl;
  if (!absl::ParseDuration(flags.Get("ttl"), &ttl) || ttl <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--ttl must be a positive duration like 12h");
  }
  bdtx::auth::Claims claims;
  claims.subject = person;
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

std::unique_ptr<bdtx::v1::Directory::Stub> DirectoryStub(const std::string& addr) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(256 << 20);
  args.SetMaxSendMessageSize(256 << 20);
  return bdtx::v1::Directory::NewStub(
      grpc::CreateCustomChannel(addr, grpc::InsecureChannelCredentials(), args));
}

void Authorize(grpc::ClientContext& context, const std::string& token) {
  context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
}

std::string Json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, options);
  return out;
}

int TokenMint(const Flags& flags) {
  if (flags.Get("person").empty()) return Fail(absl::InvalidArgumentError("--person is required"));
  std::vector<std::string> roles;
  for (absl::string_view r : absl::StrSplit(flags.Get("roles"), ',', absl::SkipWhitespace())) {
    roles.push_back(absl::AsciiStrToUpper(r));
  }
  std::string unit = flags.Get("unit");
  if (!flags.Get("directory").empty()) {
    auto admin = Mint(flags, "operators/bdtxctl", {"SYSTEM_ADMIN"}, "");
    if (!admin.ok()) return Fail(admin.status());
    grpc::ClientContext context;
    Authorize(context, *admin);
    bdtx::v1::GetPersonRequest req;
    req.set_name(flags.Get("person"));
    bdtx::v1::Person person;
    grpc::Status s = DirectoryStub(flags.Get("directory"))->GetPerson(&context, req, &person);
    if (!s.ok()) return Fail(bdtx::FromGrpcStatus(s));
    if (roles.empty()) {
      for (int r : person.roles())
        roles.push_back(bdtx::v1::Role_Name(static_cast<bdtx::v1::Role>(r)));
    }
    if (unit.empty()) unit = person.home_unit();
  }
  for (const std::string& r : roles) {
    bdtx::v1::Role parsed;
    if (!bdtx::v1::Role_Parse(r, &parsed)) {
      return Fail(absl::InvalidArgumentError(absl::StrCat("unknown role ", r)));
    }
  }
  auto token = Mint(flags, flags.Get("person"), roles, unit);
  if (!token.ok()) return Fail(token.status());
  std::printf("%s\n", token->c_str());
  return 0;
}

absl::StatusOr<bdtx::v1::ImportKind> ParseKind(const std::string& text) {
  bdtx::v1::ImportKind kind;
  if (!bdtx::v1::ImportKind_Parse(absl::AsciiStrToUpper(text), &kind) ||
      kind == bdtx::v1::IMPORT_KIND_UNSPECIFIED) {
    return absl::InvalidArgumentError("--kind must be units, people, classes or assignments");
  }
  return kind;
}

// A fresh request_id for one command ("ctl-" + 32 hex digits from the OS's CSPRNG).
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

// Streams the file to ImportCsvStream in 1 MiB chunks (any size; the directory applies
// it all or nothing once the last chunk is in) with progress on stderr. Holds one chunk
// in memory, not the file. `request_id` (AIP-155) makes a retry of this invocation
// answer the first result instead of applying the file again after a later one.
absl::StatusOr<bdtx::v1::ImportCsvResponse> ImportFile(const Flags& flags,
                                                       bdtx::v1::ImportKind kind,
                                                       const std::string& path,
                                                       const std::string& request_id) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::error_code ec;
  const uintmax_t total = std::filesystem::file_size(path, ec);
  auto token = CallToken(flags);
  if (!token.ok()) return token.status();
  grpc::ClientContext context;
  Authorize(context, *token);
  bdtx::v1::ImportCsvResponse resp;
  auto stub = DirectoryStub(flags.Get("addr"));
  std::unique_ptr<grpc::ClientWriter<bdtx::v1::ImportCsvChunk>> writer =
      stub->ImportCsvStream(&context, &resp);
  bdtx::v1::ImportCsvChunk chunk;
  chunk.set_kind(kind);
  chunk.set_file_name(std::filesystem::path(path).filename().string());
  chunk.set_validate_only(flags.Get("validate_only") == "true");
  chunk.set_request_id(request_id);
  // Printed first, so an answer lost to a dropped connection can be retried safely.
  std::fprintf(stderr, "request_id %s (retry with --request-id %s)\n", request_id.c_str(),
               request_id.c_str());
  constexpr size_t kChunk = 1 << 20;
  std::string buffer(kChunk, '\0');
  uintmax_t sent = 0;
  const bool tty = isatty(STDERR_FILENO);
  bool first = true;
  while (first || in) {
    in.read(buffer.data(), kChunk);
    const size_t n = static_cast<size_t>(in.gcount());
    if (n == 0 && !first) break;
    chunk.set_content(buffer.data(), n);
    if (!writer->Write(chunk)) break;  // the server refused: Finish says why
    first = false;
    chunk.clear_kind();
    chunk.clear_file_name();
    chunk.clear_validate_only();
    chunk.clear_request_id();
    sent += n;
    if (total > 0) {
      std::fprintf(stderr, "%ssent %.1f of %.1f MB (%d%%)%s", tty ? "\r" : "", sent / 1e6,
                   total / 1e6, static_cast<int>(100 * sent / total), tty ? "" : "\n");
    }
  }
  writer->WritesDone();
  if (total > 0)
    std::fprintf(stderr, "%svalidating and applying %s...\n", tty ? "\n" : "", path.c_str());
  grpc::Status s = writer->Finish();
  if (!s.ok()) return bdtx::FromGrpcStatus(s);
  return resp;
}

void PrintImport(const std::string& file, const bdtx::v1::ImportCsvResponse& r) {
  std::printf("%s: %d rows, %d created, %d updated, %d unchanged, %d warnings (sha256 %.12s)\n",
              file.c_str(), r.rows(), r.created(), r.updated(), r.unchanged(), r.warnings_size(),
              r.sha256().c_str());
  for (int i = 0; i < r.warnings_size() && i < 3; ++i) {
    std::printf("  warning: %s\n", r.warnings(i).c_str());
  }
  if (r.warnings_size() > 3) std::printf("  ... %d more warnings\n", r.warnings_size() - 3);
}

// A token for --as, with roles and unit looked up in the directory.
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

int ApprovalsCommand(const std::string& verb, const Flags& flags) {
  auto token = TokenAs(flags);
  if (!token.ok()) return Fail(token.status());
  auto stub = bdtx::v1::Approvals::NewStub(
      grpc::CreateChannel(flags.Get("approvals"), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  Authorize(context, *token);
  const std::string document = flags.Get("document");
  grpc::Status status;
  google::protobuf::Message* out = nullptr;
  bdtx::v1::Document doc;
  bdtx::v1::ListHistoryResponse history;
  bdtx::v1::VerifyChainResponse chain;
  bdtx::v1::ListInboxResponse inbox;
  if (verb == "submit") {
    bdtx::v1::SubmitRequest req;
    req.set_document(document);
    std::string hash = flags.Get("content_sha256");
    if (hash.empty() && !flags.Get("content_file").empty()) {
      std::ifstream in(flags.Get("content_file"), std::ios::binary);
      std::stringstream content;
      content << in.rdbuf();
      hash = bdtx::Sha256Hex(content.str());
    }
    req.set_content_sha256(hash);
    req.set_not_deployed(flags.Get("not_deployed") == "true");
    req.set_request_id(flags.Get("request_id"));
    status = stub->Submit(&context, req, &doc);
    out = &doc;
  } else if (verb == "approve") {
    bdtx::v1::ApproveRequest req;
    req.set_document(document);
    req.set_comment(flags.Get("comment"));
    req.set_request_id(flags.Get("request_id"));
    status = stub->Approve(&context, req, &doc);
    out = &doc;
  } else if (verb == "return") {
    bdtx::v1::ReturnRequest req;
    req.set_document(document);
    req.set_reason(flags.Get("reason"));
    req.set_request_id(flags.Get("request_id"));
    status = stub->Return(&context, req, &doc);
    out = &doc;
  } else if (verb == "sign-off") {
    bdtx::v1::SignOffRequest req;
    req.set_document(document);
    req.set_method(flags.Get("method") == "scanned" ? bdtx::v1::SCANNED : bdtx::v1::ONLINE);
    req.set_evidence_sha256(flags.Get("evidence_sha256"));
    req.set_evidence_reference(flags.Get("evidence_ref"));
    req.set_evidence_receipt(flags.Get("evidence_receipt"));
    req.set_request_id(flags.Get("request_id"));
    status = stub->SignOff(&context, req, &doc);
    out = &doc;
  } else if (verb == "get") {
    bdtx::v1::GetDocumentRequest req;
    req.set_name(document);
    status = stub->GetDocument(&context, req, &doc);
    out = &doc;
  } else if (verb == "history") {
    bdtx::v1::ListHistoryRequest req;
    req.set_document(document);
    status = stub->ListHistory(&context, req, &history);
    out = &history;
  } else if (verb == "verify") {
    bdtx::v1::VerifyChainRequest req;
    req.set_document(document);
    status = stub->VerifyChain(&context, req, &chain);
    out = &chain;
  } else if (verb == "inbox") {
    bdtx::v1::ListInboxRequest req;
    req.set_page_size(100);
    status = stub->ListInbox(&context, req, &inbox);
    out = &inbox;
  } else {
    return Usage();
  }
  if (!status.ok()) return Fail(bdtx::FromGrpcStatus(status));
  std::printf("%s\n", Json(*out).c_str());
  if (verb == "verify" && !chain.intact()) return 3;
  return 0;
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

int GradingCommand(const std::string& verb, const Flags& flags) {
  auto token = TokenAs(flags);
  if (!token.ok()) return Fail(token.status());
  auto stub = bdtx::v1::Grading::NewStub(
      grpc::CreateChannel(flags.Get("grading"), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  Authorize(context, *token);
  grpc::Status status;
  bdtx::v1::Run run;
  bdtx::v1::Assignment assignment;
  bdtx::v1::ImportLmsResultsResponse imported;
  bdtx::v1::ListStatisticsResponse stats;
  bdtx::v1::GetCompletionResponse completion;
  google::protobuf::Message* out = nullptr;
  int year = 0, module = 0;
  (void)absl::SimpleAtoi(flags.Get("year"), &year);
  (void)absl::SimpleAtoi(flags.Get("module"), &module);
  if (verb == "enroll") {
    bdtx::v1::EnrollClassRequest req;
    req.set_class_name(flags.Get("class"));
    auto start = ParseDay("start", flags.Get("start"));
    if (!start.ok()) return Fail(start.status());
    *req.mutable_start() = *start;
    req.set_request_id(flags.Get("request_id"));
    status = stub->EnrollClass(&context, req, &run);
    out = &run;
  } else if (verb == "extend") {
    bdtx::v1::GrantExtensionRequest req;
    req.set_class_name(flags.Get("class"));
    auto deadline = ParseDay("deadline", flags.Get("deadline"));
    if (!deadline.ok()) return Fail(deadline.status());
    *req.mutable_deadline() = *deadline;
    req.set_reason(flags.Get("reason"));
    req.set_request_id(flags.Get("request_id"));
    status = stub->GrantExtension(&context, req, &run);
    out = &run;
  } else if (verb == "submit") {
    bdtx::v1::SubmitAssignmentRequest req;
    req.set_class_name(flags.Get("class"));
    req.set_learner(flags.Get("learner"));
    req.set_file_ref(flags.Get("file_ref").empty() ? flags.Get("file") : flags.Get("file_ref"));
    std::string sha = flags.Get("sha256");
    if (sha.empty() && !flags.Get("file").empty()) {
      sha = bdtx::Sha256Hex(ReadFileOrEmpty(flags.Get("file")));
    }
    req.set_sha256(sha);
    req.set_request_id(flags.Get("request_id"));
    status = stub->SubmitAssignment(&context, req, &assignment);
    out = &assignment;
  } else if (verb == "grade") {
    bdtx::v1::GradeRequest req;
    req.set_assignment(flags.Get("assignment"));
    const std::string v = flags.Get("verdict");
    req.set_verdict(v == "pass"   ? bdtx::v1::PASS
                    : v == "fail" ? bdtx::v1::FAIL
                                  : bdtx::v1::VERDICT_UNSPECIFIED);
    double score = 0;
    if (!flags.Get("score").empty()) {
      if (!absl::SimpleAtod(flags.Get("score"), &score)) {
        return Fail(absl::InvalidArgumentError("--score must be a number 0-10"));
      }
      req.set_has_score(true);
      req.set_score(score);
    }
    req.set_comment(flags.Get("comment"));
    req.set_request_id(flags.Get("request_id"));
    status = stub->Grade(&context, req, &assignment);
    out = &assignment;
  } else if (verb == "review") {
    bdtx::v1::ReviewRequest req;
    req.set_assignment(flags.Get("assignment"));
    req.set_comment(flags.Get("comment"));
    req.set_request_id(flags.Get("request_id"));
    status = stub->Review(&context, req, &assignment);
    out = &assignment;
  } else if (verb == "import-lms") {
    bdtx::v1::ImportLmsResultsRequest req;
    req.set_format(flags.Get("format") == "json" ? bdtx::v1::JSON : bdtx::v1::CSV);
    req.set_file_name(flags.Get("file"));
    std::ifstream probe(flags.Get("file"));
    if (!probe) {
      return Fail(
          absl::NotFoundError(absl::StrCat("cannot read --file '", flags.Get("file"), "'")));
    }
    req.set_content(ReadFileOrEmpty(flags.Get("file")));
    req.set_validate_only(flags.Get("validate_only") == "true");
    status = stub->ImportLmsResults(&context, req, &imported);
    out = &imported;
  } else if (verb == "stats") {
    bdtx::v1::ListStatisticsRequest req;
    req.set_unit(flags.Get("unit"));
    req.set_year(year);
    req.set_module(module);
    status = stub->ListStatistics(&context, req, &stats);
    out = &stats;
  } else if (verb == "completion") {
    bdtx::v1::GetCompletionRequest req;
    req.set_learner(flags.Get("learner"));
    req.set_year(year);
    status = stub->GetCompletion(&context, req, &completion);
    out = &completion;
  } else if (verb == "export") {
    bdtx::v1::ExportRecognitionRequest req;
    req.set_province(flags.Get("unit"));
    req.set_year(year);
    req.set_module(module);
    req.set_format(flags.Get("format") == "temis" ? bdtx::v1::TEMIS_SUMMARY
                                                  : bdtx::v1::RECOGNITION);
    bdtx::v1::ExportRecognitionResponse resp;
    status = stub->ExportRecognition(&context, req, &resp);
    if (!status.ok()) return Fail(bdtx::FromGrpcStatus(status));
    std::fwrite(resp.content().data(), 1, resp.content().size(), stdout);
    return 0;
  } else {
    return Usage();
  }
  if (!status.ok()) return Fail(bdtx::FromGrpcStatus(status));
  std::printf("%s\n", Json(*out).c_str());
  return 0;
}

int SupportCommand(const std::string& verb, const Flags& flags) {
  auto token = TokenAs(flags);
  if (!token.ok()) return Fail(token.status());
  auto stub = bdtx::v1::Support::NewStub(
      grpc::CreateChannel(flags.Get("support"), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  Authorize(context, *token);
  grpc::Status status;
  bdtx::v1::Question question;
  bdtx::v1::SupportActivity activity;
  bdtx::v1::ListQuestionsResponse questions;
  bdtx::v1::ListActivitiesResponse activities;
  bdtx::v1::SupportReportCounts counts;
  bdtx::v1::ActivityProgress progress;
  bdtx::v1::ListSupportStatisticsResponse stats;
  google::protobuf::Message* out = nullptr;
  int year = 0, module = 0;
  (void)absl::SimpleAtoi(flags.Get("year"), &year);
  (void)absl::SimpleAtoi(flags.Get("module"), &module);
  if (verb == "ask") {
    bdtx::v1::AskQuestionRequest req;
    req.set_request_id(flags.Get("request_id"));
    req.set_asker(flags.Get("learner"));
    req.set_year(year);
    req.set_module(module);
    bdtx::v1::SupportChannel channel = bdtx::v1::SUPPORT_CHANNEL_UNSPECIFIED;
    bdtx::v1::SupportChannel_Parse(
        absl::StrCat("SUPPORT_CHANNEL_", absl::AsciiStrToUpper(flags.Get("channel"))), &channel);
    req.set_channel(channel);
    req.set_text(flags.Get("text"));
    status = stub->AskQuestion(&context, req, &question);
    out = &question;
  } else if (verb == "answer" || verb == "escalate" || verb == "resolve" || verb == "follow-up") {
    if (verb == "answer") {
      bdtx::v1::AnswerQuestionRequest req;
      req.set_request_id(flags.Get("request_id"));
      req.set_name(flags.Get("question"));
      req.set_text(flags.Get("text"));
      status = stub->AnswerQuestion(&context, req, &question);
    } else if (verb == "escalate") {
      bdtx::v1::EscalateQuestionRequest req;
      req.set_request_id(flags.Get("request_id"));
      req.set_name(flags.Get("question"));
      req.set_note(flags.Get("text"));
      status = stub->EscalateQuestion(&context, req, &question);
    } else if (verb == "resolve") {
      bdtx::v1::ResolveQuestionRequest req;
      req.set_request_id(flags.Get("request_id"));
      req.set_name(flags.Get("question"));
      status = stub->ResolveQuestion(&context, req, &question);
    } else {
      bdtx::v1::FollowUpQuestionRequest req;
      req.set_request_id(flags.Get("request_id"));
      req.set_name(flags.Get("question"));
      req.set_text(flags.Get("text"));
      status = stub->FollowUpQuestion(&context, req, &question);
    }
    out = &question;
  } else if (verb == "get") {
    bdtx::v1::GetQuestionRequest req;
    req.set_name(flags.Get("question"));
    req.set_audit_reason(flags.Get("reason"));
    status = stub->GetQuestion(&context, req, &question);
    out = &question;
  } else if (verb == "list") {
    bdtx::v1::ListQuestionsRequest req;
    bdtx::v1::QuestionView view = bdtx::v1::ASSIGNED_TO_ME;
    if (!flags.Get("view").empty()) {
      bdtx::v1::QuestionView_Parse(absl::AsciiStrToUpper(flags.Get("view")), &view);
    }
    req.set_view(view);
    req.set_year(year);
    req.set_module(module);
    status = stub->ListQuestions(&context, req, &questions);
    out = &questions;
  } else if (verb == "log") {
    bdtx::v1::LogActivityRequest req;
    req.set_request_id(flags.Get("request_id"));
    req.set_year(year);
    req.set_module(module);
    const std::string row = flags.Get("row");
    req.set_row(row == "2.1"   ? bdtx::v1::SUPPORT_ROW_LMS
                : row == "2.2" ? bdtx::v1::SUPPORT_ROW_ONLINE
                : row == "2.3" ? bdtx::v1::SUPPORT_ROW_IN_PERSON
                               : bdtx::v1::SUPPORT_ROW_UNSPECIFIED);
    auto date = ParseDay("date", flags.Get("date"));
    if (!date.ok()) return Fail(date.status());
    *req.mutable_date() = *date;
    req.set_form(flags.Get("form"));
    req.set_description(flags.Get("text"));
    for (absl::string_view p : absl::StrSplit(flags.Get("participants"), ',', absl::SkipEmpty())) {
      req.add_participants(std::string(p));
    }
    status = stub->LogActivity(&context, req, &activity);
    out = &activity;
  } else if (verb == "activities") {
    bdtx::v1::ListActivitiesRequest req;
    req.set_core_member(flags.Get("learner"));
    req.set_year(year);
    req.set_module(module);
    status = stub->ListActivities(&context, req, &activities);
    out = &activities;
  } else if (verb == "counts") {
    bdtx::v1::GetSupportReportCountsRequest req;
    req.set_core_member(flags.Get("learner"));
    req.set_year(year);
    req.set_module(module);
    status = stub->GetSupportReportCounts(&context, req, &counts);
    out = &counts;
  } else if (verb == "progress") {  // plan vs done
    bdtx::v1::GetActivityProgressRequest req;
    req.set_core_member(flags.Get("learner"));
    req.set_year(year);
    req.set_module(module);
    status = stub->GetActivityProgress(&context, req, &progress);
    out = &progress;
  } else if (verb == "stats") {
    bdtx::v1::ListSupportStatisticsRequest req;
    req.set_unit(flags.Get("unit"));
    req.set_year(year);
    req.set_module(module);
    req.set_children(flags.Get("children") == "true");
    status = stub->ListSupportStatistics(&context, req, &stats);
    out = &stats;
  } else {
    return Usage();
  }
  if (!status.ok()) return Fail(bdtx::FromGrpcStatus(status));
  std::printf("%s\n", Json(*out).c_str());
  return 0;
}

// Streams a file to UploadAttachment in 256 KiB messages, printing progress.
absl::StatusOr<bdtx::v1::Attachment> UploadFile(bdtx::v1::Plans::Stub& stub,
                                                const std::string& token, const Flags& flags) {
  const std::string path = flags.Get("file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read --file '", path, "'"));
  in.seekg(0, std::ios::end);
  const int64_t total = in.tellg();
  in.seekg(0);
  grpc::ClientContext context;
  Authorize(context, token);
  bdtx::v1::Attachment out;
  auto writer = stub.UploadAttachment(&context, &out);
  bdtx::v1::UploadAttachmentRequest msg;
  msg.mutable_metadata()->set_document(flags.Get("document"));
  msg.mutable_metadata()->set_file_name(std::filesystem::path(path).filename().string());
  msg.mutable_metadata()->set_request_id(flags.Get("request_id"));
  bool open = writer->Write(msg);
  std::string buffer(256 << 10, '\0');
  int64_t sent = 0;
  while (open && in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::streamsize n = in.gcount();
    if (n <= 0) break;
    msg.Clear();
    msg.set_chunk(buffer.substr(0, static_cast<size_t>(n)));
    open = writer->Write(msg);
    sent += n;
    std::fprintf(stderr, "\ruploading %s: %lld / %lld bytes", path.c_str(),
                 static_cast<long long>(sent), static_cast<long long>(total));
  }
  std::fprintf(stderr, "\n");
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  if (!s.ok()) return bdtx::FromGrpcStatus(s);
  return out;
}

int PlansCommand(const std::string& verb, const Flags& flags) {
  auto token = TokenAs(flags);
  if (!token.ok()) return Fail(token.status());
  auto stub = bdtx::v1::Plans::NewStub(
      grpc::CreateChannel(flags.Get("plans"), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  Authorize(context, *token);
  grpc::Status status;
  google::protobuf::Message* out = nullptr;
  bdtx::v1::SupportDocument doc;
  bdtx::v1::ListVersionsResponse versions;
  bdtx::v1::ListSupportDocumentsResponse list;
  bdtx::v1::Eligibility eligibility;
  bdtx::v1::ListEligibilityResponse eligibility_list;
  int year = 0, module = 0;
  int64_t version = 0;
  (void)absl::SimpleAtoi(flags.Get("year"), &year);
  (void)absl::SimpleAtoi(flags.Get("module"), &module);
  (void)absl::SimpleAtoi(flags.Get("version"), &version);
  const std::string document = flags.Get("document");
  if (verb == "create") {
    const std::string author = flags.Get("author").empty() ? flags.Get("as") : flags.Get("author");
    if (flags.Get("kind") == "report") {
      bdtx::v1::CreateReportRequest req;
      req.set_author(author);
      req.set_year(year);
      req.set_module(module);
      req.set_not_deployed(flags.Get("not_deployed") == "true");
      req.set_request_id(flags.Get("request_id"));
      status = stub->CreateReport(&context, req, &doc);
    } else {
      bdtx::v1::CreatePlanRequest req;
      req.set_author(author);
      req.set_year(year);
      req.set_module(module);
      req.set_request_id(flags.Get("request_id"));
      status = stub->CreatePlan(&context, req, &doc);
    }
    out = &doc;
  } else if (verb == "get") {
    bdtx::v1::GetSupportDocumentRequest req;
    req.set_name(document);
    req.set_version(version);
    status = stub->GetDocument(&context, req, &doc);
    out = &doc;
  } else if (verb == "update") {
    bdtx::v1::UpdateSupportDocumentRequest req;
    const std::string json = ReadFileOrEmpty(flags.Get("file"));
    if (json.empty()) {
      return Fail(absl::InvalidArgumentError(
          "--file must name a JSON DocumentContent (e.g. from 'plans get', field content)"));
    }
    auto parsed = google::protobuf::util::JsonStringToMessage(json, req.mutable_content());
    if (!parsed.ok()) {
      return Fail(absl::InvalidArgumentError(
          absl::StrCat(flags.Get("file"), ": not a DocumentContent: ", parsed.ToString())));
    }
    if (!document.empty()) req.mutable_content()->set_name(document);
    for (absl::string_view p : absl::StrSplit(flags.Get("mask"), ',', absl::SkipEmpty())) {
      req.mutable_update_mask()->add_paths(std::string(p));
    }
    req.set_expected_version(version);
    req.set_request_id(flags.Get("request_id"));
    status = stub->UpdateDocument(&context, req, &doc);
    out = &doc;
  } else if (verb == "refresh") {
    bdtx::v1::RefreshReportCountsRequest req;
    req.set_name(document);
    req.set_request_id(flags.Get("request_id"));
    status = stub->RefreshReportCounts(&context, req, &doc);
    out = &doc;
  } else if (verb == "submit") {
    bdtx::v1::SubmitSupportDocumentRequest req;
    req.set_name(document);
    req.set_expected_version(version);
    req.set_request_id(flags.Get("request_id"));
    status = stub->SubmitDocument(&context, req, &doc);
    out = &doc;
  } else if (verb == "versions") {
    bdtx::v1::ListVersionsRequest req;
    req.set_name(document);
    status = stub->ListVersions(&context, req, &versions);
    out = &versions;
  } else if (verb == "list") {
    bdtx::v1::ListSupportDocumentsRequest req;
    req.set_unit(flags.Get("unit"));
    req.set_author(flags.Get("author"));
    req.set_year(year);
    req.set_module(module);
    req.set_page_size(500);
    status = stub->ListDocuments(&context, req, &list);
    out = &list;
  } else if (verb == "eligibility") {
    if (!flags.Get("unit").empty()) {
      bdtx::v1::ListEligibilityRequest req;
      req.set_unit(flags.Get("unit"));
      req.set_year(year);
      req.set_page_size(100);
      status = stub->ListEligibility(&context, req, &eligibility_list);
      out = &eligibility_list;
    } else {
      bdtx::v1::GetEligibilityRequest req;
      req.set_core_member(flags.Get("author").empty() ? flags.Get("as") : flags.Get("author"));
      req.set_year(year);
      status = stub->GetEligibility(&context, req, &eligibility);
      out = &eligibility;
    }
  } else if (verb == "render") {
    bdtx::v1::RenderDocumentRequest req;
    req.set_name(document);
    req.set_version(version);
    bdtx::v1::RenderedDocument rendered;
    status = stub->RenderDocument(&context, req, &rendered);
    if (!status.ok()) return Fail(bdtx::FromGrpcStatus(status));
    const std::string path = flags.Get("out").empty() ? rendered.file_name() : flags.Get("out");
    std::ofstream(path, std::ios::binary) << rendered.content();
    std::printf("wrote %s (%zu bytes, %s); open it in a browser and print on A4 landscape\n",
                path.c_str(), rendered.content().size(), rendered.media_type().c_str());
    return 0;
  } else if (verb == "upload") {
    auto attachment = UploadFile(*stub, *token, flags);
    if (!attachment.ok()) return Fail(attachment.status());
    std::printf("%s\n", Json(*attachment).c_str());
    return 0;
  } else if (verb == "download") {
    if (flags.Get("out").empty()) return Fail(absl::InvalidArgumentError("--out is required"));
    bdtx::v1::DownloadAttachmentRequest req;
    req.set_document(document);
    req.set_sha256(flags.Get("sha256"));
    auto reader = stub->DownloadAttachment(&context, req);
    std::ofstream file(flags.Get("out"), std::ios::binary);
    bdtx::v1::AttachmentChunk chunk;
    int64_t received = 0;
    while (reader->Read(&chunk)) {
      file << chunk.data();
      received += static_cast<int64_t>(chunk.data().size());
    }
    status = reader->Finish();
    if (!status.ok()) return Fail(bdtx::FromGrpcStatus(status));
    std::printf("wrote %s (%lld bytes)\n", flags.Get("out").c_str(),
                static_cast<long long>(received));
    return 0;
  } else {
    return Usage();
  }
  if (!status.ok()) return Fail(bdtx::FromGrpcStatus(status));
  std::printf("%s\n", Json(*out).c_str());
  return 0;
}

int NotificationsCommand(const std::string& verb, const Flags& flags) {
  // Operator verbs run as an admin (minted from the key file) unless --as is given.
  const bool operator_verb = verb == "dead-letters" || verb == "replay" || verb == "status";
  auto token = operator_verb && flags.Get("as").empty() ? CallToken(flags) : TokenAs(flags);
  if (!token.ok()) return Fail(token.status());
  auto stub = bdtx::v1::Notifications::NewStub(
      grpc::CreateChannel(flags.Get("notifications"), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  Authorize(context, *token);
  grpc::Status status;
  google::protobuf::Message* out = nullptr;
  bdtx::v1::ListNotificationsResponse inbox;
  bdtx::v1::MarkReadResponse marked;
  bdtx::v1::Preferences prefs;
  bdtx::v1::ListDeadLettersResponse dead;
  bdtx::v1::ReplayDeadLetterResponse replayed;
  bdtx::v1::GetStatusResponse state;
  bdtx::v1::RotateWebhookSecretResponse rotated;
  if (verb == "inbox") {
    bdtx::v1::ListNotificationsRequest req;
    req.set_recipient(flags.Get("unit"));
    req.set_unread_only(flags.Get("unread") == "true");
    req.set_page_size(100);
    status = stub->ListNotifications(&context, req, &inbox);
    out = &inbox;
  } else if (verb == "mark-read") {
    bdtx::v1::MarkReadRequest req;
    req.set_recipient(flags.Get("unit"));
    status = stub->MarkRead(&context, req, &marked);
    out = &marked;
  } else if (verb == "watch") {
    bdtx::v1::WatchNotificationsRequest req;
    req.set_recipient(flags.Get("unit"));
    auto reader = stub->WatchNotifications(&context, req);
    bdtx::v1::Notification n;
    while (reader->Read(&n)) {
      std::printf("%s\n", Json(n).c_str());
      std::fflush(stdout);
    }
    status = reader->Finish();
    if (!status.ok()) return Fail(bdtx::FromGrpcStatus(status));
    return 0;
  } else if (verb == "prefs") {
    bdtx::v1::GetPreferencesRequest get;
    status = stub->GetPreferences(&context, get, &prefs);
    const bool change = !flags.Get("email").empty() || !flags.Get("digest").empty() ||
                        !flags.Get("webhook_url").empty();
    if (status.ok() && change) {
      if (!flags.Get("email").empty()) prefs.set_email(flags.Get("email") == "true");
      if (!flags.Get("digest").empty()) prefs.set_email_digest_daily(flags.Get("digest") == "true");
      if (!flags.Get("webhook_url").empty()) {
        prefs.set_webhook(true);
        prefs.set_webhook_url(flags.Get("webhook_url"));
      }
      grpc::ClientContext set_context;
      Authorize(set_context, *token);
      bdtx::v1::SetPreferencesRequest set;
      *set.mutable_preferences() = prefs;
      status = stub->SetPreferences(&set_context, set, &prefs);
    }
    out = &prefs;
  } else if (verb == "dead-letters") {
    bdtx::v1::ListDeadLettersRequest req;
    req.set_page_size(1000);
    status = stub->ListDeadLetters(&context, req, &dead);
    out = &dead;
  } else if (verb == "replay") {
    if (flags.Get("job").empty()) {
      return Fail(absl::InvalidArgumentError("--job is required (an id, or all)"));
    }
    bdtx::v1::ReplayDeadLetterRequest req;
    req.set_job(flags.Get("job"));
    status = stub->ReplayDeadLetter(&context, req, &replayed);
    out = &replayed;
  } else if (verb == "status") {
    status = stub->GetStatus(&context, bdtx::v1::GetStatusRequest(), &state);
    out = &state;
  } else if (verb == "rotate-secret") {
    status = stub->RotateWebhookSecret(&context, bdtx::v1::RotateWebhookSecretRequest(), &rotated);
    out = &rotated;
  } else {
    return Usage();
  }
  if (!status.ok()) return Fail(bdtx::FromGrpcStatus(status));
  std::printf("%s\n", Json(*out).c_str());
  return 0;
}

int DirectoryCommand(const std::string& verb, const Flags& flags) {
  if (verb == "import") {
    auto kind = ParseKind(flags.Get("kind"));
    if (!kind.ok()) return Fail(kind.status());
    // One request_id per invocation unless given (--request-id: retry an earlier one).
    const std::string id =
        flags.Get("request_id").empty() ? NewRequestId() : flags.Get("request_id");
    auto r = ImportFile(flags, *kind, flags.Get("file"), id);
    if (!r.ok()) return Fail(r.status());
    PrintImport(flags.Get("file"), *r);
    return 0;
  }
  if (verb == "export") {
    auto kind = ParseKind(flags.Get("kind"));
    if (!kind.ok()) return Fail(kind.status());
    auto token = CallToken(flags);
    if (!token.ok()) return Fail(token.status());
    grpc::ClientContext context;
    Authorize(context, *token);
    bdtx::v1::ExportCsvRequest req;
    req.set_kind(*kind);
    bdtx::v1::ExportCsvResponse resp;
    grpc::Status s = DirectoryStub(flags.Get("addr"))->ExportCsv(&context, req, &resp);
    if (!s.ok()) return Fail(bdtx::FromGrpcStatus(s));
    std::fwrite(resp.content().data(), 1, resp.content().size(), stdout);
    return 0;
  }
  if (verb == "route") {
    auto token = CallToken(flags);
    if (!token.ok()) return Fail(token.status());
    bdtx::v1::RouteDocumentRequest req;
    req.set_author(flags.Get("author"));
    req.set_kind(flags.Get("kind") == "report" ? bdtx::v1::REPORT : bdtx::v1::PLAN);
    int year = 0, module = 0;
    (void)absl::SimpleAtoi(flags.Get("year"), &year);
    (void)absl::SimpleAtoi(flags.Get("module"), &module);
    req.set_year(year);
    req.set_module(module);
    grpc::ClientContext context;
    Authorize(context, *token);
    bdtx::v1::Routing resp;
    grpc::Status s = DirectoryStub(flags.Get("addr"))->RouteDocument(&context, req, &resp);
    if (!s.ok()) return Fail(bdtx::FromGrpcStatus(s));
    std::printf("%s\n", Json(resp).c_str());
    return 0;
  }
  return Usage();
}

// `bdtxctl auth activation-code --person people/ID|CODE`: the directory issues a one-time
// code (ADR 015) for the person's first password or a reset; printed once, never stored.
int AuthCommand(const std::string& verb, const Flags& flags) {
  if (verb != "activation-code") return Usage();
  if (flags.Get("person").empty()) return Fail(absl::InvalidArgumentError("--person is required"));
  auto token = CallToken(flags);
  if (!token.ok()) return Fail(token.status());
  std::string person = flags.Get("person");
  if (person.rfind("people/", 0) != 0) {  // a person code: look the id up
    grpc::ClientContext context;
    Authorize(context, *token);
    bdtx::v1::LookupPersonRequest req;
    req.set_code(person);
    bdtx::v1::Person found;
    grpc::Status s = DirectoryStub(flags.Get("addr"))->LookupPerson(&context, req, &found);
    if (!s.ok()) return Fail(bdtx::FromGrpcStatus(s));
    person = found.name();
  }
  grpc::ClientContext context;
  Authorize(context, *token);
  bdtx::v1::IssueActivationCodeRequest req;
  req.set_person(person);
  bdtx::v1::ActivationCode code;
  grpc::Status s = bdtx::v1::Sessions::NewStub(
                       grpc::CreateChannel(flags.Get("addr"), grpc::InsecureChannelCredentials()))
                       ->IssueActivationCode(&context, req, &code);
  if (!s.ok()) return Fail(bdtx::FromGrpcStatus(s));
  std::printf("%s\n", Json(code).c_str());
  return 0;
}

// Writes (and with `load`, imports) one province's four files into `dir`.
int DemoProvince(const std::string& verb, const Flags& flags, const bdtx::demo::ProvinceSpec& spec,
                 const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const bdtx::demo::DemoFiles files = bdtx::demo::GenerateProvince(spec);
  const std::vector<std::pair<std::string, const std::string*>> all = {
      {"units.csv", &files.units},
      {"people.csv", &files.people},
      {"classes.csv", &files.classes},
      {"assignments.csv", &files.assignments}};
  for (const auto& [name, content] : all) {
    std::ofstream(dir / name, std::ios::binary) << *content;
  }
  std::ofstream(dir / "lms-prior.csv", std::ios::binary) << files.lms_prior;
  if (verb == "generate") {
    std::printf("wrote units.csv, people.csv, classes.csv, assignments.csv, lms-prior.csv to %s\n",
                dir.string().c_str());
    return 0;
  }
  const bdtx::v1::ImportKind kinds[] = {bdtx::v1::UNITS, bdtx::v1::PEOPLE, bdtx::v1::CLASSES,
                                        bdtx::v1::ASSIGNMENTS};
  for (size_t i = 0; i < all.size(); ++i) {
    auto r = ImportFile(flags, kinds[i], (dir / all[i].first).string(), NewRequestId());
    if (!r.ok()) return Fail(r.status());
    PrintImport((dir / all[i].first).string(), *r);
  }
  return 0;
}

int DemoCommand(const std::string& verb, const Flags& flags) {
  if (verb != "generate" && verb != "load") return Usage();
  if (flags.Get("out").empty()) return Fail(absl::InvalidArgumentError("--out is required"));
  const std::filesystem::path out = flags.Get("out");
  int provinces = 1, learners = 5555;
  if (!absl::SimpleAtoi(flags.Get("provinces"), &provinces) || provinces < 1 || provinces > 63 ||
      !absl::SimpleAtoi(flags.Get("learners"), &learners) || learners < 120) {
    return Fail(absl::InvalidArgumentError("--provinces must be 1..63 and --learners >= 120"));
  }
  if (provinces == 1 && learners == 5555) {
    return DemoProvince(verb, flags, bdtx::demo::ProvinceSpec(), out);
  }
  const absl::Time start = absl::Now();
  for (int i = 0; i < provinces; ++i) {
    const bdtx::demo::ProvinceSpec spec = bdtx::demo::NationalProvince(i, learners);
    if (int rc = DemoProvince(verb, flags, spec, out / spec.id); rc != 0) return rc;
    std::printf("[%d/%d provinces] %s done, %.1f s elapsed\n", i + 1, provinces, spec.name.c_str(),
                absl::ToDoubleSeconds(absl::Now() - start));
    std::fflush(stdout);
  }
  return 0;
}

// Streaming SHA-256 of a file's pieces (a backup file can be gigabytes).
class Sha256Stream {
 public:
  Sha256Stream() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Sha256Stream() { EVP_MD_CTX_free(ctx_); }
  void Add(absl::string_view data) { EVP_DigestUpdate(ctx_, data.data(), data.size()); }
  std::string Hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_, digest, &n);
    std::string hex;
    for (unsigned int i = 0; i < n; ++i)
      absl::StrAppend(&hex, absl::Hex(digest[i], absl::kZeroPad2));
    return hex;
  }

 private:
  EVP_MD_CTX* ctx_;
};

// backup.json: what a backup holds, checked by restore.
struct BackupFile {
  std::string name;
  int64_t size = 0;
  std::string sha256;
};

std::string FormatMiB(int64_t bytes) {
  return absl::StrFormat("%.1f MiB", static_cast<double>(bytes) / (1 << 20));
}

int AdminBackup(const Flags& flags) {
  namespace fs = std::filesystem;
  const std::string service = flags.Get("service");
  static const char* const kServices[] = {"directory", "plans", "approvals", "grading",
                                          "notifications"};
  if (std::find(std::begin(kServices), std::end(kServices), service) == std::end(kServices)) {
    return Fail(absl::InvalidArgumentError(
        "--service must be directory, plans, approvals, grading or notifications"));
  }
  const std::string out = flags.Get("out");
  if (out.empty()) return Fail(absl::InvalidArgumentError("--out DIR is required"));
  if (fs::exists(out)) {
    return Fail(absl::AlreadyExistsError(
        absl::StrCat(out, " already exists: a backup goes into a new directory")));
  }
  std::string address = flags.Get("address");
  if (address.empty()) address = flags.Get(service == "directory" ? "addr" : service);
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!flags.Get("tls_ca_file").empty()) {
    auto ca = bdtx::auth::ReadKeyFile(flags.Get("tls_ca_file"));
    if (!ca.ok()) return Fail(ca.status());
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = *ca;
    credentials = grpc::SslCredentials(ssl);
  }
  auto token = CallToken(flags);
  if (!token.ok()) return Fail(token.status());
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 << 20);
  auto stub = bdtx::v1::Admin::NewStub(grpc::CreateCustomChannel(address, credentials, args));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + *token);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::hours(6));
  bdtx::v1::BackupRequest request;
  auto reader = stub->Backup(&context, request);

  // Written to OUT.partial and renamed at the end: OUT exists only when complete.
  const std::string partial = out + ".partial";
  std::error_code ec;
  fs::remove_all(partial, ec);
  fs::create_directories(partial + "/events", ec);
  if (ec)
    return Fail(
        absl::UnavailableError(absl::StrCat("cannot create ", partial, ": ", ec.message())));
  bdtx::v1::BackupChunk chunk;
  std::vector<BackupFile> files;
  std::ofstream file;
  std::unique_ptr<Sha256Stream> sha;
  int64_t total = 0, received = 0, last_position = 0;
  std::string got_service;
  absl::Time last_report = absl::InfinitePast();
  auto close_file = [&]() -> absl::Status {
    if (files.empty()) return absl::OkStatus();
    file.close();
    if (!file) return absl::DataLossError(absl::StrCat("writing ", files.back().name, " failed"));
    files.back().sha256 = sha->Hex();
    return absl::OkStatus();
  };
  while (reader->Read(&chunk)) {
    if (!chunk.service().empty()) {
      got_service = chunk.service();
      total = chunk.total_bytes();
      last_position = chunk.last_position();
      std::fprintf(stderr, "backup of %s: %d files, %s, events up to position %lld\n",
                   got_service.c_str(), chunk.file_count(), FormatMiB(total).c_str(),
                   static_cast<long long>(last_position));
    }
    if (chunk.file().empty() || chunk.file().find('/') != std::string::npos ||
        chunk.file()[0] == '.') {
      return Fail(
          absl::DataLossError(absl::StrCat("bad file name in the backup: '", chunk.file(), "'")));
    }
    if (files.empty() || files.back().name != chunk.file()) {
      if (absl::Status s = close_file(); !s.ok()) return Fail(s);
      if (chunk.offset() != 0) return Fail(absl::DataLossError("a file's first piece is missing"));
      files.push_back({chunk.file(), chunk.file_size(), ""});
      file.open(partial + "/events/" + chunk.file(), std::ios::binary | std::ios::trunc);
      sha = std::make_unique<Sha256Stream>();
    }
    file.write(chunk.data().data(), static_cast<std::streamsize>(chunk.data().size()));
    sha->Add(chunk.data());
    received += static_cast<int64_t>(chunk.data().size());
    if (absl::Now() - last_report > absl::Seconds(1)) {
      last_report = absl::Now();
      std::fprintf(stderr, "  %s / %s (%.0f%%)\n", FormatMiB(received).c_str(),
                   FormatMiB(total).c_str(), total > 0 ? 100.0 * received / total : 100.0);
    }
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return Fail(bdtx::FromGrpcStatus(status));
  if (absl::Status s = close_file(); !s.ok()) return Fail(s);
  if (got_service != service) {
    return Fail(absl::FailedPreconditionError(
        absl::StrCat(address, " is the ", got_service.empty() ? "(unnamed)" : got_service,
                     " service, not ", service)));
  }
  if (received != total) {
    return Fail(absl::DataLossError(absl::StrCat("received ", received, " bytes of ", total)));
  }
  for (const BackupFile& f : files) {
    if (static_cast<int64_t>(fs::file_size(partial + "/events/" + f.name, ec)) != f.size || ec) {
      return Fail(absl::DataLossError(absl::StrCat(f.name, " is incomplete")));
    }
  }
  std::string manifest = absl::StrCat(
      "{\n  \"service\": \"", service, "\",\n  \"last_position\": ", last_position,
      ",\n  \"created\": \"", absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone()),
      "\",\n  \"files\": [\n");
  for (size_t i = 0; i < files.size(); ++i) {
    absl::StrAppend(&manifest, "    {\"name\": \"", files[i].name, "\", \"size\": ", files[i].size,
                    ", \"sha256\": \"", files[i].sha256, "\"}", i + 1 < files.size() ? "," : "",
                    "\n");
  }
  absl::StrAppend(&manifest, "  ]\n}\n");
  std::ofstream(partial + "/backup.json") << manifest;
  fs::rename(partial, out, ec);
  if (ec)
    return Fail(absl::UnavailableError(absl::StrCat("cannot rename to ", out, ": ", ec.message())));
  std::printf("backup of %s in %s: %zu files, %s, events up to position %lld\n", service.c_str(),
              out.c_str(), files.size(), FormatMiB(total).c_str(),
              static_cast<long long>(last_position));
  return 0;
}

// Reads backup.json (the format AdminBackup writes, one file entry per line).
absl::StatusOr<std::vector<BackupFile>> ReadManifest(const std::string& dir, std::string* service) {
  std::ifstream in(dir + "/backup.json");
  if (!in) return absl::NotFoundError(absl::StrCat(dir, "/backup.json missing: not a bdtx backup"));
  std::vector<BackupFile> files;
  std::string line;
  auto field = [](const std::string& l, const std::string& key) -> std::string {
    const std::string k = "\"" + key + "\": ";
    size_t at = l.find(k);
    if (at == std::string::npos) return "";
    at += k.size();
    if (l[at] == '"') return l.substr(at + 1, l.find('"', at + 1) - at - 1);
    return l.substr(at, l.find_first_of(",}", at) - at);
  };
  while (std::getline(in, line)) {
    if (line.find("\"service\": ") != std::string::npos &&
        line.find("\"name\"") == std::string::npos) {
      *service = field(line, "service");
    }
    if (line.find("\"name\": ") == std::string::npos) continue;
    BackupFile f{field(line, "name"), 0, field(line, "sha256")};
    if (!absl::SimpleAtoi(field(line, "size"), &f.size) || f.name.empty() ||
        f.name.find('/') != std::string::npos || f.sha256.size() != 64) {
      return absl::DataLossError(absl::StrCat("bad entry in backup.json: ", line));
    }
    files.push_back(std::move(f));
  }
  if (files.empty()) return absl::DataLossError("backup.json lists no files");
  return files;
}

int AdminRestore(const Flags& flags) {
  namespace fs = std::filesystem;
  const std::string from = flags.Get("from");
  const std::string data_dir = flags.Get("data_dir");
  if (from.empty() || data_dir.empty()) {
    return Fail(absl::InvalidArgumentError("--from BACKUP_DIR and --data_dir DIR are required"));
  }
  std::string service;
  auto files = ReadManifest(from, &service);
  if (!files.ok()) return Fail(files.status());
  const std::string target = data_dir + "/events";
  std::error_code ec;
  if (fs::exists(target, ec) && !fs::is_empty(target, ec)) {
    return Fail(absl::FailedPreconditionError(
        absl::StrCat(target,
                     " holds a store: stop the service and move that directory away first "
                     "(restore never overwrites a store)")));
  }
  // Check every file before touching the target.
  std::string buffer(1 << 20, '\0');
  for (const BackupFile& f : *files) {
    std::ifstream in(from + "/events/" + f.name, std::ios::binary);
    if (!in) return Fail(absl::DataLossError(absl::StrCat("backup file ", f.name, " missing")));
    Sha256Stream sha;
    int64_t size = 0;
    while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
      sha.Add(absl::string_view(buffer.data(), static_cast<size_t>(in.gcount())));
      size += in.gcount();
    }
    if (size != f.size || sha.Hex() != f.sha256) {
      return Fail(absl::DataLossError(
          absl::StrCat("backup file ", f.name, " does not match backup.json (size or sha256)")));
    }
  }
  const std::string staging = target + ".restoring";
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec)
    return Fail(
        absl::UnavailableError(absl::StrCat("cannot create ", staging, ": ", ec.message())));
  for (const BackupFile& f : *files) {
    fs::copy_file(from + "/events/" + f.name, staging + "/" + f.name, ec);
    if (ec)
      return Fail(absl::UnavailableError(absl::StrCat("copying ", f.name, ": ", ec.message())));
  }
  fs::remove(target, ec);  // an empty directory, if any
  fs::rename(staging, target, ec);
  if (ec)
    return Fail(
        absl::UnavailableError(absl::StrCat("cannot rename to ", target, ": ", ec.message())));
  std::printf("restored the %s store (%zu files) into %s; start the service on --data_dir=%s\n",
              service.c_str(), files->size(), target.c_str(), data_dir.c_str());
  return 0;
}

int AdminCommand(const std::string& verb, const Flags& flags) {
  if (verb == "backup") return AdminBackup(flags);
  if (verb == "restore") return AdminRestore(flags);
  return Usage();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage();
  const std::string group = argv[1];
  const std::string verb = argv[2];
  Flags flags = CommonFlags();
  // Accept --key-file as well as --key_file.
  std::vector<std::string> args = {argv[0]};
  for (int i = 3; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) == 0) {
      const size_t eq = a.find('=');
      std::string name = a.substr(0, eq);
      std::replace(name.begin() + 2, name.end(), '-', '_');
      a = eq == std::string::npos ? name : name + a.substr(eq);
    }
    args.push_back(a);
  }
  std::vector<const char*> cargs;
  for (const std::string& a : args) cargs.push_back(a.c_str());
  bdtx::server::Environment env = bdtx::server::ProcessEnvironment();
  if (absl::Status s = flags.Parse(static_cast<int>(cargs.size()), cargs.data(), env); !s.ok()) {
    return Fail(s);
  }
  if (flags.help_requested()) {
    std::fputs(flags.Usage("bdtxctl").c_str(), stdout);
    return Usage();
  }
  if (group == "token" && verb == "mint") return TokenMint(flags);
  if (group == "directory") return DirectoryCommand(verb, flags);
  if (group == "auth") return AuthCommand(verb, flags);
  if (group == "demo") return DemoCommand(verb, flags);
  if (group == "approvals") return ApprovalsCommand(verb, flags);
  if (group == "grading") return GradingCommand(verb, flags);
  if (group == "plans") return PlansCommand(verb, flags);
  if (group == "support") return SupportCommand(verb, flags);
  if (group == "notifications") return NotificationsCommand(verb, flags);
  if (group == "admin") return AdminCommand(verb, flags);
  return Usage();
}
