#include "services/grading/api/grading_service.h"

#include <limits>
#include <map>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/crypto/sha256.h"
#include "common/csv/csv.h"
#include "common/idempotency/idempotency.h"
#include "common/paging/page_token.h"
#include "common/server/event_stream.h"
#include "common/server/unary.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"
#include "grpcpp/grpcpp.h"

namespace bdtx::grading {
namespace {

using bdtx::v1::Role;

constexpr PageLimits kPageLimits{100, 1000};

Actor ActorOf(const auth::Subject& s) { return Actor{s.name, s.roles, s.unit}; }

bool IsOfficer(const auth::Subject& s) {
  for (Role r : {v1::PROVINCE_OFFICER, v1::PROVINCE_LEADER, v1::DISTRICT_OFFICER,
                 v1::DISTRICT_LEADER, v1::PRINCIPAL, v1::MINISTRY_OFFICER}) {
    if (s.HasRole(r)) return true;
  }
  return false;
}

absl::Status CheckName(absl::string_view name, absl::string_view prefix, absl::string_view field) {
  if (!absl::StartsWith(name, prefix) || name.size() == prefix.size() ||
      name.substr(prefix.size()).find('/') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " '", name, "' must look like ", prefix, "{id}"));
  }
  return absl::OkStatus();
}

const char* LmsText(v1::LmsResult r) {
  switch (r) {
    case v1::LMS_PASS:
      return "pass";
    case v1::LMS_FAIL:
      return "fail";
    case v1::LMS_RECOGNISED:
      return "recognised";
    default:
      return "";
  }
}

const char* VerdictText(v1::Verdict v) {
  return v == v1::PASS ? "Đạt" : v == v1::FAIL ? "Chưa đạt" : "";
}

}  // namespace

// ------------------------------------------------------------ enrolment facts

absl::StatusOr<ClassFacts> ClassFactsOf(DirectoryClient& directory, const std::string& class_name) {
  ClassFacts facts;
  ASSIGN_OR_RETURN(auto cls, directory.GetClass(class_name));
  facts.cls = std::move(cls);
  ASSIGN_OR_RETURN(facts.class_unit_ancestry, directory.Ancestry(facts.cls.unit()));
  ASSIGN_OR_RETURN(auto people,
                   directory.GetPeople({facts.cls.learners().begin(), facts.cls.learners().end()}));
  for (v1::Person& person : people) {
    auto units = directory.Ancestry(person.home_unit());  // cached: schools repeat
    if (!units.ok()) return units.status();
    facts.learners.push_back({std::move(person), *std::move(units)});
  }
  return facts;
}

// ------------------------------------------------------------ handlers

namespace {

absl::Status OutsideProvince(const auth::Subject& subject, const std::string& learner) {
  return absl::PermissionDeniedError(absl::StrCat(
      subject.name, " không được nhập kết quả LMS cho ", learner,
      ": người học không có trong danh bạ hoặc không thuộc tỉnh của bạn; không dòng nào "
      "được nhập"));
}

}  // namespace

template <typename Work>
grpc::ServerUnaryReactor* GradingService::OnWorker(grpc::CallbackServerContext* context,
                                                   Work work) {
  return server::OnWorker(context, workers_, "grading", std::move(work));
}

absl::Status GradingService::MayReadPerson(const auth::Subject& subject,
                                           const std::string& person) {
  if (subject.name == person || subject.IsService() || subject.HasRole(v1::SYSTEM_ADMIN) ||
      subject.HasRole(v1::MINISTRY_OFFICER)) {
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(auto p, directory_->GetPerson(person));
  ASSIGN_OR_RETURN(auto ancestry, directory_->Ancestry(p.home_unit()));
  return auth::Authorize(subject, auth::Action::kRead, {ancestry, person});
}

absl::Status GradingService::MayImportLmsFor(const auth::Subject& subject,
                                             const std::vector<v1::LmsRow>& rows) {
  if (subject.IsService() || subject.HasRole(v1::SYSTEM_ADMIN)) return absl::OkStatus();
  // A Sở imports results only for learners of its own province: each learner's home
  // unit must be inside it. A learner the directory does not know and one of another
  // province get the same answer, so the refusal tells nothing about other provinces.
  std::vector<std::string> learners;
  absl::flat_hash_set<std::string> seen;
  for (const v1::LmsRow& row : rows) {
    if (seen.insert(row.learner()).second) learners.push_back(row.learner());
  }
  auto people = directory_->GetPeople(learners);
  if (absl::IsNotFound(people.status())) {
    // Which one: asked one by one only on this error path.
    for (const std::string& learner : learners) {
      auto p = directory_->GetPerson(learner);
      if (absl::IsNotFound(p.status())) return OutsideProvince(subject, learner);
      if (!p.ok()) return p.status();
    }
  }
  if (!people.ok()) return people.status();
  for (const v1::Person& person : *people) {
    auto ancestry = directory_->Ancestry(person.home_unit());  // cached: schools repeat
    if (!ancestry.ok()) return ancestry.status();
    if (!auth::Authorize(subject, auth::Action::kManage, {*ancestry, ""}).ok()) {
      return OutsideProvince(subject, person.name());
    }
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* GradingService::EnrollClass(grpc::CallbackServerContext* context,
                                                      const v1::EnrollClassRequest* request,
                                                      v1::Run* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto subject = auth::SubjectFromContext(*context);
  if (!subject.ok()) return server::FinishWith(reactor, subject.status());
  if (auto s = CheckName(request->class_name(), "classes/", "class_name"); !s.ok())
    return server::FinishWith(reactor, s);
  workers_.Run([this, reactor, request, response, subject = *subject,
                actor = ActorOf(*subject)]() mutable {
    auto facts = ClassFactsOf(*directory_, request->class_name());
    if (!facts.ok()) {
      return reactor->Finish(ToGrpcStatus(Refusal(subject, request->class_name(), facts.status())));
    }
    store_->RunCommand(
        request->request_id(),
        idempotency::Bind(actor.person, "/bdtx.v1.Grading/EnrollClass", request->class_name(),
                          *request),
        actor.person, clock_->Now(),
        [&, facts = *std::move(facts)](GradingModel& model) {
          return model.DecideEnroll(actor, facts, request->start());
        },
        [this, reactor, response, subject,
         name = request->class_name()](absl::StatusOr<v1::Run> run) {
          if (run.ok()) *response = *std::move(run);
          FinishRefusing(reactor, subject, name, run.status());
        });
  });
  return reactor;
}

absl::StatusOr<bool> GradingService::IsLecturerOf(const auth::Subject& subject,
                                                  const std::string& core_member, int year,
                                                  int module) {
  if (!subject.HasRole(v1::PEDAGOGY_LECTURER) && !subject.HasRole(v1::MANAGEMENT_LECTURER)) {
    return false;
  }
  auto group = directory_->GetSupportGroup(core_member, year, module);
  if (absl::IsNotFound(group.status())) return false;
  if (!group.ok()) return group.status();
  return group->lecturer() == subject.name;
}

absl::Status GradingService::MayReadRun(const auth::Subject& subject, const v1::Run& run) {
  if (std::find(run.graders().begin(), run.graders().end(), subject.name) != run.graders().end()) {
    return absl::OkStatus();
  }
  // Admins, services, the ministry, and officers/leaders of the unit running the class
  // or above it (a principal when the class is run by their school).
  if (!run.unit().empty()) {
    auto ancestry = directory_->Ancestry(run.unit());
    if (!ancestry.ok() && !absl::IsNotFound(ancestry.status())) return ancestry.status();
    if (ancestry.ok() && auth::Authorize(subject, auth::Action::kRead, {*ancestry, ""}).ok()) {
      return absl::OkStatus();
    }
  } else if (auth::Authorize(subject, auth::Action::kRead, {}).ok()) {
    return absl::OkStatus();  // admins, services, the ministry
  }
  // The lecturer assigned (directory) to one of the class's core members.
  for (const std::string& grader : run.graders()) {
    ASSIGN_OR_RETURN(bool lecturer, IsLecturerOf(subject, grader, run.year(), run.module()));
    if (lecturer) return absl::OkStatus();
  }
  return auth::NotVisible(subject, run.class_name());
}

grpc::ServerUnaryReactor* GradingService::GetRun(grpc::CallbackServerContext* context,
                                                 const v1::GetRunRequest* request,
                                                 v1::Run* response) {
  auto subject = auth::SubjectFromContext(*context);
  return OnWorker(context, [this, subject, request, response]() -> absl::Status {
    if (!subject.ok()) return subject.status();
    auto run = store_->Read([&](const GradingModel& m) { return m.GetRun(request->class_name()); });
    if (!run.ok()) {
      // Only who may read everything learns that a class has no run.
      if (absl::IsNotFound(run.status()) && !auth::MayLearnAbsence(*subject, "")) {
        return auth::NotVisible(*subject, request->class_name());
      }
      return run.status();
    }
    if (absl::Status may = MayReadRun(*subject, *run); !may.ok()) {
      if (absl::IsPermissionDenied(may)) return auth::NotVisible(*subject, request->class_name());
      return may;
    }
    *response = *std::move(run);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* GradingService::SubmitAssignment(
    grpc::CallbackServerContext* context, const v1::SubmitAssignmentRequest* request,
    v1::Assignment* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto subject = auth::SubjectFromContext(*context);
  if (!subject.ok()) return server::FinishWith(reactor, subject.status());
  const std::string learner = request->learner().empty() ? subject->name : request->learner();
  if (auto s = CheckName(request->class_name(), "classes/", "class_name"); !s.ok()) {
    return server::FinishWith(reactor, s);
  }
  const absl::Time now = clock_->Now();
  const std::string assignment = AssignmentName(request->class_name(), learner);
  store_->AssignmentCommand(
      request->request_id(),
      idempotency::Bind(subject->name, "/bdtx.v1.Grading/SubmitAssignment", assignment, *request),
      assignment, subject->name, now,
      [&, actor = ActorOf(*subject)](GradingModel& m) {
        return m.DecideSubmit(actor, request->class_name(), learner, request->file_ref(),
                              request->sha256(), now);
      },
      [this, reactor, response, subject = *subject, assignment](absl::StatusOr<v1::Assignment> a) {
        if (a.ok()) *response = *std::move(a);
        FinishRefusing(reactor, subject, assignment, a.status());
      });
  return reactor;
}

grpc::ServerUnaryReactor* GradingService::Grade(grpc::CallbackServerContext* context,
                                                const v1::GradeRequest* request,
                                                v1::Assignment* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto subject = auth::SubjectFromContext(*context);
  if (!subject.ok()) return server::FinishWith(reactor, subject.status());
  const absl::Time now = clock_->Now();
  store_->AssignmentCommand(
      request->request_id(),
      idempotency::Bind(subject->name, "/bdtx.v1.Grading/Grade", request->assignment(), *request),
      request->assignment(), subject->name, now,
      [&, actor = ActorOf(*subject)](GradingModel& m) {
        return m.DecideGrade(actor, *request, now);
      },
      [this, reactor, response, subject = *subject,
       name = request->assignment()](absl::StatusOr<v1::Assignment> a) {
        if (a.ok()) *response = *std::move(a);
        FinishRefusing(reactor, subject, name, a.status());
      });
  return reactor;
}

grpc::ServerUnaryReactor* GradingService::GrantExtension(grpc::CallbackServerContext* context,
                                                         const v1::GrantExtensionRequest* request,
                                                         v1::Run* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto subject = auth::SubjectFromContext(*context);
  if (!subject.ok()) return server::FinishWith(reactor, subject.status());
  store_->RunCommand(
      request->request_id(),
      idempotency::Bind(subject->name, "/bdtx.v1.Grading/GrantExtension", request->class_name(),
                        *request),
      subject->name, clock_->Now(),
      [&, actor = ActorOf(*subject)](GradingModel& m) {
        return m.DecideExtension(actor, *request);
      },
      [this, reactor, response, subject = *subject,
       name = request->class_name()](absl::StatusOr<v1::Run> run) {
        if (run.ok()) *response = *std::move(run);
        FinishRefusing(reactor, subject, name, run.status());
      });
  return reactor;
}

grpc::ServerUnaryReactor* GradingService::Review(grpc::CallbackServerContext* context,
                                                 const v1::ReviewRequest* request,
                                                 v1::Assignment* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto subject = auth::SubjectFromContext(*context);
  if (!subject.ok()) return server::FinishWith(reactor, subject.status());
  workers_.Run([this, reactor, request, response, subject = *subject,
                actor = ActorOf(*subject)]() mutable {
    auto grader =
        store_->Read([&](const GradingModel& m) { return m.GraderOf(request->assignment()); });
    if (!grader.ok()) {
      return reactor->Finish(
          ToGrpcStatus(Refusal(subject, request->assignment(), grader.status())));
    }
    auto assignment = store_->GetAssignment(request->assignment());
    if (!assignment.ok()) {
      return reactor->Finish(
          ToGrpcStatus(Refusal(subject, request->assignment(), assignment.status())));
    }
    auto group = directory_->GetSupportGroup(*grader, assignment->year(), assignment->module());
    std::string lecturer;
    if (group.ok()) {
      lecturer = group->lecturer();
    } else if (!absl::IsNotFound(group.status())) {
      return reactor->Finish(ToGrpcStatus(group.status()));
    }
    store_->AssignmentCommand(
        request->request_id(),
        idempotency::Bind(actor.person, "/bdtx.v1.Grading/Review", request->assignment(), *request),
        request->assignment(), actor.person, clock_->Now(),
        [&, lecturer](GradingModel& m) {
          return m.DecideReview(actor, request->assignment(), request->comment(), lecturer);
        },
        [this, reactor, response, subject,
         name = request->assignment()](absl::StatusOr<v1::Assignment> a) {
          if (a.ok()) *response = *std::move(a);
          FinishRefusing(reactor, subject, name, a.status());
        });
  });
  return reactor;
}

absl::Status GradingService::MayReadAssignment(const auth::Subject& subject,
                                               const v1::Assignment& a, const std::string& name) {
  auto run = store_->Read([&](const GradingModel& m) { return m.GetRun(a.class_name()); });
  if (!run.ok()) return run.status();
  const bool grader =
      std::find(run->graders().begin(), run->graders().end(), subject.name) != run->graders().end();
  // A lecturer reads the assignments graded by the core members assigned to them (the
  // ones they review: 3 per core member, docs/grading.md), and any they reviewed.
  bool lecturer = std::any_of(a.reviews().begin(), a.reviews().end(),
                              [&](const v1::Review& r) { return r.lecturer() == subject.name; });
  if (!lecturer && !grader) {
    auto graded_by = store_->Read([&](const GradingModel& m) { return m.GraderOf(name); });
    if (graded_by.ok()) {
      absl::StatusOr<bool> assigned = IsLecturerOf(subject, *graded_by, a.year(), a.module());
      if (!assigned.ok()) return assigned.status();
      lecturer = *assigned;
    }
  }
  if (!grader && !lecturer) {
    absl::Status may = MayReadPerson(subject, a.learner());
    // One refusal whether the learner exists or not, without the learner's unit; a
    // directory that cannot answer is still reported as such.
    if (absl::IsPermissionDenied(may) || absl::IsNotFound(may)) {
      return auth::NotVisible(subject, name);
    }
    if (!may.ok()) return may;
  }
  return absl::OkStatus();
}

absl::Status GradingService::Refusal(const auth::Subject& subject, const std::string& resource,
                                     absl::Status status) {
  if (!absl::IsPermissionDenied(status) && !absl::IsNotFound(status)) return status;
  if (auth::MayLearnAbsence(subject, "")) return status;  // admins, services, the ministry
  absl::Status may;
  if (absl::StrContains(resource, "/assignments/")) {
    auto a = store_->GetAssignment(resource);
    const bool own = absl::EndsWith(
        resource, absl::StrCat("/assignments/", absl::StripPrefix(subject.name, "people/")));
    // A learner may learn why their own (first) submission was refused.
    may = a.ok() ? MayReadAssignment(subject, *a, resource) : own ? absl::OkStatus() : a.status();
  } else {
    auto run = store_->Read([&](const GradingModel& m) { return m.GetRun(resource); });
    may = run.ok() ? MayReadRun(subject, *run) : run.status();
  }
  if (may.ok()) return status;
  if (absl::IsPermissionDenied(may) || absl::IsNotFound(may)) {
    return auth::NotVisible(subject, resource);
  }
  return may;  // the store or the directory cannot answer: say so, not "refused"
}

void GradingService::FinishRefusing(grpc::ServerUnaryReactor* reactor, const auth::Subject& subject,
                                    std::string resource, absl::Status status) {
  if (!absl::IsPermissionDenied(status) && !absl::IsNotFound(status)) {
    reactor->Finish(ToGrpcStatus(status));
    return;
  }
  workers_.Run([this, reactor, subject, resource = std::move(resource), status]() {
    reactor->Finish(ToGrpcStatus(Refusal(subject, resource, status)));
  });
}

grpc::ServerUnaryReactor* GradingService::GetAssignment(grpc::CallbackServerContext* context,
                                                        const v1::GetAssignmentRequest* request,
                                                        v1::Assignment* response) {
  auto subject = auth::SubjectFromContext(*context);
  return OnWorker(context, [this, subject, request, response]() -> absl::Status {
    if (!subject.ok()) return subject.status();
    auto a = store_->GetAssignment(request->name());
    if (!a.ok()) return Refusal(*subject, request->name(), a.status());
    if (absl::Status may = MayReadAssignment(*subject, *a, request->name()); !may.ok()) {
      return may;
    }
    *response = *std::move(a);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* GradingService::ImportLmsResults(
    grpc::CallbackServerContext* context, const v1::ImportLmsResultsRequest* request,
    v1::ImportLmsResultsResponse* response) {
  auto subject = auth::SubjectFromContext(*context);
  return OnWorker(context, [this, subject, request, response]() -> absl::Status {
    if (!subject.ok()) return subject.status();
    if (!subject->IsService() && !subject->HasRole(v1::SYSTEM_ADMIN) &&
        !subject->HasRole(v1::PROVINCE_OFFICER) && !subject->HasRole(v1::PROVINCE_LEADER)) {
      return absl::PermissionDeniedError(absl::StrCat(
          subject->name, " may not import LMS results: the Sở, admins and services do"));
    }
    ASSIGN_OR_RETURN(auto rows,
                     ParseLmsResults(request->format(), request->file_name(), request->content()));
    RETURN_IF_ERROR(MayImportLmsFor(*subject, rows));
    const std::string sha = Sha256Hex(request->content());
    if (request->validate_only()) {
      response->set_rows(static_cast<int32_t>(rows.size()));
      response->set_sha256(sha);
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(
        auto out, store_->ImportLms(rows, request->file_name(), sha, subject->name, clock_->Now()));
    *response = std::move(out);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* GradingService::GetCompletion(grpc::CallbackServerContext* context,
                                                        const v1::GetCompletionRequest* request,
                                                        v1::GetCompletionResponse* response) {
  auto subject = auth::SubjectFromContext(*context);
  return OnWorker(context, [this, subject, request, response]() -> absl::Status {
    if (!subject.ok()) return subject.status();
    const std::string learner = request->learner().empty() ? subject->name : request->learner();
    if (auto s = CheckName(learner, "people/", "learner"); !s.ok()) return s;
    if (auto s = MayReadPerson(*subject, learner); !s.ok()) return s;
    ASSIGN_OR_RETURN(auto c, store_->Read([&](const GradingModel& m) {
      return m.Completion(learner, request->year());
    }));
    *response = std::move(c);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* GradingService::ListStatistics(grpc::CallbackServerContext* context,
                                                         const v1::ListStatisticsRequest* request,
                                                         v1::ListStatisticsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto subject = auth::SubjectFromContext(*context);
  if (!subject.ok()) return server::FinishWith(reactor, subject.status());
  const std::string& unit = request->unit();
  const bool is_class = absl::StartsWith(unit, "classes/");
  if (!is_class) {
    if (auto s = CheckName(unit, "units/", "unit"); !s.ok()) return server::FinishWith(reactor, s);
  }
  // A negative page_size is the default here (unlike support's AIP-158 refusal): kept as
  // it was. The token is an offset this service returned (bounded: no overflow).
  auto page =
      ParseOffsetPage(std::max(0, request->page_size()), request->page_token(), kPageLimits);
  if (!page.ok()) return server::FinishWith(reactor, page.status());
  const int offset = page->offset, page_size = page->size;
  absl::Status status = store_->Read([&](const GradingModel& m) -> absl::Status {
    // Where the unit sits, for authorization: a class by the unit running it.
    std::string anchor = unit;
    if (is_class) {
      auto run = m.GetRun(unit);
      // No oracle: only who may read everything learns that a class has no run.
      if (absl::IsNotFound(run.status()) && !auth::MayLearnAbsence(*subject, "")) {
        return auth::NotVisible(*subject, unit);
      }
      if (!run.ok()) return run.status();
      anchor = run->unit();
    }
    std::vector<std::string> scope = m.Ancestry(anchor);
    scope.push_back(anchor);
    if (!subject->IsService() && !subject->HasRole(v1::SYSTEM_ADMIN) &&
        !subject->HasRole(v1::MINISTRY_OFFICER)) {
      if (!IsOfficer(*subject) ||
          !(std::find(scope.begin(), scope.end(), subject->unit) != scope.end())) {
        if (!is_class) {
          return absl::PermissionDeniedError(
              absl::StrCat(subject->name, " may not see statistics of ", unit,
                           ": officers and leaders of that unit or above, the ministry, admins"));
        }
        auto run = m.GetRun(unit);
        if (std::find(run->graders().begin(), run->graders().end(), subject->name) ==
            run->graders().end()) {
          // The refusal a class without a run gets: a stranger learns neither.
          return auth::NotVisible(*subject, unit);
        }
      }
    }
    std::vector<std::string> units;
    if (request->children()) {
      units = m.ChildUnits(unit);
    } else {
      units.push_back(unit);
    }
    for (int i = offset; i < static_cast<int>(units.size()) && i < offset + page_size; ++i) {
      *response->add_statistics() = m.Statistics(units[i], request->year(), request->module());
    }
    if (offset + page_size < static_cast<int>(units.size())) {
      response->set_next_page_token(OffsetPageToken(offset + page_size));
    }
    return absl::OkStatus();
  });
  return server::FinishWith(reactor, status);
}

grpc::ServerUnaryReactor* GradingService::GetSupportCounts(grpc::CallbackServerContext* context,
                                                           const v1::SupportCountsRequest* request,
                                                           v1::SupportCountsResponse* response) {
  auto subject = auth::SubjectFromContext(*context);
  return OnWorker(context, [this, subject, request, response]() -> absl::Status {
    if (!subject.ok()) return subject.status();
    if (auto s = CheckName(request->core_member(), "people/", "core_member"); !s.ok()) return s;
    ASSIGN_OR_RETURN(auto group, directory_->GetSupportGroup(request->core_member(),
                                                             request->year(), request->module()));
    if (subject->name != group.lecturer()) {
      if (auto s = MayReadPerson(*subject, request->core_member()); !s.ok()) return s;
    }
    std::vector<std::string> colleagues(group.colleagues().begin(), group.colleagues().end());
    *response = store_->Read([&](const GradingModel& m) {
      return m.SupportCounts(colleagues, request->year(), request->module());
    });
    return absl::OkStatus();
  });
}

absl::StatusOr<std::string> GradingService::Export(const v1::ExportRecognitionRequest& request,
                                                   int* rows) {
  const std::vector<std::string> runs = store_->Read([&](const GradingModel& m) {
    return m.RunsIn(request.province(), request.year(), request.module());
  });
  std::string out;
  if (request.format() == v1::TEMIS_SUMMARY) {
    // One row per school and module (docs/grading.md "TEMIS summary").
    struct Row {
      int64_t enrolled = 0, submitted = 0, graded = 0, passed = 0, completed = 0, answers = 0,
              positive = 0;
    };
    std::map<std::tuple<std::string, int, int>, Row> table;  // (school, semester, module)
    std::map<std::string, std::string> district;
    for (const std::string& cls : runs) {
      auto [run, outcomes] = store_->Read([&](const GradingModel& m) {
        auto r = m.GetRun(cls);
        auto o = m.Outcomes(cls);
        for (const auto& x : o) {
          auto a = m.Ancestry(x.school);
          district[x.school] = a.empty() ? "" : a[0];
        }
        return std::pair{*r, o};
      });
      const int semester = run.start().month() >= 8 ? 1 : 2;
      if (request.semester() != 0 && request.semester() != semester) continue;
      for (const auto& o : outcomes) {
        Row& r = table[{o.school, semester, run.module()}];
        ++r.enrolled;
        r.submitted += o.submitted;
        r.graded += o.grade != v1::VERDICT_UNSPECIFIED;
        r.passed += o.grade == v1::PASS;
        r.completed += o.completed;
        r.answers += o.feedback != v1::FEEDBACK_UNSPECIFIED;
        r.positive += o.feedback == v1::POSITIVE;
      }
    }
    out =
        "province_id,district_id,school_id,year,semester,module,enrolled,submitted,graded,passed,"
        "completed,completed_percent,positive_feedback_percent\n";
    for (const auto& [key, r] : table) {
      const auto& [school, semester, module] = key;
      absl::StrAppend(&out, IdOf(request.province()), ",", IdOf(district[school]), ",",
                      IdOf(school), ",", request.year(), ",", semester, ",", module, ",",
                      r.enrolled, ",", r.submitted, ",", r.graded, ",", r.passed, ",", r.completed,
                      ",", absl::StrFormat("%.1f", 100.0 * r.completed / r.enrolled), ",",
                      r.answers ? absl::StrFormat("%.1f", 100.0 * r.positive / r.answers) : "",
                      "\n");
      ++*rows;
    }
    return out;
  }
  out =
      "province_id,year,module,class_id,class_name,learner_id,learner_code,full_name,school_id,"
      "lms_result,grade\n";
  for (const std::string& cls : runs) {
    ASSIGN_OR_RETURN(auto enrolment, store_->GetEnrolment(cls));
    std::map<std::string, const v1::EnrolledLearner*> by_person;
    for (const auto& l : enrolment.learners()) by_person[l.person()] = &l;
    auto outcomes = store_->Read([&](const GradingModel& m) { return m.Outcomes(cls); });
    for (const auto& o : outcomes) {
      if (!o.completed) continue;
      const v1::EnrolledLearner* l = by_person[o.person];
      absl::StrAppend(
          &out, IdOf(request.province()), ",", enrolment.year(), ",", enrolment.module(), ",",
          IdOf(cls), ",", csv::CsvField(enrolment.display_name()), ",", IdOf(o.person), ",",
          csv::CsvField(l ? l->code() : ""), ",", csv::CsvField(l ? l->display_name() : ""), ",",
          IdOf(o.school), ",", LmsText(o.lms), ",", VerdictText(o.grade), "\n");
      ++*rows;
    }
  }
  return out;
}

grpc::ServerUnaryReactor* GradingService::ExportRecognition(
    grpc::CallbackServerContext* context, const v1::ExportRecognitionRequest* request,
    v1::ExportRecognitionResponse* response) {
  auto subject = auth::SubjectFromContext(*context);
  return OnWorker(context, [this, subject, request, response]() -> absl::Status {
    if (!subject.ok()) return subject.status();
    if (auto s = CheckName(request->province(), "units/", "province"); !s.ok()) return s;
    if (request->year() < 2000 || request->year() > 2100) {
      return absl::InvalidArgumentError("year must be 2000–2100");
    }
    if (request->format() != v1::RECOGNITION && request->format() != v1::TEMIS_SUMMARY) {
      return absl::InvalidArgumentError("format must be RECOGNITION or TEMIS_SUMMARY");
    }
    if (request->semester() < 0 || request->semester() > 2) {
      return absl::InvalidArgumentError("semester must be 0, 1 or 2");
    }
    const bool province_staff =
        (subject->HasRole(v1::PROVINCE_OFFICER) || subject->HasRole(v1::PROVINCE_LEADER)) &&
        subject->unit == request->province();
    if (!province_staff && !subject->IsService() && !subject->HasRole(v1::SYSTEM_ADMIN) &&
        !subject->HasRole(v1::MINISTRY_OFFICER)) {
      return absl::PermissionDeniedError(absl::StrCat(subject->name, " may not export ",
                                                      request->province(),
                                                      ": its Sở, the ministry and admins do"));
    }
    int rows = 0;
    ASSIGN_OR_RETURN(auto csv, Export(*request, &rows));
    response->set_content(std::move(csv));
    response->set_rows(rows);
    return absl::OkStatus();
  });
}

grpc::ServerWriteReactor<v1::StoredGradingEvent>* GradingService::SubscribeEvents(
    grpc::CallbackServerContext* context, const v1::SubscribeGradingEventsRequest* request) {
  return server::ServeEventStream<v1::StoredGradingEvent>(*context, store_->events(),
                                                          request->from_position());
}

}  // namespace bdtx::grading
