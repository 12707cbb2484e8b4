#include "services/support/domain/activity_progress.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace bdtx::support {
namespace {

namespace v1 = ::bdtx::v1;

v1::Date D(int y, int m, int d) {
  v1::Date out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
}

v1::DocumentContent Plan() {
  v1::DocumentContent plan;
  plan.set_year(2023);
  plan.set_module(4);
  for (const char* number : {"1.1", "2.1", "2.2", "2.3", "3.1"}) {
    v1::Row* row = plan.add_rows();
    row->set_number(number);
  }
  return plan;
}

v1::SubRow* AddSub(v1::DocumentContent& plan, int row, const std::string& activity,
                   v1::Date from = {}, v1::Date to = {}) {
  v1::SubRow* s = plan.mutable_rows(row)->add_sub_rows();
  s->set_activity(activity);
  if (from.year() != 0) *s->mutable_from() = from;
  if (to.year() != 0) *s->mutable_to() = to;
  return s;
}

v1::SupportActivity Act(const std::string& id, v1::SupportRow row, v1::Date date,
                        const std::string& form, int module = 4) {
  v1::SupportActivity a;
  a.set_name(absl::StrCat("supportActivities/", id));
  a.set_core_member("people/gvcc-1");
  a.set_year(2023);
  a.set_module(module);
  a.set_row(row);
  *a.mutable_date() = date;
  a.set_form(form);
  a.add_participants("people/gv-1");
  return a;
}

std::vector<std::string> Names(const google::protobuf::RepeatedPtrField<v1::ActivityRef>& refs) {
  std::vector<std::string> out;
  for (const auto& r : refs) out.push_back(r.name());
  return out;
}

TEST(ActivityProgress, OnTimeLateNotDoneAndPendingPerSubRowWithUnplannedActivities) {
  v1::DocumentContent plan = Plan();
  // 2.3: two meetings, one observation, one in the future.
  AddSub(plan, 3, "Sinh hoạt chuyên môn tháng 10", D(2023, 10, 1), D(2023, 10, 31));
  AddSub(plan, 3, "Dự giờ tiết Toán", D(2023, 10, 1), D(2023, 10, 15));
  AddSub(plan, 3, "Sinh hoạt cụm tháng 11", D(2023, 11, 1), D(2023, 11, 30));
  AddSub(plan, 3, "Sinh hoạt chuyên môn tháng 12", D(2023, 12, 10), D(2023, 12, 31));
  // 2.2: window from the row.
  *plan.mutable_rows(2)->mutable_from() = D(2023, 9, 1);
  *plan.mutable_rows(2)->mutable_to() = D(2023, 9, 30);
  AddSub(plan, 2, "Nhóm Zalo tổ Toán");
  // 2.1: no window at all.
  AddSub(plan, 1, "Diễn đàn LMS");

  std::vector<v1::SupportActivity> log = {
      // Inside both October windows: the form decides it goes to the observation.
      Act("obs", v1::SUPPORT_ROW_IN_PERSON, D(2023, 10, 10), "Dự giờ"),
      // The October meeting.
      Act("meet", v1::SUPPORT_ROW_IN_PERSON, D(2023, 10, 20), "Sinh hoạt chuyên môn"),
      // A second October meeting: joins the October sub-row, no new status.
      Act("meet2", v1::SUPPORT_ROW_IN_PERSON, D(2023, 10, 25), "Sinh hoạt chuyên môn"),
      // After November closed (and before December opens), nothing inside it: late for
      // November.
      Act("late", v1::SUPPORT_ROW_IN_PERSON, D(2023, 12, 2), "Sinh hoạt cụm"),
      // 2.2 in September's row window: done. Another in November: unplanned.
      Act("zalo", v1::SUPPORT_ROW_ONLINE, D(2023, 9, 12), "Zalo"),
      Act("zalo-nov", v1::SUPPORT_ROW_ONLINE, D(2023, 11, 12), "Zalo"),
      // Another module: ignored.
      Act("m5", v1::SUPPORT_ROW_LMS, D(2023, 10, 3), "Diễn đàn LMS", 5),
  };
  v1::ActivityProgress out;
  CompareWithPlan(&plan, log, absl::CivilDay(2023, 12, 5), out);

  ASSERT_EQ(out.sub_rows_size(), 6);
  // Plan order: 2.1, 2.2, 2.3 (rows in the plan's order, sub-rows in theirs).
  EXPECT_EQ(out.sub_rows(0).number(), "2.1");
  EXPECT_EQ(out.sub_rows(0).progress(), v1::SUB_ROW_PENDING);  // no window: never overdue
  EXPECT_EQ(out.sub_rows(1).number(), "2.2");
  EXPECT_EQ(out.sub_rows(1).progress(), v1::SUB_ROW_DONE);
  EXPECT_EQ(out.sub_rows(1).from().month(), 9);  // the row's window
  EXPECT_EQ(Names(out.sub_rows(1).activities()),
            std::vector<std::string>{"supportActivities/zalo"});
  const auto& oct = out.sub_rows(2);
  EXPECT_EQ(oct.position(), 1);
  EXPECT_EQ(oct.progress(), v1::SUB_ROW_DONE);
  EXPECT_EQ(Names(oct.activities()),
            (std::vector<std::string>{"supportActivities/meet", "supportActivities/meet2"}));
  EXPECT_EQ(out.sub_rows(3).progress(), v1::SUB_ROW_DONE);
  EXPECT_EQ(Names(out.sub_rows(3).activities()), std::vector<std::string>{"supportActivities/obs"});
  EXPECT_EQ(out.sub_rows(4).progress(), v1::SUB_ROW_LATE);
  EXPECT_EQ(Names(out.sub_rows(4).activities()),
            std::vector<std::string>{"supportActivities/late"});
  EXPECT_EQ(out.sub_rows(5).progress(), v1::SUB_ROW_PENDING);  // December is still open

  EXPECT_EQ(Names(out.unplanned()), std::vector<std::string>{"supportActivities/zalo-nov"});
  EXPECT_EQ(out.unplanned_total(), 1);
  EXPECT_EQ(out.planned(), 6);
  EXPECT_EQ(out.done(), 3);
  EXPECT_EQ(out.late(), 1);
  EXPECT_EQ(out.not_done(), 0);
  EXPECT_EQ(out.pending(), 2);
  EXPECT_EQ(out.today().day(), 5);

  // A month later December has closed with nothing: not done.
  out.Clear();
  CompareWithPlan(&plan, log, absl::CivilDay(2024, 1, 1), out);
  EXPECT_EQ(out.sub_rows(5).progress(), v1::SUB_ROW_NOT_DONE);
  EXPECT_EQ(out.not_done(), 1);
  // On its last day it is still pending.
  out.Clear();
  CompareWithPlan(&plan, log, absl::CivilDay(2023, 12, 31), out);
  EXPECT_EQ(out.sub_rows(5).progress(), v1::SUB_ROW_PENDING);
}

TEST(ActivityProgress, AnActivityMatchesOnlyItsOwnRowAndOnlyOneSubRowDecides) {
  v1::DocumentContent plan = Plan();
  AddSub(plan, 1, "Lớp học ảo 1", D(2023, 10, 1), D(2023, 10, 7));
  AddSub(plan, 1, "Lớp học ảo 2", D(2023, 10, 1), D(2023, 10, 7));
  std::vector<v1::SupportActivity> log = {
      Act("inperson", v1::SUPPORT_ROW_IN_PERSON, D(2023, 10, 3), "Lớp học ảo"),
      Act("one", v1::SUPPORT_ROW_LMS, D(2023, 10, 3), "Lớp học ảo"),
  };
  v1::ActivityProgress out;
  CompareWithPlan(&plan, log, absl::CivilDay(2023, 10, 20), out);
  ASSERT_EQ(out.sub_rows_size(), 2);
  EXPECT_EQ(out.sub_rows(0).progress(), v1::SUB_ROW_DONE);
  EXPECT_EQ(out.sub_rows(1).progress(), v1::SUB_ROW_NOT_DONE);  // one activity, one sub-row
  EXPECT_EQ(Names(out.unplanned()), std::vector<std::string>{"supportActivities/inperson"});
}

TEST(ActivityProgress, WithoutAPlanEveryActivityIsUnplannedAndTheListIsCapped) {
  std::vector<v1::SupportActivity> log;
  for (int i = 0; i < kMaxUnplannedListed + 5; ++i) {
    log.push_back(
        Act(absl::StrCat("a", i), v1::SUPPORT_ROW_ONLINE, D(2023, 10, 1 + i % 28), "Zalo"));
  }
  v1::ActivityProgress out;
  CompareWithPlan(nullptr, log, absl::CivilDay(2023, 11, 1), out);
  EXPECT_EQ(out.sub_rows_size(), 0);
  EXPECT_EQ(out.planned(), 0);
  EXPECT_EQ(out.unplanned_total(), kMaxUnplannedListed + 5);
  ASSERT_EQ(out.unplanned_size(), kMaxUnplannedListed);
  EXPECT_EQ(out.unplanned(0).date().day(), 1);  // oldest first
  for (int i = 1; i < out.unplanned_size(); ++i) {
    EXPECT_LE(out.unplanned(i - 1).date().day(), out.unplanned(i).date().day());
  }
}

}  // namespace
}  // namespace bdtx::support
