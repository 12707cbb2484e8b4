#include "services/directory/domain/import.h"

#include "absl/strings/str_cat.h"
#include "services/directory/testing/fake_directory.h"

namespace bdtx::directory {
namespace {

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override { LoadSampleProvince(dir_); }

  absl::Status ImportError(bdtx::v1::ImportKind kind, const std::string& file,
                           const std::string& csv) {
    auto plan = PlanImport(kind, file, csv, dir_);
    EXPECT_FALSE(plan.ok()) << "import of " << file << " should fail";
    return plan.status();
  }
  FakeDirectory dir_;
};

void ExpectMentions(const absl::Status& s, const std::string& text) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find(text), std::string::npos) << s;
}

TEST_F(ImportTest, SampleProvinceImportsWithDiacriticsIntact) {
  EXPECT_EQ(dir_.units.size(), 14u);
  EXPECT_EQ(dir_.units["bp"].display_name(), "Sở GDĐT Bình Phước");
  EXPECT_EQ(dir_.units["thcsthpt-bp"].school_level(), bdtx::v1::LOWER_AND_UPPER_SECONDARY);
  EXPECT_EQ(dir_.people["gvcc-thcs"].display_name(), "Nguyễn Văn An");
  EXPECT_EQ(dir_.people["gvcc-thcs"].roles_size(), 2);
  EXPECT_EQ(RolesText(dir_.people["gvcc-thcs"]), "core_teacher;reporter");
}

TEST_F(ImportTest, BadEncodingIsReportedWithLineAndColumn) {
  // "Nguyễn" saved in a legacy 8-bit encoding instead of UTF-8.
  const std::string csv =
      "id,code,full_name,roles,home_unit_id,subject,level,email\n"
      "p1,,Ok Name,mass_teacher,thcs-tanphu,,,\n"
      "p2,,Nguy\xEAn,mass_teacher,thcs-tanphu,,,\n";
  ExpectMentions(ImportError(bdtx::v1::PEOPLE, "people.csv", csv), "people.csv:3:3: invalid UTF-8");
}

TEST_F(ImportTest, MissingColumnIsReportedOnTheHeaderLine) {
  ExpectMentions(
      ImportError(bdtx::v1::PEOPLE, "people.csv", "id,full_name,roles\np1,A,mass_teacher\n"),
      "people.csv:1:4: missing required column 'home_unit_id'");
}

TEST_F(ImportTest, UnknownUnitIsReportedAtItsCell) {
  const absl::Status s = ImportError(bdtx::v1::PEOPLE, "people.csv",
                                     "id,code,full_name,roles,home_unit_id,subject,level,email\n"
                                     "p1,,A,mass_teacher,thcs-tanphu,,,\n"
                                     "p2,,B,mass_teacher,nowhere,,,\n");
  ExpectMentions(s, "people.csv:3:5: unknown unit 'nowhere' (import units first)");
  ExpectMentions(s, "1 error in people.csv; nothing was imported");
}

TEST_F(ImportTest, DuplicatePersonNamesBothLines) {
  ExpectMentions(ImportError(bdtx::v1::PEOPLE, "people.csv",
                             "id,code,full_name,roles,home_unit_id,subject,level,email\n"
                             "p1,,A,mass_teacher,thcs-tanphu,,,\n"
                             "p2,,B,mass_teacher,thcs-tanphu,,,\n"
                             "p1,,C,mass_teacher,thcs-tanphu,,,\n"),
                 "people.csv:4:1: duplicate person id p1 (first at line 2)");
}

TEST_F(ImportTest, EveryErrorOfAFileIsListed) {
  const absl::Status s = ImportError(bdtx::v1::PEOPLE, "people.csv",
                                     "id,code,full_name,roles,home_unit_id,subject,level,email\n"
                                     "p1,,A,wizard,thcs-tanphu,,,\n"
                                     "p2,,,mass_teacher,thcs-tanphu,,,\n"
                                     "p3,,C,mass_teacher,thcs-tanphu,,XYZ,\n"
                                     "p4,,D,mass_teacher\n"
                                     "bad id,,E,mass_teacher,thcs-tanphu,,,\n"
                                     "p6,,F,principal,dx,,,\n");
  ExpectMentions(s, "6 errors in people.csv");
  ExpectMentions(s, "people.csv:2:4: unknown role 'wizard'");
  ExpectMentions(s, "people.csv:3:3: full_name is empty");
  ExpectMentions(s, "people.csv:4:7: level 'XYZ'");
  ExpectMentions(s, "people.csv:5:5: row has 4 fields, the header has 8");
  ExpectMentions(s, "people.csv:6:1: id 'bad id'");
  ExpectMentions(s, "people.csv:7:4: a PRINCIPAL's home unit must be a school");
}

TEST_F(ImportTest, UnitTreeRules) {
  // A parent defined later in the same file is fine.
  FakeDirectory empty;
  auto plan = PlanImport(bdtx::v1::UNITS, "units.csv",
                         "id,code,name,kind,parent_id,level,university_kind\n"
                         "s1,,School,school,d1,THCS,\n"
                         "d1,,District,district,p1,,\n"
                         "p1,,Province,department,m,,\n"
                         "m,,Ministry,ministry,,,\n",
                         empty);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->units.size(), 4u);

  const absl::Status s = ImportError(bdtx::v1::UNITS, "units.csv",
                                     "id,code,name,kind,parent_id,level,university_kind\n"
                                     "x1,,School,school,ghost,THCS,\n"
                                     "x2,,District,district,dx,,\n"
                                     "x3,,Thing,castle,bp,,\n"
                                     "x4,,School,school,dx,,\n"
                                     "x5,,Loop A,district,x6,,\n"
                                     "x6,,Loop B,department,x5,,\n");
  ExpectMentions(s, "units.csv:2:5: unknown parent unit 'ghost'");
  ExpectMentions(s, "units.csv:3:5: a district cannot sit under a district");
  ExpectMentions(s, "units.csv:4:4: unknown unit kind 'castle'");
  ExpectMentions(s, "units.csv:5:6: school level ''");
  ExpectMentions(s, "loops");
}

TEST_F(ImportTest, AssignmentRules) {
  const absl::Status s = ImportError(bdtx::v1::ASSIGNMENTS, "assignments.csv",
                                     "year,module,kind,from_id,to_id\n"
                                     "2023,4,support,gv-1,gv-2\n"
                                     "2023,4,lecturer,gvcc-thcs,gv-1\n"
                                     "2023,12,support,gvcc-thcs,gv-1\n"
                                     "2023,4,support,gvcc-thcs,ghost\n"
                                     "2023,4,mentor,gvcc-thcs,gv-1\n"
                                     "2023,4,learner,no-class,gv-1\n");
  ExpectMentions(s, "assignments.csv:2:4: people/gv-1 is not a core teacher or core manager");
  ExpectMentions(s, "assignments.csv:3:4: people/gvcc-thcs is not a key lecturer");
  ExpectMentions(s, "assignments.csv:4:2: module must be 1..9, got 12");
  ExpectMentions(s, "assignments.csv:5:5: unknown person 'ghost'");
  ExpectMentions(s, "assignments.csv:6:3: unknown assignment kind 'mentor'");
  ExpectMentions(s, "assignments.csv:7:4: unknown class 'no-class'");
}

TEST_F(ImportTest, SupportGroupAboveFiftyWarnsAndKeepsEveryone) {
  std::string people = "id,code,full_name,roles,home_unit_id,subject,level,email\n";
  std::string support = "year,module,kind,from_id,to_id\n";
  for (int i = 0; i < 55; ++i) {
    absl::StrAppend(&people, "m", i, ",,Học viên ", i, ",mass_teacher,thcs-tanphu,,,\n");
    absl::StrAppend(&support, "2023,4,support,gvcc-thcs,m", i, "\n");
  }
  dir_.Import(bdtx::v1::PEOPLE, people);
  auto plan = PlanImport(bdtx::v1::ASSIGNMENTS, "support.csv", support, dir_);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->support.size(), 55u);
  ASSERT_EQ(plan->warnings.size(), 1u);
  // 2 colleagues already assigned + 55 new.
  EXPECT_NE(plan->warnings[0].find("people/gvcc-thcs supports 57 colleagues"), std::string::npos)
      << plan->warnings[0];
  // Importing the same rows again does not count anyone twice.
  dir_.Import(bdtx::v1::ASSIGNMENTS, support);
  auto again = PlanImport(bdtx::v1::ASSIGNMENTS, "support.csv", support, dir_);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->warnings.size(), 1u);
  EXPECT_NE(again->warnings[0].find("supports 57 colleagues"), std::string::npos)
      << again->warnings[0];
}

TEST_F(ImportTest, ClassesAndMembers) {
  dir_.Import(bdtx::v1::CLASSES,
              "id,code,name,year,module,unit_id\nc1,L01,Lớp THCS 01,2023,4,bp\n");
  dir_.Import(
      bdtx::v1::ASSIGNMENTS,
      "year,module,kind,from_id,to_id\n2023,4,learner,c1,gv-1\n2023,4,grader,c1,gvcc-thcs\n");
  EXPECT_EQ(dir_.classes["c1"].learners_size(), 1);
  EXPECT_EQ(dir_.classes["c1"].graders(0), "people/gvcc-thcs");
  const absl::Status s = ImportError(bdtx::v1::ASSIGNMENTS, "a.csv",
                                     "year,module,kind,from_id,to_id\n"
                                     "2023,5,learner,c1,gv-1\n"
                                     "2023,4,grader,c1,gv-2\n");
  ExpectMentions(s, "a.csv:2:1: classes/c1 is module 4 of 2023, not module 5 of 2023");
  ExpectMentions(s, "a.csv:3:5: people/gv-2 cannot grade");
}

}  // namespace
}  // namespace bdtx::directory
