#include "services/directory/store/directory_store.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/eventstore/rocksdb_event_store.h"
#include "common/testing/temp_dir.h"
#include "services/directory/testing/fake_directory.h"

namespace bdtx::directory {
namespace {

class DirectoryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    directory_.reset();
    events_.reset();
    events_ = *eventstore::RocksDbEventStore::Open(dir_.Sub("events"));
    directory_ = std::make_unique<DirectoryStore>(events_.get());
  }
  bdtx::v1::ImportCsvResponse Import(bdtx::v1::ImportKind kind, const std::string& csv) {
    auto plan = PlanImport(kind, "f.csv", csv, *directory_);
    EXPECT_TRUE(plan.ok()) << plan.status();
    if (!plan.ok()) return {};
    auto r = directory_->Apply(*plan, "f.csv", "sha", "people/admin", absl::UnixEpoch());
    EXPECT_TRUE(r.ok()) << r.status();
    return r.value_or(bdtx::v1::ImportCsvResponse());
  }
  void LoadSample() {
    Import(bdtx::v1::UNITS, kSampleUnits);
    Import(bdtx::v1::PEOPLE, kSamplePeople);
    Import(bdtx::v1::ASSIGNMENTS, kSampleAssignments);
  }

  // Every secondary index equals the one rebuilt from the primary records.
  void ExpectIndexesMatchRebuild() {
    absl::StatusOr<std::vector<std::string>> differences = directory_->CheckIndexes();
    ASSERT_TRUE(differences.ok()) << differences.status();
    EXPECT_TRUE(differences->empty()) << absl::StrJoin(*differences, "\n");
  }
  absl::Status TryImport(bdtx::v1::ImportKind kind, const std::string& csv) {
    auto plan = PlanImport(kind, "f.csv", csv, *directory_);
    if (!plan.ok()) return plan.status();
    return directory_->Apply(*plan, "f.csv", "sha", "people/admin", absl::UnixEpoch()).status();
  }

  testing::TempDir dir_;
  std::unique_ptr<eventstore::RocksDbEventStore> events_;
  std::unique_ptr<DirectoryStore> directory_;
};

TEST_F(DirectoryStoreTest, ImportStoresRecordsAndIndexes) {
  LoadSample();
  EXPECT_EQ(directory_->FindUnit("bp")->display_name(), "Sở GDĐT Bình Phước");
  EXPECT_EQ(*directory_->UnitIdByCode("70"), "bp");
  EXPECT_EQ(directory_->PeopleWithRoleAt("thcs-tanphu", bdtx::v1::PRINCIPAL).size(), 1u);
  EXPECT_EQ(*directory_->LecturerOf(2023, 4, "gvcc-thcs"), "gvsp-1");
  EXPECT_EQ(directory_->SupportGroup(2023, 4, "gvcc-thcs"),
            (std::vector<std::string>{"gv-1", "gv-2"}));
  EXPECT_EQ(*directory_->SupporterOf(2023, 4, "gv-2"), "gvcc-thcs");
  EXPECT_FALSE(directory_->SupporterOf(2023, 5, "gv-2").has_value());
  EXPECT_EQ(events_->LastPosition(), 3);  // one event per import
}

TEST_F(DirectoryStoreTest, ReimportingTheSameFileChangesNothing) {
  LoadSample();
  const int64_t before = events_->LastPosition();
  auto again = Import(bdtx::v1::PEOPLE, kSamplePeople);
  EXPECT_EQ(again.created(), 0);
  EXPECT_EQ(again.updated(), 0);
  EXPECT_EQ(again.unchanged(), again.rows());
  EXPECT_EQ(events_->LastPosition(), before);
}

TEST_F(DirectoryStoreTest, MovingAPersonMovesTheirIndexes) {
  LoadSample();
  auto r = Import(bdtx::v1::PEOPLE,
                  "id,code,full_name,roles,home_unit_id,subject,level,email\n"
                  "ht-thcs,,Trần Thị Bình,principal,th-tanphu,,TH,\n");
  EXPECT_EQ(r.updated(), 1);
  EXPECT_TRUE(directory_->PeopleWithRoleAt("thcs-tanphu", bdtx::v1::PRINCIPAL).empty());
  EXPECT_EQ(directory_->PeopleWithRoleAt("th-tanphu", bdtx::v1::PRINCIPAL).size(), 1u);
  for (const Person& p : directory_->PeopleWithRoleAt("thcs-tanphu", bdtx::v1::CORE_MANAGER)) {
    EXPECT_NE(p.name(), "people/ht-thcs") << "stale role index after the move";
  }
}

TEST_F(DirectoryStoreTest, ExportReimportsUnchangedAndSurvivesRestart) {
  LoadSample();
  Import(bdtx::v1::CLASSES, "id,code,name,year,module,unit_id\nc1,L01,Lớp 01,2023,4,bp\n");
  Import(bdtx::v1::ASSIGNMENTS, "year,module,kind,from_id,to_id\n2023,4,learner,c1,gv-1\n");
  Open();  // everything is durable
  for (auto kind : {bdtx::v1::UNITS, bdtx::v1::PEOPLE, bdtx::v1::CLASSES, bdtx::v1::ASSIGNMENTS}) {
    auto csv = directory_->ExportCsv(kind);
    ASSERT_TRUE(csv.ok()) << csv.status();
    auto again = Import(kind, *csv);
    EXPECT_EQ(again.created() + again.updated(), 0) << bdtx::v1::ImportKind_Name(kind) << "\n"
                                                    << *csv;
    EXPECT_GT(again.unchanged(), 0);
  }
  EXPECT_NE(directory_->ExportCsv(bdtx::v1::UNITS)->find("Trường THCS Tân Phú"), std::string::npos);
}

TEST_F(DirectoryStoreTest, ListsArePaginated) {
  LoadSample();
  std::string people = "id,code,full_name,roles,home_unit_id,subject,level,email\n";
  for (int i = 0; i < 250; ++i) {
    absl::StrAppend(&people, "m", 1000 + i, ",,Học viên ", i, ",mass_teacher,thcs-tanphu,,,\n");
  }
  Import(bdtx::v1::PEOPLE, people);
  std::string token;
  int total = 0, pages = 0;
  do {
    auto page = directory_->ListPeople("", bdtx::v1::MASS_TEACHER, 100, token);
    ASSERT_TRUE(page.ok()) << page.status();
    total += static_cast<int>(page->items.size());
    token = page->next_page_token;
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(total, 252);  // 250 + gv-1, gv-2
  EXPECT_EQ(pages, 3);
  auto schools = directory_->ListUnits("dx", bdtx::v1::SCHOOL, 3, "");
  ASSERT_TRUE(schools.ok());
  EXPECT_EQ(schools->items.size(), 3u);
  EXPECT_FALSE(schools->next_page_token.empty());
  auto rest = directory_->ListUnits("dx", bdtx::v1::SCHOOL, 10, schools->next_page_token);
  EXPECT_EQ(rest->items.size(), 2u);  // 5 schools under dx
  EXPECT_TRUE(rest->next_page_token.empty());
  EXPECT_EQ(directory_->ListPeople("", bdtx::v1::ROLE_UNSPECIFIED, 10, "garbage").status().code(),
            absl::StatusCode::kInvalidArgument);
}

constexpr char kPeopleHeader[] = "id,code,full_name,roles,home_unit_id\n";

TEST_F(DirectoryStoreTest, PersonCodeOfAnotherFileIsRefusedAndRenamesKeepTheIndex) {
  LoadSample();
  // File A gives bh-gv-03 the code BHDUP.
  Import(bdtx::v1::PEOPLE, absl::StrCat(kPeopleHeader, "bh-gv-03,BHDUP,Gv 3,mass_teacher,bp\n"));
  // File B gives bh-gv-04 the same code: refused, naming the holder.
  absl::Status dup = TryImport(
      bdtx::v1::PEOPLE, absl::StrCat(kPeopleHeader, "bh-gv-04,BHDUP,Gv 4,mass_teacher,bp\n"));
  EXPECT_EQ(dup.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(dup.message().find("f.csv:2:2: mã người BHDUP đã thuộc về people/bh-gv-03"),
            std::string::npos)
      << dup;
  EXPECT_FALSE(directory_->FindPerson("bh-gv-04").has_value());  // all or nothing
  EXPECT_EQ(*directory_->PersonIdByCode("BHDUP"), "bh-gv-03");
  // bh-gv-03 changes code: the old one is free, the new one finds them.
  Import(bdtx::v1::PEOPLE, absl::StrCat(kPeopleHeader, "bh-gv-03,BHNEW,Gv 3,mass_teacher,bp\n"));
  EXPECT_FALSE(directory_->PersonIdByCode("BHDUP").has_value());
  EXPECT_EQ(*directory_->PersonIdByCode("BHNEW"), "bh-gv-03");
  // Now bh-gv-04 may take BHDUP.
  Import(bdtx::v1::PEOPLE, absl::StrCat(kPeopleHeader, "bh-gv-04,BHDUP,Gv 4,mass_teacher,bp\n"));
  EXPECT_EQ(*directory_->PersonIdByCode("BHDUP"), "bh-gv-04");
  ExpectIndexesMatchRebuild();
}

TEST_F(DirectoryStoreTest, CodesMaySwapInsideOneFile) {
  LoadSample();
  Import(bdtx::v1::PEOPLE,
         absl::StrCat(kPeopleHeader, "a,CA,A,mass_teacher,bp\n", "b,CB,B,mass_teacher,bp\n"));
  // b is listed first: it takes CA while a (later in the file) gives it up.
  Import(bdtx::v1::PEOPLE,
         absl::StrCat(kPeopleHeader, "b,CA,B,mass_teacher,bp\n", "a,CB,A,mass_teacher,bp\n"));
  EXPECT_EQ(*directory_->PersonIdByCode("CA"), "b");
  EXPECT_EQ(*directory_->PersonIdByCode("CB"), "a");
  ExpectIndexesMatchRebuild();
}

TEST_F(DirectoryStoreTest, UnitCodeOfAnotherFileIsRefused) {
  LoadSample();  // bp holds code 70
  absl::Status dup = TryImport(bdtx::v1::UNITS,
                               "id,code,name,kind,parent_id,level\n"
                               "hp,70,Sở GDĐT Hải Phòng,department,moet,\n");
  EXPECT_EQ(dup.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(dup.message().find("mã đơn vị 70 đã thuộc về units/bp"), std::string::npos) << dup;
  EXPECT_EQ(*directory_->UnitIdByCode("70"), "bp");
  ExpectIndexesMatchRebuild();
}

// Codes compare without case (and Vietnamese letters fold too): "bhdup" is the code
// BHDUP, for uniqueness across files, inside one file, and for lookups; the code keeps
// the form it was imported with.
TEST_F(DirectoryStoreTest, CodesDifferingOnlyByCaseAreOneCode) {
  LoadSample();
  Import(bdtx::v1::PEOPLE, absl::StrCat(kPeopleHeader, "bh-gv-03,BHDUP,Gv 3,mass_teacher,bp\n"));
  absl::Status other_file = TryImport(
      bdtx::v1::PEOPLE, absl::StrCat(kPeopleHeader, "bh-gv-04,bhdup,Gv 4,mass_teacher,bp\n"));
  EXPECT_EQ(other_file.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(other_file.message().find("mã người bhdup đã thuộc về people/bh-gv-03"),
            std::string::npos)
      << other_file;
  absl::Status same_file = TryImport(
      bdtx::v1::PEOPLE,
      absl::StrCat(kPeopleHeader, "x1,ĐẠT-1,X,mass_teacher,bp\n", "x2,đạt-1,Y,mass_teacher,bp\n"));
  EXPECT_EQ(same_file.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(same_file.message().find("đã có ở dòng 2"), std::string::npos) << same_file;
  EXPECT_EQ(*directory_->PersonIdByCode("bhdup"), "bh-gv-03");
  EXPECT_EQ(*directory_->PersonIdByCode("BhDuP"), "bh-gv-03");
  EXPECT_EQ(directory_->FindPerson("bh-gv-03")->code(), "BHDUP");
  // The holder may change the case of its own code.
  Import(bdtx::v1::PEOPLE, absl::StrCat(kPeopleHeader, "bh-gv-03,BhDup,Gv 3,mass_teacher,bp\n"));
  EXPECT_EQ(*directory_->PersonIdByCode("BHDUP"), "bh-gv-03");
  // Units and classes too.
  absl::Status unit = TryImport(bdtx::v1::UNITS,
                                "id,code,name,kind,parent_id,level\n"
                                "hp,bgddt,Sở GDĐT Hải Phòng,department,moet,\n");
  EXPECT_EQ(unit.code(), absl::StatusCode::kInvalidArgument) << unit;
  EXPECT_EQ(*directory_->UnitIdByCode("bgddt"), "moet");
  Import(bdtx::v1::CLASSES, "id,code,name,year,module,unit_id\nl1,L-ĐX,Lớp 1,2023,4,dx\n");
  absl::Status cls =
      TryImport(bdtx::v1::CLASSES, "id,code,name,year,module,unit_id\nl2,l-đx,Lớp 2,2023,4,dx\n");
  EXPECT_EQ(cls.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(cls.message().find("mã lớp l-đx đã thuộc về classes/l1"), std::string::npos) << cls;
  EXPECT_EQ(*directory_->ClassIdByCode("L-đX"), "l1");
  ExpectIndexesMatchRebuild();
}

TEST_F(DirectoryStoreTest, EverySecondaryIndexEqualsARebuildAfterChanges) {
  LoadSample();
  ExpectIndexesMatchRebuild();
  // Moves, role changes, code changes, removals and lecturer reassignments all rewrite
  // indexes; after each the rebuild must still agree.
  Import(bdtx::v1::UNITS,
         "id,code,name,kind,parent_id,level\n"
         "thcs-tanphu,TP2,Trường THCS Tân Phú,school,lninh,THCS\n");
  ExpectIndexesMatchRebuild();
  Import(bdtx::v1::PEOPLE,
         "id,code,full_name,roles,home_unit_id,status\n"
         "gvcc-thcs,X1,Nguyễn Văn An,mass_teacher,thcs-noprincipal,\n"
         "ht-thcs,,Trần Thị Bình,principal,thcs-tanphu,removed\n");
  ExpectIndexesMatchRebuild();
  EXPECT_TRUE(directory_->FindPerson("ht-thcs")->removed());
  EXPECT_TRUE(directory_->PeopleWithRoleAt("thcs-tanphu", bdtx::v1::PRINCIPAL).empty());
}

}  // namespace
}  // namespace bdtx::directory
