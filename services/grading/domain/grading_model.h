// The grading domain (pure: no gRPC, RocksDB or clock): module runs per class, final
// assignments, grading windows, lecturer reviews, LMS results, completion and
// statistics (seed 004 sections 4–6, 9.3; rules in docs/grading.md).
//
// GradingModel folds the service's events into compact in-memory state (ids interned,
// one slot per learner of a run) and decides commands against it. Deciding never
// mutates; Apply does, once the store has made the event durable. A command that was
// decided but not yet applied holds a reservation on its assignment (and on the
// grader's review quota), so two concurrent commands on one assignment cannot both
// win: the second gets ABORTED.
#ifndef BDTX_SERVICES_GRADING_DOMAIN_GRADING_MODEL_H_
#define BDTX_SERVICES_GRADING_DOMAIN_GRADING_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "bdtx/v1/directory.pb.h"
#include "bdtx/v1/grading.pb.h"
#include "common/campaign/calendar.h"
#include "common/names/resource_name.h"

namespace bdtx::grading {

using bdtx::v1::GradingEvent;

inline constexpr int kScheduleDays = 16;       // 7-2-7
inline constexpr int kGradingWindowDays = 10;  // after the module ends
inline constexpr int kReviewsPerGrader = 3;    // per core member and module
inline constexpr double kCompletionTarget = 0.98;
inline constexpr double kFeedbackTarget = 0.75;

// Vietnam time (UTC+7, no daylight saving) is common/campaign/calendar.h's: dates and
// deadlines are local days.
using ::bdtx::VietnamTime;
absl::CivilDay ToCivil(const bdtx::v1::Date& date);
bdtx::v1::Date FromCivil(absl::CivilDay day);
// INVALID_ARGUMENT naming `field` unless `date` is a real calendar date in 2000–2100.
absl::StatusOr<absl::CivilDay> CheckDate(const bdtx::v1::Date& date, absl::string_view field);
std::string FormatDate(absl::CivilDay day);  // "2023-10-25"

// The last segment of a resource name ("people/gv-1" -> "gv-1"): common/names.
using ::bdtx::IdOf;

// "classes/{class id}/assignments/{learner id}"
std::string AssignmentName(absl::string_view class_name, absl::string_view learner);
absl::Status ParseAssignmentName(absl::string_view name, std::string* class_name,
                                 std::string* learner);

struct Actor {
  std::string person;  // "people/{id}" or "services/{name}"
  std::vector<bdtx::v1::Role> roles;
  std::string unit;
  bool HasRole(bdtx::v1::Role role) const;
  bool IsAdminOrService() const;
};

// What the directory says about a class and its people, resolved by the adapter.
struct ClassFacts {
  bdtx::v1::Class cls;
  std::vector<std::string> class_unit_ancestry;
  struct Learner {
    bdtx::v1::Person person;
    std::vector<std::string> unit_ancestry;
  };
  std::vector<Learner> learners;
};

// One decided command: the event to append to `stream` at `expected_version`.
struct Decision {
  std::string stream;
  int64_t expected_version = 0;
  GradingEvent event;
  // Reservation to release after the append (Release), whatever its outcome.
  uint64_t reservation = 0;
};

struct Counters {
  int64_t enrolled = 0, submitted = 0, graded = 0, passed = 0, lms_passed = 0, completed = 0,
          quiz_done = 0, survey_done = 0, feedback_answers = 0, feedback_positive = 0;
  void Add(const Counters& other, int sign);
};

class GradingModel {
 public:
  // ---- decisions (const; the caller holds whatever lock guards the model) ----
  absl::StatusOr<Decision> DecideEnroll(const Actor& actor, const ClassFacts& facts,
                                        const bdtx::v1::Date& start) const;
  absl::StatusOr<Decision> DecideSubmit(const Actor& actor, const std::string& class_name,
                                        const std::string& learner, const std::string& file_ref,
                                        const std::string& sha256, absl::Time now);
  absl::StatusOr<Decision> DecideGrade(const Actor& actor, const bdtx::v1::GradeRequest& request,
                                       absl::Time now);
  absl::StatusOr<Decision> DecideExtension(const Actor& actor,
                                           const bdtx::v1::GrantExtensionRequest& request) const;
  // `lecturer_of_grader`: the lecturer the directory assigns to the grader for the run's
  // year and module ("" when none).
  absl::StatusOr<Decision> DecideReview(const Actor& actor, const std::string& assignment,
                                        const std::string& comment,
                                        const std::string& lecturer_of_grader);
  // The grader whose grading `assignment` carries (for the adapter's directory lookup).
  absl::StatusOr<std::string> GraderOf(const std::string& assignment) const;
  // Drops the reservation a decision took (after its append succeeded or failed).
  void Release(uint64_t reservation);

  // ---- events ----
  void Apply(absl::string_view stream, int64_t version, const GradingEvent& event);

  // ---- queries ----
  absl::StatusOr<bdtx::v1::Run> GetRun(absl::string_view class_name) const;
  // Version of an assignment stream (0: nothing submitted yet).
  int64_t AssignmentVersion(absl::string_view assignment) const;
  absl::StatusOr<bdtx::v1::GetCompletionResponse> Completion(absl::string_view learner,
                                                             int year) const;
  // Modules 1–3 the learner has not completed (for enrolment into 4, 5, 9).
  std::vector<int> MissingPrerequisites(absl::string_view learner, int module) const;
  // `unit` is "units/{id}" or "classes/{id}". year/module 0 sum over all.
  bdtx::v1::Statistics Statistics(absl::string_view unit, int year, int module) const;
  // Direct children of `unit` that have enrolled learners, sorted.
  std::vector<std::string> ChildUnits(absl::string_view unit) const;
  // Units above `unit` known from enrolments (nearest first), for authorization.
  std::vector<std::string> Ancestry(absl::string_view unit) const;
  bdtx::v1::SupportCountsResponse SupportCounts(const std::vector<std::string>& colleagues,
                                                int year, int module) const;
  // Runs whose class unit lies in `unit` (or whose learners do), of `year`/`module`
  // (0: any).
  std::vector<std::string> RunsIn(absl::string_view unit, int year, int module) const;
  // Per learner of a run: completed or not (for recognition exports).
  struct LearnerOutcome {
    std::string person;
    bdtx::v1::LmsResult lms = bdtx::v1::LMS_RESULT_UNSPECIFIED;
    bdtx::v1::Verdict grade = bdtx::v1::VERDICT_UNSPECIFIED;
    bool completed = false;
    bool submitted = false;
    bdtx::v1::Feedback feedback = bdtx::v1::FEEDBACK_UNSPECIFIED;
    std::string school;  // home unit
  };
  std::vector<LearnerOutcome> Outcomes(absl::string_view class_name) const;
  bool HasLms(absl::string_view learner, int year, int module) const;

  size_t runs() const { return runs_.size(); }

  // Grading windows still open at `now` that close within `within` (a window closes at
  // the end of its deadline day, Vietnam time), and the submitted assignments of those
  // runs not graded yet. O(runs), in memory: for the business gauges.
  struct ClosingWindows {
    int64_t runs = 0;
    int64_t ungraded = 0;
  };
  ClosingWindows WindowsClosingWithin(absl::Time now, absl::Duration within) const;

 private:
  // Compact per-learner state of one run.
  struct Slot {
    int64_t version = 0;  // events on the assignment stream
    bool submitted = false;
    bool reserved = false;  // a decided command is being appended
    bdtx::v1::Verdict verdict = bdtx::v1::VERDICT_UNSPECIFIED;
    int32_t grader = -1;  // interned person id
  };
  struct RunState {
    std::string class_name;
    int year = 0, module = 0;
    absl::CivilDay start, end, deadline;
    bool extended = false;
    int64_t version = 0;
    int32_t class_unit = -1;        // interned unit of the class
    std::vector<int32_t> graders;   // interned people
    std::vector<int32_t> learners;  // interned people
    std::vector<int32_t> learner_unit;
    std::vector<Slot> slots;
    absl::flat_hash_map<int32_t, int32_t> learner_index;
    std::vector<std::string> skipped;
  };
  struct Lms {
    bdtx::v1::LmsResult result = bdtx::v1::LMS_RESULT_UNSPECIFIED;
    bool quiz = false, survey = false, programme_survey = false;
    bdtx::v1::Feedback feedback = bdtx::v1::FEEDBACK_UNSPECIFIED;
  };
  struct Where {
    int32_t run = -1;
    int32_t learner = -1;
  };

  int32_t Person(absl::string_view name);
  int32_t FindPerson(absl::string_view name) const;
  int32_t Unit(absl::string_view name, int32_t parent);
  int32_t FindUnit(absl::string_view name) const;
  static uint64_t LearnerKey(int32_t person, int year, int module);
  static uint64_t SlotKey(int32_t run, int32_t learner);
  const RunState* FindRun(absl::string_view class_name) const;
  RunState* FindRun(absl::string_view class_name);
  absl::StatusOr<std::pair<RunState*, Slot*>> FindSlot(absl::string_view assignment);
  Counters Contribution(const RunState& run, int32_t learner) const;
  // Subtracts (sign -1) or adds (+1) a learner's contribution to every counter key.
  void Count(const RunState& run, int32_t learner, int sign);
  bool Completed(int32_t person, int module) const;
  uint64_t Reserve(Slot* slot, int32_t run, int32_t learner);

  std::vector<std::string> people_;
  absl::flat_hash_map<std::string, int32_t> person_ids_;
  std::vector<std::string> units_;
  std::vector<int32_t> unit_parent_;
  absl::flat_hash_map<std::string, int32_t> unit_ids_;
  absl::flat_hash_map<int32_t, std::vector<int32_t>> unit_children_;
  std::vector<RunState> runs_;
  absl::flat_hash_map<std::string, int32_t> run_ids_;
  absl::flat_hash_map<uint64_t, Where> enrolment_;  // (person, year, module) -> slot
  absl::flat_hash_map<uint64_t, Lms> lms_;
  // unit (or class) -> (year << 8 | module) -> counters
  absl::flat_hash_map<int32_t, absl::flat_hash_map<uint32_t, Counters>> counters_;
  // (grader, year, module) -> the review stream's version and the assignments reviewed.
  struct Quota {
    int64_t version = 0;
    bool reserved = false;
    absl::flat_hash_set<uint64_t> assignments;  // SlotKey
  };
  absl::flat_hash_map<uint64_t, Quota> quotas_;
  // reservation id -> what it holds
  struct Reservation {
    int32_t run = -1, learner = -1;
    uint64_t review_key = 0;
  };
  absl::flat_hash_map<uint64_t, Reservation> reservations_;
  uint64_t next_reservation_ = 1;
};

// Parses an LMS results file (docs/grading.md): CSV with the header
// learner_id,year,module,result,quiz_done,survey_done,programme_survey_done,feedback
// or JSON (an array of objects with those keys). Every error is "file:line: what" (for
// JSON the line of the object), up to 50, in file order; any error rejects the file.
absl::StatusOr<std::vector<bdtx::v1::LmsRow>> ParseLmsResults(bdtx::v1::LmsFormat format,
                                                              absl::string_view file_name,
                                                              absl::string_view content);

}  // namespace bdtx::grading

#endif  // BDTX_SERVICES_GRADING_DOMAIN_GRADING_MODEL_H_
