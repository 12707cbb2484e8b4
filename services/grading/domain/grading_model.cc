#include "services/grading/domain/grading_model.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status/error_info.h"

namespace bdtx::grading {
namespace {

using bdtx::v1::Role;

bool IsSha256Hex(absl::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

absl::Status NotGraded(absl::string_view assignment) {
  return WithErrorInfo(absl::FailedPreconditionError(absl::StrCat(
                           assignment, " is not graded yet; a review comments on a grading")),
                       "NOT_GRADED", {});
}

uint32_t YearModule(int year, int module) {
  return (static_cast<uint32_t>(year) << 8) | static_cast<uint32_t>(module);
}

bool IsProvinceRole(const Actor& a) {
  return a.HasRole(v1::PROVINCE_OFFICER) || a.HasRole(v1::PROVINCE_LEADER);
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

absl::CivilDay ToCivil(const bdtx::v1::Date& d) {
  return absl::CivilDay(d.year(), d.month(), d.day());
}

bdtx::v1::Date FromCivil(absl::CivilDay day) {
  bdtx::v1::Date d;
  d.set_year(static_cast<int32_t>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

absl::StatusOr<absl::CivilDay> CheckDate(const bdtx::v1::Date& d, absl::string_view field) {
  const absl::CivilDay day = ToCivil(d);
  if (d.year() < kFirstCampaignYear || d.year() > kLastCampaignYear || day.year() != d.year() ||
      day.month() != d.month() || day.day() != d.day()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s %04d-%02d-%02d is not a calendar date in %d–%d", field, d.year(),
                        d.month(), d.day(), kFirstCampaignYear, kLastCampaignYear));
  }
  return day;
}

std::string FormatDate(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

std::string AssignmentName(absl::string_view class_name, absl::string_view learner) {
  return absl::StrCat(class_name, "/assignments/", IdOf(learner));
}

absl::Status ParseAssignmentName(absl::string_view name, std::string* class_name,
                                 std::string* learner) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 4 || parts[0] != "classes" || parts[2] != "assignments" || parts[1].empty() ||
      parts[3].empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "assignment '", name, "' must look like classes/{class id}/assignments/{learner id}"));
  }
  *class_name = absl::StrCat("classes/", parts[1]);
  *learner = absl::StrCat("people/", parts[3]);
  return absl::OkStatus();
}

bool Actor::HasRole(Role role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

bool Actor::IsAdminOrService() const {
  return HasRole(v1::SYSTEM_ADMIN) || absl::StartsWith(person, "services/");
}

void Counters::Add(const Counters& o, int sign) {
  enrolled += sign * o.enrolled;
  submitted += sign * o.submitted;
  graded += sign * o.graded;
  passed += sign * o.passed;
  lms_passed += sign * o.lms_passed;
  completed += sign * o.completed;
  quiz_done += sign * o.quiz_done;
  survey_done += sign * o.survey_done;
  feedback_answers += sign * o.feedback_answers;
  feedback_positive += sign * o.feedback_positive;
}

// ---------------------------------------------------------------- interning

int32_t GradingModel::Person(absl::string_view name) {
  auto [it, inserted] = person_ids_.try_emplace(name, static_cast<int32_t>(people_.size()));
  if (inserted) people_.emplace_back(name);
  return it->second;
}

int32_t GradingModel::FindPerson(absl::string_view name) const {
  auto it = person_ids_.find(name);
  return it == person_ids_.end() ? -1 : it->second;
}

int32_t GradingModel::Unit(absl::string_view name, int32_t parent) {
  auto [it, inserted] = unit_ids_.try_emplace(name, static_cast<int32_t>(units_.size()));
  if (inserted) {
    units_.emplace_back(name);
    unit_parent_.push_back(-1);
  }
  int32_t id = it->second;
  if (parent >= 0 && unit_parent_[id] != parent) {
    unit_parent_[id] = parent;
    auto& kids = unit_children_[parent];
    if (std::find(kids.begin(), kids.end(), id) == kids.end()) kids.push_back(id);
  }
  return id;
}

int32_t GradingModel::FindUnit(absl::string_view name) const {
  auto it = unit_ids_.find(name);
  return it == unit_ids_.end() ? -1 : it->second;
}

uint64_t GradingModel::SlotKey(int32_t run, int32_t learner) {
  return (static_cast<uint64_t>(run) << 32) | static_cast<uint32_t>(learner);
}

uint64_t GradingModel::LearnerKey(int32_t person, int year, int module) {
  return (static_cast<uint64_t>(person) << 24) | YearModule(year, module);
}

const GradingModel::RunState* GradingModel::FindRun(absl::string_view class_name) const {
  auto it = run_ids_.find(class_name);
  return it == run_ids_.end() ? nullptr : &runs_[it->second];
}

GradingModel::RunState* GradingModel::FindRun(absl::string_view class_name) {
  auto it = run_ids_.find(class_name);
  return it == run_ids_.end() ? nullptr : &runs_[it->second];
}

absl::StatusOr<std::pair<GradingModel::RunState*, GradingModel::Slot*>> GradingModel::FindSlot(
    absl::string_view assignment) {
  std::string class_name, learner;
  if (absl::Status s = ParseAssignmentName(assignment, &class_name, &learner); !s.ok()) return s;
  RunState* run = FindRun(class_name);
  if (run == nullptr) {
    return absl::NotFoundError(absl::StrCat(class_name, " is not enrolled in grading"));
  }
  auto it = run->learner_index.find(FindPerson(learner));
  if (it == run->learner_index.end()) {
    return absl::NotFoundError(absl::StrCat(learner, " is not a learner of ", class_name));
  }
  return std::pair{run, &run->slots[it->second]};
}

uint64_t GradingModel::Reserve(Slot* slot, int32_t run, int32_t learner) {
  slot->reserved = true;
  const uint64_t id = next_reservation_++;
  reservations_[id] = Reservation{run, learner, 0};
  return id;
}

void GradingModel::Release(uint64_t reservation) {
  auto it = reservations_.find(reservation);
  if (it == reservations_.end()) return;
  if (it->second.run >= 0) runs_[it->second.run].slots[it->second.learner].reserved = false;
  if (it->second.review_key != 0) quotas_[it->second.review_key].reserved = false;
  reservations_.erase(it);
}

// ---------------------------------------------------------------- decisions

absl::StatusOr<Decision> GradingModel::DecideEnroll(const Actor& actor, const ClassFacts& facts,
                                                    const bdtx::v1::Date& start) const {
  const v1::Class& cls = facts.cls;
  if (!actor.IsAdminOrService() &&
      !(IsProvinceRole(actor) && Contains(facts.class_unit_ancestry, actor.unit))) {
    return absl::PermissionDeniedError(absl::StrCat(
        actor.person, " may not enrol ", cls.name(),
        ": only the Sở running the class (PROVINCE_OFFICER/LEADER) or an admin enrols classes"));
  }
  absl::StatusOr<absl::CivilDay> first = CheckDate(start, "start");
  if (!first.ok()) return first.status();
  if (FindRun(cls.name()) != nullptr) {
    return WithErrorInfo(absl::AlreadyExistsError(absl::StrCat(cls.name(), " is already enrolled")),
                         "RUN_EXISTS", {{"class", cls.name()}});
  }
  if (cls.graders().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        cls.name(), " has no graders; import its grader assignments into the directory first"));
  }
  v1::RunEnrolled run;
  run.set_class_name(cls.name());
  run.set_display_name(cls.display_name());
  run.set_year(cls.year());
  run.set_module(cls.module());
  const absl::CivilDay end = *first + (kScheduleDays - 1);
  *run.mutable_start() = start;
  *run.mutable_end() = FromCivil(end);
  *run.mutable_grading_deadline() = FromCivil(end + kGradingWindowDays);
  for (const auto& u : facts.class_unit_ancestry) run.add_class_unit_ancestry(u);
  for (const auto& g : cls.graders()) run.add_graders(g);
  std::vector<std::string> violations;
  for (const auto& learner : facts.learners) {
    const v1::Person& p = learner.person;
    const bool core =
        std::find(p.roles().begin(), p.roles().end(), v1::CORE_TEACHER) != p.roles().end() ||
        std::find(p.roles().begin(), p.roles().end(), v1::CORE_MANAGER) != p.roles().end();
    if (core) {
      // Core members are trained centrally in the module (DOMAIN.md) and do not join
      // the mass course.
      run.add_skipped_core_members(p.name());
      continue;
    }
    std::vector<int> missing = MissingPrerequisites(p.name(), cls.module());
    if (!missing.empty()) {
      violations.push_back(absl::StrCat(p.name(), " has not completed module",
                                        missing.size() > 1 ? "s " : " ",
                                        absl::StrJoin(missing, ", ")));
      continue;
    }
    const int32_t pid = FindPerson(p.name());
    if (pid >= 0) {
      if (auto it = enrolment_.find(LearnerKey(pid, cls.year(), cls.module()));
          it != enrolment_.end()) {
        violations.push_back(absl::StrCat(p.name(), " is already enrolled in ",
                                          runs_[it->second.run].class_name, " for module ",
                                          cls.module(), " of ", cls.year()));
        continue;
      }
    }
    v1::EnrolledLearner* e = run.add_learners();
    e->set_person(p.name());
    e->set_display_name(p.display_name());
    e->set_code(p.code());
    for (const auto& u : learner.unit_ancestry) e->add_unit_ancestry(u);
  }
  if (!violations.empty()) {
    const size_t shown = std::min<size_t>(violations.size(), 20);
    std::string message =
        absl::StrCat("cannot enrol ", cls.name(), " (module ", cls.module(),
                     "): ", violations.size(), " learner(s) refused — ",
                     absl::StrJoin(violations.begin(), violations.begin() + shown, "; "),
                     violations.size() > shown ? "; ..." : "",
                     cls.module() == 4 || cls.module() == 5 || cls.module() == 9
                         ? ". Modules 1, 2 and 3 must be completed before 4, 5 and 9"
                         : "");
    return WithErrorInfo(absl::FailedPreconditionError(message), "ENROLMENT_REFUSED",
                         {{"class", cls.name()}, {"refused", absl::StrCat(violations.size())}});
  }
  Decision d;
  d.stream = absl::StrCat("runs/", IdOf(cls.name()));
  d.expected_version = 0;
  *d.event.mutable_run_enrolled() = std::move(run);
  return d;
}

absl::StatusOr<Decision> GradingModel::DecideSubmit(const Actor& actor,
                                                    const std::string& class_name,
                                                    const std::string& learner,
                                                    const std::string& file_ref,
                                                    const std::string& sha256, absl::Time now) {
  if (file_ref.empty() || file_ref.size() > 512) {
    return absl::InvalidArgumentError("file_ref must be 1–512 bytes (where the file is stored)");
  }
  if (!IsSha256Hex(sha256)) {
    return absl::InvalidArgumentError("sha256 must be 64 lowercase hex digits");
  }
  if (actor.person != learner && !actor.IsAdminOrService()) {
    return absl::PermissionDeniedError(
        absl::StrCat(actor.person, " may not submit the assignment of ", learner));
  }
  auto found = FindSlot(AssignmentName(class_name, learner));
  if (!found.ok()) return found.status();
  auto [run, slot] = *found;
  if (slot->verdict != v1::VERDICT_UNSPECIFIED) {
    return WithErrorInfo(absl::FailedPreconditionError(absl::StrCat(
                             "the assignment of ", learner, " in ", class_name,
                             " is already graded; a graded assignment is not resubmitted")),
                         "ALREADY_GRADED", {});
  }
  const absl::CivilDay today = absl::ToCivilDay(now, VietnamTime());
  if (today > run->deadline) {
    return WithErrorInfo(absl::FailedPreconditionError(absl::StrCat(
                             "submissions to ", class_name, " closed with its grading window on ",
                             FormatDate(run->deadline))),
                         "WINDOW_CLOSED", {{"deadline", FormatDate(run->deadline)}});
  }
  if (slot->reserved) {
    return absl::AbortedError("another change to this assignment is being saved; retry");
  }
  Decision d;
  d.stream = absl::StrCat("assignments/", IdOf(class_name), "/", IdOf(learner));
  d.expected_version = slot->version;
  d.event.mutable_assignment_submitted()->set_file_ref(file_ref);
  d.event.mutable_assignment_submitted()->set_sha256(sha256);
  d.reservation = Reserve(slot, run_ids_[class_name], run->learner_index[FindPerson(learner)]);
  return d;
}

absl::StatusOr<Decision> GradingModel::DecideGrade(const Actor& actor,
                                                   const bdtx::v1::GradeRequest& request,
                                                   absl::Time now) {
  if (request.verdict() != v1::PASS && request.verdict() != v1::FAIL) {
    return absl::InvalidArgumentError("verdict must be PASS (Đạt) or FAIL (Chưa đạt)");
  }
  if (request.has_score() && !(request.score() >= 0 && request.score() <= 10)) {
    return absl::InvalidArgumentError("score must be between 0 and 10");
  }
  if (request.comment().size() > 4000) {
    return absl::InvalidArgumentError("comment is longer than 4000 bytes");
  }
  auto found = FindSlot(request.assignment());
  if (!found.ok()) return found.status();
  auto [run, slot] = *found;
  const int32_t me = FindPerson(actor.person);
  if (me < 0 || std::find(run->graders.begin(), run->graders.end(), me) == run->graders.end()) {
    return WithErrorInfo(absl::PermissionDeniedError(absl::StrCat(
                             actor.person, " is not a grader of ", run->class_name,
                             "; only the reporters/assistants assigned to a class grade it")),
                         "NOT_CLASS_GRADER", {{"class", run->class_name}});
  }
  if (!slot->submitted) {
    return WithErrorInfo(absl::FailedPreconditionError(
                             absl::StrCat(request.assignment(), " has not been submitted yet")),
                         "NOT_SUBMITTED", {});
  }
  const absl::CivilDay today = absl::ToCivilDay(now, VietnamTime());
  if (today > run->deadline) {
    return WithErrorInfo(
        absl::FailedPreconditionError(absl::StrCat(
            "the grading window of ", run->class_name, " closed on ", FormatDate(run->deadline),
            run->extended
                ? " (extended deadline)"
                : absl::StrCat(" (", kGradingWindowDays, " days after the module ended on ",
                               FormatDate(run->end), ")"),
            "; grading now needs an extension from the Sở")),
        "WINDOW_CLOSED", {{"deadline", FormatDate(run->deadline)}});
  }
  if (request.expected_version() > 0 && request.expected_version() != slot->version) {
    return absl::AbortedError(absl::StrCat(request.assignment(), " is at version ", slot->version,
                                           ", the command expected version ",
                                           request.expected_version(), "; reload and retry"));
  }
  if (slot->reserved) {
    return absl::AbortedError("another change to this assignment is being saved; retry");
  }
  std::string class_name, learner;
  (void)ParseAssignmentName(request.assignment(), &class_name, &learner);
  Decision d;
  d.stream = absl::StrCat("assignments/", IdOf(class_name), "/", IdOf(learner));
  d.expected_version = slot->version;
  v1::AssignmentGraded* g = d.event.mutable_assignment_graded();
  g->set_grader(actor.person);
  g->set_verdict(request.verdict());
  g->set_has_score(request.has_score());
  if (request.has_score()) g->set_score(request.score());
  g->set_comment(request.comment());
  d.reservation = Reserve(slot, run_ids_[class_name], run->learner_index[FindPerson(learner)]);
  return d;
}

absl::StatusOr<Decision> GradingModel::DecideExtension(
    const Actor& actor, const bdtx::v1::GrantExtensionRequest& request) const {
  const RunState* run = FindRun(request.class_name());
  if (run == nullptr) {
    return absl::NotFoundError(absl::StrCat(request.class_name(), " is not enrolled in grading"));
  }
  const std::vector<std::string> ancestry = Ancestry(units_[run->class_unit]);
  if (!IsProvinceRole(actor) ||
      !(actor.unit == units_[run->class_unit] || Contains(ancestry, actor.unit))) {
    return WithErrorInfo(absl::PermissionDeniedError(absl::StrCat(
                             actor.person, " may not extend grading of ", run->class_name,
                             ": only the Sở (PROVINCE_OFFICER/LEADER) of its province does")),
                         "NOT_PROVINCE", {});
  }
  if (request.reason().empty()) {
    return absl::InvalidArgumentError("reason is required: say why grading needs more time");
  }
  absl::StatusOr<absl::CivilDay> day = CheckDate(request.deadline(), "deadline");
  if (!day.ok()) return day.status();
  if (*day <= run->deadline) {
    return absl::InvalidArgumentError(absl::StrCat("the new deadline ", FormatDate(*day),
                                                   " must be after the current one, ",
                                                   FormatDate(run->deadline)));
  }
  Decision d;
  d.stream = absl::StrCat("runs/", IdOf(run->class_name));
  d.expected_version = run->version;
  v1::ExtensionGranted* e = d.event.mutable_extension_granted();
  *e->mutable_deadline() = request.deadline();
  e->set_reason(request.reason());
  e->set_by(actor.person);
  return d;
}

absl::StatusOr<std::string> GradingModel::GraderOf(const std::string& assignment) const {
  auto found = const_cast<GradingModel*>(this)->FindSlot(assignment);
  if (!found.ok()) return found.status();
  if (found->second->grader < 0) {
    return NotGraded(assignment);
  }
  return people_[found->second->grader];
}

absl::StatusOr<Decision> GradingModel::DecideReview(const Actor& actor,
                                                    const std::string& assignment,
                                                    const std::string& comment,
                                                    const std::string& lecturer_of_grader) {
  auto found = FindSlot(assignment);
  if (!found.ok()) return found.status();
  auto [run, slot] = *found;
  if (slot->grader < 0) {
    return NotGraded(assignment);
  }
  const std::string& grader = people_[slot->grader];
  if (lecturer_of_grader.empty() || actor.person != lecturer_of_grader) {
    return WithErrorInfo(
        absl::PermissionDeniedError(absl::StrCat(
            actor.person, " is not the lecturer assigned to ", grader, " for module ", run->module,
            " of ", run->year, "; only that lecturer reviews their grading")),
        "NOT_GRADERS_LECTURER", {{"grader", grader}});
  }
  if (comment.empty() || comment.size() > 4000) {
    return absl::InvalidArgumentError("comment is required (at most 4000 bytes)");
  }
  const uint64_t quota_key = LearnerKey(slot->grader, run->year, run->module);
  const uint64_t slot_key =
      SlotKey(run_ids_[run->class_name], static_cast<int32_t>(slot - run->slots.data()));
  Quota& quota = quotas_[quota_key];
  if (quota.reserved || slot->reserved) {
    return absl::AbortedError("another review or grading of this assignment is being saved; retry");
  }
  if (!quota.assignments.contains(slot_key) &&
      static_cast<int>(quota.assignments.size()) >= kReviewsPerGrader) {
    return WithErrorInfo(absl::FailedPreconditionError(absl::StrCat(
                             "the lecturer has already commented on ", kReviewsPerGrader,
                             " assignments graded by ", grader, " in module ", run->module, " of ",
                             run->year, " (the limit per core member and module)")),
                         "REVIEW_LIMIT",
                         {{"grader", grader}, {"limit", absl::StrCat(kReviewsPerGrader)}});
  }
  Decision d;
  d.stream = absl::StrCat("reviews/", IdOf(grader), "/", run->year, "/", run->module);
  d.expected_version = quota.version;
  v1::GradingReviewed* r = d.event.mutable_grading_reviewed();
  r->set_assignment(assignment);
  r->set_lecturer(actor.person);
  r->set_comment(comment);
  d.reservation =
      Reserve(slot, run_ids_[run->class_name], static_cast<int32_t>(slot - run->slots.data()));
  reservations_[d.reservation].review_key = quota_key;
  quota.reserved = true;
  return d;
}

// ---------------------------------------------------------------- events

void GradingModel::Apply(absl::string_view stream, int64_t version, const GradingEvent& event) {
  std::vector<absl::string_view> parts = absl::StrSplit(stream, '/');
  switch (event.kind_case()) {
    case GradingEvent::kRunEnrolled: {
      const v1::RunEnrolled& e = event.run_enrolled();
      if (run_ids_.contains(e.class_name())) return;
      RunState run;
      run.class_name = e.class_name();
      run.year = e.year();
      run.module = e.module();
      run.start = ToCivil(e.start());
      run.end = ToCivil(e.end());
      run.deadline = ToCivil(e.grading_deadline());
      run.version = version;
      int32_t parent = -1;
      for (auto it = e.class_unit_ancestry().rbegin(); it != e.class_unit_ancestry().rend(); ++it) {
        parent = Unit(*it, parent);
      }
      run.class_unit = parent;
      for (const auto& g : e.graders()) run.graders.push_back(Person(g));
      for (const auto& l : e.learners()) {
        int32_t unit = -1;
        for (auto it = l.unit_ancestry().rbegin(); it != l.unit_ancestry().rend(); ++it) {
          unit = Unit(*it, unit);
        }
        const int32_t person = Person(l.person());
        run.learner_index[person] = static_cast<int32_t>(run.learners.size());
        run.learners.push_back(person);
        run.learner_unit.push_back(unit);
      }
      run.slots.resize(run.learners.size());
      run.skipped.assign(e.skipped_core_members().begin(), e.skipped_core_members().end());
      const int32_t run_id = static_cast<int32_t>(runs_.size());
      Unit(run.class_name, -1);  // classes count as units for class statistics
      run_ids_[run.class_name] = run_id;
      runs_.push_back(std::move(run));
      const RunState& r = runs_.back();
      for (int32_t i = 0; i < static_cast<int32_t>(r.learners.size()); ++i) {
        enrolment_[LearnerKey(r.learners[i], r.year, r.module)] = Where{run_id, i};
        Count(r, i, +1);
      }
      return;
    }
    case GradingEvent::kExtensionGranted: {
      if (parts.size() != 2) return;
      RunState* run = FindRun(absl::StrCat("classes/", parts[1]));
      if (run == nullptr) return;
      run->deadline = ToCivil(event.extension_granted().deadline());
      run->extended = true;
      run->version = version;
      return;
    }
    case GradingEvent::kAssignmentSubmitted:
    case GradingEvent::kAssignmentGraded: {
      if (parts.size() != 3) return;
      auto found = FindSlot(absl::StrCat("classes/", parts[1], "/assignments/", parts[2]));
      if (!found.ok()) return;
      auto [run, slot] = *found;
      const int32_t i = static_cast<int32_t>(slot - run->slots.data());
      Count(*run, i, -1);
      slot->version = version;
      if (event.has_assignment_submitted()) {
        slot->submitted = true;
      } else {
        slot->verdict = event.assignment_graded().verdict();
        slot->grader = Person(event.assignment_graded().grader());
      }
      Count(*run, i, +1);
      return;
    }
    case GradingEvent::kGradingReviewed: {
      auto found = FindSlot(event.grading_reviewed().assignment());
      if (!found.ok() || found->second->grader < 0) return;
      auto [run, slot] = *found;
      Quota& quota = quotas_[LearnerKey(slot->grader, run->year, run->module)];
      quota.version = version;
      quota.assignments.insert(
          SlotKey(run_ids_[run->class_name], static_cast<int32_t>(slot - run->slots.data())));
      return;
    }
    case GradingEvent::kLmsResultsImported: {
      for (const v1::LmsRow& row : event.lms_results_imported().rows()) {
        const int32_t person = Person(row.learner());
        const uint64_t key = LearnerKey(person, row.year(), row.module());
        auto where = enrolment_.find(key);
        if (where != enrolment_.end()) {
          Count(runs_[where->second.run], where->second.learner, -1);
        }
        Lms& lms = lms_[key];
        lms.result = row.result();
        lms.quiz = row.quiz_done();
        lms.survey = row.survey_done();
        lms.programme_survey = row.programme_survey_done();
        lms.feedback = row.feedback();
        if (where != enrolment_.end()) {
          Count(runs_[where->second.run], where->second.learner, +1);
        }
      }
      return;
    }
    case GradingEvent::KIND_NOT_SET:
      return;
  }
}

Counters GradingModel::Contribution(const RunState& run, int32_t i) const {
  Counters c;
  const Slot& slot = run.slots[i];
  c.enrolled = 1;
  c.submitted = slot.submitted;
  c.graded = slot.verdict != v1::VERDICT_UNSPECIFIED;
  c.passed = slot.verdict == v1::PASS;
  auto it = lms_.find(LearnerKey(run.learners[i], run.year, run.module));
  if (it != lms_.end()) {
    const Lms& l = it->second;
    c.lms_passed = l.result == v1::LMS_PASS || l.result == v1::LMS_RECOGNISED;
    c.quiz_done = l.quiz;
    c.survey_done = l.survey;
    c.feedback_answers = l.feedback != v1::FEEDBACK_UNSPECIFIED;
    c.feedback_positive = l.feedback == v1::POSITIVE;
  }
  c.completed = c.lms_passed && c.passed;
  return c;
}

void GradingModel::Count(const RunState& run, int32_t i, int sign) {
  const Counters c = Contribution(run, i);
  const uint32_t ym = YearModule(run.year, run.module);
  counters_[FindUnit(run.class_name)][ym].Add(c, sign);
  for (int32_t u = run.learner_unit[i]; u >= 0; u = unit_parent_[u]) {
    counters_[u][ym].Add(c, sign);
  }
}

// ---------------------------------------------------------------- queries

absl::StatusOr<bdtx::v1::Run> GradingModel::GetRun(absl::string_view class_name) const {
  const RunState* run = FindRun(class_name);
  if (run == nullptr) {
    return absl::NotFoundError(absl::StrCat(class_name, " is not enrolled in grading"));
  }
  v1::Run out;
  out.set_class_name(run->class_name);
  out.set_year(run->year);
  out.set_module(run->module);
  *out.mutable_start() = FromCivil(run->start);
  *out.mutable_end() = FromCivil(run->end);
  *out.mutable_grading_deadline() = FromCivil(run->deadline);
  out.set_extended(run->extended);
  out.set_learners(static_cast<int32_t>(run->learners.size()));
  for (int32_t g : run->graders) out.add_graders(people_[g]);
  for (const auto& s : run->skipped) out.add_skipped_core_members(s);
  if (run->class_unit >= 0) out.set_unit(units_[run->class_unit]);
  return out;
}

int64_t GradingModel::AssignmentVersion(absl::string_view assignment) const {
  auto found = const_cast<GradingModel*>(this)->FindSlot(assignment);
  return found.ok() ? found->second->version : 0;
}

bool GradingModel::HasLms(absl::string_view learner, int year, int module) const {
  const int32_t p = FindPerson(learner);
  return p >= 0 && lms_.contains(LearnerKey(p, year, module));
}

bool GradingModel::Completed(int32_t person, int module) const {
  for (int year = kFirstCampaignYear; year <= kLastCampaignYear; ++year) {
    const uint64_t key = LearnerKey(person, year, module);
    auto lms = lms_.find(key);
    if (lms == lms_.end()) continue;
    if (lms->second.result == v1::LMS_RECOGNISED) return true;
    if (lms->second.result != v1::LMS_PASS) continue;
    auto where = enrolment_.find(key);
    if (where != enrolment_.end() &&
        runs_[where->second.run].slots[where->second.learner].verdict == v1::PASS) {
      return true;
    }
  }
  return false;
}

std::vector<int> GradingModel::MissingPrerequisites(absl::string_view learner, int module) const {
  std::vector<int> missing;
  if (module != 4 && module != 5 && module != 9) return missing;
  const int32_t p = FindPerson(learner);
  for (int m : {1, 2, 3}) {
    if (p < 0 || !Completed(p, m)) missing.push_back(m);
  }
  return missing;
}

absl::StatusOr<bdtx::v1::GetCompletionResponse> GradingModel::Completion(absl::string_view learner,
                                                                         int year) const {
  v1::GetCompletionResponse out;
  out.set_learner(std::string(learner));
  const int32_t p = FindPerson(learner);
  if (p < 0) return out;
  for (int y = year ? year : kFirstCampaignYear; y <= (year ? year : kLastCampaignYear); ++y) {
    for (int m = 1; m <= 9; ++m) {
      const uint64_t key = LearnerKey(p, y, m);
      auto lms = lms_.find(key);
      auto where = enrolment_.find(key);
      if (lms == lms_.end() && where == enrolment_.end()) continue;
      v1::ModuleCompletion* mc = out.add_modules();
      mc->set_year(y);
      mc->set_module(m);
      if (lms != lms_.end()) mc->set_lms(lms->second.result);
      if (where != enrolment_.end()) {
        const RunState& run = runs_[where->second.run];
        mc->set_class_name(run.class_name);
        mc->set_grade(run.slots[where->second.learner].verdict);
      }
      const bool lms_ok = mc->lms() == v1::LMS_PASS || mc->lms() == v1::LMS_RECOGNISED;
      mc->set_completed(mc->lms() == v1::LMS_RECOGNISED || (lms_ok && mc->grade() == v1::PASS));
      if (!mc->completed()) {
        std::vector<std::string> why;
        if (!lms_ok) {
          why.push_back(mc->lms() == v1::LMS_FAIL ? "the LMS assessment is not passed"
                                                  : "no LMS result yet");
        }
        if (mc->grade() == v1::FAIL) why.push_back("the grader marked the assignment Chưa đạt");
        if (mc->grade() == v1::VERDICT_UNSPECIFIED) {
          why.push_back(where == enrolment_.end() ? "not enrolled in a class"
                                                  : "the final assignment is not graded yet");
        }
        mc->set_why_not(absl::StrJoin(why, "; "));
      }
    }
  }
  return out;
}

bdtx::v1::Statistics GradingModel::Statistics(absl::string_view unit, int year, int module) const {
  v1::Statistics out;
  out.set_unit(std::string(unit));
  out.set_year(year);
  out.set_module(module);
  Counters sum;
  if (auto it = counters_.find(FindUnit(unit)); it != counters_.end()) {
    for (const auto& [ym, c] : it->second) {
      if (year != 0 && static_cast<int>(ym >> 8) != year) continue;
      if (module != 0 && static_cast<int>(ym & 0xFF) != module) continue;
      sum.Add(c, +1);
    }
  }
  out.set_enrolled(sum.enrolled);
  out.set_submitted(sum.submitted);
  out.set_graded(sum.graded);
  out.set_passed(sum.passed);
  out.set_lms_passed(sum.lms_passed);
  out.set_completed(sum.completed);
  out.set_quiz_done(sum.quiz_done);
  out.set_survey_done(sum.survey_done);
  out.set_feedback_answers(sum.feedback_answers);
  out.set_feedback_positive(sum.feedback_positive);
  if (sum.enrolled > 0) {
    out.set_completed_share(static_cast<double>(sum.completed) / sum.enrolled);
  }
  if (sum.feedback_answers > 0) {
    out.set_positive_share(static_cast<double>(sum.feedback_positive) / sum.feedback_answers);
  }
  out.set_meets_completion_target(sum.enrolled > 0 && out.completed_share() > kCompletionTarget);
  out.set_meets_feedback_target(sum.feedback_answers > 0 && out.positive_share() > kFeedbackTarget);
  return out;
}

std::vector<std::string> GradingModel::ChildUnits(absl::string_view unit) const {
  std::vector<std::string> out;
  auto it = unit_children_.find(FindUnit(unit));
  if (it == unit_children_.end()) return out;
  for (int32_t c : it->second) out.push_back(units_[c]);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> GradingModel::Ancestry(absl::string_view unit) const {
  std::vector<std::string> out;
  const int32_t id = FindUnit(unit);
  if (id < 0) return out;
  for (int32_t u = unit_parent_[id]; u >= 0; u = unit_parent_[u]) out.push_back(units_[u]);
  return out;
}

std::vector<std::string> GradingModel::RunsIn(absl::string_view unit, int year, int module) const {
  std::vector<std::string> out;
  const int32_t target = FindUnit(unit);
  if (target < 0) return out;
  auto within = [&](int32_t u) {
    for (; u >= 0; u = unit_parent_[u]) {
      if (u == target) return true;
    }
    return false;
  };
  for (const RunState& run : runs_) {
    if ((year != 0 && run.year != year) || (module != 0 && run.module != module)) continue;
    bool in = within(run.class_unit);
    for (size_t i = 0; !in && i < run.learner_unit.size(); ++i) in = within(run.learner_unit[i]);
    if (in) out.push_back(run.class_name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<GradingModel::LearnerOutcome> GradingModel::Outcomes(
    absl::string_view class_name) const {
  std::vector<LearnerOutcome> out;
  const RunState* run = FindRun(class_name);
  if (run == nullptr) return out;
  for (size_t i = 0; i < run->learners.size(); ++i) {
    LearnerOutcome o;
    o.person = people_[run->learners[i]];
    o.grade = run->slots[i].verdict;
    if (auto it = lms_.find(LearnerKey(run->learners[i], run->year, run->module));
        it != lms_.end()) {
      o.lms = it->second.result;
      o.feedback = it->second.feedback;
    }
    o.submitted = run->slots[i].submitted;
    o.completed = Contribution(*run, static_cast<int32_t>(i)).completed > 0;
    o.school = run->learner_unit[i] >= 0 ? units_[run->learner_unit[i]] : "";
    out.push_back(std::move(o));
  }
  return out;
}

bdtx::v1::SupportCountsResponse GradingModel::SupportCounts(
    const std::vector<std::string>& colleagues, int year, int module) const {
  int64_t on_lms = 0, participated = 0, quiz = 0, graded = 0, submitted = 0, survey = 0,
          completed = 0, programme_survey = 0;
  for (const std::string& name : colleagues) {
    const int32_t p = FindPerson(name);
    if (p < 0) continue;
    const uint64_t key = LearnerKey(p, year, module);
    auto lms = lms_.find(key);
    auto where = enrolment_.find(key);
    const Slot* slot = where == enrolment_.end()
                           ? nullptr
                           : &runs_[where->second.run].slots[where->second.learner];
    if (lms != lms_.end()) {
      ++on_lms;
      const Lms& l = lms->second;
      if (l.quiz || l.survey || (slot && slot->submitted)) ++participated;
      quiz += l.quiz;
      if (slot && slot->verdict != v1::VERDICT_UNSPECIFIED) ++graded;
      if (slot && slot->submitted) survey += l.survey;
      const bool done = l.result == v1::LMS_RECOGNISED ||
                        (l.result == v1::LMS_PASS && slot && slot->verdict == v1::PASS);
      completed += done;
      if (done) programme_survey += l.programme_survey;
    }
    if (slot && slot->submitted) ++submitted;
  }
  v1::SupportCountsResponse out;
  const int64_t assigned = static_cast<int64_t>(colleagues.size());
  out.set_assigned(assigned);
  auto row = [&](const char* id, int64_t count, int64_t base, const char* meaning) {
    v1::RowCount* r = out.add_rows();
    r->set_row(id);
    r->set_count(count);
    r->set_base(base);
    r->set_base_meaning(meaning);
  };
  row("1.2", on_lms, assigned, "colleagues assigned by the Sở");
  row("2.1", participated, on_lms, "colleagues with LMS access");
  row("3.1", quiz, on_lms, "learners on the LMS");
  row("3.2", graded, on_lms, "learners on the LMS");
  row("4.1", survey, submitted, "learners who finished the final assignment");
  row("4.2", programme_survey, completed, "learners who finished the module");
  row("5.1", completed, participated, "participants");
  return out;
}

GradingModel::ClosingWindows GradingModel::WindowsClosingWithin(absl::Time now,
                                                                absl::Duration within) const {
  ClosingWindows out;
  for (const RunState& run : runs_) {
    // The window is open through its deadline day: it closes as the next day begins.
    const absl::Time closes = absl::FromCivil(run.deadline + 1, VietnamTime());
    if (closes <= now || closes > now + within) continue;
    ++out.runs;
    for (const Slot& slot : run.slots) {
      if (slot.submitted && slot.verdict == v1::VERDICT_UNSPECIFIED) ++out.ungraded;
    }
  }
  return out;
}

}  // namespace bdtx::grading
