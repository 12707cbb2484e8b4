#include "services/support/domain/support_model.h"

#include <functional>

#include "absl/strings/str_cat.h"
#include "common/clock/vietnam_calendar.h"
#include "gtest/gtest.h"

namespace bdtx::support {
namespace {

const std::string kAsker = "people/gv-1";
const std::string kCore = "people/gvcc-1";
const std::string kLecturer = "people/gvsp-1";
const std::string kStranger = "people/gv-9";

absl::Time At(int y, int m, int d, int hour = 10) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hour, 0, 0), VietnamTimeZone());
}
const absl::Time kDay0 = At(2023, 10, 2);  // Monday

AskerFacts Facts(const std::string& asker = kAsker) {
  return {asker, {"units/thcs-a", "units/dx", "units/bp", "units/moet"}, kCore, kLecturer};
}

v1::AskQuestionRequest Ask(v1::SupportChannel channel = v1::SUPPORT_CHANNEL_LMS_FORUM) {
  v1::AskQuestionRequest r;
  r.set_year(2023);
  r.set_module(4);
  r.set_channel(channel);
  r.set_text("Làm sao lập kế hoạch dạy học theo chủ đề?");
  return r;
}

// Applies a decision as the store would after the append is durable.
void Commit(SupportModel& m, const absl::StatusOr<Decision>& d, absl::Time t) {
  ASSERT_TRUE(d.ok()) << d.status();
  m.Apply(d->stream, d->expected_version + 1, d->event, t);
}

std::string AskOne(SupportModel& m, const std::string& id, absl::Time t = kDay0,
                   v1::SupportChannel channel = v1::SUPPORT_CHANNEL_LMS_FORUM,
                   const AskerFacts& facts = Facts()) {
  auto d = m.DecideAsk(facts.asker, id, facts, Ask(channel), t);
  EXPECT_TRUE(d.ok()) << d.status();
  if (d.ok()) m.Apply(d->stream, 1, d->event, t);
  return "questions/" + id;
}

v1::AnswerQuestionRequest AnswerReq(const std::string& q) {
  v1::AnswerQuestionRequest r;
  r.set_name(q);
  r.set_text("Xem mục 2 của tài liệu mô-đun 4.");
  return r;
}
v1::EscalateQuestionRequest EscalateReq(const std::string& q) {
  v1::EscalateQuestionRequest r;
  r.set_name(q);
  r.set_note("Em chưa trả lời được, nhờ thầy giúp.");
  return r;
}
v1::ResolveQuestionRequest ResolveReq(const std::string& q) {
  v1::ResolveQuestionRequest r;
  r.set_name(q);
  return r;
}
v1::FollowUpQuestionRequest FollowUpReq(const std::string& q) {
  v1::FollowUpQuestionRequest r;
  r.set_name(q);
  r.set_text("Còn phần đánh giá thì sao ạ?");
  return r;
}

enum class State { kOpen, kEscalated, kAnsweredByCore, kAnsweredByLecturer, kResolved };
enum class Command { kAnswer, kEscalate, kResolve, kFollowUp };
enum class Who { kAsker, kCore, kLecturer, kStranger };

const char* Name(State s) {
  const char* n[] = {"open", "escalated", "answered-by-core", "answered-by-lecturer", "resolved"};
  return n[static_cast<int>(s)];
}
const char* Name(Command c) {
  const char* n[] = {"answer", "escalate", "resolve", "follow-up"};
  return n[static_cast<int>(c)];
}
const std::string& Person(Who w) {
  static const std::string* p[] = {&kAsker, &kCore, &kLecturer, &kStranger};
  return *p[static_cast<int>(w)];
}

// A model holding question "q" in the given state.
std::string Build(SupportModel& m, State setup) {
  const std::string q = AskOne(m, "q");
  const absl::Time t = kDay0 + absl::Hours(1);
  if (setup == State::kOpen) return q;
  if (setup == State::kEscalated || setup == State::kAnsweredByLecturer) {
    Commit(m, m.DecideEscalate(kCore, EscalateReq(q), t), t);
    if (setup == State::kAnsweredByLecturer) {
      Commit(m, m.DecideAnswer(kLecturer, AnswerReq(q), t), t);
    }
    return q;
  }
  Commit(m, m.DecideAnswer(kCore, AnswerReq(q), t), t);
  if (setup == State::kResolved) Commit(m, m.DecideResolve(kAsker, ResolveReq(q)), t);
  return q;
}

absl::StatusOr<Decision> RunCommand(const SupportModel& m, const std::string& q, Command c, Who w) {
  const absl::Time t = kDay0 + absl::Hours(2);
  switch (c) {
    case Command::kAnswer:
      return m.DecideAnswer(Person(w), AnswerReq(q), t);
    case Command::kEscalate:
      return m.DecideEscalate(Person(w), EscalateReq(q), t);
    case Command::kResolve:
      return m.DecideResolve(Person(w), ResolveReq(q));
    case Command::kFollowUp:
      return m.DecideFollowUp(Person(w), FollowUpReq(q), t);
  }
  return absl::InternalError("unreachable");
}

// Every state × command × actor. O: allowed; P: PERMISSION_DENIED (not a participant in
// that role); F: FAILED_PRECONDITION (right person, wrong state).
TEST(SupportModel, EveryStateCommandAndActor) {
  struct Row {
    State setup;
    Command command;
    const char* outcomes;  // asker, core, lecturer, stranger
  };
  const Row table[] = {
      {State::kOpen, Command::kAnswer, "POPP"},
      {State::kOpen, Command::kEscalate, "POPP"},
      {State::kOpen, Command::kResolve, "FPPP"},
      {State::kOpen, Command::kFollowUp, "FPPP"},
      {State::kEscalated, Command::kAnswer, "PFOP"},
      {State::kEscalated, Command::kEscalate, "PFPP"},
      {State::kEscalated, Command::kResolve, "FPPP"},
      {State::kEscalated, Command::kFollowUp, "FPPP"},
      {State::kAnsweredByCore, Command::kAnswer, "PFPP"},
      {State::kAnsweredByCore, Command::kEscalate, "PFPP"},
      {State::kAnsweredByCore, Command::kResolve, "OPPP"},
      {State::kAnsweredByCore, Command::kFollowUp, "OPPP"},
      {State::kAnsweredByLecturer, Command::kAnswer, "PFFP"},
      {State::kAnsweredByLecturer, Command::kEscalate, "PFPP"},
      {State::kAnsweredByLecturer, Command::kResolve, "OPPP"},
      {State::kAnsweredByLecturer, Command::kFollowUp, "OPPP"},
      {State::kResolved, Command::kAnswer, "PFPP"},
      {State::kResolved, Command::kEscalate, "PFPP"},
      {State::kResolved, Command::kResolve, "FPPP"},
      {State::kResolved, Command::kFollowUp, "FPPP"},
  };
  for (const Row& row : table) {
    for (int w = 0; w < 4; ++w) {
      SupportModel m;
      const std::string q = Build(m, row.setup);
      auto d = RunCommand(m, q, row.command, static_cast<Who>(w));
      const std::string where = absl::StrCat(Name(row.setup), " × ", Name(row.command), " × ",
                                             Person(static_cast<Who>(w)));
      switch (row.outcomes[w]) {
        case 'O':
          EXPECT_TRUE(d.ok()) << where << ": " << d.status();
          break;
        case 'P':
          EXPECT_TRUE(absl::IsPermissionDenied(d.status())) << where << ": " << d.status();
          break;
        case 'F':
          EXPECT_TRUE(absl::IsFailedPrecondition(d.status())) << where << ": " << d.status();
          break;
      }
    }
  }
}

TEST(SupportModel, AnsweredOnTheSeventhDayIsOnTimeOnTheEighthLate) {
  for (const auto& [day, late] : {std::pair{7, false}, std::pair{8, true}}) {
    SupportModel m;
    const std::string q = AskOne(m, "q");  // Monday 10:00
    // The last minute of day 7, or the first of day 8 (Vietnam time).
    const absl::Time t =
        late ? At(2023, 10, 2 + day, 0) : At(2023, 10, 2 + day, 23) + absl::Minutes(59);
    auto d = m.DecideAnswer(kCore, AnswerReq(q), t);
    ASSERT_TRUE(d.ok()) << d.status();  // late answers are still taken
    EXPECT_EQ(d->event.question_answered().late(), late) << "day " << day;
    m.Apply(d->stream, 2, d->event, t);
    const v1::Question got = *m.Get(q);
    EXPECT_EQ(got.state(), v1::QUESTION_ANSWERED);
    EXPECT_EQ(got.thread(1).late(), late);
    const auto counts = m.ReportCounts(kCore, 2023, 4, {kAsker});
    EXPECT_EQ(counts.rows(0).answered_by_core_member_in_week(), late ? 0 : 1);
  }
}

TEST(SupportModel, EscalationGivesTheLecturerTheirOwnWeek) {
  SupportModel m;
  const std::string q = AskOne(m, "q");
  // Escalated on day 6: the lecturer's answer on day 13 is on time, although the
  // question is 11 days old.
  const absl::Time escalated = At(2023, 10, 8);
  Commit(m, m.DecideEscalate(kCore, EscalateReq(q), escalated), escalated);
  EXPECT_EQ(m.Get(q)->lecturer(), kLecturer);
  EXPECT_EQ(m.Get(q)->due_time().seconds(), absl::ToUnixSeconds(DueDaysAfter(escalated, 7)));
  const absl::Time answered = At(2023, 10, 15, 20);
  auto d = m.DecideAnswer(kLecturer, AnswerReq(q), answered);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_FALSE(d->event.question_answered().late());
  EXPECT_TRUE(d->event.question_answered().by_lecturer());
  Commit(m, d, answered);
  const auto counts = m.ReportCounts(kCore, 2023, 4, {kAsker});
  EXPECT_EQ(counts.rows(0).escalated(), 1);
  EXPECT_EQ(counts.rows(0).escalated_answered_by_lecturer_in_week(), 1);
  EXPECT_EQ(counts.rows(0).answered_by_core_member_in_week(), 0);
  // A follow-up goes back to the lecturer with a new week.
  const absl::Time later = At(2023, 10, 20);
  Commit(m, m.DecideFollowUp(kAsker, FollowUpReq(q), later), later);
  EXPECT_EQ(m.Get(q)->state(), v1::QUESTION_ESCALATED);
  EXPECT_EQ(m.Get(q)->due_time().seconds(), absl::ToUnixSeconds(DueDaysAfter(later, 7)));
}

TEST(SupportModel, OverdueCountsQuestionsPastTheirWeekByWhoMustAnswer) {
  SupportModel m;
  const std::string q1 = AskOne(m, "q1");  // Monday 2 Oct: due at the end of 9 Oct
  const std::string q2 = AskOne(m, "q2");
  Commit(m, m.DecideEscalate(kCore, EscalateReq(q2), At(2023, 10, 8)), At(2023, 10, 8));
  using Pair = std::pair<int64_t, int64_t>;
  auto overdue = [&](absl::Time now) {
    auto o = m.OverdueAt(now);
    return std::pair{o.open, o.escalated};
  };
  EXPECT_EQ(overdue(At(2023, 10, 9, 23)), Pair(0, 0));
  EXPECT_EQ(overdue(At(2023, 10, 10, 0)), Pair(1, 0));  // q1's week over
  EXPECT_EQ(overdue(At(2023, 10, 16, 0)), Pair(1, 1));  // the lecturer's too
  Commit(m, m.DecideAnswer(kCore, AnswerReq(q1), At(2023, 10, 17)), At(2023, 10, 17));
  EXPECT_EQ(overdue(At(2023, 10, 17, 13)), Pair(0, 1));  // answered late
}

TEST(SupportModel, OnlyParticipantsReadAndTheLecturerOnlyOnceEscalated) {
  SupportModel m;
  const std::string q = AskOne(m, "q");
  EXPECT_TRUE(m.IsParticipant(kAsker, q));
  EXPECT_TRUE(m.IsParticipant(kCore, q));
  EXPECT_FALSE(m.IsParticipant(kLecturer, q));
  EXPECT_FALSE(m.IsParticipant(kStranger, q));
  EXPECT_EQ(m.Get(q)->lecturer(), "");  // not told before escalation
  Commit(m, m.DecideEscalate(kCore, EscalateReq(q), kDay0), kDay0);
  EXPECT_TRUE(m.IsParticipant(kLecturer, q));
  EXPECT_FALSE(m.IsParticipant(kStranger, q));
  EXPECT_FALSE(m.IsParticipant("", q));
}

TEST(SupportModel, CoreMemberLogsOnBehalfButStrangersCannotAskForOthers) {
  SupportModel m;
  auto d = m.DecideAsk(kCore, "q", Facts(), Ask(v1::SUPPORT_CHANNEL_IN_PERSON), kDay0);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->event.question_asked().logged_by(), kCore);
  EXPECT_TRUE(
      absl::IsPermissionDenied(m.DecideAsk(kStranger, "q", Facts(), Ask(), kDay0).status()));
  AskerFacts orphan = Facts();
  orphan.core_member.clear();
  EXPECT_TRUE(absl::IsFailedPrecondition(m.DecideAsk(kAsker, "q", orphan, Ask(), kDay0).status()));
}

TEST(SupportModel, BadInputIsRefusedNamingTheField) {
  SupportModel m;
  struct Case {
    const char* what;
    std::function<void(v1::AskQuestionRequest&)> breakit;
    const char* field;
  } cases[] = {
      {"no text", [](auto& r) { r.clear_text(); }, "text"},
      {"huge text", [](auto& r) { r.set_text(std::string(kMaxTextBytes + 1, 'a')); }, "text"},
      {"one character too many",
       [](auto& r) {
         std::string t;
         for (size_t i = 0; i <= kMaxTextChars; ++i) t += "ệ";  // 3 bytes each
         r.set_text(t);
       },
       "text"},
      {"no channel", [](auto& r) { r.set_channel(v1::SUPPORT_CHANNEL_UNSPECIFIED); }, "channel"},
      {"unknown channel", [](auto& r) { r.set_channel(static_cast<v1::SupportChannel>(99)); },
       "channel"},
      {"year", [](auto& r) { r.set_year(1999); }, "year"},
      {"module", [](auto& r) { r.set_module(0); }, "module"},
      {"bad sha",
       [](auto& r) {
         r.mutable_attachment()->set_file_ref("lms://f/1");
         r.mutable_attachment()->set_sha256("xyz");
       },
       "attachment.sha256"},
      // References are shown as links: nothing a browser would run.
      {"script ref",
       [](auto& r) {
         r.mutable_attachment()->set_file_ref("javascript:alert(1)");
         r.mutable_attachment()->set_sha256(std::string(64, 'a'));
       },
       "attachment.file_ref"},
      {"data ref",
       [](auto& r) {
         r.mutable_attachment()->set_file_ref("DATA:text/html,x");
         r.mutable_attachment()->set_sha256(std::string(64, 'a'));
       },
       "attachment.file_ref"},
      {"ref with a space",
       [](auto& r) {
         r.mutable_attachment()->set_file_ref("lms://f/1 onclick=x");
         r.mutable_attachment()->set_sha256(std::string(64, 'a'));
       },
       "attachment.file_ref"},
      {"name with a path",
       [](auto& r) {
         r.mutable_attachment()->set_file_ref("lms://f/1");
         r.mutable_attachment()->set_sha256(std::string(64, 'a'));
         r.mutable_attachment()->set_file_name("../../etc/passwd");
       },
       "attachment.file_name"},
      {"name with a control character",
       [](auto& r) {
         r.mutable_attachment()->set_file_ref("lms://f/1");
         r.mutable_attachment()->set_sha256(std::string(64, 'a'));
         r.mutable_attachment()->set_file_name("a\nb.pdf");
       },
       "attachment.file_name"},
  };
  for (const Case& c : cases) {
    v1::AskQuestionRequest r = Ask();
    c.breakit(r);
    auto d = m.DecideAsk(kAsker, "q", Facts(), r, kDay0);
    EXPECT_TRUE(absl::IsInvalidArgument(d.status())) << c.what << ": " << d.status();
    EXPECT_NE(std::string(d.status().message()).find(c.field), std::string::npos)
        << c.what << ": " << d.status();
  }
  const std::string q = AskOne(m, "q");
  v1::AnswerQuestionRequest a = AnswerReq(q);
  a.set_expected_version(-1);
  EXPECT_TRUE(absl::IsInvalidArgument(m.DecideAnswer(kCore, a, kDay0).status()));
  a.set_expected_version(7);
  EXPECT_TRUE(absl::IsAborted(m.DecideAnswer(kCore, a, kDay0).status()));
  a.set_expected_version(1);
  EXPECT_TRUE(m.DecideAnswer(kCore, a, kDay0).ok());
  v1::EscalateQuestionRequest e = EscalateReq(q);
  e.clear_note();
  EXPECT_TRUE(absl::IsInvalidArgument(m.DecideEscalate(kCore, e, kDay0).status()));
  EXPECT_TRUE(absl::IsNotFound(m.DecideAnswer(kCore, AnswerReq("questions/zz"), kDay0).status()));
}

TEST(SupportModel, AReferencedAttachmentIsKeptWithTheQuestion) {
  SupportModel m;
  for (const char* ref : {"lms://forum/12/ke-hoach.pdf", "https://lms.example.vn/f?id=1&v=2",
                          "uploads/2023/a:b.pdf"}) {
    v1::AskQuestionRequest r = Ask();
    r.mutable_attachment()->set_file_ref(ref);
    r.mutable_attachment()->set_sha256(std::string(64, '0'));
    r.mutable_attachment()->set_file_name("Kế hoạch bài dạy.pdf");
    auto d = m.DecideAsk(kAsker, "q", Facts(), r, kDay0);
    ASSERT_TRUE(d.ok()) << ref << ": " << d.status();
    EXPECT_EQ(d->event.question_asked().attachment().file_ref(), ref);
    EXPECT_EQ(d->event.question_asked().attachment().file_name(), "Kế hoạch bài dạy.pdf");
  }
}

TEST(SupportModel, TextsAreStoredNfcAndInvalidUtf8IsRefused) {
  SupportModel m;
  v1::AskQuestionRequest r = Ask();
  r.set_text("Ti\x65\xcc\x82\xcc\x81ng Vi\x65\xcc\xa3\xcc\x82t?");  // decomposed (NFD)
  auto d = m.DecideAsk(kAsker, "q", Facts(), r, kDay0);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->event.question_asked().text(), "Tiếng Việt?");
  r.set_text("bad \xff byte");
  EXPECT_TRUE(absl::IsInvalidArgument(m.DecideAsk(kAsker, "q", Facts(), r, kDay0).status()));
}

v1::SupportGroup Group() {
  v1::SupportGroup g;
  g.set_core_member(kCore);
  g.set_year(2023);
  g.set_module(4);
  g.set_lecturer(kLecturer);
  for (int i = 1; i <= 4; ++i) g.add_colleagues(absl::StrCat("people/gv-", i));
  return g;
}

v1::LogActivityRequest Activity(v1::SupportRow row, std::vector<std::string> participants) {
  v1::LogActivityRequest r;
  r.set_year(2023);
  r.set_module(4);
  r.set_row(row);
  r.mutable_date()->set_year(2023);
  r.mutable_date()->set_month(10);
  r.mutable_date()->set_day(5);
  r.set_form("Sinh hoạt chuyên môn cụm trường");
  for (auto& p : participants) r.add_participants(p);
  return r;
}

TEST(SupportModel, ActivitiesNeedGroupParticipantsAPastDateAndAForm) {
  SupportModel m;
  const std::vector<std::string> ancestry = {"units/thcs-a", "units/dx", "units/bp"};
  EXPECT_TRUE(m.DecideLogActivity(kCore, "a", Group(), ancestry,
                                  Activity(v1::SUPPORT_ROW_IN_PERSON, {"people/gv-1"}),
                                  kDay0 + absl::Hours(72))
                  .ok());
  auto future = m.DecideLogActivity(kCore, "a", Group(), ancestry,
                                    Activity(v1::SUPPORT_ROW_IN_PERSON, {}), kDay0);
  EXPECT_TRUE(absl::IsInvalidArgument(future.status())) << future.status();
  auto outsider =
      m.DecideLogActivity(kCore, "a", Group(), ancestry,
                          Activity(v1::SUPPORT_ROW_LMS, {"people/gv-9"}), At(2023, 10, 6));
  EXPECT_TRUE(absl::IsInvalidArgument(outsider.status()));
  EXPECT_NE(std::string(outsider.status().message()).find("participants[0]"), std::string::npos);
  auto twice = m.DecideLogActivity(kCore, "a", Group(), ancestry,
                                   Activity(v1::SUPPORT_ROW_LMS, {"people/gv-1", "people/gv-1"}),
                                   At(2023, 10, 6));
  EXPECT_TRUE(absl::IsInvalidArgument(twice.status()));
  auto no_row = m.DecideLogActivity(kCore, "a", Group(), ancestry,
                                    Activity(v1::SUPPORT_ROW_UNSPECIFIED, {}), At(2023, 10, 6));
  EXPECT_TRUE(absl::IsInvalidArgument(no_row.status()));
  auto other = m.DecideLogActivity(kStranger, "a", Group(), ancestry,
                                   Activity(v1::SUPPORT_ROW_LMS, {}), At(2023, 10, 6));
  EXPECT_TRUE(absl::IsPermissionDenied(other.status()));
}

// Rows 2.1–2.3 from the log: participants per row among the group, questions per row by
// channel, answered within the week by the core member or, after escalation, the lecturer.
TEST(SupportModel, ReportRowsFromTheLogAndTheQuestions) {
  SupportModel m;
  const std::vector<std::string> ancestry = {"units/thcs-a", "units/dx", "units/bp"};
  const absl::Time t = At(2023, 10, 6);
  Commit(
      m,
      m.DecideLogActivity(kCore, "a1", Group(), ancestry,
                          Activity(v1::SUPPORT_ROW_IN_PERSON, {"people/gv-1", "people/gv-2"}), t),
      t);
  Commit(
      m,
      m.DecideLogActivity(kCore, "a2", Group(), ancestry,
                          Activity(v1::SUPPORT_ROW_IN_PERSON, {"people/gv-2", "people/gv-3"}), t),
      t);
  Commit(m,
         m.DecideLogActivity(kCore, "a3", Group(), ancestry,
                             Activity(v1::SUPPORT_ROW_LMS, {"people/gv-4"}), t),
         t);
  // 2.1: two LMS questions, one answered in time, one late. 2.2: one chat question,
  // escalated and answered by the lecturer in their week.
  const std::string q1 =
      AskOne(m, "q1", kDay0, v1::SUPPORT_CHANNEL_LMS_FORUM, Facts("people/gv-1"));
  const std::string q2 =
      AskOne(m, "q2", kDay0, v1::SUPPORT_CHANNEL_LMS_FORUM, Facts("people/gv-2"));
  const std::string q3 = AskOne(m, "q3", kDay0, v1::SUPPORT_CHANNEL_CHAT, Facts("people/gv-3"));
  Commit(m, m.DecideAnswer(kCore, AnswerReq(q1), t), t);
  Commit(m, m.DecideAnswer(kCore, AnswerReq(q2), At(2023, 10, 10)), At(2023, 10, 10));
  Commit(m, m.DecideEscalate(kCore, EscalateReq(q3), At(2023, 10, 9)), At(2023, 10, 9));
  Commit(m, m.DecideAnswer(kLecturer, AnswerReq(q3), At(2023, 10, 16)), At(2023, 10, 16));
  const v1::SupportGroup group = Group();
  const auto c =
      m.ReportCounts(kCore, 2023, 4, {group.colleagues().begin(), group.colleagues().end()});
  ASSERT_EQ(c.rows_size(), 3);
  EXPECT_EQ(c.colleagues(), 4);
  EXPECT_EQ(c.rows(0).number(), "2.1");
  EXPECT_EQ(c.rows(0).activities(), 1);
  EXPECT_EQ(c.rows(0).participants(), 3);  // gv-4 from the log, gv-1 and gv-2 asked there
  EXPECT_EQ(c.rows(0).questions(), 2);
  EXPECT_EQ(c.rows(0).answered_by_core_member_in_week(), 1);
  EXPECT_EQ(c.rows(1).number(), "2.2");
  EXPECT_EQ(c.rows(1).participants(), 1);
  EXPECT_EQ(c.rows(1).escalated(), 1);
  EXPECT_EQ(c.rows(1).escalated_answered_by_lecturer_in_week(), 1);
  EXPECT_EQ(c.rows(2).number(), "2.3");
  EXPECT_EQ(c.rows(2).activities(), 2);
  EXPECT_EQ(c.rows(2).participants(), 3);
  EXPECT_EQ(c.rows(2).questions(), 0);
  // Another module or year counts nothing.
  EXPECT_EQ(m.ReportCounts(kCore, 2023, 5, {}).rows(0).questions(), 0);

  // Officers' counts per unit, overdue as of a time.
  AskOne(m, "q4", kDay0, v1::SUPPORT_CHANNEL_EMAIL, Facts("people/gv-4"));
  const auto s = m.Statistics("units/dx", 2023, 4, At(2023, 10, 20));
  EXPECT_EQ(s.questions(), 4);
  EXPECT_EQ(s.answered(), 3);
  // q1 by the core member and q3 by the lecturer in their own week; q2 late.
  EXPECT_EQ(s.answered_in_week(), 2);
  EXPECT_EQ(s.answered_late(), 1);
  EXPECT_EQ(s.overdue(), 1);
  EXPECT_EQ(s.open(), 1);
  EXPECT_EQ(s.escalated(), 1);
  EXPECT_EQ(s.activities(), 3);
  EXPECT_EQ(m.Statistics("units/dx", 2023, 4, At(2023, 10, 3)).overdue(), 0);
  EXPECT_EQ(m.ChildUnits("units/dx"), std::vector<std::string>{"units/thcs-a"});
  EXPECT_EQ(m.Statistics("units/other", 2023, 4, t).questions(), 0);
}

TEST(SupportModel, ListsEachPersonTheirOwnView) {
  SupportModel m;
  const std::string q1 = AskOne(m, "q1");
  const std::string q2 = AskOne(m, "q2");
  Commit(m, m.DecideEscalate(kCore, EscalateReq(q2), kDay0), kDay0);
  bool more = false;
  EXPECT_EQ(m.List(kAsker, v1::ASKED_BY_ME, 0, 0, {}, 0, 10, &more).size(), 2);
  EXPECT_EQ(m.List(kCore, v1::ASKED_BY_ME, 0, 0, {}, 0, 10, &more).size(), 0);
  auto mine = m.List(kCore, v1::ASSIGNED_TO_ME, 0, 0, {}, 0, 10, &more);
  ASSERT_EQ(mine.size(), 1);
  EXPECT_EQ(mine[0].name(), q1);
  auto lecturer = m.List(kLecturer, v1::ASSIGNED_TO_ME, 0, 0, {}, 0, 10, &more);
  ASSERT_EQ(lecturer.size(), 1);
  EXPECT_EQ(lecturer[0].name(), q2);
  EXPECT_TRUE(m.List(kStranger, v1::SUPPORTED_BY_ME, 0, 0, {}, 0, 10, &more).empty());
  auto page = m.List(kAsker, v1::ASKED_BY_ME, 0, 0, {}, 0, 1, &more);
  EXPECT_EQ(page.size(), 1);
  EXPECT_TRUE(more);
  page = m.List(kAsker, v1::ASKED_BY_ME, 0, 0, {}, 1, 1, &more);
  EXPECT_EQ(page.size(), 1);
  EXPECT_FALSE(more);
}

}  // namespace
}  // namespace bdtx::support
