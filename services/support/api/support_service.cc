#include "services/support/api/support_service.h"

#include <algorithm>
#include <limits>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/clock/vietnam_calendar.h"
#include "common/crypto/sha256.h"
#include "common/idempotency/idempotency.h"
#include "common/names/document_name.h"
#include "common/paging/page_token.h"
#include "common/server/event_stream.h"
#include "common/server/unary.h"
#include "common/status/error_info.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"
#include "grpcpp/grpcpp.h"
#include "services/support/domain/activity_progress.h"

namespace bdtx::support {
namespace {

namespace v1 = ::bdtx::v1;

// Full RPC names: what a request_id is bound to (common/idempotency).
constexpr char kAskQuestion[] = "/bdtx.v1.Support/AskQuestion";
constexpr char kGetQuestion[] = "/bdtx.v1.Support/GetQuestion";
constexpr char kAnswerQuestion[] = "/bdtx.v1.Support/AnswerQuestion";
constexpr char kEscalateQuestion[] = "/bdtx.v1.Support/EscalateQuestion";
constexpr char kResolveQuestion[] = "/bdtx.v1.Support/ResolveQuestion";
constexpr char kFollowUpQuestion[] = "/bdtx.v1.Support/FollowUpQuestion";
constexpr char kLogActivity[] = "/bdtx.v1.Support/LogActivity";

constexpr PageLimits kPageLimits{50, 500};

absl::Status CheckName(absl::string_view name, absl::string_view prefix, absl::string_view field) {
  if (!absl::StartsWith(name, prefix) || name.size() == prefix.size() || name.size() > 200 ||
      name.substr(prefix.size()).find('/') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " '", name.substr(0, 200), "' must look like ", prefix, "{id}"));
  }
  return absl::OkStatus();
}

absl::Status CheckYearModule(int year, int module, bool module_optional) {
  if (year < 2000 || year > 2100) return absl::InvalidArgumentError("year must be 2000–2100");
  if ((module_optional && module == 0)) return absl::OkStatus();
  if (module < 1 || module > 99) return absl::InvalidArgumentError("module must be 1–99");
  return absl::OkStatus();
}

// A fresh id: derived from the caller and request_id when there is one (a retry that
// races its first attempt lands on the same stream and loses cleanly), else random.
std::string NewId(const std::string& caller, const std::string& method,
                  const std::string& request_id) {
  if (!request_id.empty()) {
    return Sha256Hex(absl::StrCat(caller, "\n", method, "\n", request_id)).substr(0, 20);
  }
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return absl::StrCat(absl::Hex(rng(), absl::kZeroPad16), absl::Hex(rng() & 0xffff));
}

bool IsUnitOfficer(const auth::Subject& s) {
  for (v1::Role r : {v1::PRINCIPAL, v1::DISTRICT_OFFICER, v1::DISTRICT_LEADER, v1::PROVINCE_OFFICER,
                     v1::PROVINCE_LEADER}) {
    if (s.HasRole(r)) return true;
  }
  return false;
}

bool IsOfficer(const auth::Subject& s) {
  return IsUnitOfficer(s) || s.HasRole(v1::MINISTRY_OFFICER);
}

// The same words for "no such question" and "not yours": a stranger cannot probe which
// questions exist.
absl::Status NotReadable(const std::string& who, const std::string& question) {
  return WithErrorInfo(absl::PermissionDeniedError(absl::StrCat(
                           who, " may not see ", question,
                           " (or it does not exist): questions are seen by their asker, the "
                           "core member and, once escalated, the lecturer")),
                       "NOT_A_PARTICIPANT");
}

template <typename T>
auto FinishWith(grpc::ServerUnaryReactor* reactor, T* response) {
  return [reactor, response](absl::StatusOr<T> r) {
    if (r.ok()) *response = *std::move(r);
    reactor->Finish(ToGrpcStatus(r.status()));
  };
}

}  // namespace

// ------------------------------------------------------------ questions

grpc::ServerUnaryReactor* SupportService::AskQuestion(grpc::CallbackServerContext* context,
                                                      const v1::AskQuestionRequest* request,
                                                      v1::Question* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto subject = auth::SubjectFromContext(*context);
  if (!subject.ok()) return server::FinishWith(reactor, subject.status());
  const std::string asker = request->asker().empty() ? subject->name : request->asker();
  absl::Status valid = CheckName(asker, "people/", "asker");
  if (valid.ok()) valid = CheckYearModule(request->year(), request->module(), false);
  if (!valid.ok()) return server::FinishWith(reactor, valid);
  workers_.Run([this, reactor, request, response, asker, caller = subject->name]() {
    AskerFacts facts;
    facts.asker = asker;
    auto group = directory_->SupporterOf(asker, request->year(), request->module());
    if (group.ok()) {
      facts.core_member = group->core_member();
      facts.lecturer = group->lecturer();
    } else if (!absl::IsNotFound(group.status())) {
      return reactor->Finish(ToGrpcStatus(group.status()));
    }
    // Authorize before anything is looked up under the request_id.
    if (caller != asker && (facts.core_member.empty() || caller != facts.core_member)) {
      return reactor->Finish(ToGrpcStatus(WithErrorInfo(
          absl::PermissionDeniedError(
              absl::StrCat(caller, " may not ask on behalf of ", asker,
                           ": only the colleague, or their core member logging a question received "
                           "elsewhere")),
          "NOT_A_PARTICIPANT")));
    }
    auto person = directory_->GetPerson(asker);
    if (!person.ok()) return reactor->Finish(ToGrpcStatus(person.status()));
    auto ancestry = directory_->Ancestry(person->home_unit());
    if (!ancestry.ok()) return reactor->Finish(ToGrpcStatus(ancestry.status()));
    facts.unit_ancestry = *std::move(ancestry);
    RequestKey key{request->request_id(), idempotency::Bind(caller, kAskQuestion, asker, *request)};
    const std::string id = NewId(caller, key.binding.method, key.request_id);
    const absl::Time now = clock_->Now();
    store_->QuestionCommand(
        key, now,
        [&, facts = std::move(facts)](const SupportModel& m) {
          return m.DecideAsk(caller, id, facts, *request, now);
        },
        FinishWith(reactor, response));
  });
  return reactor;
}

grpc::ServerUnaryReactor* SupportService::GetQuestion(grpc::CallbackServerContext* context,
                                                      const v1::GetQuestionRequest* request,
                                                      v1::Question* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto subject = auth::SubjectFromContext(*context);
  if (!subject.ok()) return server::FinishWith(reactor, subject.status());
  if (auto s = CheckName(request->name(), "questions/", "name"); !s.ok()) {
    return server::FinishWith(reactor, s);
  }
  if (request->audit_reason().size() > kMaxTextBytes) {
    return reactor->Finish(ToGrpcStatus(absl::InvalidArgumentError("audit_reason is too long"))),
           reactor;
  }
  auto [readable, question, ancestry] = store_->Read([&](const SupportModel& m) {
    const bool ok = subject->IsService() || m.IsParticipant(subject->name, request->name());
    return std::tuple{ok, m.Get(request->name()), m.AskerAncestry(request->name())};
  });
  if (readable) {
    if (question.ok()) *response = *std::move(question);
    return server::FinishWith(reactor, question.status());
  }
  // Officers of the asker's unit chain see counts; they open one case only with a
  // reason, which the question's history records.
  const bool chain_officer =
      question.ok() && IsUnitOfficer(*subject) &&
      std::find(ancestry.begin(), ancestry.end(), subject->unit) != ancestry.end();
  if (!chain_officer)
    return server::FinishWith(reactor, NotReadable(subject->name, request->name()));
  if (request->audit_reason().empty()) {
    return reactor->Finish(ToGrpcStatus(WithErrorInfo(
               absl::PermissionDeniedError(absl::StrCat(
                   subject->name, " sees counts of questions under ", subject->unit, "; to open ",
                   request->name(), " give audit_reason (it is recorded)")),
               "AUDIT_REASON_REQUIRED"))),
           reactor;
  }
  const absl::Time now = clock_->Now();
  store_->QuestionCommand(
      RequestKey{"", idempotency::Binding{subject->name, kGetQuestion, request->name(), ""}}, now,
      [officer = subject->name, request](const SupportModel& m) {
        return m.DecideOpenCase(officer, request->name(), request->audit_reason());
      },
      FinishWith(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* SupportService::ListQuestions(grpc::CallbackServerContext* context,
                                                        const v1::ListQuestionsRequest* request,
                                                        v1::ListQuestionsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto subject = auth::SubjectFromContext(*context);
  if (!subject.ok()) return server::FinishWith(reactor, subject.status());
  if (!v1::QuestionView_IsValid(request->view()) ||
      request->view() == v1::QUESTION_VIEW_UNSPECIFIED) {
    return server::FinishWith(
        reactor,
        absl::InvalidArgumentError("view must be ASKED_BY_ME, ASSIGNED_TO_ME or SUPPORTED_BY_ME"));
  }
  if (!v1::QuestionState_IsValid(request->state())) {
    return server::FinishWith(reactor, absl::InvalidArgumentError("state is not a question state"));
  }
  if (request->year() != 0) {
    if (auto s = CheckYearModule(request->year(), request->module(), true); !s.ok()) {
      return server::FinishWith(reactor, s);
    }
  }
  auto page = ParseOffsetPage(request->page_size(), request->page_token(), kPageLimits);
  if (!page.ok()) return server::FinishWith(reactor, page.status());
  bool more = false;
  auto questions = store_->Read([&](const SupportModel& m) {
    return m.List(subject->name, request->view(), request->year(), request->module(),
                  request->state(), page->offset, page->size, &more);
  });
  for (auto& q : questions) *response->add_questions() = std::move(q);
  if (more) response->set_next_page_token(OffsetPageToken(page->end()));
  return server::FinishWith(reactor, absl::OkStatus());
}

template <typename Request, typename DecideFn>
grpc::ServerUnaryReactor* SupportService::QuestionCommand(grpc::CallbackServerContext* context,
                                                          const char* method,
                                                          const Request* request,
                                                          v1::Question* response, DecideFn decide) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto subject = auth::SubjectFromContext(*context);
  if (!subject.ok()) return server::FinishWith(reactor, subject.status());
  if (auto s = CheckName(request->name(), "questions/", "name"); !s.ok()) {
    return server::FinishWith(reactor, s);
  }
  // Authorize before the request_id is looked up: only the question's participants.
  const bool participant = store_->Read(
      [&](const SupportModel& m) { return m.IsParticipant(subject->name, request->name()); });
  if (!participant) {
    return server::FinishWith(reactor, NotReadable(subject->name, request->name()));
  }
  const absl::Time now = clock_->Now();
  store_->QuestionCommand(
      RequestKey{request->request_id(),
                 idempotency::Bind(subject->name, method, request->name(), *request)},
      now,
      [caller = subject->name, request, now, decide](const SupportModel& m) {
        return decide(m, caller, *request, now);
      },
      FinishWith(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* SupportService::AnswerQuestion(grpc::CallbackServerContext* context,
                                                         const v1::AnswerQuestionRequest* request,
                                                         v1::Question* response) {
  return QuestionCommand(
      context, kAnswerQuestion, request, response,
      [](const SupportModel& m, const std::string& caller, const v1::AnswerQuestionRequest& r,
         absl::Time now) { return m.DecideAnswer(caller, r, now); });
}

grpc::ServerUnaryReactor* SupportService::EscalateQuestion(
    grpc::CallbackServerContext* context, const v1::EscalateQuestionRequest* request,
    v1::Question* response) {
  return QuestionCommand(
      context, kEscalateQuestion, request, response,
      [](const SupportModel& m, const std::string& caller, const v1::EscalateQuestionRequest& r,
         absl::Time now) { return m.DecideEscalate(caller, r, now); });
}

grpc::ServerUnaryReactor* SupportService::ResolveQuestion(grpc::CallbackServerContext* context,
                                                          const v1::ResolveQuestionRequest* request,
                                                          v1::Question* response) {
  return QuestionCommand(
      context, kResolveQuestion, request, response,
      [](const SupportModel& m, const std::string& caller, const v1::ResolveQuestionRequest& r,
         absl::Time) { return m.DecideResolve(caller, r); });
}

grpc::ServerUnaryReactor* SupportService::FollowUpQuestion(
    grpc::CallbackServerContext* context, const v1::FollowUpQuestionRequest* request,
    v1::Question* response) {
  return QuestionCommand(
      context, kFollowUpQuestion, request, response,
      [](const SupportModel& m, const std::string& caller, const v1::FollowUpQuestionRequest& r,
         absl::Time now) { return m.DecideFollowUp(caller, r, now); });
}

// ------------------------------------------------------------ activities and counts

absl::Status SupportService::MayReadCoreMember(const auth::Subject& subject,
                                               const std::string& core_member, int year,
                                               int module) {
  if (subject.name == core_member || subject.IsService()) return absl::OkStatus();
  if (module != 0) {
    auto group = directory_->GetSupportGroup(core_member, year, module);
    if (group.ok() && group->lecturer() == subject.name) return absl::OkStatus();
    if (!group.ok() && !absl::IsNotFound(group.status())) return group.status();
  }
  ASSIGN_OR_RETURN(auto person, directory_->GetPerson(core_member));
  ASSIGN_OR_RETURN(auto ancestry, directory_->Ancestry(person.home_unit()));
  return auth::Authorize(subject, auth::Action::kRead, {ancestry, core_member});
}

grpc::ServerUnaryReactor* SupportService::LogActivity(grpc::CallbackServerContext* context,
                                                      const v1::LogActivityRequest* request,
                                                      v1::SupportActivity* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto subject = auth::SubjectFromContext(*context);
  if (!subject.ok()) return server::FinishWith(reactor, subject.status());
  const std::string core = request->core_member().empty() ? subject->name : request->core_member();
  absl::Status valid = CheckName(core, "people/", "core_member");
  if (valid.ok()) valid = CheckYearModule(request->year(), request->module(), false);
  if (valid.ok() && core != subject->name) {
    valid = WithErrorInfo(
        absl::PermissionDeniedError(absl::StrCat(subject->name, " may not log activities of ", core,
                                                 ": core members log their own")),
        "NOT_THE_CORE_MEMBER");
  }
  if (!valid.ok()) return server::FinishWith(reactor, valid);
  workers_.Run([this, reactor, request, response, core]() {
    auto group = directory_->GetSupportGroup(core, request->year(), request->module());
    if (absl::IsNotFound(group.status())) {
      return reactor->Finish(ToGrpcStatus(WithErrorInfo(
          absl::FailedPreconditionError(absl::StrCat(
              core, " has no support group in ", request->year(), " module ", request->module())),
          "NO_SUPPORT_GROUP")));
    }
    if (!group.ok()) return reactor->Finish(ToGrpcStatus(group.status()));
    auto person = directory_->GetPerson(core);
    if (!person.ok()) return reactor->Finish(ToGrpcStatus(person.status()));
    auto ancestry = directory_->Ancestry(person->home_unit());
    if (!ancestry.ok()) return reactor->Finish(ToGrpcStatus(ancestry.status()));
    RequestKey key{request->request_id(), idempotency::Bind(core, kLogActivity, core, *request)};
    const std::string id = NewId(core, key.binding.method, key.request_id);
    const absl::Time now = clock_->Now();
    store_->ActivityCommand(
        key, now,
        [&, group = *std::move(group), ancestry = *std::move(ancestry)](const SupportModel& m) {
          return m.DecideLogActivity(core, id, group, ancestry, *request, now);
        },
        FinishWith(reactor, response));
  });
  return reactor;
}

grpc::ServerUnaryReactor* SupportService::ListActivities(grpc::CallbackServerContext* context,
                                                         const v1::ListActivitiesRequest* request,
                                                         v1::ListActivitiesResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto subject = auth::SubjectFromContext(*context);
  if (!subject.ok()) return server::FinishWith(reactor, subject.status());
  workers_.Run([this, reactor, request, response, subject = *subject]() {
    const std::string core = request->core_member().empty() ? subject.name : request->core_member();
    absl::Status s = CheckName(core, "people/", "core_member");
    if (s.ok()) s = CheckYearModule(request->year(), request->module(), true);
    auto page = ParseOffsetPage(request->page_size(), request->page_token(), kPageLimits);
    if (s.ok()) s = page.status();
    if (s.ok()) s = MayReadCoreMember(subject, core, request->year(), request->module());
    if (!s.ok()) return reactor->Finish(ToGrpcStatus(s));
    bool more = false;
    auto list = store_->Read([&](const SupportModel& m) {
      return m.Activities(core, request->year(), request->module(), page->offset, page->size,
                          &more);
    });
    for (auto& a : list) *response->add_activities() = std::move(a);
    if (more) response->set_next_page_token(OffsetPageToken(page->end()));
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* SupportService::GetSupportReportCounts(
    grpc::CallbackServerContext* context, const v1::GetSupportReportCountsRequest* request,
    v1::SupportReportCounts* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto subject = auth::SubjectFromContext(*context);
  if (!subject.ok()) return server::FinishWith(reactor, subject.status());
  workers_.Run([this, reactor, request, response, subject = *subject]() {
    absl::Status s = CheckName(request->core_member(), "people/", "core_member");
    if (s.ok()) s = CheckYearModule(request->year(), request->module(), false);
    if (s.ok()) {
      s = MayReadCoreMember(subject, request->core_member(), request->year(), request->module());
    }
    if (!s.ok()) return reactor->Finish(ToGrpcStatus(s));
    auto group =
        directory_->GetSupportGroup(request->core_member(), request->year(), request->module());
    if (!group.ok()) return reactor->Finish(ToGrpcStatus(group.status()));
    const std::vector<std::string> colleagues(group->colleagues().begin(),
                                              group->colleagues().end());
    *response = store_->Read([&](const SupportModel& m) {
      return m.ReportCounts(request->core_member(), request->year(), request->module(), colleagues);
    });
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

absl::StatusOr<v1::SupportDocument> SupportService::PlanOf(const std::string& core_member, int year,
                                                           int module) {
  if (plans_ == nullptr || token_ == nullptr) {
    return absl::UnavailableError(
        "support was started without plans (--plans): the plan cannot be read");
  }
  auto token = token_->Get();
  if (!token.ok()) return token.status();
  v1::GetSupportDocumentRequest req;
  req.set_name(DocumentKey{core_member, v1::PLAN, year, module}.Name());
  v1::SupportDocument latest;
  if (absl::Status s = clients::InvokeWithToken(plans_, &v1::Plans::StubInterface::GetDocument,
                                                *token, "plans", req, &latest);
      !s.ok()) {
    return s;
  }
  // What the approval chain saw, when it was submitted: later drafts are not the plan yet.
  if (latest.submitted_version() <= 0 || latest.submitted_version() == latest.version()) {
    return latest;
  }
  req.set_version(latest.submitted_version());
  v1::SupportDocument submitted;
  if (absl::Status s = clients::InvokeWithToken(plans_, &v1::Plans::StubInterface::GetDocument,
                                                *token, "plans", req, &submitted);
      !s.ok()) {
    return s;
  }
  submitted.set_approval_state(latest.approval_state());
  return submitted;
}

grpc::ServerUnaryReactor* SupportService::GetActivityProgress(
    grpc::CallbackServerContext* context, const v1::GetActivityProgressRequest* request,
    v1::ActivityProgress* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto subject = auth::SubjectFromContext(*context);
  if (!subject.ok()) return reactor->Finish(ToGrpcStatus(subject.status())), reactor;
  workers_.Run([this, reactor, request, response, subject = *subject]() {
    absl::Status s = CheckName(request->core_member(), "people/", "core_member");
    if (s.ok()) s = CheckYearModule(request->year(), request->module(), false);
    // Authorize before plans is asked anything.
    if (s.ok()) {
      s = MayReadCoreMember(subject, request->core_member(), request->year(), request->module());
    }
    if (!s.ok()) return reactor->Finish(ToGrpcStatus(s));
    auto plan = PlanOf(request->core_member(), request->year(), request->module());
    if (!plan.ok() && !absl::IsNotFound(plan.status())) {
      return reactor->Finish(ToGrpcStatus(plan.status()));
    }
    bool more = false;
    const auto activities = store_->Read([&](const SupportModel& m) {
      return m.Activities(request->core_member(), request->year(), request->module(), 0,
                          std::numeric_limits<int>::max(), &more);
    });
    v1::ActivityProgress out;
    out.set_core_member(request->core_member());
    out.set_year(request->year());
    out.set_module(request->module());
    if (plan.ok()) {
      out.set_plan(plan->content().name());
      out.set_plan_version(plan->version());
      out.set_plan_state(plan->approval_state());
    }
    CompareWithPlan(plan.ok() ? &plan->content() : nullptr, activities, VietnamDay(clock_->Now()),
                    out);
    *response = std::move(out);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* SupportService::ListSupportStatistics(
    grpc::CallbackServerContext* context, const v1::ListSupportStatisticsRequest* request,
    v1::ListSupportStatisticsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto subject = auth::SubjectFromContext(*context);
  if (!subject.ok()) return server::FinishWith(reactor, subject.status());
  workers_.Run([this, reactor, request, response, subject = *subject]() {
    absl::Status s = CheckName(request->unit(), "units/", "unit");
    if (s.ok()) s = CheckYearModule(request->year(), request->module(), true);
    auto page = ParseOffsetPage(request->page_size(), request->page_token(), kPageLimits);
    if (s.ok()) s = page.status();
    if (s.ok() && !subject.IsService() && !subject.HasRole(v1::SYSTEM_ADMIN) &&
        !subject.HasRole(v1::MINISTRY_OFFICER)) {
      auto ancestry = directory_->Ancestry(request->unit());
      if (!ancestry.ok()) {
        s = ancestry.status();
      } else if (!IsOfficer(subject) ||
                 std::find(ancestry->begin(), ancestry->end(), subject.unit) == ancestry->end()) {
        s = absl::PermissionDeniedError(
            absl::StrCat(subject.name, " may not see support statistics of ", request->unit(),
                         ": officers and leaders of that unit or above, the ministry, admins"));
      }
    }
    if (!s.ok()) return reactor->Finish(ToGrpcStatus(s));
    const absl::Time now = clock_->Now();
    store_->Read([&](const SupportModel& m) {
      std::vector<std::string> units = request->children()
                                           ? m.ChildUnits(request->unit())
                                           : std::vector<std::string>{request->unit()};
      const int end = std::min<int>(units.size(), page->end());
      for (int i = page->offset; i < end; ++i) {
        *response->add_statistics() =
            m.Statistics(units[i], request->year(), request->module(), now);
      }
      if (end < static_cast<int>(units.size())) {
        response->set_next_page_token(absl::StrCat(end));
      }
      return 0;
    });
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerWriteReactor<v1::StoredSupportEvent>* SupportService::SubscribeEvents(
    grpc::CallbackServerContext* context, const v1::SubscribeSupportEventsRequest* request) {
  return server::ServeEventStream<v1::StoredSupportEvent>(*context, store_->events(),
                                                          request->from_position());
}

}  // namespace bdtx::support
