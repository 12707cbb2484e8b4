// bdtxctl support: peer-support questions and activities (ADR 020).
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bdtx/v1/support.grpc.pb.h"
#include "services/bdtxctl/cli.h"

namespace bdtx::ctl {
namespace {

using bdtx::v1::Support;

void DefineFlags(Flags& flags) {
  bdtx::server::DefineServiceAddressFlags(flags, {"support"});
  flags.Define("request_id", "", "idempotency key of the command");
  flags.Define("question", "", "question name, questions/{id}");
  flags.Define("text", "", "text of a question, answer, escalation note or follow-up");
  flags.Define("channel", "", "where a question was asked: lms_forum, chat, email, in_person");
  flags.Define("view", "", "questions: asked_by_me, assigned_to_me, supported_by_me");
  flags.Define("reason", "", "why an operator reads a question (audit)");
  flags.Define("row", "", "support activity row: 2.1, 2.2 or 2.3");
  flags.Define("date", "", "day of a support activity, YYYY-MM-DD");
  flags.Define("form", "", "form of a support activity (Sinh hoạt chuyên môn, Dự giờ, ...)");
  flags.Define("participants", "", "comma-separated people/ID of an activity");
  flags.Define("learner", "", "people/{id}: the asker, or the core member counted");
  flags.Define("unit", "", "the unit of statistics (units/ID)");
  flags.Define("children", "false", "statistics per child unit");
  flags.Define("year", "0", "year");
  flags.Define("module", "0", "module (1..9)");
}

bdtx::v1::AskQuestionRequest AskRequest(const Flags& flags) {
  bdtx::v1::AskQuestionRequest req;
  req.set_request_id(flags.Get("request_id"));
  req.set_asker(flags.Get("learner"));
  req.set_year(IntFlag(flags, "year"));
  req.set_module(IntFlag(flags, "module"));
  bdtx::v1::SupportChannel channel = bdtx::v1::SUPPORT_CHANNEL_UNSPECIFIED;
  bdtx::v1::SupportChannel_Parse(
      absl::StrCat("SUPPORT_CHANNEL_", absl::AsciiStrToUpper(flags.Get("channel"))), &channel);
  req.set_channel(channel);
  req.set_text(flags.Get("text"));
  return req;
}

bdtx::v1::ListQuestionsRequest ListRequest(const Flags& flags) {
  bdtx::v1::ListQuestionsRequest req;
  bdtx::v1::QuestionView view = bdtx::v1::ASSIGNED_TO_ME;
  if (!flags.Get("view").empty()) {
    bdtx::v1::QuestionView_Parse(absl::AsciiStrToUpper(flags.Get("view")), &view);
  }
  req.set_view(view);
  req.set_year(IntFlag(flags, "year"));
  req.set_module(IntFlag(flags, "module"));
  return req;
}

absl::StatusOr<bdtx::v1::LogActivityRequest> LogRequest(const Flags& flags) {
  bdtx::v1::LogActivityRequest req;
  req.set_request_id(flags.Get("request_id"));
  req.set_year(IntFlag(flags, "year"));
  req.set_module(IntFlag(flags, "module"));
  const std::string row = flags.Get("row");
  req.set_row(row == "2.1"   ? bdtx::v1::SUPPORT_ROW_LMS
              : row == "2.2" ? bdtx::v1::SUPPORT_ROW_ONLINE
              : row == "2.3" ? bdtx::v1::SUPPORT_ROW_IN_PERSON
                             : bdtx::v1::SUPPORT_ROW_UNSPECIFIED);
  auto date = ParseDay("date", flags.Get("date"));
  if (!date.ok()) return date.status();
  *req.mutable_date() = *date;
  req.set_form(flags.Get("form"));
  req.set_description(flags.Get("text"));
  for (absl::string_view p : absl::StrSplit(flags.Get("participants"), ',', absl::SkipEmpty())) {
    req.add_participants(std::string(p));
  }
  return req;
}

}  // namespace

const CommandGroup& SupportCommands() {
  static const CommandGroup group = {
      "support",
      DefineFlags,
      {{"ask",
        "--year Y --module M --channel lms_forum|chat|email|in_person --text T\n"
        "      [--learner people/ASKER] --as ...",
        Unary<Support>("support", &Support::Stub::AskQuestion, AskRequest)},
       {"answer", "--question questions/ID --text T --as ...",
        Unary<Support>(
            "support", &Support::Stub::AnswerQuestion,
            FromFlags<bdtx::v1::AnswerQuestionRequest>({"request_id", "name=question", "text"}))},
       {"escalate", "--question questions/ID --text NOTE --as ...",
        Unary<Support>("support", &Support::Stub::EscalateQuestion,
                       FromFlags<bdtx::v1::EscalateQuestionRequest>(
                           {"request_id", "name=question", "note=text"}))},
       {"follow-up", "--question questions/ID --text T --as ...",
        Unary<Support>(
            "support", &Support::Stub::FollowUpQuestion,
            FromFlags<bdtx::v1::FollowUpQuestionRequest>({"request_id", "name=question", "text"}))},
       {"resolve", "--question questions/ID --as ...",
        Unary<Support>(
            "support", &Support::Stub::ResolveQuestion,
            FromFlags<bdtx::v1::ResolveQuestionRequest>({"request_id", "name=question"}))},
       {"get", "--question questions/ID [--reason R] --as ...",
        Unary<Support>(
            "support", &Support::Stub::GetQuestion,
            FromFlags<bdtx::v1::GetQuestionRequest>({"name=question", "audit_reason=reason"}))},
       {"list", "[--view assigned_to_me|asked_by_me|supported_by_me] --as ...",
        Unary<Support>("support", &Support::Stub::ListQuestions, ListRequest)},
       {"log",
        "--year Y --module M --row 2.1|2.2|2.3 --date YYYY-MM-DD --form F\n"
        "      [--participants people/A,people/B] [--text T] --as ...",
        Unary<Support>("support", &Support::Stub::LogActivity, LogRequest)},
       {"counts", "--learner people/CORE --year Y --module M --as ...",
        Unary<Support>("support", &Support::Stub::GetSupportReportCounts,
                       FromFlags<bdtx::v1::GetSupportReportCountsRequest>(
                           {"core_member=learner", "year", "module"}))},
       {"activities", "--learner people/CORE --year Y --module M --as ...",
        Unary<Support>(
            "support", &Support::Stub::ListActivities,
            FromFlags<bdtx::v1::ListActivitiesRequest>({"core_member=learner", "year", "module"}))},
       {"progress", "--learner people/CORE --year Y --module M --as ...   (plan vs done)",
        Unary<Support>("support", &Support::Stub::GetActivityProgress,
                       FromFlags<bdtx::v1::GetActivityProgressRequest>(
                           {"core_member=learner", "year", "module"}))},
       {"stats", "--unit units/ID --year Y [--module M --children true] --as ...",
        Unary<Support>("support", &Support::Stub::ListSupportStatistics,
                       FromFlags<bdtx::v1::ListSupportStatisticsRequest>(
                           {"unit", "year", "module", "children"}))}}};
  return group;
}

}  // namespace bdtx::ctl
