// End to end: real bdtx-directory and bdtx-grading processes on loopback, a real gRPC
// client with minted tokens: enrolment with prerequisites, submission, grading by the
// class's grader only, lecturer reviews (3 at most), LMS import, completion,
// statistics, support counts, exports, the event stream, idempotent retries and a
// restart that loses nothing.
#include <signal.h>
#include <sys/wait.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "bdtx/v1/grading.grpc.pb.h"
#include "common/auth/jwt.h"
#include "common/testing/service_process.h"
#include "common/testing/temp_dir.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/directory/testing/fake_directory.h"
#include "services/grading/domain/grading_model.h"
#include "tests/e2e_support.h"

namespace bdtx {
namespace {

using ::bdtx::testing::StartService;
using ::bdtx::testing::Who;

const Who kAdmin{"operators/admin", {"SYSTEM_ADMIN"}, ""};
const Who kSo{"people/cv-so", {"PROVINCE_OFFICER"}, "units/bp"};
const Who kGrader{"people/gvcc-thcs", {"CORE_TEACHER", "REPORTER"}, "units/thcs-tanphu"};
const Who kNotGrader{"people/gvcc-phong", {"CORE_TEACHER"}, "units/dx"};
const Who kLecturer{"people/gvsp-1", {"PEDAGOGY_LECTURER"}, "units/dhsp"};
const Who kPhong{"people/cv-phong", {"DISTRICT_OFFICER"}, "units/dx"};
const Who kOtherPhong{"people/cv-lninh", {"DISTRICT_OFFICER"}, "units/lninh"};
Who Learner(int i) { return {absl::StrCat("people/gv-", i), {"MASS_TEACHER"}, ""}; }

constexpr char kMorePeople[] =
    "id,code,full_name,roles,home_unit_id,subject,level,email\n"
    "gv-3,GV3,Giáo viên Ba,mass_teacher,thcs-tanphu,Toán,THCS,\n"
    "gv-4,GV4,Giáo viên Bốn,mass_teacher,thcs-tanphu,Văn,THCS,\n"
    "gv-5,GV5,Giáo viên Năm,mass_teacher,th-tanphu,,TH,\n"
    "gv-6,GV6,Giáo viên Sáu,mass_teacher,th-tanphu,,TH,\n"
    "cv-lninh,,Chuyên viên Phòng Lộc Ninh,district_officer,lninh,,,\n";
constexpr char kClasses[] =
    "id,code,name,year,module,unit_id\n"
    "m3-1,L3001,Lớp mô đun 3 số 1,2023,3,bp\n"
    "m4-1,L4001,Lớp mô đun 4 số 1,2023,4,bp\n"
    "m3-old,L3002,Lớp mô đun 3 số 2,2023,3,bp\n";
constexpr char kAssignments[] =
    "year,module,kind,from_id,to_id\n"
    "2023,3,learner,m3-1,gv-1\n2023,3,learner,m3-1,gv-2\n2023,3,learner,m3-1,gv-3\n"
    "2023,3,learner,m3-1,gv-4\n2023,3,learner,m3-1,gv-5\n2023,3,learner,m3-1,gvcc-so\n"
    "2023,3,learner,m3-old,gv-6\n"
    "2023,4,learner,m4-1,gv-1\n2023,4,learner,m4-1,gv-2\n"
    "2023,3,grader,m3-1,gvcc-thcs\n2023,4,grader,m4-1,gvcc-thcs\n2023,3,grader,m3-old,gvcc-thcs\n"
    "2023,3,lecturer,gvsp-1,gvcc-thcs\n"
    "2023,3,support,gvcc-thcs,gv-1\n2023,3,support,gvcc-thcs,gv-2\n"
    "2023,3,support,gvcc-thcs,gv-3\n2023,3,support,gvcc-thcs,gv-4\n";

class GradingE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory =
        testing::StartDirectory(BDTX_DIRECTORY_PATH, dir_.Sub("directory"), Key(), tokens_,
                                {{v1::UNITS, directory::kSampleUnits},
                                 {v1::PEOPLE, directory::kSamplePeople},
                                 {v1::PEOPLE, kMorePeople},
                                 {v1::CLASSES, kClasses},
                                 {v1::ASSIGNMENTS, directory::kSampleAssignments},
                                 {v1::ASSIGNMENTS, kAssignments}});
    ASSERT_TRUE(directory.ok()) << directory.status();
    directory_ = *std::move(directory);
    StartGrading();
  }

  void StartGrading() {
    auto grading = StartService(BDTX_GRADING_PATH, {"--data_dir=" + dir_.Sub("grading"), Key(),
                                                    "--directory=" + directory_.address});
    ASSERT_TRUE(grading.ok()) << grading.status();
    grading_ = *std::move(grading);
    stub_ = testing::StubTo<v1::Grading>(grading_.address);
  }

  std::string Key() const { return "--auth_key_file=" + dir_.Sub("auth.key"); }
  std::unique_ptr<grpc::ClientContext> As(const Who& p) { return tokens_.As(p); }

  // Today in Vietnam, shifted by `days`.
  static v1::Date Day(int days) {
    return grading::FromCivil(absl::ToCivilDay(absl::Now(), grading::VietnamTime()) + days);
  }

  grpc::Status Enroll(const std::string& cls, v1::Date start, v1::Run* out = nullptr,
                      const std::string& request_id = "") {
    v1::EnrollClassRequest req;
    req.set_class_name(cls);
    *req.mutable_start() = start;
    req.set_request_id(request_id);
    v1::Run run;
    grpc::Status s = stub_->EnrollClass(As(kSo).get(), req, &run);
    if (out) *out = run;
    return s;
  }
  grpc::Status Submit(int learner, const std::string& cls = "classes/m3-1") {
    v1::SubmitAssignmentRequest req;
    req.set_class_name(cls);
    req.set_file_ref(absl::StrCat("lms://final/gv-", learner, ".docx"));
    req.set_sha256(std::string(64, 'b'));
    v1::Assignment a;
    return stub_->SubmitAssignment(As(Learner(learner)).get(), req, &a);
  }
  grpc::Status Grade(const Who& who, int learner, v1::Verdict verdict,
                     v1::Assignment* out = nullptr, const std::string& request_id = "",
                     const std::string& cls = "classes/m3-1") {
    v1::GradeRequest req;
    req.set_assignment(absl::StrCat(cls, "/assignments/gv-", learner));
    req.set_verdict(verdict);
    req.set_has_score(true);
    req.set_score(verdict == v1::PASS ? 8.5 : 4);
    req.set_request_id(request_id);
    v1::Assignment a;
    grpc::Status s = stub_->Grade(As(who).get(), req, &a);
    if (out) *out = a;
    return s;
  }
  grpc::Status Review(const Who& who, int learner, v1::Assignment* out = nullptr) {
    v1::ReviewRequest req;
    req.set_assignment(absl::StrCat("classes/m3-1/assignments/gv-", learner));
    req.set_comment("Nhận xét: chấm đúng tiêu chí");
    v1::Assignment a;
    grpc::Status s = stub_->Review(As(who).get(), req, &a);
    if (out) *out = a;
    return s;
  }
  grpc::Status ImportLms(const std::string& csv, v1::ImportLmsResultsResponse* out = nullptr,
                         const Who& who = kSo) {
    v1::ImportLmsResultsRequest req;
    req.set_format(v1::CSV);
    req.set_file_name("lms.csv");
    req.set_content(csv);
    v1::ImportLmsResultsResponse resp;
    grpc::Status s = stub_->ImportLmsResults(As(who).get(), req, &resp);
    if (out) *out = resp;
    return s;
  }
  v1::Statistics Stats(const Who& who, const std::string& unit, grpc::Status* status = nullptr) {
    v1::ListStatisticsRequest req;
    req.set_unit(unit);
    req.set_year(2023);
    v1::ListStatisticsResponse resp;
    grpc::Status s = stub_->ListStatistics(As(who).get(), req, &resp);
    if (status) *status = s;
    return resp.statistics_size() ? resp.statistics(0) : v1::Statistics();
  }

  bdtx::testing::TempDir dir_;
  testing::Tokens tokens_{dir_.Sub("auth.key")};
  testing::Running directory_, grading_;
  std::unique_ptr<v1::Grading::Stub> stub_;
};

// A Sở imports LMS results only for learners of its own province: one learner of another
// province (or one the directory does not know: the same answer) refuses the whole file.
TEST_F(GradingE2eTest, SoImportsLmsResultsOnlyForLearnersOfItsProvince) {
  auto directory = testing::StubTo<v1::Directory>(directory_.address);
  ASSERT_TRUE(testing::ImportCsvs(*directory, tokens_,
                                  {{v1::UNITS,
                                    "id,code,name,kind,parent_id,level,university_kind\n"
                                    "hn,01,Sở GDĐT Hà Nội,department,moet,,\n"
                                    "thcs-hn,,Trường THCS Hà Nội,school,hn,THCS,\n"},
                                   {v1::PEOPLE,
                                    "id,code,full_name,roles,home_unit_id,subject,level,email\n"
                                    "gv-hn,,Giáo viên Hà Nội,mass_teacher,thcs-hn,,THCS,\n"}})
                  .ok());
  const std::string header = "learner_id,year,module,result\n";
  for (const std::string stranger : {"gv-hn", "gv-nobody"}) {
    grpc::Status s = ImportLms(header + "gv-1,2023,3,pass\n" + stranger + ",2023,3,pass\n");
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
    EXPECT_TRUE(absl::StrContains(s.error_message(), "không thuộc tỉnh của bạn"))
        << s.error_message();
  }
  // Nothing of the refused files was kept: gv-1 has no LMS result yet.
  v1::GetCompletionRequest creq;
  creq.set_learner("people/gv-1");
  creq.set_year(2023);
  v1::GetCompletionResponse completion;
  ASSERT_TRUE(stub_->GetCompletion(As(kAdmin).get(), creq, &completion).ok());
  for (const auto& m : completion.modules()) EXPECT_NE(m.lms(), v1::LMS_PASS) << m.DebugString();
  // The Sở's own learners import; the admin may import for anyone.
  EXPECT_TRUE(ImportLms(header + "gv-1,2023,3,pass\n").ok());
  EXPECT_TRUE(ImportLms(header + "gv-hn,2023,3,pass\n", nullptr, kAdmin).ok());
  ASSERT_TRUE(stub_->GetCompletion(As(kAdmin).get(), creq, &completion).ok());
  bool passed = false;
  for (const auto& m : completion.modules()) passed |= m.lms() == v1::LMS_PASS;
  EXPECT_TRUE(passed) << completion.DebugString();
}

TEST_F(GradingE2eTest, FullModuleRun) {
  // Module 4 needs 1, 2, 3: nobody has them yet; the refusal lists what is missing.
  grpc::Status refused = Enroll("classes/m4-1", Day(-3));
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(
      absl::StrContains(refused.error_message(), "people/gv-1 has not completed modules 1, 2, 3"))
      << refused.error_message();

  // Module 3 class: started 3 days ago; gvcc-so is a core member and is skipped.
  v1::Run run;
  grpc::Status s = Enroll("classes/m3-1", Day(-3), &run, "enrol-m3-1");
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(run.learners(), 5);
  ASSERT_EQ(run.skipped_core_members_size(), 1);
  EXPECT_EQ(run.skipped_core_members(0), "people/gvcc-so");
  EXPECT_EQ(grading::ToCivil(run.end()), grading::ToCivil(Day(12)));  // 16 days
  EXPECT_EQ(grading::ToCivil(run.grading_deadline()), grading::ToCivil(Day(22)));
  v1::Run again;
  ASSERT_TRUE(Enroll("classes/m3-1", Day(-3), &again, "enrol-m3-1").ok());  // retried
  EXPECT_EQ(again.SerializeAsString(), run.SerializeAsString());
  EXPECT_EQ(Enroll("classes/m3-1", Day(-3)).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  {  // Only the Sở enrols.
    v1::EnrollClassRequest req;
    req.set_class_name("classes/m3-old");
    *req.mutable_start() = Day(-40);
    v1::Run r;
    EXPECT_EQ(stub_->EnrollClass(As(kPhong).get(), req, &r).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }

  // Submissions: by the learner; grading by the class's grader only, after submission.
  for (int i : {1, 2, 3, 4}) ASSERT_TRUE(Submit(i).ok()) << i;
  EXPECT_EQ(Grade(kGrader, 5, v1::PASS).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Grade(kNotGrader, 1, v1::PASS).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::Assignment graded, retried;
  ASSERT_TRUE(Grade(kGrader, 1, v1::PASS, &graded, "grade-1").ok());
  EXPECT_EQ(graded.verdict(), v1::PASS);
  EXPECT_EQ(graded.grader(), kGrader.name);
  EXPECT_EQ(graded.version(), 2);
  ASSERT_TRUE(Grade(kGrader, 1, v1::PASS, &retried, "grade-1").ok());
  EXPECT_EQ(retried.version(), 2);  // the first answer; nothing written
  ASSERT_TRUE(Grade(kGrader, 2, v1::PASS).ok());
  ASSERT_TRUE(Grade(kGrader, 3, v1::FAIL).ok());
  ASSERT_TRUE(Grade(kGrader, 4, v1::PASS).ok());
  EXPECT_EQ(Submit(1).error_code(), grpc::StatusCode::FAILED_PRECONDITION);  // graded

  // Lecturer reviews: only the grader's lecturer, at most 3 assignments, grade unchanged.
  EXPECT_EQ(Review(kNotGrader, 1).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::Assignment reviewed;
  ASSERT_TRUE(Review(kLecturer, 3, &reviewed).ok());
  EXPECT_EQ(reviewed.verdict(), v1::FAIL);
  ASSERT_EQ(reviewed.reviews_size(), 1);
  EXPECT_EQ(reviewed.reviews(0).lecturer(), kLecturer.name);
  ASSERT_TRUE(Review(kLecturer, 1).ok());
  ASSERT_TRUE(Review(kLecturer, 2).ok());
  grpc::Status fourth = Review(kLecturer, 4);
  EXPECT_EQ(fourth.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StrContains(fourth.error_message(), "3 assignments")) << fourth.error_message();

  // LMS results: line-numbered errors reject the whole file; a good file imports once.
  grpc::Status bad = ImportLms("learner_id,year,module,result\ngv-1,2023,3,pass\ngv-2,2023,3,?\n");
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(bad.error_message(), "lms.csv:3: kết quả '?'"))
      << bad.error_message();
  const std::string lms =
      "learner_id,year,module,result,quiz_done,survey_done,programme_survey_done,feedback\n"
      "gv-1,2023,3,pass,yes,yes,yes,positive\n"
      "gv-2,2023,3,pass,yes,yes,no,positive\n"
      "gv-3,2023,3,pass,yes,no,no,negative\n"
      "gv-4,2023,3,fail,no,no,no,\n"
      "gv-1,2021,1,recognised,,,,\ngv-1,2021,2,recognised,,,,\n"
      "gv-2,2021,1,recognised,,,,\n";
  v1::ImportLmsResultsResponse imported;
  ASSERT_TRUE(ImportLms(lms, &imported).ok());
  EXPECT_EQ(imported.rows(), 7);
  EXPECT_FALSE(imported.already_imported());
  ASSERT_TRUE(ImportLms(lms, &imported).ok());
  EXPECT_TRUE(imported.already_imported());

  // Completion: gv-1, gv-2 (LMS pass + grader pass); gv-3 failed grading; gv-4 LMS.
  v1::GetCompletionRequest creq;
  creq.set_learner("people/gv-1");
  creq.set_year(2023);
  v1::GetCompletionResponse completion;
  ASSERT_TRUE(stub_->GetCompletion(As(Learner(1)).get(), creq, &completion).ok());
  ASSERT_EQ(completion.modules_size(), 1);
  EXPECT_TRUE(completion.modules(0).completed());
  EXPECT_EQ(stub_->GetCompletion(As(Learner(2)).get(), creq, &completion).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->GetCompletion(As(kOtherPhong).get(), creq, &completion).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(stub_->GetCompletion(As(kPhong).get(), creq, &completion).ok());

  // Statistics against the hand count: 5 enrolled, 4 submitted/graded, 3 passed,
  // LMS passed 3, completed 2, quiz 3, survey 2, feedback 3 answers of which 2 positive.
  v1::Statistics cls = Stats(kSo, "classes/m3-1");
  EXPECT_EQ(cls.enrolled(), 5);
  EXPECT_EQ(cls.submitted(), 4);
  EXPECT_EQ(cls.graded(), 4);
  EXPECT_EQ(cls.passed(), 3);
  EXPECT_EQ(cls.lms_passed(), 3);
  EXPECT_EQ(cls.completed(), 2);
  EXPECT_EQ(cls.quiz_done(), 3);
  EXPECT_EQ(cls.survey_done(), 2);
  EXPECT_EQ(cls.feedback_answers(), 3);
  EXPECT_EQ(cls.feedback_positive(), 2);
  EXPECT_EQ(Stats(kSo, "units/thcs-tanphu").enrolled(), 4);  // gv-5 is at th-tanphu
  EXPECT_EQ(Stats(kPhong, "units/dx").completed(), 2);
  grpc::Status denied;
  Stats(kOtherPhong, "units/dx", &denied);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // A class's statistics: a stranger gets the refusal a class without a run gets, words
  // and all (before, "its graders and officers" told them the class had a run).
  grpc::Status real, ghost;
  Stats(kNotGrader, "classes/m3-1", &real);
  Stats(kNotGrader, "classes/ghost-1", &ghost);
  EXPECT_EQ(real.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ghost.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(absl::StrReplaceAll(real.error_message(), {{"m3-1", "X"}}),
            absl::StrReplaceAll(ghost.error_message(), {{"ghost-1", "X"}}));
  {
    v1::ListStatisticsRequest req;
    req.set_unit("units/dx");
    req.set_children(true);
    v1::ListStatisticsResponse resp;
    ASSERT_TRUE(stub_->ListStatistics(As(kPhong).get(), req, &resp).ok());
    ASSERT_EQ(resp.statistics_size(), 2);
    EXPECT_EQ(resp.statistics(0).unit(), "units/th-tanphu");
    EXPECT_EQ(resp.statistics(1).unit(), "units/thcs-tanphu");
  }

  // The counts the report needs for gvcc-thcs's group (gv-1..4).
  v1::SupportCountsRequest sreq;
  sreq.set_core_member(kGrader.name);
  sreq.set_year(2023);
  sreq.set_module(3);
  v1::SupportCountsResponse counts;
  ASSERT_TRUE(stub_->GetSupportCounts(As(kGrader).get(), sreq, &counts).ok());
  EXPECT_EQ(counts.assigned(), 4);
  std::map<std::string, std::pair<int64_t, int64_t>> rows;
  for (const auto& r : counts.rows()) rows[r.row()] = {r.count(), r.base()};
  EXPECT_EQ(rows["1.2"], (std::pair<int64_t, int64_t>{4, 4}));
  EXPECT_EQ(rows["3.1"], (std::pair<int64_t, int64_t>{3, 4}));
  EXPECT_EQ(rows["3.2"], (std::pair<int64_t, int64_t>{4, 4}));
  EXPECT_EQ(rows["4.1"], (std::pair<int64_t, int64_t>{2, 4}));
  EXPECT_EQ(rows["4.2"], (std::pair<int64_t, int64_t>{1, 2}));
  EXPECT_EQ(rows["5.1"], (std::pair<int64_t, int64_t>{2, 4}));

  // Exports: the recognition list has exactly the two who completed.
  v1::ExportRecognitionRequest ereq;
  ereq.set_province("units/bp");
  ereq.set_year(2023);
  ereq.set_format(v1::RECOGNITION);
  v1::ExportRecognitionResponse exported;
  ASSERT_TRUE(stub_->ExportRecognition(As(kSo).get(), ereq, &exported).ok());
  EXPECT_EQ(exported.rows(), 2);
  EXPECT_TRUE(absl::StrContains(exported.content(), ",gv-1,,Giáo viên Một,thcs-tanphu,pass,Đạt"))
      << exported.content();
  EXPECT_FALSE(absl::StrContains(exported.content(), ",gv-3,")) << exported.content();
  EXPECT_EQ(stub_->ExportRecognition(As(kPhong).get(), ereq, &exported).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ereq.set_format(v1::TEMIS_SUMMARY);
  ASSERT_TRUE(stub_->ExportRecognition(As(kSo).get(), ereq, &exported).ok());
  EXPECT_EQ(exported.rows(), 2);  // two schools, one module
  EXPECT_TRUE(absl::StrContains(exported.content(), "bp,dx,thcs-tanphu,2023,"))
      << exported.content();

  // An old class whose window closed: nothing accepted until the Sở extends it.
  ASSERT_TRUE(Enroll("classes/m3-old", Day(-40)).ok());
  EXPECT_EQ(Submit(6, "classes/m3-old").error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  v1::GrantExtensionRequest ext;
  ext.set_class_name("classes/m3-old");
  *ext.mutable_deadline() = Day(3);
  ext.set_reason("lớp học bù sau bão");
  v1::Run extended;
  EXPECT_EQ(stub_->GrantExtension(As(kGrader).get(), ext, &extended).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->GrantExtension(As(kSo).get(), ext, &extended).ok());
  EXPECT_TRUE(extended.extended());
  ASSERT_TRUE(Submit(6, "classes/m3-old").ok());
  ASSERT_TRUE(Grade(kGrader, 6, v1::PASS, nullptr, "", "classes/m3-old").ok());

  // Module 4 again: gv-1 still lacks module 3? No: completed in m3-1 + recognised 1, 2.
  // gv-2 lacks module 2, so the class is still refused, naming only gv-2.
  refused = Enroll("classes/m4-1", Day(-3));
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StrContains(refused.error_message(), "people/gv-2 has not completed module 2"))
      << refused.error_message();
  EXPECT_FALSE(absl::StrContains(refused.error_message(), "people/gv-1 "))
      << refused.error_message();

  // The event stream replays everything for services and admins.
  {
    v1::SubscribeGradingEventsRequest req;
    auto ctx = As(kAdmin);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    auto reader = stub_->SubscribeEvents(ctx.get(), req);
    v1::StoredGradingEvent e;
    int count = 0, graded_events = 0;
    while (count < 15 && reader->Read(&e)) {
      ++count;
      graded_events += e.event().has_assignment_graded();
    }
    ctx->TryCancel();
    reader->Finish();
    EXPECT_EQ(count, 15);
    EXPECT_GE(graded_events, 4);
  }
  {
    v1::SubscribeGradingEventsRequest req;
    auto ctx = As(kGrader);
    auto reader = stub_->SubscribeEvents(ctx.get(), req);
    v1::StoredGradingEvent e;
    EXPECT_FALSE(reader->Read(&e));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }

  // Restart: everything acknowledged is back (state rebuilt from the events).
  grading_.process->Signal(SIGTERM);
  auto exit = grading_.process->WaitExit(absl::Seconds(30));
  ASSERT_TRUE(exit.ok());
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0) << grading_.process->Output();
  StartGrading();
  v1::Statistics after = Stats(kSo, "classes/m3-1");
  EXPECT_EQ(after.SerializeAsString(), cls.SerializeAsString());
  EXPECT_EQ(Review(kLecturer, 4).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  v1::GetAssignmentRequest areq;
  areq.set_name("classes/m3-1/assignments/gv-3");
  v1::Assignment a;
  ASSERT_TRUE(stub_->GetAssignment(As(Learner(3)).get(), areq, &a).ok());
  EXPECT_EQ(a.verdict(), v1::FAIL);
  EXPECT_EQ(a.reviews_size(), 1);
  EXPECT_EQ(stub_->GetAssignment(As(Learner(2)).get(), areq, &a).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Grade(kGrader, 3, v1::PASS).ok());  // regrading inside the window
}

}  // namespace
}  // namespace bdtx
