// bdtxctl approvals: the approval chain of a plan or report, one verb per command.
#include "bdtx/v1/approvals.grpc.pb.h"
#include "common/crypto/sha256.h"
#include "services/bdtxctl/cli.h"

namespace bdtx::ctl {
namespace {

using bdtx::v1::Approvals;

void DefineFlags(Flags& flags) {
  bdtx::server::DefineServiceAddressFlags(flags, {"approvals"});
  flags.Define("document", "", "document name, documents/{author}-{year}-m{module}-{plan|report}");
  flags.Define("content_sha256", "", "sha256 of the submitted content");
  flags.Define("content_file", "", "file whose sha256 is submitted");
  flags.Define("not_deployed", "false", "submit a 'Chưa triển khai' report");
  flags.Define("reason", "", "reason of a return");
  flags.Define("comment", "", "lecturer's comment");
  flags.Define("method", "online", "sign-off method: online or scanned");
  flags.Define("evidence_sha256", "", "sha256 of the scanned, signed and stamped document");
  flags.Define("evidence_ref", "", "where the scan is stored");
  flags.Define("evidence_receipt", "",
               "the receipt `plans upload` printed for the scan (needed for --method scanned)");
  flags.Define("request_id", "", "idempotency key of the command");
}

bdtx::v1::SubmitRequest SubmitRequest(const Flags& flags) {
  bdtx::v1::SubmitRequest req;
  req.set_document(flags.Get("document"));
  std::string hash = flags.Get("content_sha256");
  if (hash.empty() && !flags.Get("content_file").empty()) {
    hash = bdtx::Sha256Hex(ReadFileOrEmpty(flags.Get("content_file")));
  }
  req.set_content_sha256(hash);
  req.set_not_deployed(flags.Get("not_deployed") == "true");
  req.set_request_id(flags.Get("request_id"));
  return req;
}

bdtx::v1::SignOffRequest SignOffRequest(const Flags& flags) {
  bdtx::v1::SignOffRequest req;
  req.set_document(flags.Get("document"));
  req.set_method(flags.Get("method") == "scanned" ? bdtx::v1::SCANNED : bdtx::v1::ONLINE);
  req.set_evidence_sha256(flags.Get("evidence_sha256"));
  req.set_evidence_reference(flags.Get("evidence_ref"));
  req.set_evidence_receipt(flags.Get("evidence_receipt"));
  req.set_request_id(flags.Get("request_id"));
  return req;
}

bdtx::v1::ListInboxRequest InboxRequest(const Flags&) {
  bdtx::v1::ListInboxRequest req;
  req.set_page_size(100);
  return req;
}

// Exit code 3 when the chain is broken, so scripts can tell it from a failed call.
int Verify(const Flags& flags) {
  auto token = TokenAs(flags);
  if (!token.ok()) return Fail(token.status());
  Client<Approvals> client = Connect<Approvals>(flags, "approvals", *token);
  grpc::ClientContext context;
  Authorize(context, client.token);
  bdtx::v1::VerifyChainRequest req;
  req.set_document(flags.Get("document"));
  bdtx::v1::VerifyChainResponse chain;
  grpc::Status status = client.stub->VerifyChain(&context, req, &chain);
  if (!status.ok()) return Fail(bdtx::FromGrpcStatus(status));
  std::printf("%s\n", Json(chain).c_str());
  return chain.intact() ? 0 : 3;
}

}  // namespace

const CommandGroup& ApprovalsCommands() {
  static const CommandGroup group = {
      "approvals",
      DefineFlags,
      {{"submit",
        "--as people/ID --document D [--content-file F | --content-sha256 H]\n"
        "      [--not-deployed true] [--request-id ID]",
        Unary<Approvals>("approvals", &Approvals::Stub::Submit, SubmitRequest)},
       {"approve", "--as people/ID --document D [--comment C] [--request-id ID]",
        Unary<Approvals>(
            "approvals", &Approvals::Stub::Approve,
            FromFlags<bdtx::v1::ApproveRequest>({"document", "comment", "request_id"}))},
       {"return", "--as people/ID --document D --reason R [--request-id ID]",
        Unary<Approvals>("approvals", &Approvals::Stub::Return,
                         FromFlags<bdtx::v1::ReturnRequest>({"document", "reason", "request_id"}))},
       {"sign-off",
        "--as people/ID --document D [--method online|scanned --evidence-sha256 H\n"
        "      --evidence-ref REF --evidence-receipt R] [--request-id ID]",
        Unary<Approvals>("approvals", &Approvals::Stub::SignOff, SignOffRequest)},
       {"get", "--as people/ID --document D",
        Unary<Approvals>("approvals", &Approvals::Stub::GetDocument,
                         FromFlags<bdtx::v1::GetDocumentRequest>({"name=document"}))},
       {"history", "--as people/ID --document D",
        Unary<Approvals>("approvals", &Approvals::Stub::ListHistory,
                         FromFlags<bdtx::v1::ListHistoryRequest>({"document"}))},
       {"verify", "--as people/ID --document D   (exit 3: the hash chain is broken)", Verify},
       {"inbox", "--as people/ID",
        Unary<Approvals>("approvals", &Approvals::Stub::ListInbox, InboxRequest)}}};
  return group;
}

}  // namespace bdtx::ctl
