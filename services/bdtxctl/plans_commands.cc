// bdtxctl plans: plans and reports (Appendix 1 and 2), their attachments and eligibility.
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bdtx/v1/plans.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "services/bdtxctl/cli.h"

namespace bdtx::ctl {
namespace {

using bdtx::v1::Plans;

void DefineFlags(Flags& flags) {
  bdtx::server::DefineServiceAddressFlags(flags, {"plans"});
  flags.Define("document", "", "document name, documents/{author}-{year}-m{module}-{plan|report}");
  flags.Define("author", "", "author of the documents (people/ID; default: --as)");
  flags.Define("kind", "", "plan (default) or report");
  flags.Define("not_deployed", "false", "create a 'Chưa triển khai' report");
  flags.Define("request_id", "", "idempotency key of the command");
  flags.Define("version", "0", "content version of a plan or report (0: the latest)");
  flags.Define("file", "", "JSON DocumentContent to update with, or the scan to upload");
  flags.Define("mask", "", "comma-separated fields to update, e.g. rows,header.position");
  flags.Define("unit", "", "the unit (units/ID) of a list or of eligibility");
  flags.Define("out", "", "file to write (render, download)");
  flags.Define("sha256", "", "sha256 of the attachment to download");
  flags.Define("year", "0", "year");
  flags.Define("module", "0", "module (1..9)");
}

std::string Author(const Flags& flags) {
  return flags.Get("author").empty() ? flags.Get("as") : flags.Get("author");
}

int Create(const Flags& flags) {
  if (flags.Get("kind") == "report") {
    return Unary<Plans>("plans", &Plans::Stub::CreateReport, [](const Flags& flags) {
      bdtx::v1::CreateReportRequest req;
      req.set_author(Author(flags));
      req.set_year(IntFlag(flags, "year"));
      req.set_module(IntFlag(flags, "module"));
      req.set_not_deployed(flags.Get("not_deployed") == "true");
      req.set_request_id(flags.Get("request_id"));
      return req;
    })(flags);
  }
  return Unary<Plans>("plans", &Plans::Stub::CreatePlan, [](const Flags& flags) {
    bdtx::v1::CreatePlanRequest req;
    req.set_author(Author(flags));
    req.set_year(IntFlag(flags, "year"));
    req.set_module(IntFlag(flags, "module"));
    req.set_request_id(flags.Get("request_id"));
    return req;
  })(flags);
}

absl::StatusOr<bdtx::v1::UpdateSupportDocumentRequest> UpdateRequest(const Flags& flags) {
  bdtx::v1::UpdateSupportDocumentRequest req;
  const std::string json = ReadFileOrEmpty(flags.Get("file"));
  if (json.empty()) {
    return absl::InvalidArgumentError(
        "--file must name a JSON DocumentContent (e.g. from 'plans get', field content)");
  }
  auto parsed = google::protobuf::util::JsonStringToMessage(json, req.mutable_content());
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flags.Get("file"), ": not a DocumentContent: ", parsed.ToString()));
  }
  if (!flags.Get("document").empty()) req.mutable_content()->set_name(flags.Get("document"));
  for (absl::string_view p : absl::StrSplit(flags.Get("mask"), ',', absl::SkipEmpty())) {
    req.mutable_update_mask()->add_paths(std::string(p));
  }
  req.set_expected_version(Int64Flag(flags, "version"));
  req.set_request_id(flags.Get("request_id"));
  return req;
}

bdtx::v1::ListSupportDocumentsRequest ListRequest(const Flags& flags) {
  bdtx::v1::ListSupportDocumentsRequest req;
  req.set_unit(flags.Get("unit"));
  req.set_author(flags.Get("author"));
  req.set_year(IntFlag(flags, "year"));
  req.set_module(IntFlag(flags, "module"));
  req.set_page_size(500);
  return req;
}

// A unit's list with --unit, else one person's (--author, default --as).
int Eligibility(const Flags& flags) {
  if (!flags.Get("unit").empty()) {
    return Unary<Plans>("plans", &Plans::Stub::ListEligibility, [](const Flags& flags) {
      bdtx::v1::ListEligibilityRequest req;
      req.set_unit(flags.Get("unit"));
      req.set_year(IntFlag(flags, "year"));
      req.set_page_size(100);
      return req;
    })(flags);
  }
  return Unary<Plans>("plans", &Plans::Stub::GetEligibility, [](const Flags& flags) {
    bdtx::v1::GetEligibilityRequest req;
    req.set_core_member(Author(flags));
    req.set_year(IntFlag(flags, "year"));
    return req;
  })(flags);
}

// Writes the printable HTML to --out (default: the file name the service suggests).
int Render(const Flags& flags) {
  auto token = TokenAs(flags);
  if (!token.ok()) return Fail(token.status());
  Client<Plans> client = Connect<Plans>(flags, "plans", *token);
  grpc::ClientContext context;
  Authorize(context, client.token);
  bdtx::v1::RenderDocumentRequest req;
  req.set_name(flags.Get("document"));
  req.set_version(Int64Flag(flags, "version"));
  bdtx::v1::RenderedDocument rendered;
  grpc::Status status = client.stub->RenderDocument(&context, req, &rendered);
  if (!status.ok()) return Fail(bdtx::FromGrpcStatus(status));
  const std::string path = flags.Get("out").empty() ? rendered.file_name() : flags.Get("out");
  std::ofstream(path, std::ios::binary) << rendered.content();
  std::printf("wrote %s (%zu bytes, %s); open it in a browser and print on A4 landscape\n",
              path.c_str(), rendered.content().size(), rendered.media_type().c_str());
  return 0;
}

// Streams --file to UploadAttachment in 256 KiB messages, printing progress.
absl::StatusOr<bdtx::v1::Attachment> UploadFile(const Client<Plans>& client, const Flags& flags) {
  const std::string path = flags.Get("file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read --file '", path, "'"));
  in.seekg(0, std::ios::end);
  const int64_t total = in.tellg();
  in.seekg(0);
  grpc::ClientContext context;
  Authorize(context, client.token);
  bdtx::v1::Attachment out;
  auto writer = client.stub->UploadAttachment(&context, &out);
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

int Upload(const Flags& flags) {
  auto token = TokenAs(flags);
  if (!token.ok()) return Fail(token.status());
  auto attachment = UploadFile(Connect<Plans>(flags, "plans", *token), flags);
  if (!attachment.ok()) return Fail(attachment.status());
  std::printf("%s\n", Json(*attachment).c_str());
  return 0;
}

int Download(const Flags& flags) {
  auto token = TokenAs(flags);
  if (!token.ok()) return Fail(token.status());
  if (flags.Get("out").empty()) return Fail(absl::InvalidArgumentError("--out is required"));
  Client<Plans> client = Connect<Plans>(flags, "plans", *token);
  grpc::ClientContext context;
  Authorize(context, client.token);
  bdtx::v1::DownloadAttachmentRequest req;
  req.set_document(flags.Get("document"));
  req.set_sha256(flags.Get("sha256"));
  auto reader = client.stub->DownloadAttachment(&context, req);
  std::ofstream file(flags.Get("out"), std::ios::binary);
  bdtx::v1::AttachmentChunk chunk;
  int64_t received = 0;
  while (reader->Read(&chunk)) {
    file << chunk.data();
    received += static_cast<int64_t>(chunk.data().size());
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return Fail(bdtx::FromGrpcStatus(status));
  std::printf("wrote %s (%lld bytes)\n", flags.Get("out").c_str(),
              static_cast<long long>(received));
  return 0;
}

}  // namespace

const CommandGroup& PlansCommands() {
  static const CommandGroup group = {
      "plans",
      DefineFlags,
      {{"create", "--as people/ID --year Y --module M [--kind plan|report] [--not-deployed true]",
        Create},
       {"get", "--document D [--version V] --as ...",
        Unary<Plans>("plans", &Plans::Stub::GetDocument,
                     FromFlags<bdtx::v1::GetSupportDocumentRequest>({"name=document", "version"}))},
       {"versions", "--document D --as ...",
        Unary<Plans>("plans", &Plans::Stub::ListVersions,
                     FromFlags<bdtx::v1::ListVersionsRequest>({"name=document"}))},
       {"update", "--document D --file content.json --mask rows,header.position --as ...",
        Unary<Plans>("plans", &Plans::Stub::UpdateDocument, UpdateRequest)},
       {"refresh", "--document D --as ...",
        Unary<Plans>(
            "plans", &Plans::Stub::RefreshReportCounts,
            FromFlags<bdtx::v1::RefreshReportCountsRequest>({"name=document", "request_id"}))},
       {"submit", "--document D [--version V] --as ...",
        Unary<Plans>("plans", &Plans::Stub::SubmitDocument,
                     FromFlags<bdtx::v1::SubmitSupportDocumentRequest>(
                         {"name=document", "expected_version=version", "request_id"}))},
       {"render", "--document D [--version V] [--out F.html] --as ...", Render},
       {"upload", "--document D --file scan.pdf --as ...", Upload},
       {"download", "--document D --sha256 H --out F --as ...", Download},
       {"list", "--unit units/ID|--author people/ID [--year Y --module M] --as ...",
        Unary<Plans>("plans", &Plans::Stub::ListDocuments, ListRequest)},
       {"eligibility", "--author people/ID|--unit units/ID --year Y --as ...", Eligibility}}};
  return group;
}

}  // namespace bdtx::ctl
