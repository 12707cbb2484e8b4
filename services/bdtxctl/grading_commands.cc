// bdtxctl grading: module runs, assignments, LMS imports, statistics and exports.
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bdtx/v1/grading.grpc.pb.h"
#include "common/crypto/sha256.h"
#include "services/bdtxctl/cli.h"

namespace bdtx::ctl {
namespace {

using bdtx::v1::Grading;

void DefineFlags(Flags& flags) {
  bdtx::server::DefineServiceAddressFlags(flags, {"grading"});
  flags.Define("class", "", "class name, classes/{id}");
  flags.Define("start", "", "first day of a module run, YYYY-MM-DD");
  flags.Define("deadline", "", "new grading deadline, YYYY-MM-DD");
  flags.Define("assignment", "", "classes/{id}/assignments/{learner id}");
  flags.Define("learner", "", "people/{id}");
  flags.Define("file", "", "submitted file, or the LMS results to import");
  flags.Define("file_ref", "", "where a submitted file is stored");
  flags.Define("sha256", "", "sha256 of a submitted file");
  flags.Define("verdict", "", "pass (Đạt) or fail (Chưa đạt)");
  flags.Define("score", "", "optional score 0-10");
  flags.Define("comment", "", "lecturer's comment");
  flags.Define("reason", "", "reason of an extension");
  flags.Define("request_id", "", "idempotency key of the command");
  flags.Define("format", "csv", "csv|json for LMS imports; recognition|temis for exports");
  flags.Define("validate_only", "false", "check an LMS import without applying it");
  flags.Define("unit", "", "the unit (units/ID) or class (classes/ID) of statistics");
  flags.Define("year", "0", "year");
  flags.Define("module", "0", "module (1..9)");
}

absl::StatusOr<bdtx::v1::EnrollClassRequest> EnrollRequest(const Flags& flags) {
  bdtx::v1::EnrollClassRequest req;
  req.set_class_name(flags.Get("class"));
  auto start = ParseDay("start", flags.Get("start"));
  if (!start.ok()) return start.status();
  *req.mutable_start() = *start;
  req.set_request_id(flags.Get("request_id"));
  return req;
}

absl::StatusOr<bdtx::v1::GrantExtensionRequest> ExtendRequest(const Flags& flags) {
  bdtx::v1::GrantExtensionRequest req;
  req.set_class_name(flags.Get("class"));
  auto deadline = ParseDay("deadline", flags.Get("deadline"));
  if (!deadline.ok()) return deadline.status();
  *req.mutable_deadline() = *deadline;
  req.set_reason(flags.Get("reason"));
  req.set_request_id(flags.Get("request_id"));
  return req;
}

bdtx::v1::SubmitAssignmentRequest SubmitRequest(const Flags& flags) {
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
  return req;
}

absl::StatusOr<bdtx::v1::GradeRequest> GradeRequest(const Flags& flags) {
  bdtx::v1::GradeRequest req;
  req.set_assignment(flags.Get("assignment"));
  const std::string v = flags.Get("verdict");
  req.set_verdict(v == "pass"   ? bdtx::v1::PASS
                  : v == "fail" ? bdtx::v1::FAIL
                                : bdtx::v1::VERDICT_UNSPECIFIED);
  double score = 0;
  if (!flags.Get("score").empty()) {
    if (!absl::SimpleAtod(flags.Get("score"), &score)) {
      return absl::InvalidArgumentError("--score must be a number 0-10");
    }
    req.set_has_score(true);
    req.set_score(score);
  }
  req.set_comment(flags.Get("comment"));
  req.set_request_id(flags.Get("request_id"));
  return req;
}

absl::StatusOr<bdtx::v1::ImportLmsResultsRequest> ImportLmsRequest(const Flags& flags) {
  bdtx::v1::ImportLmsResultsRequest req;
  req.set_format(flags.Get("format") == "json" ? bdtx::v1::JSON : bdtx::v1::CSV);
  req.set_file_name(flags.Get("file"));
  std::ifstream probe(flags.Get("file"));
  if (!probe) {
    return absl::NotFoundError(absl::StrCat("cannot read --file '", flags.Get("file"), "'"));
  }
  req.set_content(ReadFileOrEmpty(flags.Get("file")));
  req.set_validate_only(flags.Get("validate_only") == "true");
  return req;
}

// The export is a file (CSV or TEMIS summary): its bytes go to stdout as they are.
int Export(const Flags& flags) {
  auto token = TokenAs(flags);
  if (!token.ok()) return Fail(token.status());
  Client<Grading> client = Connect<Grading>(flags, "grading", *token);
  grpc::ClientContext context;
  Authorize(context, client.token);
  bdtx::v1::ExportRecognitionRequest req;
  req.set_province(flags.Get("unit"));
  req.set_year(IntFlag(flags, "year"));
  req.set_module(IntFlag(flags, "module"));
  req.set_format(flags.Get("format") == "temis" ? bdtx::v1::TEMIS_SUMMARY : bdtx::v1::RECOGNITION);
  bdtx::v1::ExportRecognitionResponse resp;
  grpc::Status status = client.stub->ExportRecognition(&context, req, &resp);
  if (!status.ok()) return Fail(bdtx::FromGrpcStatus(status));
  std::fwrite(resp.content().data(), 1, resp.content().size(), stdout);
  return 0;
}

}  // namespace

const CommandGroup& GradingCommands() {
  static const CommandGroup group = {
      "grading",
      DefineFlags,
      {{"enroll", "--class classes/ID --start YYYY-MM-DD --as people/ID",
        Unary<Grading>("grading", &Grading::Stub::EnrollClass, EnrollRequest)},
       {"submit", "--class classes/ID --file F [--learner people/ID] --as ...",
        Unary<Grading>("grading", &Grading::Stub::SubmitAssignment, SubmitRequest)},
       {"grade",
        "--assignment classes/ID/assignments/LID --verdict pass|fail\n"
        "      [--score S --comment C] --as ...",
        Unary<Grading>("grading", &Grading::Stub::Grade, GradeRequest)},
       {"review", "--assignment A --comment C --as ...",
        Unary<Grading>(
            "grading", &Grading::Stub::Review,
            FromFlags<bdtx::v1::ReviewRequest>({"assignment", "comment", "request_id"}))},
       {"extend", "--class classes/ID --deadline YYYY-MM-DD --reason R --as ...",
        Unary<Grading>("grading", &Grading::Stub::GrantExtension, ExtendRequest)},
       {"import-lms", "--file F [--format csv|json] [--validate-only true] --as ...",
        Unary<Grading>("grading", &Grading::Stub::ImportLmsResults, ImportLmsRequest)},
       {"stats", "--unit units/ID|classes/ID [--year Y --module M] --as ...",
        Unary<Grading>("grading", &Grading::Stub::ListStatistics,
                       FromFlags<bdtx::v1::ListStatisticsRequest>({"unit", "year", "module"}))},
       {"completion", "--learner people/ID [--year Y] --as ...",
        Unary<Grading>("grading", &Grading::Stub::GetCompletion,
                       FromFlags<bdtx::v1::GetCompletionRequest>({"learner", "year"}))},
       {"export", "--unit units/SO --year Y [--format recognition|temis] --as ...", Export}}};
  return group;
}

}  // namespace bdtx::ctl
