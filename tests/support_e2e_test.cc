// End to end: real bdtx-directory and bdtx-support processes on loopback, a real gRPC
// client with minted tokens, and the support service's clock moved through its
// --clock_file (Vietnam days): the question lifecycle (answered on day 7 on time, day 8
// late; escalation gives the lecturer a new week), privacy (a stranger and a lecturer
// before escalation cannot read; officers see counts and open a case only with a
// reason), idempotent retries bound to caller and request, report rows 2.1–2.3 from
// the activity log, statistics per unit, and a restart that loses nothing.
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "bdtx/v1/approvals.grpc.pb.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "bdtx/v1/notifications.grpc.pb.h"
#include "bdtx/v1/plans.grpc.pb.h"
#include "bdtx/v1/support.grpc.pb.h"
#include "common/clock/vietnam_calendar.h"
#include "common/testing/service_process.h"
#include "common/testing/temp_dir.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/directory/testing/fake_directory.h"
#include "tests/e2e_support.h"

namespace bdtx {
namespace {

using ::bdtx::testing::StartService;
using ::bdtx::testing::Who;

const Who kAsker{"people/gv-1", {"MASS_TEACHER"}, "units/thcs-tanphu"};
const Who kAsker2{"people/gv-2", {"MASS_TEACHER"}, "units/thcs-tanphu"};
const Who kCore{"people/gvcc-thcs", {"CORE_TEACHER"}, "units/thcs-tanphu"};
const Who kLecturer{"people/gvsp-1", {"PEDAGOGY_LECTURER"}, "units/dhsp"};
const Who kStranger{"people/gvcc-phong", {"CORE_TEACHER"}, "units/dx"};
const Who kPrincipal{"people/ht-thcs", {"PRINCIPAL"}, "units/thcs-tanphu"};
const Who kPhong{"people/cv-phong", {"DISTRICT_OFFICER"}, "units/dx"};
const Who kOtherPhong{"people/cv-lninh", {"DISTRICT_OFFICER"}, "units/lninh"};
const Who kService{"services/plans", {}, ""};

class SupportE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetClock("2023-10-02T10:00:00+07:00");  // a Monday: day 0
    auto directory =
        testing::StartDirectory(BDTX_DIRECTORY_PATH, dir_.Sub("directory"), Key(), tokens_,
                                {{v1::UNITS, directory::kSampleUnits},
                                 {v1::PEOPLE, directory::kSamplePeople},
                                 {v1::ASSIGNMENTS, directory::kSampleAssignments}});
    ASSERT_TRUE(directory.ok()) << directory.status();
    directory_ = *std::move(directory);
    StartSupport();
  }

  void StartSupport(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--data_dir=" + dir_.Sub("support"), Key(),
                                     "--directory=" + directory_.address,
                                     "--clock_file=" + dir_.Sub("clock"), "--plans="};
    args.insert(args.end(), extra.begin(), extra.end());
    auto support = StartService(BDTX_SUPPORT_PATH, args);
    ASSERT_TRUE(support.ok()) << support.status();
    support_ = *std::move(support);
    stub_ = testing::StubTo<v1::Support>(support_.address);
  }

  // Grading, approvals and plans (without --support) into grading_, approvals_, plans_.
  void StartPlans() {
    const std::string d = "--directory=" + directory_.address;
    auto grading = StartService(BDTX_GRADING_PATH, {"--data_dir=" + dir_.Sub("grading"), Key(), d});
    ASSERT_TRUE(grading.ok()) << grading.status();
    grading_ = *std::move(grading);
    auto approvals =
        StartService(BDTX_APPROVALS_PATH, {"--data_dir=" + dir_.Sub("approvals"), Key(), d});
    ASSERT_TRUE(approvals.ok()) << approvals.status();
    approvals_ = *std::move(approvals);
    auto plans = StartService(
        BDTX_PLANS_PATH, {"--data_dir=" + dir_.Sub("plans"), Key(), d,
                          "--approvals=" + approvals_.address, "--grading=" + grading_.address});
    ASSERT_TRUE(plans.ok()) << plans.status();
    plans_ = *std::move(plans);
  }

  void SetClock(const std::string& rfc3339) { std::ofstream(dir_.Sub("clock")) << rfc3339; }
  std::string Key() const { return "--auth_key_file=" + dir_.Sub("auth.key"); }
  std::unique_ptr<grpc::ClientContext> As(const Who& p) { return tokens_.As(p); }

  grpc::Status Ask(const Who& who, v1::Question* q, const std::string& request_id = "",
                   v1::SupportChannel channel = v1::SUPPORT_CHANNEL_LMS_FORUM,
                   const std::string& asker = "",
                   const std::string& text = "Lập kế hoạch bài dạy theo chủ đề thế nào ạ?") {
    v1::AskQuestionRequest req;
    req.set_request_id(request_id);
    req.set_asker(asker);
    req.set_year(2023);
    req.set_module(4);
    req.set_channel(channel);
    req.set_text(text);
    return stub_->AskQuestion(As(who).get(), req, q);
  }
  grpc::Status Answer(const Who& who, const std::string& name, v1::Question* q,
                      const std::string& request_id = "") {
    v1::AnswerQuestionRequest req;
    req.set_request_id(request_id);
    req.set_name(name);
    req.set_text("Xem mục 2.3 của tài liệu, có ví dụ mẫu.");
    return stub_->AnswerQuestion(As(who).get(), req, q);
  }
  grpc::Status Escalate(const Who& who, const std::string& name, v1::Question* q) {
    v1::EscalateQuestionRequest req;
    req.set_name(name);
    req.set_note("Câu này về đánh giá năng lực, nhờ thầy trả lời.");
    return stub_->EscalateQuestion(As(who).get(), req, q);
  }
  grpc::Status Get(const Who& who, const std::string& name, v1::Question* q,
                   const std::string& reason = "") {
    v1::GetQuestionRequest req;
    req.set_name(name);
    req.set_audit_reason(reason);
    return stub_->GetQuestion(As(who).get(), req, q);
  }
  grpc::Status Log(v1::SupportRow row, std::vector<std::string> participants, int day,
                   v1::SupportActivity* out, const std::string& form = "") {
    v1::LogActivityRequest req;
    req.set_year(2023);
    req.set_module(4);
    req.set_row(row);
    req.mutable_date()->set_year(2023);
    req.mutable_date()->set_month(10);
    req.mutable_date()->set_day(day);
    req.set_form(!form.empty()                      ? form
                 : row == v1::SUPPORT_ROW_IN_PERSON ? "Sinh hoạt chuyên môn"
                                                    : "Diễn đàn LMS");
    for (auto& p : participants) req.add_participants(p);
    return stub_->LogActivity(As(kCore).get(), req, out);
  }
  v1::SupportStatistics Stats(const Who& who, const std::string& unit,
                              grpc::StatusCode expect = grpc::StatusCode::OK) {
    v1::ListSupportStatisticsRequest req;
    req.set_unit(unit);
    req.set_year(2023);
    req.set_module(4);
    v1::ListSupportStatisticsResponse resp;
    grpc::Status s = stub_->ListSupportStatistics(As(who).get(), req, &resp);
    EXPECT_EQ(s.error_code(), expect) << s.error_message();
    return resp.statistics_size() ? resp.statistics(0) : v1::SupportStatistics();
  }

  testing::TempDir dir_;
  testing::Tokens tokens_{dir_.Sub("auth.key")};
  testing::Running directory_, support_, grading_, approvals_, plans_;
  std::unique_ptr<v1::Support::Stub> stub_;
};

TEST_F(SupportE2eTest, QuestionLifecycleOnTimeLateAndEscalatedWithTheLecturersOwnWeek) {
  v1::Question q1, q2, q3, again;
  ASSERT_TRUE(Ask(kAsker, &q1, "ask-1").ok());
  EXPECT_EQ(q1.state(), v1::QUESTION_OPEN);
  EXPECT_EQ(q1.core_member(), kCore.name);
  EXPECT_EQ(q1.lecturer(), "");
  EXPECT_EQ(q1.due_time().seconds(), 1696870799);  // 2023-10-09T23:59:59+07:00
  // A retry answers the first result; the same id for another question is refused.
  ASSERT_TRUE(Ask(kAsker, &again, "ask-1").ok());
  EXPECT_EQ(again.SerializeAsString(), q1.SerializeAsString());
  EXPECT_EQ(Ask(kAsker, &again, "ask-1", v1::SUPPORT_CHANNEL_CHAT).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  ASSERT_TRUE(Ask(kAsker2, &q2).ok());
  // The core member logs a question they received in person, on gv-1's behalf.
  ASSERT_TRUE(Ask(kCore, &q3, "", v1::SUPPORT_CHANNEL_IN_PERSON, kAsker.name).ok());
  EXPECT_EQ(q3.logged_by(), kCore.name);
  EXPECT_EQ(q3.asker(), kAsker.name);

  // Privacy: a stranger reads nothing, not even with a retried request_id of the asker;
  // the lecturer sees nothing before escalation; a stranger cannot ask for someone else.
  EXPECT_EQ(Get(kStranger, q1.name(), &again).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Get(kStranger, "questions/nope", &again).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Answer(kStranger, q1.name(), &again, "ask-1").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Get(kLecturer, q1.name(), &again).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Ask(kStranger, &again, "", v1::SUPPORT_CHANNEL_CHAT, kAsker.name).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Get(kAsker2, q2.name(), &again).ok());
  EXPECT_EQ(Get(kAsker2, q1.name(), &again).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // Day 7, 23:00: on time.
  SetClock("2023-10-09T23:00:00+07:00");
  ASSERT_TRUE(Answer(kCore, q1.name(), &q1, "ans-1").ok());
  EXPECT_EQ(q1.state(), v1::QUESTION_ANSWERED);
  EXPECT_FALSE(q1.thread(1).late());
  ASSERT_TRUE(Answer(kCore, q1.name(), &again, "ans-1").ok());  // retry: same answer
  EXPECT_EQ(again.SerializeAsString(), q1.SerializeAsString());
  // Day 8: late, but taken.
  SetClock("2023-10-10T08:00:00+07:00");
  ASSERT_TRUE(Answer(kCore, q2.name(), &q2).ok());
  EXPECT_TRUE(q2.thread(1).late());
  // Escalated on day 8: the lecturer's own week runs to 17 October.
  ASSERT_TRUE(Escalate(kCore, q3.name(), &q3).ok());
  EXPECT_EQ(q3.state(), v1::QUESTION_ESCALATED);
  EXPECT_EQ(q3.lecturer(), kLecturer.name);
  EXPECT_EQ(q3.due_time().seconds(), 1697561999);  // 2023-10-17T23:59:59+07:00
  EXPECT_EQ(Answer(kCore, q3.name(), &again).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(Get(kLecturer, q3.name(), &again).ok());
  SetClock("2023-10-17T20:00:00+07:00");
  ASSERT_TRUE(Answer(kLecturer, q3.name(), &q3).ok());
  EXPECT_FALSE(q3.thread(2).late());
  EXPECT_TRUE(q3.thread(2).by_lecturer());

  // The asker resolves one and follows up on another, which reopens it with a new week.
  v1::ResolveQuestionRequest resolve;
  resolve.set_name(q1.name());
  resolve.set_expected_version(q1.version());
  ASSERT_TRUE(stub_->ResolveQuestion(As(kAsker).get(), resolve, &q1).ok());
  EXPECT_EQ(q1.state(), v1::QUESTION_RESOLVED);
  EXPECT_EQ(stub_->ResolveQuestion(As(kAsker).get(), resolve, &again).error_code(),
            grpc::StatusCode::ABORTED);  // stale expected_version
  v1::FollowUpQuestionRequest follow;
  follow.set_name(q2.name());
  follow.set_text("Còn phần rubric thì sao ạ?");
  ASSERT_TRUE(stub_->FollowUpQuestion(As(kAsker2).get(), follow, &q2).ok());
  EXPECT_EQ(q2.state(), v1::QUESTION_OPEN);

  // Lists: each person their own view.
  v1::ListQuestionsRequest list;
  list.set_view(v1::ASSIGNED_TO_ME);
  v1::ListQuestionsResponse listed;
  ASSERT_TRUE(stub_->ListQuestions(As(kCore).get(), list, &listed).ok());
  ASSERT_EQ(listed.questions_size(), 1);
  EXPECT_EQ(listed.questions(0).name(), q2.name());
  list.set_view(v1::SUPPORTED_BY_ME);
  ASSERT_TRUE(stub_->ListQuestions(As(kStranger).get(), list, &listed).ok());
  EXPECT_EQ(listed.questions_size(), 0);

  // Officers see counts, never text, and open a case only with a recorded reason.
  SetClock("2023-10-20T08:00:00+07:00");
  const v1::SupportStatistics dx = Stats(kPhong, "units/dx");
  EXPECT_EQ(dx.questions(), 3);
  EXPECT_EQ(dx.answered(), 3);
  EXPECT_EQ(dx.answered_in_week(), 2);
  EXPECT_EQ(dx.answered_late(), 1);
  EXPECT_EQ(dx.overdue(), 0);  // q2's follow-up is due on the 24th
  EXPECT_EQ(dx.escalated(), 1);
  EXPECT_EQ(dx.resolved(), 1);
  Stats(kOtherPhong, "units/dx", grpc::StatusCode::PERMISSION_DENIED);
  Stats(kAsker, "units/thcs-tanphu", grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Get(kPrincipal, q2.name(), &again).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Get(kOtherPhong, q2.name(), &again, "tò mò").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Get(kPrincipal, q2.name(), &again, "Phụ huynh khiếu nại, cần xem").ok());
  EXPECT_EQ(again.version(), q2.version() + 1);  // the opening is on the record
  SetClock("2023-10-25T08:00:00+07:00");
  EXPECT_EQ(Stats(kPhong, "units/dx").overdue(), 1);

  // Restart: everything acknowledged is back.
  support_.process->Signal(SIGTERM);
  auto exit = support_.process->WaitExit(absl::Seconds(30));
  ASSERT_TRUE(exit.ok());
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0) << support_.process->Output();
  StartSupport();
  v1::Question after;
  ASSERT_TRUE(Get(kAsker, q3.name(), &after).ok());
  EXPECT_EQ(after.SerializeAsString(), q3.SerializeAsString());
  ASSERT_TRUE(Answer(kCore, q1.name(), &again, "ans-1").ok());  // the record survived too
  EXPECT_EQ(again.state(), v1::QUESTION_ANSWERED);
}

TEST_F(SupportE2eTest, ReportRowsFromTheActivityLogAndTheQuestions) {
  SetClock("2023-10-12T10:00:00+07:00");
  v1::SupportActivity a;
  ASSERT_TRUE(Log(v1::SUPPORT_ROW_IN_PERSON, {kAsker.name, kAsker2.name}, 5, &a).ok());
  EXPECT_EQ(a.core_member(), kCore.name);
  ASSERT_TRUE(Log(v1::SUPPORT_ROW_LMS, {kAsker2.name}, 6, &a).ok());
  EXPECT_EQ(Log(v1::SUPPORT_ROW_LMS, {"people/gv-9"}, 6, &a).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Log(v1::SUPPORT_ROW_LMS, {}, 13, &a).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // tomorrow
  v1::Question q;
  ASSERT_TRUE(Ask(kAsker, &q, "", v1::SUPPORT_CHANNEL_CHAT).ok());
  ASSERT_TRUE(Answer(kCore, q.name(), &q).ok());

  v1::GetSupportReportCountsRequest req;
  req.set_core_member(kCore.name);
  req.set_year(2023);
  req.set_module(4);
  v1::SupportReportCounts counts;
  ASSERT_TRUE(stub_->GetSupportReportCounts(As(kService).get(), req, &counts).ok());
  ASSERT_EQ(counts.rows_size(), 3);
  EXPECT_EQ(counts.colleagues(), 2);
  {
    // ADR 012: an import changes the support group; the service's 30 s directory cache is
    // emptied by the directory watch (ServiceRunner::OnDirectoryChange), so the new
    // colleague counts at once, not after the cache's time to live.
    auto directory = testing::StubTo<v1::Directory>(directory_.address);
    const absl::Time imported = absl::Now();
    ASSERT_TRUE(
        testing::ImportCsvs(
            *directory, tokens_,
            {{v1::PEOPLE,
              "id,code,full_name,roles,home_unit_id,subject,level,email\n"
              "gv-3,,Giáo viên Ba,mass_teacher,thcs-tanphu,Toán,THCS,\n"},
             {v1::ASSIGNMENTS, "year,module,kind,from_id,to_id\n2023,4,support,gvcc-thcs,gv-3\n"}})
            .ok());
    v1::SupportReportCounts fresh;
    while (absl::Now() < imported + absl::Seconds(10)) {
      ASSERT_TRUE(stub_->GetSupportReportCounts(As(kService).get(), req, &fresh).ok());
      if (fresh.colleagues() == 3) break;
      absl::SleepFor(absl::Milliseconds(50));
    }
    EXPECT_EQ(fresh.colleagues(), 3);
    EXPECT_LE(absl::Now() - imported, absl::Seconds(5))
        << "the cached support group outlived the import";
  }
  EXPECT_EQ(counts.rows(0).number(), "2.1");
  EXPECT_EQ(counts.rows(0).participants(), 1);
  EXPECT_EQ(counts.rows(0).activities(), 1);
  EXPECT_EQ(counts.rows(1).questions(), 1);
  EXPECT_EQ(counts.rows(1).participants(), 1);
  EXPECT_EQ(counts.rows(1).answered_by_core_member_in_week(), 1);
  EXPECT_EQ(counts.rows(2).participants(), 2);
  // The core member and their lecturer read it; a colleague does not.
  EXPECT_TRUE(stub_->GetSupportReportCounts(As(kCore).get(), req, &counts).ok());
  EXPECT_TRUE(stub_->GetSupportReportCounts(As(kLecturer).get(), req, &counts).ok());
  EXPECT_EQ(stub_->GetSupportReportCounts(As(kAsker).get(), req, &counts).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ListActivitiesRequest list;
  list.set_core_member(kCore.name);
  list.set_year(2023);
  v1::ListActivitiesResponse listed;
  ASSERT_TRUE(stub_->ListActivities(As(kPhong).get(), list, &listed).ok());
  EXPECT_EQ(listed.activities_size(), 2);
  EXPECT_EQ(stub_->ListActivities(As(kStranger).get(), list, &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Another core member cannot log in this one's name (a complete request: an incomplete
  // one is INVALID_ARGUMENT at the edge before any handler).
  v1::LogActivityRequest other;
  other.set_core_member(kCore.name);
  other.set_year(2023);
  other.set_module(4);
  other.set_row(v1::SUPPORT_ROW_IN_PERSON);
  other.mutable_date()->set_year(2023);
  other.mutable_date()->set_month(10);
  other.mutable_date()->set_day(6);
  other.set_form("Dự giờ");
  EXPECT_EQ(stub_->LogActivity(As(kStranger).get(), other, &a).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// Notifications follows the support stream: the core member hears of a new question
// (and, the question being due in the simulated past of the support clock, of its
// reminder at once), the lecturer of the escalation, the asker of the answer.
TEST_F(SupportE2eTest, NotificationsTellTheCoreMemberTheLecturerAndTheAsker) {
  auto notifications = StartService(
      BDTX_NOTIFICATIONS_PATH,
      {"--data_dir=" + dir_.Sub("notifications"), Key(), "--directory=" + directory_.address,
       "--approvals=", "--grading=", "--support=" + support_.address, "--poll_interval=50ms"});
  ASSERT_TRUE(notifications.ok()) << notifications.status();
  auto inbox = testing::StubTo<v1::Notifications>(notifications->address);
  auto kinds_of = [&](const Who& who) {
    v1::ListNotificationsRequest req;
    v1::ListNotificationsResponse resp;
    std::multiset<v1::NotificationKind> kinds;
    if (inbox->ListNotifications(As(who).get(), req, &resp).ok()) {
      for (const auto& n : resp.notifications()) kinds.insert(n.kind());
    }
    return kinds;
  };
  auto wait_for = [&](const Who& who, v1::NotificationKind kind) {
    for (int i = 0; i < 200; ++i) {
      if (kinds_of(who).count(kind) > 0) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  };
  v1::Question q;
  ASSERT_TRUE(Ask(kAsker, &q).ok());
  EXPECT_TRUE(wait_for(kCore, v1::SUPPORT_QUESTION_ASKED));
  EXPECT_TRUE(wait_for(kCore, v1::SUPPORT_QUESTION_DUE_SOON));  // due 9 Oct 2023: long past
  ASSERT_TRUE(Escalate(kCore, q.name(), &q).ok());
  EXPECT_TRUE(wait_for(kLecturer, v1::SUPPORT_QUESTION_ESCALATED));
  EXPECT_TRUE(wait_for(kLecturer, v1::SUPPORT_QUESTION_DUE_SOON));
  ASSERT_TRUE(Answer(kLecturer, q.name(), &q).ok());
  EXPECT_TRUE(wait_for(kAsker, v1::SUPPORT_QUESTION_ANSWERED));
  // Exactly once each; nobody else hears of it.
  EXPECT_EQ(kinds_of(kCore).count(v1::SUPPORT_QUESTION_ASKED), 1u);
  EXPECT_EQ(kinds_of(kAsker).size(), 1u);
  EXPECT_TRUE(kinds_of(kStranger).empty());
}

// The report (plans, started with --support) takes rows 2.1–2.3 from the support
// service, marked with their source.
TEST_F(SupportE2eTest, ThePlansReportTakesRowsTwoOneToTwoThreeFromSupport) {
  SetClock("2023-10-12T10:00:00+07:00");
  v1::SupportActivity a;
  ASSERT_TRUE(Log(v1::SUPPORT_ROW_IN_PERSON, {kAsker.name, kAsker2.name}, 5, &a).ok());
  v1::Question q;
  ASSERT_TRUE(Ask(kAsker, &q, "", v1::SUPPORT_CHANNEL_CHAT).ok());
  ASSERT_TRUE(Answer(kCore, q.name(), &q).ok());

  auto grading = StartService(BDTX_GRADING_PATH, {"--data_dir=" + dir_.Sub("grading"), Key(),
                                                  "--directory=" + directory_.address});
  ASSERT_TRUE(grading.ok()) << grading.status();
  auto approvals = StartService(BDTX_APPROVALS_PATH, {"--data_dir=" + dir_.Sub("approvals"), Key(),
                                                      "--directory=" + directory_.address});
  ASSERT_TRUE(approvals.ok()) << approvals.status();
  auto plans = StartService(
      BDTX_PLANS_PATH, {"--data_dir=" + dir_.Sub("plans"), Key(),
                        "--directory=" + directory_.address, "--approvals=" + approvals->address,
                        "--grading=" + grading->address, "--support=" + support_.address});
  ASSERT_TRUE(plans.ok()) << plans.status();
  auto stub = testing::StubTo<v1::Plans>(plans->address);
  v1::CreatePlanRequest plan_req;
  plan_req.set_author(kCore.name);
  plan_req.set_year(2023);
  plan_req.set_module(4);
  v1::SupportDocument plan, report;
  grpc::Status s = stub->CreatePlan(As(kCore).get(), plan_req, &plan);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::CreateReportRequest report_req;
  report_req.set_author(kCore.name);
  report_req.set_year(2023);
  report_req.set_module(4);
  s = stub->CreateReport(As(kCore).get(), report_req, &report);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::map<std::string, v1::Result> rows;
  for (const v1::Row& row : report.content().rows()) rows[row.number()] = row.result();
  EXPECT_EQ(rows["2.2"].source(), v1::FROM_SUPPORT);
  EXPECT_EQ(rows["2.2"].count(), 1);  // gv-1 asked on chat
  EXPECT_EQ(rows["2.2"].base(), 2);
  EXPECT_EQ(rows["2.2"].questions().asked(), 1);
  EXPECT_EQ(rows["2.2"].questions().answered_by_core_member(), 1);
  EXPECT_EQ(rows["2.2"].questions().source(), v1::FROM_SUPPORT);
  EXPECT_DOUBLE_EQ(rows["2.2"].questions().answered_percent(), 100.0);
  EXPECT_EQ(rows["2.3"].source(), v1::FROM_SUPPORT);
  EXPECT_EQ(rows["2.3"].count(), 2);  // both took part in the logged meeting
  EXPECT_EQ(rows["2.1"].questions().source(), v1::FROM_SUPPORT);
  EXPECT_EQ(rows["2.1"].questions().asked(), 0);
}

// Plan vs done: support asks plans for the core member's plan and lists each sub-row of
// 2.1–2.3 beside the activities logged against it.
TEST_F(SupportE2eTest, PlanVsDoneListsEachPlannedSubRowBesideTheActivitiesLogged) {
  SetClock("2023-10-12T10:00:00+07:00");
  ASSERT_NO_FATAL_FAILURE(StartPlans());
  const testing::Running* plans = &plans_;
  v1::GetActivityProgressRequest req;
  req.set_core_member(kCore.name);
  req.set_year(2023);
  req.set_module(4);
  v1::ActivityProgress progress;
  // Started without plans (--plans=), the read says so instead of guessing.
  EXPECT_EQ(stub_->GetActivityProgress(As(kCore).get(), req, &progress).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  support_ = {};  // one process on the data dir at a time
  StartSupport({"--plans=" + plans->address});

  // No plan yet: every activity logged is unplanned.
  v1::SupportActivity meeting, zalo, lms;
  ASSERT_TRUE(Log(v1::SUPPORT_ROW_IN_PERSON, {kAsker.name}, 5, &meeting).ok());
  grpc::Status s = stub_->GetActivityProgress(As(kCore).get(), req, &progress);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(progress.plan(), "");
  EXPECT_EQ(progress.sub_rows_size(), 0);
  EXPECT_EQ(progress.unplanned_total(), 1);

  // The plan names four sub-rows.
  auto plans_stub = testing::StubTo<v1::Plans>(plans->address);
  v1::CreatePlanRequest create;
  create.set_author(kCore.name);
  create.set_year(2023);
  create.set_module(4);
  v1::SupportDocument plan;
  s = plans_stub->CreatePlan(As(kCore).get(), create, &plan);
  ASSERT_TRUE(s.ok()) << s.error_message();
  auto window = [](v1::SubRow* sub, const char* activity, int from, int to) {
    sub->set_activity(activity);
    sub->mutable_from()->set_year(2023);
    sub->mutable_from()->set_month(10);
    sub->mutable_from()->set_day(from);
    sub->mutable_to()->set_year(2023);
    sub->mutable_to()->set_month(10);
    sub->mutable_to()->set_day(to);
  };
  v1::UpdateSupportDocumentRequest update;
  *update.mutable_content() = plan.content();
  update.mutable_update_mask()->add_paths("rows");
  for (v1::Row& row : *update.mutable_content()->mutable_rows()) {
    if (row.number() == "2.2") window(row.add_sub_rows(), "Nhóm Zalo tổ Toán", 2, 4);
    if (row.number() == "2.3") {
      window(row.add_sub_rows(), "Sinh hoạt chuyên môn tổ Toán", 2, 6);
      window(row.add_sub_rows(), "Dự giờ tiết dạy minh hoạ", 2, 31);
      window(row.add_sub_rows(), "Sinh hoạt cụm trường", 9, 10);
    }
  }
  s = plans_stub->UpdateDocument(As(kCore).get(), update, &plan);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // Zalo on the 11th, a week after its window; an LMS forum the plan does not name.
  ASSERT_TRUE(Log(v1::SUPPORT_ROW_ONLINE, {kAsker2.name}, 11, &zalo, "Nhóm Zalo").ok());
  ASSERT_TRUE(Log(v1::SUPPORT_ROW_LMS, {}, 3, &lms).ok());

  s = stub_->GetActivityProgress(As(kCore).get(), req, &progress);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(progress.plan(), "documents/gvcc-thcs-2023-m4-plan");
  EXPECT_EQ(progress.plan_version(), plan.version());
  EXPECT_EQ(progress.plan_state(), v1::DRAFT);
  EXPECT_EQ(progress.today().day(), 12);
  ASSERT_EQ(progress.sub_rows_size(), 4);
  const v1::PlannedSubRow& z = progress.sub_rows(0);
  EXPECT_EQ(z.number(), "2.2");
  EXPECT_EQ(z.progress(), v1::SUB_ROW_LATE);
  ASSERT_EQ(z.activities_size(), 1);
  EXPECT_EQ(z.activities(0).name(), zalo.name());
  EXPECT_EQ(progress.sub_rows(1).progress(), v1::SUB_ROW_DONE);
  ASSERT_EQ(progress.sub_rows(1).activities_size(), 1);
  EXPECT_EQ(progress.sub_rows(1).activities(0).name(), meeting.name());
  EXPECT_EQ(progress.sub_rows(1).activities(0).participants(), 1);
  EXPECT_EQ(progress.sub_rows(2).progress(), v1::SUB_ROW_PENDING);   // open until the 31st
  EXPECT_EQ(progress.sub_rows(3).progress(), v1::SUB_ROW_NOT_DONE);  // closed on the 10th
  EXPECT_EQ(progress.sub_rows(3).position(), 3);
  ASSERT_EQ(progress.unplanned_size(), 1);
  EXPECT_EQ(progress.unplanned(0).name(), lms.name());
  EXPECT_EQ(progress.done(), 1);
  EXPECT_EQ(progress.late(), 1);
  EXPECT_EQ(progress.not_done(), 1);
  EXPECT_EQ(progress.pending(), 1);
  // Once the month is over the observation was not done.
  SetClock("2023-11-01T08:00:00+07:00");
  ASSERT_TRUE(stub_->GetActivityProgress(As(kCore).get(), req, &progress).ok());
  EXPECT_EQ(progress.not_done(), 2);

  // Submitted, returned and edited again: the plan is what the approval chain saw, not
  // the newer draft.
  v1::SubmitSupportDocumentRequest submit;
  submit.set_name(plan.content().name());
  v1::SupportDocument submitted;
  s = plans_stub->SubmitDocument(As(kCore).get(), submit, &submitted);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::ReturnRequest give_back;
  give_back.set_document(plan.content().name());
  give_back.set_reason("Bổ sung thời gian dự giờ");
  v1::Document returned;
  s = testing::StubTo<v1::Approvals>(approvals_.address)
          ->Return(As(kLecturer).get(), give_back, &returned);
  ASSERT_TRUE(s.ok()) << s.error_message();
  *update.mutable_content() = plan.content();
  for (v1::Row& row : *update.mutable_content()->mutable_rows()) {
    if (row.number() == "2.1") window(row.add_sub_rows(), "Diễn đàn LMS", 2, 31);
  }
  v1::SupportDocument draft;
  s = plans_stub->UpdateDocument(As(kCore).get(), update, &draft);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_GT(draft.version(), plan.version());
  ASSERT_TRUE(stub_->GetActivityProgress(As(kCore).get(), req, &progress).ok());
  EXPECT_EQ(progress.plan_version(), plan.version());
  EXPECT_EQ(progress.plan_state(), v1::RETURNED);
  EXPECT_EQ(progress.sub_rows_size(), 4);
  EXPECT_EQ(progress.unplanned_total(), 1);  // the LMS forum is not in the submitted plan

  // Readers: as the report counts (the lecturer, officers above the core member's unit);
  // not a colleague, another core member or another district's officer.
  EXPECT_TRUE(stub_->GetActivityProgress(As(kLecturer).get(), req, &progress).ok());
  EXPECT_TRUE(stub_->GetActivityProgress(As(kPhong).get(), req, &progress).ok());
  EXPECT_TRUE(stub_->GetActivityProgress(As(kPrincipal).get(), req, &progress).ok());
  for (const Who& who : {kAsker, kStranger, kOtherPhong}) {
    EXPECT_EQ(stub_->GetActivityProgress(As(who).get(), req, &progress).error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << who.name;
  }
  // Bad input is refused naming the field.
  v1::GetActivityProgressRequest bad = req;
  bad.set_year(1999);
  EXPECT_EQ(stub_->GetActivityProgress(As(kCore).get(), bad, &progress).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  bad = req;
  bad.set_core_member("gvcc-thcs");
  EXPECT_EQ(stub_->GetActivityProgress(As(kCore).get(), bad, &progress).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// The Bình Phước letter (seed 001): a module that was not run is reported "Chưa triển
// khai" dated the reporting day, which may be long after the module's year. Plans' own
// clock is real (2026 or later), the module's year 2023: it is submitted, not refused.
TEST_F(SupportE2eTest, ANotDeployedReportDatedOnItsReportingDayIsSubmitted) {
  ASSERT_NO_FATAL_FAILURE(StartPlans());
  auto plans = testing::StubTo<v1::Plans>(plans_.address);
  v1::CreatePlanRequest create;
  create.set_author(kCore.name);
  create.set_year(2023);
  create.set_module(4);
  v1::SupportDocument plan, report;
  grpc::Status s = plans->CreatePlan(As(kCore).get(), create, &plan);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::SubmitSupportDocumentRequest submit;
  submit.set_name(plan.content().name());
  s = plans->SubmitDocument(As(kCore).get(), submit, &plan);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // A report follows a signed-off plan: the lecturer approves, the principal signs.
  auto approvals = testing::StubTo<v1::Approvals>(approvals_.address);
  v1::ApproveRequest approve;
  approve.set_document(plan.content().name());
  approve.set_comment("Đạt");
  v1::Document approval;
  s = approvals->Approve(As(kLecturer).get(), approve, &approval);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::SignOffRequest sign;
  sign.set_document(plan.content().name());
  sign.set_method(v1::ONLINE);
  const Who principal{"people/ht-thcs", {"PRINCIPAL", "CORE_MANAGER"}, "units/thcs-tanphu"};
  s = approvals->SignOff(As(principal).get(), sign, &approval);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::CreateReportRequest create_report;
  create_report.set_author(kCore.name);
  create_report.set_year(2023);
  create_report.set_module(4);
  create_report.set_not_deployed(true);  // report_date: today
  s = plans->CreateReport(As(kCore).get(), create_report, &report);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const absl::CivilDay today = VietnamDay(absl::Now());
  EXPECT_EQ(report.content().report_date().year(), today.year());
  EXPECT_GT(report.content().report_date().year(), 2024);
  for (const v1::Row& row : report.content().rows()) {
    EXPECT_EQ(row.result().text(), "Chưa triển khai") << row.number();
    EXPECT_EQ(row.from().SerializeAsString(), report.content().report_date().SerializeAsString());
  }
  submit.set_name(report.content().name());
  s = plans->SubmitDocument(As(kCore).get(), submit, &report);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(report.approval_state(), v1::SUBMITTED);
}

}  // namespace
}  // namespace bdtx
