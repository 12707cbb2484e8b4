#include "services/support/domain/support_model.h"

#include <algorithm>
#include <set>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/clock/vietnam_calendar.h"
#include "common/status/error_info.h"
#include "common/status/status_macros.h"
#include "common/text/unicode.h"
#include "google/protobuf/util/time_util.h"

namespace bdtx::support {
namespace {

using google::protobuf::util::TimeUtil;
namespace v1 = ::bdtx::v1;

google::protobuf::Timestamp ToProto(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}
absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(t));
}

const char* StateText(v1::QuestionState s) {
  switch (s) {
    case v1::QUESTION_OPEN:
      return "OPEN (waiting for the core member)";
    case v1::QUESTION_ESCALATED:
      return "ESCALATED (waiting for the lecturer)";
    case v1::QUESTION_ANSWERED:
      return "ANSWERED (waiting for the asker)";
    case v1::QUESTION_RESOLVED:
      return "RESOLVED (final)";
    default:
      return "UNSPECIFIED";
  }
}

absl::Status WrongState(const v1::Question& q, absl::string_view command, absl::string_view needs) {
  return WithErrorInfo(
      absl::FailedPreconditionError(
          absl::StrCat(q.name(), " is ", StateText(q.state()), "; ", command, " needs it ", needs)),
      "QUESTION_STATE", {{"state", v1::QuestionState_Name(q.state())}});
}

absl::Status NotAllowed(const std::string& caller, absl::string_view command,
                        const std::string& question, absl::string_view who) {
  return WithErrorInfo(absl::PermissionDeniedError(
                           absl::StrCat(caller, " may not ", command, " ", question, ": ", who)),
                       "NOT_A_PARTICIPANT");
}

// Text as it is stored: valid UTF-8, at most kMaxTextBytes, NFC (ADR 007: every text that
// enters bdtx is normalised, so the same words compare and count the same).
absl::StatusOr<std::string> CleanText(const std::string& text, absl::string_view field,
                                      bool required) {
  if (required && text.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  }
  if (text.size() > kMaxTextBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is ", text.size(), " bytes; at most ", kMaxTextBytes));
  }
  if (auto bad = text::FirstInvalidUtf8(text)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is not valid UTF-8 (at byte ", *bad, ")"));
  }
  ASSIGN_OR_RETURN(std::string nfc, text::ToNfc(text));
  const size_t chars = std::count_if(nfc.begin(), nfc.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;  // not a continuation byte
  });
  if (chars > kMaxTextChars) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is ", chars, " characters; at most ", kMaxTextChars));
  }
  return nfc;
}

absl::Status CheckFile(const v1::SupportFile& f, absl::string_view field) {
  if (f.file_ref().empty() && f.sha256().empty() && f.file_name().empty()) {
    return absl::OkStatus();
  }
  if (f.file_ref().empty() || f.file_ref().size() > 1024) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".file_ref phải dài 1–1024 byte"));
  }
  // A reference is shown to people as a link: printable ASCII without spaces, and no
  // scheme a browser would run or open elsewhere (javascript:, data:, ...).
  for (char c : f.file_ref()) {
    if (c <= ' ' || c > '~') {
      return absl::InvalidArgumentError(absl::StrCat(
          field,
          ".file_ref chỉ gồm ký tự ASCII in được, không có dấu cách (mã hoá phần còn lại bằng %)"));
    }
  }
  if (const size_t colon = f.file_ref().find(':'); colon != std::string::npos) {
    const std::string scheme = absl::AsciiStrToLower(f.file_ref().substr(0, colon));
    const bool plain_path = f.file_ref().find('/') < colon;
    if (!plain_path && scheme != "https" && scheme != "lms" && scheme != "s3") {
      return absl::InvalidArgumentError(absl::StrCat(
          field,
          ".file_ref chỉ được là tham chiếu https:, lms:, s3: hoặc một đường dẫn, không phải '",
          scheme.substr(0, 20), ":'"));
    }
  }
  if (f.file_name().size() > 255) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".file_name is over 255 bytes"));
  }
  if (text::FirstInvalidUtf8(f.file_name()).has_value() ||
      std::any_of(f.file_name().begin(), f.file_name().end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '/' || c == '\\';
      })) {
    return absl::InvalidArgumentError(absl::StrCat(
        field,
        ".file_name phải là UTF-8 hợp lệ, không có ký tự điều khiển hay dấu phân cách đường dẫn"));
  }
  bool hex = f.sha256().size() == 64;
  for (char c : f.sha256()) hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!hex) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".sha256 phải gồm 64 chữ số hex viết thường"));
  }
  return absl::OkStatus();
}

absl::Status CheckYearModule(int year, int module) {
  if (year < 2000 || year > 2100) return absl::InvalidArgumentError("year must be 2000–2100");
  if (module < 1 || module > 99) return absl::InvalidArgumentError("module must be 1–99");
  return absl::OkStatus();
}

bool IsValidDay(const v1::Date& d) {
  if (d.year() < 2000 || d.year() > 2100 || d.month() < 1 || d.month() > 12 || d.day() < 1) {
    return false;
  }
  const absl::CivilDay day(d.year(), d.month(), d.day());
  return day.year() == d.year() && day.month() == d.month() && day.day() == d.day();
}

}  // namespace

v1::SupportRow RowOf(v1::SupportChannel channel) {
  switch (channel) {
    case v1::SUPPORT_CHANNEL_LMS_FORUM:
      return v1::SUPPORT_ROW_LMS;
    case v1::SUPPORT_CHANNEL_CHAT:
    case v1::SUPPORT_CHANNEL_EMAIL:
      return v1::SUPPORT_ROW_ONLINE;
    case v1::SUPPORT_CHANNEL_IN_PERSON:
      return v1::SUPPORT_ROW_IN_PERSON;
    default:
      return v1::SUPPORT_ROW_UNSPECIFIED;
  }
}

const char* RowNumber(v1::SupportRow row) {
  switch (row) {
    case v1::SUPPORT_ROW_LMS:
      return "2.1";
    case v1::SUPPORT_ROW_ONLINE:
      return "2.2";
    case v1::SUPPORT_ROW_IN_PERSON:
      return "2.3";
    default:
      return "";
  }
}

// ------------------------------------------------------------ commands

absl::StatusOr<Decision> SupportModel::DecideAsk(const std::string& caller, const std::string& id,
                                                 const AskerFacts& facts,
                                                 const v1::AskQuestionRequest& request,
                                                 absl::Time now) const {
  if (caller != facts.asker && caller != facts.core_member) {
    return NotAllowed(caller, "ask on behalf of", facts.asker,
                      "only the colleague or their core member may");
  }
  if (facts.core_member.empty()) {
    return WithErrorInfo(absl::FailedPreconditionError(absl::StrCat(
                             facts.asker, " has no core member in ", request.year(), " module ",
                             request.module(), ": the Sở assigns one in the directory")),
                         "NO_CORE_MEMBER");
  }
  if (facts.asker == facts.core_member) {
    return absl::InvalidArgumentError("a core member does not ask themselves");
  }
  if (auto s = CheckYearModule(request.year(), request.module()); !s.ok()) return s;
  if (RowOf(request.channel()) == v1::SUPPORT_ROW_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        "channel must be SUPPORT_CHANNEL_LMS_FORUM, SUPPORT_CHANNEL_CHAT, SUPPORT_CHANNEL_EMAIL or "
        "SUPPORT_CHANNEL_IN_PERSON (it decides the report row)");
  }
  auto text = CleanText(request.text(), "text", true);
  if (!text.ok()) return text.status();
  if (auto s = CheckFile(request.attachment(), "attachment"); !s.ok()) return s;
  const std::string name = absl::StrCat("questions/", id);
  if (by_name_.contains(name)) {
    return absl::AlreadyExistsError(absl::StrCat(name, " already exists"));
  }
  Decision d;
  d.stream = name;
  d.expected_version = 0;
  v1::QuestionAsked* e = d.event.mutable_question_asked();
  e->set_question(name);
  e->set_asker(facts.asker);
  e->set_core_member(facts.core_member);
  e->set_lecturer(facts.lecturer);
  e->set_year(request.year());
  e->set_module(request.module());
  e->set_channel(request.channel());
  e->set_text(*std::move(text));
  if (!request.attachment().file_ref().empty()) *e->mutable_attachment() = request.attachment();
  if (caller != facts.asker) e->set_logged_by(caller);
  for (const auto& u : facts.unit_ancestry) e->add_asker_unit_ancestry(u);
  *e->mutable_due_time() = ToProto(DueDaysAfter(now, kAnswerDays));
  return d;
}

absl::StatusOr<const SupportModel::Record*> SupportModel::ForCommand(
    const std::string& name, int64_t expected_version) const {
  if (expected_version < 0) {
    return absl::InvalidArgumentError("expected_version must be ≥ 0 (0: no check)");
  }
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return absl::NotFoundError(absl::StrCat("no question ", name));
  const Record& r = records_[it->second];
  if (expected_version > 0 && expected_version != r.q.version()) {
    return WithErrorInfo(
        absl::AbortedError(absl::StrCat(name, " is at version ", r.q.version(), ", not ",
                                        expected_version, ": read it again and retry")),
        "VERSION_MISMATCH", {{"version", absl::StrCat(r.q.version())}});
  }
  return &r;
}

absl::StatusOr<Decision> SupportModel::DecideAnswer(const std::string& caller,
                                                    const v1::AnswerQuestionRequest& request,
                                                    absl::Time now) const {
  auto rec = ForCommand(request.name(), request.expected_version());
  if (!rec.ok()) return rec.status();
  const Record& r = **rec;
  const bool core = caller == r.q.core_member();
  const bool lecturer = r.escalated && caller == r.q.lecturer();
  if (!core && !lecturer) {
    return NotAllowed(caller, "answer", r.q.name(),
                      "the core member answers, or the lecturer once escalated");
  }
  if (r.q.state() == v1::QUESTION_ESCALATED) {
    if (!lecturer) return WrongState(r.q, "the core member's answer", "OPEN");
  } else if (r.q.state() == v1::QUESTION_OPEN) {
    if (!core) return WrongState(r.q, "a lecturer's answer", "ESCALATED");
  } else {
    return core ? WrongState(r.q, "the core member's answer", "OPEN (the asker may follow up)")
                : WrongState(r.q, "a lecturer's answer", "ESCALATED (the asker may follow up)");
  }
  auto text = CleanText(request.text(), "text", true);
  if (!text.ok()) return text.status();
  if (auto s = CheckFile(request.attachment(), "attachment"); !s.ok()) return s;
  Decision d;
  d.stream = r.q.name();
  d.expected_version = r.q.version();
  v1::QuestionAnswered* e = d.event.mutable_question_answered();
  e->set_question(r.q.name());
  e->set_author(caller);
  e->set_by_lecturer(r.q.state() == v1::QUESTION_ESCALATED);
  e->set_text(*std::move(text));
  if (!request.attachment().file_ref().empty()) *e->mutable_attachment() = request.attachment();
  *e->mutable_due_time() = ToProto(r.due);
  e->set_late(now > r.due);
  e->set_asker(r.q.asker());
  return d;
}

absl::StatusOr<Decision> SupportModel::DecideEscalate(const std::string& caller,
                                                      const v1::EscalateQuestionRequest& request,
                                                      absl::Time now) const {
  auto rec = ForCommand(request.name(), request.expected_version());
  if (!rec.ok()) return rec.status();
  const Record& r = **rec;
  if (caller != r.q.core_member()) {
    return NotAllowed(caller, "escalate", r.q.name(), "only the asker's core member escalates");
  }
  if (r.q.state() != v1::QUESTION_OPEN) return WrongState(r.q, "escalation", "OPEN");
  if (r.group_lecturer.empty()) {
    return WithErrorInfo(absl::FailedPreconditionError(absl::StrCat(
                             "no lecturer is assigned to ", caller, " for ", r.q.year(), " module ",
                             r.q.module(), ": the Sở assigns one in the directory")),
                         "NO_LECTURER");
  }
  auto note = CleanText(request.note(), "note", true);
  if (!note.ok()) return note.status();
  Decision d;
  d.stream = r.q.name();
  d.expected_version = r.q.version();
  v1::QuestionEscalated* e = d.event.mutable_question_escalated();
  e->set_question(r.q.name());
  e->set_lecturer(r.group_lecturer);
  e->set_note(*std::move(note));
  *e->mutable_due_time() = ToProto(DueDaysAfter(now, kAnswerDays));
  return d;
}

absl::StatusOr<Decision> SupportModel::DecideResolve(
    const std::string& caller, const v1::ResolveQuestionRequest& request) const {
  auto rec = ForCommand(request.name(), request.expected_version());
  if (!rec.ok()) return rec.status();
  const Record& r = **rec;
  if (caller != r.q.asker()) {
    return NotAllowed(caller, "resolve", r.q.name(), "only the asker marks it resolved");
  }
  if (r.q.state() != v1::QUESTION_ANSWERED) return WrongState(r.q, "resolving", "ANSWERED");
  Decision d;
  d.stream = r.q.name();
  d.expected_version = r.q.version();
  d.event.mutable_question_resolved()->set_question(r.q.name());
  return d;
}

absl::StatusOr<Decision> SupportModel::DecideFollowUp(const std::string& caller,
                                                      const v1::FollowUpQuestionRequest& request,
                                                      absl::Time now) const {
  auto rec = ForCommand(request.name(), request.expected_version());
  if (!rec.ok()) return rec.status();
  const Record& r = **rec;
  if (caller != r.q.asker()) {
    return NotAllowed(caller, "follow up", r.q.name(), "only the asker follows up");
  }
  if (r.q.state() != v1::QUESTION_ANSWERED) return WrongState(r.q, "a follow-up", "ANSWERED");
  auto text = CleanText(request.text(), "text", true);
  if (!text.ok()) return text.status();
  Decision d;
  d.stream = r.q.name();
  d.expected_version = r.q.version();
  v1::QuestionFollowedUp* e = d.event.mutable_question_followed_up();
  e->set_question(r.q.name());
  e->set_text(*std::move(text));
  e->set_to_lecturer(r.escalated);
  e->set_recipient(r.escalated ? r.q.lecturer() : r.q.core_member());
  *e->mutable_due_time() = ToProto(DueDaysAfter(now, kAnswerDays));
  return d;
}

absl::StatusOr<Decision> SupportModel::DecideOpenCase(const std::string& officer,
                                                      const std::string& question,
                                                      const std::string& reason) const {
  auto rec = ForCommand(question, 0);
  if (!rec.ok()) return rec.status();
  auto clean_reason = CleanText(reason, "audit_reason", true);
  if (!clean_reason.ok()) return clean_reason.status();
  Decision d;
  d.stream = question;
  d.expected_version = (*rec)->q.version();
  v1::QuestionCaseOpened* e = d.event.mutable_question_case_opened();
  e->set_question(question);
  e->set_officer(officer);
  e->set_reason(*std::move(clean_reason));
  return d;
}

absl::StatusOr<Decision> SupportModel::DecideLogActivity(
    const std::string& caller, const std::string& id, const v1::SupportGroup& group,
    const std::vector<std::string>& core_unit_ancestry, const v1::LogActivityRequest& request,
    absl::Time now) const {
  if (caller != group.core_member()) {
    return NotAllowed(caller, "log activities of", group.core_member(),
                      "core members log their own activities");
  }
  if (auto s = CheckYearModule(request.year(), request.module()); !s.ok()) return s;
  if (request.row() != v1::SUPPORT_ROW_LMS && request.row() != v1::SUPPORT_ROW_ONLINE &&
      request.row() != v1::SUPPORT_ROW_IN_PERSON) {
    return absl::InvalidArgumentError(
        "row must be SUPPORT_ROW_LMS (2.1), SUPPORT_ROW_ONLINE (2.2) or SUPPORT_ROW_IN_PERSON "
        "(2.3)");
  }
  if (!IsValidDay(request.date())) {
    return absl::InvalidArgumentError("date must be a calendar day (2000–2100)");
  }
  const absl::CivilDay day(request.date().year(), request.date().month(), request.date().day());
  if (day > VietnamDay(now)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("date %04d-%02d-%02d is in the future: log activities that took place",
                        day.year(), day.month(), day.day()));
  }
  auto form = CleanText(request.form(), "form", true);
  if (!form.ok()) return form.status();
  if (form->size() > 200) return absl::InvalidArgumentError("form is over 200 bytes");
  auto description = CleanText(request.description(), "description", false);
  if (!description.ok()) return description.status();
  if (auto s = CheckFile(request.minutes(), "minutes"); !s.ok()) return s;
  const absl::flat_hash_set<std::string> colleagues(group.colleagues().begin(),
                                                    group.colleagues().end());
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < request.participants_size(); ++i) {
    const std::string& p = request.participants(i);
    if (!colleagues.contains(p)) {
      return WithErrorInfo(absl::InvalidArgumentError(absl::StrCat(
                               "participants[", i, "] ", p, " is not in the support group of ",
                               caller, " for ", request.year(), " module ", request.module())),
                           "NOT_IN_SUPPORT_GROUP", {{"participant", p}});
    }
    if (!seen.insert(p).second) {
      return absl::InvalidArgumentError(absl::StrCat("participants[", i, "] ", p, " is repeated"));
    }
  }
  Decision d;
  d.stream = absl::StrCat("supportActivities/", id);
  d.expected_version = 0;
  v1::ActivityLogged* e = d.event.mutable_activity_logged();
  v1::SupportActivity* a = e->mutable_activity();
  a->set_name(d.stream);
  a->set_core_member(caller);
  a->set_year(request.year());
  a->set_module(request.module());
  a->set_row(request.row());
  *a->mutable_date() = request.date();
  a->set_form(*std::move(form));
  a->set_description(*std::move(description));
  *a->mutable_participants() = request.participants();
  if (!request.minutes().file_ref().empty()) *a->mutable_minutes() = request.minutes();
  *a->mutable_create_time() = ToProto(now);
  for (const auto& u : core_unit_ancestry) e->add_core_unit_ancestry(u);
  return d;
}

// ------------------------------------------------------------ folding

void SupportModel::Index(const std::string& person, size_t index) {
  auto& list = by_person_[person];
  if (list.empty() || list.back() != index) list.push_back(index);
}

void SupportModel::AddUnits(const std::vector<std::string>& ancestry) {
  for (size_t i = 0; i + 1 < ancestry.size(); ++i) parent_[ancestry[i]] = ancestry[i + 1];
}

void SupportModel::Apply(const std::string& stream, int64_t version, const v1::SupportEvent& event,
                         absl::Time time) {
  if (event.has_activity_logged()) {
    const auto& e = event.activity_logged();
    const size_t index = activities_.size();
    activities_.push_back(
        {e.activity(), {e.core_unit_ancestry().begin(), e.core_unit_ancestry().end()}});
    activities_by_core_[e.activity().core_member()].push_back(index);
    for (const auto& u : activities_.back().ancestry) activities_by_unit_[u].push_back(index);
    AddUnits(activities_.back().ancestry);
    return;
  }
  if (event.has_question_asked()) {
    const auto& e = event.question_asked();
    const size_t index = records_.size();
    records_.emplace_back();
    Fold(records_.back(), event, version, time);
    by_name_[e.question()] = index;
    Index(e.asker(), index);
    Index(e.core_member(), index);
    for (const auto& u : records_[index].ancestry) by_unit_[u].push_back(index);
    AddUnits(records_[index].ancestry);
    return;
  }
  auto it = by_name_.find(stream);
  if (it == by_name_.end()) return;
  Fold(records_[it->second], event, version, time);
  if (event.has_question_escalated()) Index(event.question_escalated().lecturer(), it->second);
}

v1::Question SupportModel::Preview(const Decision& decision, absl::Time time) const {
  Record r;
  if (!decision.event.has_question_asked()) {
    auto it = by_name_.find(decision.stream);
    if (it != by_name_.end()) r = records_[it->second];
  }
  Fold(r, decision.event, decision.expected_version + 1, time);
  return r.q;
}

void SupportModel::Fold(Record& r, const v1::SupportEvent& event, int64_t version,
                        absl::Time time) {
  r.q.set_version(version);
  switch (event.kind_case()) {
    case v1::SupportEvent::kQuestionAsked: {
      const auto& e = event.question_asked();
      r.q.set_name(e.question());
      r.q.set_asker(e.asker());
      r.q.set_core_member(e.core_member());
      r.q.set_year(e.year());
      r.q.set_module(e.module());
      r.q.set_channel(e.channel());
      r.q.set_row(RowOf(e.channel()));
      r.q.set_logged_by(e.logged_by());
      r.q.set_state(v1::QUESTION_OPEN);
      *r.q.mutable_create_time() = ToProto(time);
      *r.q.mutable_due_time() = e.due_time();
      v1::ThreadEntry* t = r.q.add_thread();
      t->set_kind(v1::ENTRY_QUESTION);
      t->set_author(e.logged_by().empty() ? e.asker() : e.logged_by());
      t->set_text(e.text());
      *t->mutable_time() = ToProto(time);
      if (e.has_attachment()) *t->mutable_attachment() = e.attachment();
      r.group_lecturer = e.lecturer();
      r.ancestry.assign(e.asker_unit_ancestry().begin(), e.asker_unit_ancestry().end());
      r.due = FromProto(e.due_time());
      break;
    }
    case v1::SupportEvent::kQuestionAnswered: {
      const auto& e = event.question_answered();
      v1::ThreadEntry* t = r.q.add_thread();
      t->set_kind(v1::ENTRY_ANSWER);
      t->set_author(e.author());
      t->set_text(e.text());
      *t->mutable_time() = ToProto(time);
      if (e.has_attachment()) *t->mutable_attachment() = e.attachment();
      t->set_by_lecturer(e.by_lecturer());
      *t->mutable_due_time() = e.due_time();
      t->set_late(e.late());
      if (!r.answered) {
        r.answered = true;
        r.first_answer_late = e.late();
        r.core_in_week = !e.by_lecturer() && !e.late();
      }
      if (e.by_lecturer() && !r.lecturer_answered) {
        r.lecturer_answered = true;
        r.lecturer_in_week = !e.late();
      }
      r.q.set_state(v1::QUESTION_ANSWERED);
      r.q.clear_due_time();
      r.due = absl::InfiniteFuture();
      break;
    }
    case v1::SupportEvent::kQuestionEscalated: {
      const auto& e = event.question_escalated();
      v1::ThreadEntry* t = r.q.add_thread();
      t->set_kind(v1::ENTRY_ESCALATION);
      t->set_author(r.q.core_member());
      t->set_text(e.note());
      *t->mutable_time() = ToProto(time);
      r.escalated = true;
      r.q.set_lecturer(e.lecturer());
      r.q.set_state(v1::QUESTION_ESCALATED);
      *r.q.mutable_due_time() = e.due_time();
      r.due = FromProto(e.due_time());
      break;
    }
    case v1::SupportEvent::kQuestionFollowedUp: {
      const auto& e = event.question_followed_up();
      v1::ThreadEntry* t = r.q.add_thread();
      t->set_kind(v1::ENTRY_FOLLOW_UP);
      t->set_author(r.q.asker());
      t->set_text(e.text());
      *t->mutable_time() = ToProto(time);
      r.q.set_state(e.to_lecturer() ? v1::QUESTION_ESCALATED : v1::QUESTION_OPEN);
      *r.q.mutable_due_time() = e.due_time();
      r.due = FromProto(e.due_time());
      break;
    }
    case v1::SupportEvent::kQuestionResolved: {
      v1::ThreadEntry* t = r.q.add_thread();
      t->set_kind(v1::ENTRY_RESOLVED);
      t->set_author(r.q.asker());
      *t->mutable_time() = ToProto(time);
      r.q.set_state(v1::QUESTION_RESOLVED);
      r.q.clear_due_time();
      r.due = absl::InfiniteFuture();
      break;
    }
    default:
      break;  // a case opened changes nothing but the version
  }
}

// ------------------------------------------------------------ queries

absl::StatusOr<v1::Question> SupportModel::Get(const std::string& name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return absl::NotFoundError(absl::StrCat("no question ", name));
  return records_[it->second].q;
}

bool SupportModel::IsParticipant(const std::string& person, const std::string& question) const {
  auto it = by_name_.find(question);
  if (it == by_name_.end() || person.empty()) return false;
  const Record& r = records_[it->second];
  return person == r.q.asker() || person == r.q.core_member() ||
         (r.escalated && person == r.q.lecturer());
}

std::vector<std::string> SupportModel::AskerAncestry(const std::string& question) const {
  auto it = by_name_.find(question);
  if (it == by_name_.end()) return {};
  return records_[it->second].ancestry;
}

std::vector<v1::Question> SupportModel::List(const std::string& person, v1::QuestionView view,
                                             int year, int module, v1::QuestionState state,
                                             int offset, int limit, bool* more) const {
  std::vector<v1::Question> out;
  *more = false;
  auto it = by_person_.find(person);
  if (it == by_person_.end()) return out;
  int matched = 0;
  for (size_t index : it->second) {
    const Record& r = records_[index];
    if (year != 0 && r.q.year() != year) continue;
    if (module != 0 && r.q.module() != module) continue;
    if (state != v1::QUESTION_STATE_UNSPECIFIED && r.q.state() != state) continue;
    bool in_view = false;
    switch (view) {
      case v1::ASKED_BY_ME:
        in_view = r.q.asker() == person;
        break;
      case v1::ASSIGNED_TO_ME:
        in_view = (r.q.state() == v1::QUESTION_OPEN && r.q.core_member() == person) ||
                  (r.q.state() == v1::QUESTION_ESCALATED && r.q.lecturer() == person);
        break;
      default:  // SUPPORTED_BY_ME
        in_view = r.q.core_member() == person || (r.escalated && r.q.lecturer() == person);
        break;
    }
    if (!in_view) continue;
    if (matched++ < offset) continue;
    if (static_cast<int>(out.size()) == limit) {
      *more = true;
      break;
    }
    out.push_back(r.q);
  }
  return out;
}

std::vector<v1::SupportActivity> SupportModel::Activities(const std::string& core_member, int year,
                                                          int module, int offset, int limit,
                                                          bool* more) const {
  std::vector<v1::SupportActivity> out;
  *more = false;
  auto it = activities_by_core_.find(core_member);
  if (it == activities_by_core_.end()) return out;
  int matched = 0;
  for (size_t index : it->second) {
    const v1::SupportActivity& a = activities_[index].a;
    if ((year != 0 && a.year() != year) || (module != 0 && a.module() != module)) continue;
    if (matched++ < offset) continue;
    if (static_cast<int>(out.size()) == limit) {
      *more = true;
      break;
    }
    out.push_back(a);
  }
  return out;
}

v1::SupportReportCounts SupportModel::ReportCounts(
    const std::string& core_member, int year, int module,
    const std::vector<std::string>& colleagues) const {
  v1::SupportReportCounts out;
  out.set_core_member(core_member);
  out.set_year(year);
  out.set_module(module);
  out.set_colleagues(static_cast<int64_t>(colleagues.size()));
  const absl::flat_hash_set<std::string> group(colleagues.begin(), colleagues.end());
  const v1::SupportRow rows[] = {v1::SUPPORT_ROW_LMS, v1::SUPPORT_ROW_ONLINE,
                                 v1::SUPPORT_ROW_IN_PERSON};
  absl::flat_hash_set<std::string> took_part[3];
  v1::SupportReportRow* row_out[3];
  for (int i = 0; i < 3; ++i) {
    row_out[i] = out.add_rows();
    row_out[i]->set_row(rows[i]);
    row_out[i]->set_number(RowNumber(rows[i]));
    row_out[i]->set_colleagues(out.colleagues());
  }
  if (auto it = activities_by_core_.find(core_member); it != activities_by_core_.end()) {
    for (size_t index : it->second) {
      const v1::SupportActivity& a = activities_[index].a;
      if (a.year() != year || a.module() != module) continue;
      const int i = static_cast<int>(a.row()) - 1;
      if (i < 0 || i > 2) continue;
      row_out[i]->set_activities(row_out[i]->activities() + 1);
      for (const auto& p : a.participants()) {
        if (group.contains(p)) took_part[i].insert(p);
      }
    }
  }
  if (auto it = by_person_.find(core_member); it != by_person_.end()) {
    for (size_t index : it->second) {
      const Record& r = records_[index];
      if (r.q.core_member() != core_member || r.q.year() != year || r.q.module() != module) {
        continue;
      }
      const int i = static_cast<int>(r.q.row()) - 1;
      if (i < 0 || i > 2) continue;
      v1::SupportReportRow* row = row_out[i];
      row->set_questions(row->questions() + 1);
      // A colleague who asked through a row's channel took part in it.
      if (group.contains(r.q.asker())) took_part[i].insert(r.q.asker());
      if (r.escalated) {
        row->set_escalated(row->escalated() + 1);
        if (r.lecturer_in_week) {
          row->set_escalated_answered_by_lecturer_in_week(
              row->escalated_answered_by_lecturer_in_week() + 1);
        }
      } else if (r.core_in_week) {
        row->set_answered_by_core_member_in_week(row->answered_by_core_member_in_week() + 1);
      }
    }
  }
  for (int i = 0; i < 3; ++i) {
    row_out[i]->set_participants(static_cast<int64_t>(took_part[i].size()));
  }
  return out;
}

v1::SupportStatistics SupportModel::Statistics(const std::string& unit, int year, int module,
                                               absl::Time now) const {
  v1::SupportStatistics s;
  s.set_unit(unit);
  if (auto it = by_unit_.find(unit); it != by_unit_.end()) {
    for (size_t index : it->second) {
      const Record& r = records_[index];
      if ((year != 0 && r.q.year() != year) || (module != 0 && r.q.module() != module)) continue;
      s.set_questions(s.questions() + 1);
      const v1::QuestionState st = r.q.state();
      if (st == v1::QUESTION_OPEN) s.set_open(s.open() + 1);
      if (st == v1::QUESTION_ESCALATED) s.set_waiting_for_lecturer(s.waiting_for_lecturer() + 1);
      if (r.escalated) s.set_escalated(s.escalated() + 1);
      if (r.answered) {
        s.set_answered(s.answered() + 1);
        if (r.first_answer_late) {
          s.set_answered_late(s.answered_late() + 1);
        } else {
          s.set_answered_in_week(s.answered_in_week() + 1);
        }
      }
      if ((st == v1::QUESTION_OPEN || st == v1::QUESTION_ESCALATED) && now > r.due) {
        s.set_overdue(s.overdue() + 1);
      }
      if (st == v1::QUESTION_RESOLVED) s.set_resolved(s.resolved() + 1);
    }
  }
  if (auto it = activities_by_unit_.find(unit); it != activities_by_unit_.end()) {
    for (size_t index : it->second) {
      const v1::SupportActivity& a = activities_[index].a;
      if ((year != 0 && a.year() != year) || (module != 0 && a.module() != module)) continue;
      s.set_activities(s.activities() + 1);
    }
  }
  return s;
}

std::vector<std::string> SupportModel::ChildUnits(const std::string& unit) const {
  std::set<std::string> children;
  for (const auto& [child, parent] : parent_) {
    if (parent == unit) children.insert(child);
  }
  return {children.begin(), children.end()};
}

std::vector<std::string> SupportModel::Ancestry(const std::string& unit) const {
  std::vector<std::string> out;
  std::string u = unit;
  for (int guard = 0; guard < 16; ++guard) {
    auto it = parent_.find(u);
    if (it == parent_.end()) break;
    out.push_back(it->second);
    u = it->second;
  }
  return out;
}

SupportModel::Overdue SupportModel::OverdueAt(absl::Time now) const {
  Overdue out;
  for (const Record& r : records_) {
    if (now <= r.due) continue;
    if (r.q.state() == v1::QUESTION_OPEN) ++out.open;
    if (r.q.state() == v1::QUESTION_ESCALATED) ++out.escalated;
  }
  return out;
}

}  // namespace bdtx::support
