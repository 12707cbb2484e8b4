// Peer support as pure rules (issue 21; DOMAIN.md "The peer-support plan" rows 2.1–2.3):
// colleagues' questions to their core member, escalation to the lecturer, due dates
// within the week, who may see what, the support activity log, and the counts the
// report and the officers' dashboards take. No gRPC, storage or clock: adapters pass the
// directory's facts and `now` in.
//
// The model is the whole state of the service folded from its events (like grading,
// ADR 003): decisions read it, the store applies each event after it is durable.
// Not thread-safe: the store guards it with its own lock.
//
// Errors (docs/support.md "Rules"): wrong person PERMISSION_DENIED; a command the
// question's state does not allow FAILED_PRECONDITION naming the state; a stale
// expected_version ABORTED; bad input INVALID_ARGUMENT naming the field.
#ifndef BDTX_SERVICES_SUPPORT_DOMAIN_SUPPORT_MODEL_H_
#define BDTX_SERVICES_SUPPORT_DOMAIN_SUPPORT_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bdtx/v1/directory.pb.h"
#include "bdtx/v1/support.pb.h"

namespace bdtx::support {

// Days an answer has, counted in Vietnam days from the question, the escalation or the
// follow-up (the plan's "trong tuần"): due at 23:59:59 of the 7th day after.
inline constexpr int kAnswerDays = 7;
// Longest question, answer, note, follow-up or activity description, in characters (code
// points, after NFC), and so at most 4 bytes each. The same limits are declared on the
// request fields in support.proto (max_chars: 4000), which the edge validator checks first.
inline constexpr size_t kMaxTextChars = 4'000;
inline constexpr size_t kMaxTextBytes = 4 * kMaxTextChars;

// The report row a channel counts under: LMS forum 2.1, chat/e-mail 2.2, in person 2.3.
bdtx::v1::SupportRow RowOf(bdtx::v1::SupportChannel channel);
// "2.1", "2.2", "2.3"; "" for UNSPECIFIED.
const char* RowNumber(bdtx::v1::SupportRow row);

// What the directory says about the asker of a new question.
struct AskerFacts {
  std::string asker;                       // "people/{id}"
  std::vector<std::string> unit_ancestry;  // the asker's home unit first, up to the ministry
  std::string core_member;                 // who supports the asker in this year and module
  std::string lecturer;                    // the core member's lecturer; may be empty
};

// One event to append to one stream, at the version the decision was taken on.
struct Decision {
  std::string stream;
  int64_t expected_version = 0;  // 0: the stream must be new
  bdtx::v1::SupportEvent event;
};

class SupportModel {
 public:
  // ---------------------------------------------------------------- commands
  // `caller` is the authenticated person; `id` a fresh id chosen by the adapter.

  // A colleague asks (caller == facts.asker), or their core member logs it on their behalf
  // (caller == facts.core_member, recorded as logged_by). Due kAnswerDays after `now`.
  absl::StatusOr<Decision> DecideAsk(const std::string& caller, const std::string& id,
                                     const AskerFacts& facts,
                                     const bdtx::v1::AskQuestionRequest& request,
                                     absl::Time now) const;
  // The core member answers an OPEN question, or the lecturer an ESCALATED one; after the
  // due time the answer is still taken and marked late.
  absl::StatusOr<Decision> DecideAnswer(const std::string& caller,
                                        const bdtx::v1::AnswerQuestionRequest& request,
                                        absl::Time now) const;
  // The core member passes an OPEN question to the lecturer with a note; the lecturer's
  // week starts now. FAILED_PRECONDITION when the group has no lecturer.
  absl::StatusOr<Decision> DecideEscalate(const std::string& caller,
                                          const bdtx::v1::EscalateQuestionRequest& request,
                                          absl::Time now) const;
  // The asker closes an ANSWERED question.
  absl::StatusOr<Decision> DecideResolve(const std::string& caller,
                                         const bdtx::v1::ResolveQuestionRequest& request) const;
  // The asker asks again on an ANSWERED question: back to whoever answers it now (the
  // lecturer once escalated), with a new week.
  absl::StatusOr<Decision> DecideFollowUp(const std::string& caller,
                                          const bdtx::v1::FollowUpQuestionRequest& request,
                                          absl::Time now) const;
  // An officer of the asker's unit chain opens one case (the adapter has checked the
  // officer's role and unit); recorded with the reason.
  absl::StatusOr<Decision> DecideOpenCase(const std::string& officer, const std::string& question,
                                          const std::string& reason) const;
  // A core member logs an activity of their support group: participants must be its
  // colleagues, the date a real day not after `now` (Vietnam), the form named.
  absl::StatusOr<Decision> DecideLogActivity(const std::string& caller, const std::string& id,
                                             const bdtx::v1::SupportGroup& group,
                                             const std::vector<std::string>& core_unit_ancestry,
                                             const bdtx::v1::LogActivityRequest& request,
                                             absl::Time now) const;

  // Folds one durable event. `time` is the event's time.
  void Apply(const std::string& stream, int64_t version, const bdtx::v1::SupportEvent& event,
             absl::Time time);
  // The question as it will be once `decision` is applied at `time` (the answer recorded
  // with its request_id before the append). REQUIRES: a question decision.
  bdtx::v1::Question Preview(const Decision& decision, absl::Time time) const;

  // ---------------------------------------------------------------- queries

  // NOT_FOUND when there is no such question.
  absl::StatusOr<bdtx::v1::Question> Get(const std::string& name) const;
  // The asker, the core member, and the lecturer once escalated. Nobody else reads text.
  bool IsParticipant(const std::string& person, const std::string& question) const;
  // The asker's home unit first, up to the ministry; empty for an unknown question.
  std::vector<std::string> AskerAncestry(const std::string& question) const;

  // The caller's questions in `view`, oldest first, from `offset`, at most `limit`;
  // `*more` says whether more follow.
  std::vector<bdtx::v1::Question> List(const std::string& person, bdtx::v1::QuestionView view,
                                       int year, int module, bdtx::v1::QuestionState state,
                                       int offset, int limit, bool* more) const;
  std::vector<bdtx::v1::SupportActivity> Activities(const std::string& core_member, int year,
                                                    int module, int offset, int limit,
                                                    bool* more) const;

  // Rows 2.1–2.3 of one core member's report: participants among `colleagues` (the
  // support group) per row, questions per row and how many were answered within the week
  // (by the core member when not escalated, by the lecturer after escalation).
  bdtx::v1::SupportReportCounts ReportCounts(const std::string& core_member, int year, int module,
                                             const std::vector<std::string>& colleagues) const;

  // Counts (never text) of questions asked by people under `unit` and activities of core
  // members under it; overdue as of `now`. module 0: every module.
  bdtx::v1::SupportStatistics Statistics(const std::string& unit, int year, int module,
                                         absl::Time now) const;
  // Units seen directly under `unit` (from askers' and core members' ancestries), sorted.
  std::vector<std::string> ChildUnits(const std::string& unit) const;
  // The parents of `unit` seen in events (unit excluded), nearest first.
  std::vector<std::string> Ancestry(const std::string& unit) const;

  int64_t questions() const { return static_cast<int64_t>(records_.size()); }

  // Questions waiting past their due time at `now` (as Statistics counts overdue), split
  // by who must answer: the core member (OPEN) or the lecturer (ESCALATED). O(questions).
  struct Overdue {
    int64_t open = 0;
    int64_t escalated = 0;
  };
  Overdue OverdueAt(absl::Time now) const;

 private:
  struct Record {
    bdtx::v1::Question q;
    std::string group_lecturer;
    std::vector<std::string> ancestry;
    bool escalated = false;
    bool answered = false;  // has at least one answer
    bool first_answer_late = false;
    bool core_in_week = false;  // first answer by the core member, on time, not escalated
    bool lecturer_answered = false;
    bool lecturer_in_week = false;  // first lecturer answer on time
    absl::Time due = absl::InfiniteFuture();
  };
  static void Fold(Record& r, const bdtx::v1::SupportEvent& event, int64_t version,
                   absl::Time time);
  // NOT_FOUND, or the record and an ABORTED check of expected_version (≥ 0; 0: none).
  absl::StatusOr<const Record*> ForCommand(const std::string& name, int64_t expected_version) const;
  void Index(const std::string& person, size_t index);
  void AddUnits(const std::vector<std::string>& ancestry);

  std::vector<Record> records_;
  absl::flat_hash_map<std::string, size_t> by_name_;
  // person → questions they asked, support as core member, or were escalated to.
  absl::flat_hash_map<std::string, std::vector<size_t>> by_person_;
  absl::flat_hash_map<std::string, std::vector<size_t>> by_unit_;
  struct Activity {
    bdtx::v1::SupportActivity a;
    std::vector<std::string> ancestry;
  };
  std::vector<Activity> activities_;
  absl::flat_hash_map<std::string, std::vector<size_t>> activities_by_core_;
  absl::flat_hash_map<std::string, std::vector<size_t>> activities_by_unit_;
  absl::flat_hash_map<std::string, std::string> parent_;
};

}  // namespace bdtx::support

#endif  // BDTX_SERVICES_SUPPORT_DOMAIN_SUPPORT_MODEL_H_
