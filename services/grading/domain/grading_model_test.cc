#include "services/grading/domain/grading_model.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace bdtx::grading {
namespace {

using v1::Date;

std::pair<int64_t, int64_t> Pair(int64_t a, int64_t b) { return {a, b}; }

Date D(int y, int m, int d) { return FromCivil(absl::CivilDay(y, m, d)); }

absl::Time At(int y, int m, int d, int hour = 12) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hour, 0, 0), VietnamTime());
}

const Actor kSo{"people/cv-so", {v1::PROVINCE_OFFICER}, "units/bp"};
const Actor kOtherSo{"people/cv-so-hn", {v1::PROVINCE_OFFICER}, "units/hn"};
const Actor kGrader{"people/gvcc-1", {v1::CORE_TEACHER, v1::REPORTER}, "units/thcs-a"};
const Actor kOtherGrader{"people/gvcc-9", {v1::CORE_TEACHER, v1::REPORTER}, "units/thcs-a"};
const Actor kLecturer{"people/gvsp-1", {v1::PEDAGOGY_LECTURER}, "units/dhsp"};

ClassFacts Class(const std::string& id, int module, int learners, int first = 0) {
  ClassFacts f;
  f.cls.set_name("classes/" + id);
  f.cls.set_year(2023);
  f.cls.set_module(module);
  f.cls.set_unit("units/bp");
  f.cls.add_graders(kGrader.person);
  f.class_unit_ancestry = {"units/bp", "units/moet"};
  for (int i = first; i < first + learners; ++i) {
    ClassFacts::Learner l;
    l.person.set_name(absl::StrCat("people/gv-", i));
    l.person.add_roles(v1::MASS_TEACHER);
    const std::string school = i % 2 ? "units/thcs-a" : "units/thcs-b";
    l.unit_ancestry = {school, "units/dx", "units/bp", "units/moet"};
    f.learners.push_back(l);
  }
  return f;
}

class GradingModelTest : public ::testing::Test {
 protected:
  // Decides and, when accepted, applies at the next version (as the store would).
  absl::Status Run(absl::StatusOr<Decision> d) {
    if (!d.ok()) return d.status();
    model_.Apply(d->stream, ++versions_[d->stream], d->event);
    model_.Release(d->reservation);
    return absl::OkStatus();
  }
  void Lms(const std::string& learner, int module, v1::LmsResult result, bool quiz = true,
           bool survey = true, v1::Feedback fb = v1::POSITIVE, int year = 2023) {
    GradingEvent e;
    v1::LmsRow* row = e.mutable_lms_results_imported()->add_rows();
    row->set_learner(learner);
    row->set_year(year);
    row->set_module(module);
    row->set_result(result);
    row->set_quiz_done(quiz);
    row->set_survey_done(survey);
    row->set_feedback(fb);
    model_.Apply("lms-imports/x", 1, e);
  }
  absl::Status Enroll(const ClassFacts& f, const Actor& a = kSo) {
    return Run(model_.DecideEnroll(a, f, D(2023, 10, 2)));
  }
  absl::Status Submit(const std::string& cls, const std::string& learner,
                      absl::Time now = At(2023, 10, 10)) {
    Actor self{learner, {v1::MASS_TEACHER}, "units/thcs-a"};
    return Run(
        model_.DecideSubmit(self, cls, learner, "s3://bucket/f.pdf", std::string(64, 'a'), now));
  }
  absl::Status Grade(const std::string& assignment, v1::Verdict v, absl::Time now,
                     const Actor& who = kGrader) {
    v1::GradeRequest req;
    req.set_assignment(assignment);
    req.set_verdict(v);
    return Run(model_.DecideGrade(who, req, now));
  }

  GradingModel model_;
  std::map<std::string, int64_t> versions_;
};

TEST_F(GradingModelTest, ScheduleIsSevenTwoSevenAndWindowTenDays) {
  ASSERT_TRUE(Enroll(Class("c1", 3, 2)).ok());
  auto run = model_.GetRun("classes/c1");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(ToCivil(run->end()), absl::CivilDay(2023, 10, 17));  // 16 days from 2 Oct
  EXPECT_EQ(ToCivil(run->grading_deadline()), absl::CivilDay(2023, 10, 27));
  EXPECT_EQ(model_.AssignmentVersion("classes/c1/assignments/gv-0"), 0);
}

TEST_F(GradingModelTest, WindowEdgesAndExtension) {
  ASSERT_TRUE(Enroll(Class("c1", 3, 3)).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Submit("classes/c1", absl::StrCat("people/gv-", i)).ok());
  // The 10th day after the module ended (17 Oct) is 27 Oct: still open at 23:59.
  EXPECT_TRUE(Grade("classes/c1/assignments/gv-0", v1::PASS, At(2023, 10, 27, 23)).ok());
  // The 11th day: closed, naming the deadline.
  absl::Status late = Grade("classes/c1/assignments/gv-1", v1::PASS, At(2023, 10, 28, 0));
  EXPECT_EQ(late.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(late.message().find("2023-10-27"), std::string::npos) << late;
  // Only a Sở of the class's province extends, with a reason, to a later day.
  v1::GrantExtensionRequest ext;
  ext.set_class_name("classes/c1");
  *ext.mutable_deadline() = D(2023, 11, 5);
  ext.set_reason("graders ill");
  EXPECT_EQ(model_.DecideExtension(kOtherSo, ext).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(model_.DecideExtension(kGrader, ext).status().code(),
            absl::StatusCode::kPermissionDenied);
  v1::GrantExtensionRequest no_reason = ext;
  no_reason.clear_reason();
  EXPECT_EQ(model_.DecideExtension(kSo, no_reason).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::GrantExtensionRequest earlier = ext;
  *earlier.mutable_deadline() = D(2023, 10, 20);
  EXPECT_EQ(model_.DecideExtension(kSo, earlier).status().code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(Run(model_.DecideExtension(kSo, ext)).ok());
  EXPECT_TRUE(Grade("classes/c1/assignments/gv-1", v1::PASS, At(2023, 10, 28, 0)).ok());
  EXPECT_TRUE(Grade("classes/c1/assignments/gv-2", v1::FAIL, At(2023, 11, 5, 22)).ok());
  EXPECT_EQ(Grade("classes/c1/assignments/gv-2", v1::PASS, At(2023, 11, 6, 1)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(model_.GetRun("classes/c1")->extended());
}

TEST_F(GradingModelTest, WindowsClosingWithin48HoursCountTheirUngradedSubmissions) {
  ASSERT_TRUE(Enroll(Class("c1", 3, 4)).ok());  // window open through 27 Oct (Vietnam)
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Submit("classes/c1", absl::StrCat("people/gv-", i)).ok());
  using Pair = std::pair<int64_t, int64_t>;
  auto closing = [&](absl::Time now) {
    auto c = model_.WindowsClosingWithin(now, absl::Hours(48));
    return std::pair{c.runs, c.ungraded};
  };
  // It closes at 28 Oct 00:00: 72 h before, not yet; 47 h before, with 3 ungraded (gv-3
  // submitted nothing).
  EXPECT_EQ(closing(At(2023, 10, 25, 0)), Pair(0, 0));
  EXPECT_EQ(closing(At(2023, 10, 26, 1)), Pair(1, 3));
  ASSERT_TRUE(Grade("classes/c1/assignments/gv-0", v1::PASS, At(2023, 10, 26, 10)).ok());
  EXPECT_EQ(closing(At(2023, 10, 27, 23)), Pair(1, 2));
  EXPECT_EQ(closing(At(2023, 10, 28, 0)), Pair(0, 0));  // closed
  // An extension moves the closing time away.
  v1::GrantExtensionRequest ext;
  ext.set_class_name("classes/c1");
  *ext.mutable_deadline() = D(2023, 11, 5);
  ext.set_reason("graders ill");
  ASSERT_TRUE(Run(model_.DecideExtension(kSo, ext)).ok());
  EXPECT_EQ(closing(At(2023, 10, 27, 23)), Pair(0, 0));
  EXPECT_EQ(closing(At(2023, 11, 4, 12)), Pair(1, 2));
}

TEST_F(GradingModelTest, OnlyTheClassGraderGradesASubmittedAssignment) {
  ASSERT_TRUE(Enroll(Class("c1", 3, 2)).ok());
  EXPECT_EQ(Grade("classes/c1/assignments/gv-0", v1::PASS, At(2023, 10, 20)).code(),
            absl::StatusCode::kFailedPrecondition);  // not submitted
  ASSERT_TRUE(Submit("classes/c1", "people/gv-0").ok());
  EXPECT_EQ(Grade("classes/c1/assignments/gv-0", v1::PASS, At(2023, 10, 20), kOtherGrader).code(),
            absl::StatusCode::kPermissionDenied);
  Actor admin{"people/admin", {v1::SYSTEM_ADMIN}, ""};
  EXPECT_EQ(Grade("classes/c1/assignments/gv-0", v1::PASS, At(2023, 10, 20), admin).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Grade("classes/c1/assignments/gv-0", v1::VERDICT_UNSPECIFIED, At(2023, 10, 20)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Grade("classes/c1/assignments/gv-7", v1::PASS, At(2023, 10, 20)).code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(Grade("classes/c1/assignments/gv-0", v1::PASS, At(2023, 10, 20)).ok());
  // A graded assignment is not resubmitted; another learner may not submit for them.
  EXPECT_EQ(Submit("classes/c1", "people/gv-0").code(), absl::StatusCode::kFailedPrecondition);
  Actor other{"people/gv-1", {v1::MASS_TEACHER}, ""};
  EXPECT_EQ(model_
                .DecideSubmit(other, "classes/c1", "people/gv-0", "f", std::string(64, 'a'),
                              At(2023, 10, 10))
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(model_.DecideSubmit(other, "classes/c1", "people/gv-1", "f", "ABC", At(2023, 10, 10))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(GradingModelTest, ConcurrentCommandsOnOneAssignmentOneWins) {
  ASSERT_TRUE(Enroll(Class("c1", 3, 1)).ok());
  ASSERT_TRUE(Submit("classes/c1", "people/gv-0").ok());
  v1::GradeRequest req;
  req.set_assignment("classes/c1/assignments/gv-0");
  req.set_verdict(v1::PASS);
  auto first = model_.DecideGrade(kGrader, req, At(2023, 10, 20));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(model_.DecideGrade(kGrader, req, At(2023, 10, 20)).status().code(),
            absl::StatusCode::kAborted);
  model_.Release(first->reservation);  // the append failed: the next may try
  req.set_expected_version(7);
  EXPECT_EQ(model_.DecideGrade(kGrader, req, At(2023, 10, 20)).status().code(),
            absl::StatusCode::kAborted);
  req.set_expected_version(1);
  EXPECT_TRUE(Run(model_.DecideGrade(kGrader, req, At(2023, 10, 20))).ok());
}

TEST_F(GradingModelTest, AtMostThreeReviewsPerGraderAndModuleAndNoGradeChange) {
  ASSERT_TRUE(Enroll(Class("c1", 3, 5)).ok());
  for (int i = 0; i < 5; ++i) {
    const std::string l = absl::StrCat("people/gv-", i);
    ASSERT_TRUE(Submit("classes/c1", l).ok());
    ASSERT_TRUE(Grade(AssignmentName("classes/c1", l), v1::FAIL, At(2023, 10, 20)).ok());
  }
  auto review = [&](int i, const Actor& who) {
    return Run(model_.DecideReview(who, AssignmentName("classes/c1", absl::StrCat("people/gv-", i)),
                                   "good rubric use", kLecturer.person));
  };
  EXPECT_EQ(review(0, kOtherGrader).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(model_.DecideReview(kLecturer, "classes/c1/assignments/gv-0", "x", "").status().code(),
            absl::StatusCode::kPermissionDenied);  // the grader has no lecturer assigned
  EXPECT_TRUE(review(0, kLecturer).ok());
  EXPECT_TRUE(review(0, kLecturer).ok());  // a second comment on the same assignment
  EXPECT_TRUE(review(1, kLecturer).ok());
  EXPECT_TRUE(review(2, kLecturer).ok());
  absl::Status fourth = review(3, kLecturer);
  EXPECT_EQ(fourth.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(fourth.message().find("3 assignments"), std::string::npos) << fourth;
  // Reviews never changed a grade.
  auto c = model_.Completion("people/gv-0", 2023);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->modules_size(), 1);
  EXPECT_EQ(c->modules(0).grade(), v1::FAIL);
}

TEST_F(GradingModelTest, CompletionMatrixLmsTimesGrader) {
  struct Case {
    v1::LmsResult lms;
    v1::Verdict grade;
    bool completed;
  };
  const Case cases[] = {
      {v1::LMS_PASS, v1::PASS, true},
      {v1::LMS_PASS, v1::FAIL, false},
      {v1::LMS_PASS, v1::VERDICT_UNSPECIFIED, false},
      {v1::LMS_FAIL, v1::PASS, false},
      {v1::LMS_FAIL, v1::FAIL, false},
      {v1::LMS_RESULT_UNSPECIFIED, v1::PASS, false},
      {v1::LMS_RESULT_UNSPECIFIED, v1::VERDICT_UNSPECIFIED, false},
  };
  ASSERT_TRUE(Enroll(Class("c1", 3, static_cast<int>(std::size(cases)))).ok());
  for (size_t i = 0; i < std::size(cases); ++i) {
    const std::string l = absl::StrCat("people/gv-", i);
    if (cases[i].lms != v1::LMS_RESULT_UNSPECIFIED) Lms(l, 3, cases[i].lms);
    if (cases[i].grade != v1::VERDICT_UNSPECIFIED) {
      ASSERT_TRUE(Submit("classes/c1", l).ok());
      ASSERT_TRUE(Grade(AssignmentName("classes/c1", l), cases[i].grade, At(2023, 10, 20)).ok());
    }
  }
  for (size_t i = 0; i < std::size(cases); ++i) {
    auto c = model_.Completion(absl::StrCat("people/gv-", i), 2023);
    ASSERT_TRUE(c.ok());
    ASSERT_EQ(c->modules_size(), 1) << i;
    EXPECT_EQ(c->modules(0).completed(), cases[i].completed) << "case " << i;
    EXPECT_EQ(c->modules(0).why_not().empty(), cases[i].completed) << "case " << i;
  }
  EXPECT_EQ(model_.Statistics("classes/c1", 2023, 3).completed(), 1);
}

TEST_F(GradingModelTest, PrerequisitesForModules459AndCoreMembersSkipped) {
  ClassFacts m4 = Class("c4", 4, 3);
  ClassFacts::Learner core;
  core.person.set_name("people/gvcc-x");
  core.person.add_roles(v1::CORE_TEACHER);
  core.unit_ancestry = {"units/thcs-a", "units/dx", "units/bp", "units/moet"};
  m4.learners.push_back(core);
  // gv-0: 1, 2, 3 recognised earlier; gv-1: missing 2 and 3; gv-2: nothing.
  Lms("people/gv-0", 1, v1::LMS_RECOGNISED, true, true, v1::POSITIVE, 2021);
  Lms("people/gv-0", 2, v1::LMS_RECOGNISED, true, true, v1::POSITIVE, 2021);
  Lms("people/gv-1", 1, v1::LMS_RECOGNISED, true, true, v1::POSITIVE, 2021);
  // Module 3 completed in this system (LMS pass + grader pass) for gv-0.
  ASSERT_TRUE(Enroll(Class("c3", 3, 1)).ok());
  Lms("people/gv-0", 3, v1::LMS_PASS);
  ASSERT_TRUE(Submit("classes/c3", "people/gv-0").ok());
  ASSERT_TRUE(Grade("classes/c3/assignments/gv-0", v1::PASS, At(2023, 10, 20)).ok());

  absl::Status refused = Enroll(m4);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("people/gv-1 has not completed modules 2, 3"), std::string::npos)
      << refused;
  EXPECT_NE(refused.message().find("people/gv-2 has not completed modules 1, 2, 3"),
            std::string::npos)
      << refused;
  EXPECT_EQ(refused.message().find("people/gv-0 "), std::string::npos) << refused;
  EXPECT_EQ(model_.GetRun("classes/c4").status().code(), absl::StatusCode::kNotFound);

  m4.learners.erase(m4.learners.begin() + 1, m4.learners.begin() + 3);  // drop gv-1, gv-2
  ASSERT_TRUE(Enroll(m4).ok());
  auto run = model_.GetRun("classes/c4");
  EXPECT_EQ(run->learners(), 1);
  ASSERT_EQ(run->skipped_core_members_size(), 1);
  EXPECT_EQ(run->skipped_core_members(0), "people/gvcc-x");
  EXPECT_EQ(Enroll(m4).code(), absl::StatusCode::kAlreadyExists);
  // Enrolment is the Sở's (of that province) or an admin's.
  EXPECT_EQ(Enroll(Class("c5", 3, 1, 50), kOtherSo).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Enroll(Class("c5", 3, 1, 50), kGrader).code(), absl::StatusCode::kPermissionDenied);
  // A learner is in one class per module and year.
  EXPECT_EQ(Enroll(Class("c6", 3, 1)).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(GradingModelTest, StatisticsMatchAHandComputedClass) {
  // 10 learners; odd ones at school A, even at school B, all in district dx.
  ASSERT_TRUE(Enroll(Class("c1", 3, 10)).ok());
  // Hand table: i: submitted, grade, lms, quiz, survey, feedback
  //  0-5 submitted; 0-4 graded (0-3 PASS, 4 FAIL); LMS pass for 0,1,2,4,6; fail 3;
  //  quiz 0-6; survey 0-4; feedback pos 0,1,2, neg 3.
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(Submit("classes/c1", absl::StrCat("people/gv-", i)).ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Grade(absl::StrCat("classes/c1/assignments/gv-", i), i < 4 ? v1::PASS : v1::FAIL,
                      At(2023, 10, 20))
                    .ok());
  }
  for (int i : {0, 1, 2, 4, 6}) {
    Lms(absl::StrCat("people/gv-", i), 3, v1::LMS_PASS, true, i <= 4,
        i <= 2 ? v1::POSITIVE : v1::FEEDBACK_UNSPECIFIED);
  }
  Lms("people/gv-3", 3, v1::LMS_FAIL, true, true, v1::NEGATIVE);
  Lms("people/gv-5", 3, v1::LMS_FAIL, true, false, v1::FEEDBACK_UNSPECIFIED);

  v1::Statistics s = model_.Statistics("classes/c1", 2023, 3);
  EXPECT_EQ(s.enrolled(), 10);
  EXPECT_EQ(s.submitted(), 6);
  EXPECT_EQ(s.graded(), 5);
  EXPECT_EQ(s.passed(), 4);
  EXPECT_EQ(s.lms_passed(), 5);
  EXPECT_EQ(s.completed(), 3);  // 0, 1, 2 (3 failed LMS, 4 failed grading)
  EXPECT_EQ(s.quiz_done(), 7);
  EXPECT_EQ(s.survey_done(), 5);
  EXPECT_EQ(s.feedback_answers(), 4);
  EXPECT_EQ(s.feedback_positive(), 3);
  EXPECT_DOUBLE_EQ(s.completed_share(), 0.3);
  EXPECT_DOUBLE_EQ(s.positive_share(), 0.75);
  EXPECT_FALSE(s.meets_completion_target());
  EXPECT_FALSE(s.meets_feedback_target());  // > 75 %, not >=
  // School A has the odd learners 1, 3, 5, 7, 9: completed only 1.
  v1::Statistics a = model_.Statistics("units/thcs-a", 0, 0);
  EXPECT_EQ(a.enrolled(), 5);
  EXPECT_EQ(a.completed(), 1);
  EXPECT_EQ(model_.Statistics("units/dx", 2023, 3).enrolled(), 10);
  EXPECT_EQ(model_.Statistics("units/bp", 2023, 0).completed(), 3);
  EXPECT_EQ(model_.Statistics("units/bp", 2022, 0).enrolled(), 0);
  EXPECT_EQ(model_.ChildUnits("units/dx"),
            (std::vector<std::string>{"units/thcs-a", "units/thcs-b"}));
  EXPECT_EQ(model_.Ancestry("units/thcs-a"),
            (std::vector<std::string>{"units/dx", "units/bp", "units/moet"}));
  EXPECT_EQ(model_.RunsIn("units/bp", 2023, 3), (std::vector<std::string>{"classes/c1"}));

  // Support counts for a core member supporting learners 0-5 and one never enrolled.
  std::vector<std::string> group;
  for (int i = 0; i < 6; ++i) group.push_back(absl::StrCat("people/gv-", i));
  group.push_back("people/nobody");
  v1::SupportCountsResponse counts = model_.SupportCounts(group, 2023, 3);
  EXPECT_EQ(counts.assigned(), 7);
  std::map<std::string, std::pair<int64_t, int64_t>> rows;
  for (const auto& r : counts.rows()) rows[r.row()] = {r.count(), r.base()};
  EXPECT_EQ(rows["1.2"], Pair(6, 7));  // 0-5 have LMS records
  EXPECT_EQ(rows["2.1"], Pair(6, 6));
  EXPECT_EQ(rows["3.1"], Pair(6, 6));
  EXPECT_EQ(rows["3.2"], Pair(5, 6));
  EXPECT_EQ(rows["4.1"], Pair(5, 6));  // survey 0-4 of submitted 0-5
  EXPECT_EQ(rows["4.2"], Pair(0, 3));  // no programme survey
  EXPECT_EQ(rows["5.1"], Pair(3, 6));
}

TEST(LmsImportTest, CsvAndJsonWithLineNumberedErrors) {
  auto ok = ParseLmsResults(v1::CSV, "lms.csv",
                            "learner_id,year,module,result,quiz_done,survey_done,feedback\n"
                            "gv-1,2023,4,pass,yes,no,positive\n"
                            "gv-2,2021,1,recognised,,,\n");
  ASSERT_TRUE(ok.ok()) << ok.status();
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[0].learner(), "people/gv-1");
  EXPECT_EQ((*ok)[0].result(), v1::LMS_PASS);
  EXPECT_TRUE((*ok)[0].quiz_done());
  EXPECT_FALSE((*ok)[0].survey_done());
  EXPECT_EQ((*ok)[0].feedback(), v1::POSITIVE);
  EXPECT_EQ((*ok)[1].result(), v1::LMS_RECOGNISED);

  auto bad = ParseLmsResults(v1::CSV, "lms.csv",
                             "learner_id,year,module,result,quiz_done\n"
                             "gv-1,2023,4,pass,yes\n"
                             "gv 2,1999,10,maybe,perhaps\n"
                             "gv-1,2023,4,fail,no\n");
  ASSERT_FALSE(bad.ok());
  const std::string m(bad.status().message());
  for (const char* want :
       {"lms.csv:3: learner_id 'gv 2'", "lms.csv:3: năm '1999'", "lms.csv:3: mô đun '10'",
        "lms.csv:3: kết quả 'maybe'", "lms.csv:3: quiz_done 'perhaps'",
        "lms.csv:4: người học gv-1 mô đun 4 năm 2023 lặp lại dòng 2"}) {
    EXPECT_NE(m.find(want), std::string::npos) << want << "\n" << m;
  }
  EXPECT_EQ(ParseLmsResults(v1::CSV, "x.csv", "learner,year\n").status().code(),
            absl::StatusCode::kInvalidArgument);

  auto json = ParseLmsResults(v1::JSON, "lms.json",
                              "[\n"
                              "  {\"learner_id\": \"gv-1\", \"year\": 2023, \"module\": 5,\n"
                              "   \"result\": \"fail\", \"quiz_done\": true},\n"
                              "  {\"learner_id\": \"gv-2\", \"year\": 2023, \"module\": 5,\n"
                              "   \"result\": \"pass\", \"colour\": \"red\"}\n"
                              "]\n");
  ASSERT_FALSE(json.ok());
  EXPECT_NE(json.status().message().find("lms.json:4: khoá 'colour' không có"), std::string::npos)
      << json.status();
  auto json_ok = ParseLmsResults(
      v1::JSON, "lms.json",
      "[{\"learner_id\": \"gv-1\", \"year\": 2023, \"module\": 5, \"result\": \"fail\", "
      "\"quiz_done\": true, \"feedback\": \"negative\"}]");
  ASSERT_TRUE(json_ok.ok()) << json_ok.status();
  EXPECT_EQ((*json_ok)[0].module(), 5);
  EXPECT_TRUE((*json_ok)[0].quiz_done());
  EXPECT_EQ((*json_ok)[0].feedback(), v1::NEGATIVE);
  EXPECT_EQ(ParseLmsResults(v1::JSON, "j", "{\"a\":1}").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace bdtx::grading

namespace bdtx::grading {
namespace {

TEST(LmsImportTest, ErrorsQuoteCellsShortAndOnOneLine) {
  // 60 rows, each with a 20 kB result: the error (50 listed) quotes 40 characters of it.
  std::string csv = "learner_id,year,module,result\n";
  for (int i = 0; i < 60; ++i) {
    absl::StrAppend(&csv, "gv-", i, ",2023,4,", std::string(20'000, 'x'), "\n");
  }
  auto bad = ParseLmsResults(v1::CSV, "lms.csv", csv);
  ASSERT_FALSE(bad.ok());
  const std::string m(bad.status().message());
  EXPECT_LT(m.size(), 10'000u);
  EXPECT_NE(m.find("kết quả '" + std::string(40, 'x') + "…'"), std::string::npos) << m;
  // A quoted CR LF is escaped; Vietnamese is cut between characters (40 of them).
  auto last = ParseLmsResults(v1::CSV, "lms.csv",
                              "learner_id,year,module,result\n\"gv\r\nBcc: x\",2023,4,"
                              "\"Đạt lắm rồi nhưng chưa hẳn đã đạt hết mọi thứ đâu nhé\"\n");
  ASSERT_FALSE(last.ok());
  const std::string one(last.status().message());
  EXPECT_NE(one.find("learner_id 'gv\\r\\nBcc: x'"), std::string::npos) << one;
  const std::string cut = "kết quả 'Đạt lắm rồi nhưng chưa hẳn đã đạt hết mọ…'";
  EXPECT_NE(one.find(cut), std::string::npos) << one;
  EXPECT_EQ(one.find("\r\n"), std::string::npos);
}

TEST(LmsImportTest, SemicolonFilesNfdTextAndVietnameseCaseFoldedWords) {
  // As Excel with Vietnamese regional settings saves it: ';' between columns, result
  // words in capitals ("ĐẠT", "CHƯA ĐẠT"), "CÓ"/"KHÔNG" typed NFD (macOS), header in
  // capitals.
  const std::string nfd_co = "C\xC3\x93";         // "CÓ" (NFC, U+00D3)
  const std::string nfd_khong = "KHO\xCC\x82NG";  // "KHÔNG" as O + U+0302 (NFD)
  const std::string nfd_dat =
      "\xC4\x90"
      "A\xCC\xA3T";  // "ĐẠT": A + U+0323 (NFD)
  auto rows = ParseLmsResults(v1::CSV, "lms.csv",
                              "Learner_ID;Year;Module;Result;Quiz_Done;Survey_Done\r\n"
                              "gv-1;2023;4;" +
                                  nfd_dat + ";" + nfd_co + ";" + nfd_khong +
                                  "\r\n"
                                  "gv-2;2023;4;CHƯA ĐẠT;có;không\r\n");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].result(), v1::LMS_PASS);
  EXPECT_TRUE((*rows)[0].quiz_done());
  EXPECT_FALSE((*rows)[0].survey_done());
  EXPECT_EQ((*rows)[1].result(), v1::LMS_FAIL);
  EXPECT_TRUE((*rows)[1].quiz_done());

  auto json = ParseLmsResults(v1::JSON, "lms.json",
                              "[{\"learner_id\": \"gv-1\", \"year\": 2023, \"module\": 4, "
                              "\"result\": \"" +
                                  nfd_dat + "\", \"quiz_done\": \"" + nfd_co + "\"}]");
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ((*json)[0].result(), v1::LMS_PASS);
  EXPECT_TRUE((*json)[0].quiz_done());
}

TEST(LmsImportTest, NonUtf8FilesAreRefusedWithPositionAndHint) {
  // UTF-16 (Excel "Unicode Text") and Windows-1258 ("Đạt" is D0 61 F2 74).
  auto utf16 = ParseLmsResults(v1::CSV, "lms.txt", std::string("\xFF\xFEl\0e\0", 6));
  ASSERT_FALSE(utf16.ok());
  EXPECT_NE(utf16.status().message().find("lms.txt:1:1: tệp ở dạng UTF-16"), std::string::npos)
      << utf16.status();
  auto cp1258 = ParseLmsResults(v1::CSV, "lms.csv",
                                "learner_id,year,module,result\ngv-1,2023,4,\xD0\x61\xF2t\n");
  ASSERT_FALSE(cp1258.ok());
  EXPECT_NE(cp1258.status().message().find("lms.csv:2:4: không phải UTF-8 hợp lệ"),
            std::string::npos)
      << cp1258.status();
  EXPECT_NE(cp1258.status().message().find("Windows-1258"), std::string::npos);
}

}  // namespace
}  // namespace bdtx::grading
