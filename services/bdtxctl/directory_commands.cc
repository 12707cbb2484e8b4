// bdtxctl directory: CSV imports and exports, and where a document is routed.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/bdtxctl/cli.h"

namespace bdtx::ctl {
namespace {

void DefineFlags(Flags& flags) {
  flags.Define("kind", "", "import/export kind, or plan|report for route");
  flags.Define("file", "", "CSV file to import");
  flags.Define("validate_only", "false", "check an import without applying it");
  flags.Define("request_id", "", "idempotency key of the import (retry an earlier one)");
  flags.Define("author", "", "author of the document to route (people/ID)");
  flags.Define("year", "0", "year");
  flags.Define("module", "0", "module (1..9)");
}

absl::StatusOr<bdtx::v1::ImportKind> ParseKind(const std::string& text) {
  bdtx::v1::ImportKind kind;
  if (!bdtx::v1::ImportKind_Parse(absl::AsciiStrToUpper(text), &kind) ||
      kind == bdtx::v1::IMPORT_KIND_UNSPECIFIED) {
    return absl::InvalidArgumentError("--kind must be units, people, classes or assignments");
  }
  return kind;
}

int Import(const Flags& flags) {
  auto kind = ParseKind(flags.Get("kind"));
  if (!kind.ok()) return Fail(kind.status());
  // One request_id per invocation unless given (--request-id: retry an earlier one).
  const std::string id = flags.Get("request_id").empty() ? NewRequestId() : flags.Get("request_id");
  auto r = ImportFile(flags, *kind, flags.Get("file"), id, flags.Get("validate_only") == "true");
  if (!r.ok()) return Fail(r.status());
  PrintImport(flags.Get("file"), *r);
  return 0;
}

int Export(const Flags& flags) {
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

int Route(const Flags& flags) {
  auto token = CallToken(flags);
  if (!token.ok()) return Fail(token.status());
  bdtx::v1::RouteDocumentRequest req;
  req.set_author(flags.Get("author"));
  req.set_kind(flags.Get("kind") == "report" ? bdtx::v1::REPORT : bdtx::v1::PLAN);
  req.set_year(IntFlag(flags, "year"));
  req.set_module(IntFlag(flags, "module"));
  grpc::ClientContext context;
  Authorize(context, *token);
  bdtx::v1::Routing resp;
  grpc::Status s = DirectoryStub(flags.Get("addr"))->RouteDocument(&context, req, &resp);
  if (!s.ok()) return Fail(bdtx::FromGrpcStatus(s));
  std::printf("%s\n", Json(resp).c_str());
  return 0;
}

}  // namespace

// Streams the file to ImportCsvStream in 1 MiB chunks (any size; the directory applies
// it all or nothing once the last chunk is in) with progress on stderr. Holds one chunk
// in memory, not the file. `request_id` (AIP-155) makes a retry of this invocation
// answer the first result instead of applying the file again after a later one.
absl::StatusOr<bdtx::v1::ImportCsvResponse> ImportFile(const Flags& flags,
                                                       bdtx::v1::ImportKind kind,
                                                       const std::string& path,
                                                       const std::string& request_id,
                                                       bool validate_only) {
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
  chunk.set_validate_only(validate_only);
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

const CommandGroup& DirectoryCommands() {
  static const CommandGroup group = {
      "directory",
      DefineFlags,
      {{"import",
        "--kind units|people|classes|assignments --file F [--validate-only true]\n"
        "      [--request-id ID]   (retry of an earlier invocation)",
        Import},
       {"export", "--kind units|people|classes|assignments   (CSV on stdout)", Export},
       {"route", "--author people/ID --year Y --module M [--kind plan|report]", Route}}};
  return group;
}

}  // namespace bdtx::ctl
