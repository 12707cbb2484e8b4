// Test-only (target directory_testing; links gtest): an in-memory DirectoryView for
// domain and end-to-end tests, filled by applying import plans the way
// the store does.
#ifndef BDTX_SERVICES_DIRECTORY_TESTING_FAKE_DIRECTORY_H_
#define BDTX_SERVICES_DIRECTORY_TESTING_FAKE_DIRECTORY_H_

#include <map>
#include <set>
#include <tuple>

#include "gtest/gtest.h"
#include "services/directory/domain/directory_view.h"
#include "services/directory/domain/import.h"

namespace bdtx::directory {

class FakeDirectory : public DirectoryView {
 public:
  std::optional<Unit> FindUnit(absl::string_view id) const override {
    auto it = units.find(std::string(id));
    return it == units.end() ? std::nullopt : std::optional<Unit>(it->second);
  }
  std::optional<Person> FindPerson(absl::string_view id) const override {
    auto it = people.find(std::string(id));
    return it == people.end() ? std::nullopt : std::optional<Person>(it->second);
  }
  std::optional<std::string> UnitIdByCode(absl::string_view code) const override {
    for (const auto& [id, u] : units) {
      if (!code.empty() && CodeKey(u.code()) == CodeKey(code)) return id;
    }
    return std::nullopt;
  }
  std::optional<std::string> PersonIdByCode(absl::string_view code) const override {
    for (const auto& [id, p] : people) {
      if (!code.empty() && CodeKey(p.code()) == CodeKey(code)) return id;
    }
    return std::nullopt;
  }
  std::optional<std::string> ClassIdByCode(absl::string_view code) const override {
    for (const auto& [id, c] : classes) {
      if (!code.empty() && CodeKey(c.code()) == CodeKey(code)) return id;
    }
    return std::nullopt;
  }
  std::optional<Class> FindClass(absl::string_view id) const override {
    auto it = classes.find(std::string(id));
    return it == classes.end() ? std::nullopt : std::optional<Class>(it->second);
  }
  std::vector<Person> PeopleWithRoleAt(absl::string_view unit_id, Role role) const override {
    std::vector<Person> out;
    for (const auto& [id, p] : people) {
      if (p.home_unit() != UnitName(unit_id)) continue;
      for (int r : p.roles()) {
        if (r == role) out.push_back(p);
      }
    }
    return out;
  }
  std::optional<std::string> LecturerOf(int year, int module,
                                        absl::string_view core_id) const override {
    auto it = lecturers.find({year, module, std::string(core_id)});
    return it == lecturers.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  std::vector<std::string> SupportGroup(int year, int module,
                                        absl::string_view core_id) const override {
    auto it = support.find({year, module, std::string(core_id)});
    if (it == support.end()) return {};
    return std::vector<std::string>(it->second.begin(), it->second.end());
  }

  // Imports a CSV; fails the test on errors.
  void Import(bdtx::v1::ImportKind kind, const std::string& csv) {
    auto plan = PlanImport(kind, "test.csv", csv, *this);
    ASSERT_TRUE(plan.ok()) << plan.status();
    for (const Unit& u : plan->units) units[BareId(u.name())] = u;
    for (const Person& p : plan->people) people[BareId(p.name())] = p;
    for (const Class& c : plan->classes) classes[BareId(c.name())] = c;
    for (const auto& s : plan->support) support[{s.year, s.module, s.core}].insert(s.colleague);
    for (const auto& l : plan->lecturers) lecturers[{l.year, l.module, l.core}] = l.lecturer;
    for (const auto& m : plan->members) {
      Class& c = classes[m.class_id];
      (m.grader ? c.add_graders() : c.add_learners())->assign(PersonName(m.person));
    }
  }

  std::map<std::string, Unit> units;
  std::map<std::string, Person> people;
  std::map<std::string, Class> classes;
  std::map<std::tuple<int, int, std::string>, std::set<std::string>> support;
  std::map<std::tuple<int, int, std::string>, std::string> lecturers;
};

inline const char kSampleUnits[] =
    "id,code,name,kind,parent_id,level,university_kind\n"
    "moet,BGDDT,Bộ Giáo dục và Đào tạo,ministry,,,\n"
    "bp,70,Sở GDĐT Bình Phước,department,moet,,\n"
    "dx,,Phòng GDĐT Đồng Xoài,district,bp,,\n"
    "lninh,,Phòng GDĐT Lộc Ninh,district,bp,,\n"
    "th-tanphu,,Trường TH Tân Phú,school,dx,TH,\n"
    "thcs-tanphu,,Trường THCS Tân Phú,school,dx,THCS,\n"
    "ththcs-tienhung,,Trường TH&THCS Tiến Hưng,school,dx,TH&THCS,\n"
    "thcs-noprincipal,,Trường THCS Lộc Thái,school,lninh,THCS,\n"
    "thpt-dx,,Trường THPT Đồng Xoài,school,bp,THPT,\n"
    "thcsthpt-bp,,Trường THCS&THPT Đồng Tiến,school,bp,THCS&THPT,\n"
    "thcsthpt-dx,,Trường THCS&THPT Tân Thành,school,dx,THCS&THPT,\n"
    "gdtx-dx,,Trung tâm GDNN-GDTX Đồng Xoài,school,dx,GDTX,\n"
    "dhsp,,Trường ĐHSP TP.HCM,university,moet,,DHSP\n"
    "hvqlgd,,Học viện Quản lý Giáo dục,university,moet,,HVQLGD\n";

inline const char kSamplePeople[] =
    "id,code,full_name,roles,home_unit_id,subject,level,email\n"
    "gvcc-thcs,,Nguyễn Văn An,core_teacher;reporter,thcs-tanphu,Toán,THCS,\n"
    "ht-thcs,,Trần Thị Bình,principal;core_manager,thcs-tanphu,,THCS,\n"
    "ht-thpt,,Lê Văn Cường,principal;core_manager,thpt-dx,,THPT,\n"
    "cbqlcc-th,,Phạm Thị Dung,core_manager,th-tanphu,,TH,\n"
    "cbqlcc-ththcs,,Vũ Thị Giang,core_manager,ththcs-tienhung,,THCS,\n"
    "cbqlcc-bp-lower,,Đỗ Văn Hải,core_manager,thcsthpt-bp,,THCS,\n"
    "cbqlcc-dx-lower,,Bùi Thị Hoa,core_manager,thcsthpt-dx,,THCS,\n"
    "cbqlcc-dx-upper,,Ngô Văn Hùng,core_manager,thcsthpt-dx,,THPT,\n"
    "cbqlcc-gdtx,,Lý Thị Kim,core_manager,gdtx-dx,,GDTX,\n"
    "gvcc-phong,,Hoàng Văn Em,core_teacher,dx,Tin học,,\n"
    "gvcc-so,,Đặng Thị Lan,core_teacher,bp,Ngữ văn,,\n"
    "gvcc-noprincipal,,Mai Văn Long,core_teacher,thcs-noprincipal,Lịch sử,THCS,\n"
    "gvcc-nolecturer,,Trịnh Văn Minh,core_teacher,thcs-tanphu,Vật lí,THCS,\n"
    "gvcc-wronglecturer,,Tạ Thị Nga,core_teacher,thcs-tanphu,Hoá học,THCS,\n"
    "both,,Phan Văn Oanh,core_teacher;core_manager,thcs-tanphu,,THCS,\n"
    "ld-phong,,Lãnh đạo Phòng Đồng Xoài,district_leader,dx,,,\n"
    "cv-phong,,Chuyên viên Phòng Đồng Xoài,district_officer,dx,,,\n"
    "ld-so,,Lãnh đạo Sở,province_leader,bp,,,\n"
    "cv-so,,Chuyên viên Sở,province_officer,bp,,,\n"
    "gvsp-1,,GVSP Nguyễn Thị Phương,pedagogy_lecturer,dhsp,,,\n"
    "gvqlgd-1,,GVQLGD Trần Văn Quang,management_lecturer,hvqlgd,,,\n"
    "gv-1,,Giáo viên Một,mass_teacher,thcs-tanphu,Toán,THCS,\n"
    "gv-2,,Giáo viên Hai,mass_teacher,thcs-tanphu,Toán,THCS,\n";

inline const char kSampleAssignments[] =
    "year,module,kind,from_id,to_id\n"
    "2023,4,lecturer,gvsp-1,gvcc-thcs\n"
    "2023,4,lecturer,gvsp-1,gvcc-phong\n"
    "2023,4,lecturer,gvsp-1,gvcc-so\n"
    "2023,4,lecturer,gvsp-1,gvcc-noprincipal\n"
    "2023,4,lecturer,gvqlgd-1,gvcc-wronglecturer\n"
    "2023,4,lecturer,gvqlgd-1,ht-thcs\n"
    "2023,4,lecturer,gvqlgd-1,ht-thpt\n"
    "2023,4,lecturer,gvqlgd-1,cbqlcc-th\n"
    "2023,4,lecturer,gvqlgd-1,cbqlcc-ththcs\n"
    "2023,4,lecturer,gvqlgd-1,cbqlcc-bp-lower\n"
    "2023,4,lecturer,gvqlgd-1,cbqlcc-dx-lower\n"
    "2023,4,lecturer,gvqlgd-1,cbqlcc-dx-upper\n"
    "2023,4,lecturer,gvqlgd-1,cbqlcc-gdtx\n"
    "2023,4,lecturer,gvsp-1,both\n"
    "2023,4,support,gvcc-thcs,gv-1\n"
    "2023,4,support,gvcc-thcs,gv-2\n";

inline void LoadSampleProvince(FakeDirectory& d) {
  d.Import(bdtx::v1::UNITS, kSampleUnits);
  d.Import(bdtx::v1::PEOPLE, kSamplePeople);
  d.Import(bdtx::v1::ASSIGNMENTS, kSampleAssignments);
}

}  // namespace bdtx::directory

#endif  // BDTX_SERVICES_DIRECTORY_TESTING_FAKE_DIRECTORY_H_
