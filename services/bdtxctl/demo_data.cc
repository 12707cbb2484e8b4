#include "services/bdtxctl/demo_data.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace bdtx::demo {
namespace {

struct District {
  const char* id;
  const char* name;
};

// The 11 district-level units of Bình Phước.
const District kDistricts[] = {
    {"dong-xoai", "Đồng Xoài"},   {"binh-long", "Bình Long"},   {"phuoc-long", "Phước Long"},
    {"chon-thanh", "Chơn Thành"}, {"hon-quan", "Hớn Quản"},     {"loc-ninh", "Lộc Ninh"},
    {"bu-dop", "Bù Đốp"},         {"bu-gia-map", "Bù Gia Mập"}, {"phu-rieng", "Phú Riềng"},
    {"bu-dang", "Bù Đăng"},       {"dong-phu", "Đồng Phú"},
};

const char* kSchoolNames[] = {"Lê Quý Đôn", "Nguyễn Du",  "Trần Phú",      "Quang Trung",
                              "Lê Lợi",     "Chu Văn An", "Nguyễn Trãi",   "Lý Tự Trọng",
                              "Tân Phú",    "Tân Thành",  "Tiến Hưng",     "Hùng Vương",
                              "Kim Đồng",   "Võ Thị Sáu", "Lương Thế Vinh"};

const char* kFamily[] = {"Nguyễn", "Trần", "Lê",  "Phạm", "Hoàng", "Huỳnh", "Phan",  "Vũ",
                         "Võ",     "Đặng", "Bùi", "Đỗ",   "Hồ",    "Ngô",   "Dương", "Lý"};
const char* kMiddle[] = {"Văn", "Thị", "Hữu", "Ngọc", "Minh", "Thanh", "Đức", "Thu"};
const char* kGiven[] = {"An",  "Bình", "Cường", "Dung", "Giang", "Hải",  "Hoa",   "Hùng",
                        "Lan", "Long", "Minh",  "Nga",  "Oanh",  "Phúc", "Quang", "Sơn",
                        "Tâm", "Thảo", "Trang", "Tuấn", "Uyên",  "Vinh", "Xuân",  "Yến"};
const char* kSubjects[] = {"Toán",      "Ngữ văn", "Tiếng Anh", "Vật lí",   "Hoá học",
                           "Sinh học",  "Lịch sử", "Địa lí",    "Tin học",  "GDCD",
                           "Công nghệ", "Thể dục", "Âm nhạc",   "Mĩ thuật", "KHTN"};

std::string Name(int n) {
  return absl::StrCat(kFamily[n % 16], " ", kMiddle[(n / 16) % 8], " ", kGiven[(n * 7) % 24]);
}

struct School {
  std::string id;
  std::string level;  // TH, THCS, THPT, THCS&THPT, GDTX, TH&THCS
};

}  // namespace

ProvinceSpec NationalProvince(int index, int learners) {
  ProvinceSpec spec;
  if (index > 0) {
    spec.id = absl::StrFormat("p%02d", index + 1);
    spec.code = absl::StrFormat("%02d", index + 1);
    spec.name = absl::StrCat("Tỉnh ", index + 1);
  }
  spec.learners = learners;
  spec.lower_learners = learners * 3577 / 5555;
  return spec;
}

DemoFiles GenerateProvince(const ProvinceSpec& spec, int year) {
  DemoFiles f;
  // Ids of this province: Bình Phước keeps the short demo ids.
  const std::string px = spec.id == "bp" ? "" : spec.id + "-";
  auto P = [&](const std::string& id) { return px + id; };
  f.units = "id,code,name,kind,parent_id,level,university_kind\n";
  absl::StrAppend(&f.units, "moet,BGDDT,Bộ Giáo dục và Đào tạo,ministry,,,\n");
  const std::string so = "so-" + spec.id;
  absl::StrAppend(&f.units, so, ",", spec.code, ",Sở Giáo dục và Đào tạo ", spec.name,
                  ",department,moet,,\n");
  absl::StrAppend(
      &f.units, "dhsp-hcm,DHSP-HCM,Trường Đại học Sư phạm TP. Hồ Chí Minh,university,moet,,DHSP\n");
  absl::StrAppend(&f.units, "hvqlgd,HVQLGD,Học viện Quản lý Giáo dục,university,moet,,HVQLGD\n");

  std::vector<School> lower, upper, other;
  int code = 1;
  for (int d = 0; d < 11; ++d) {
    const District& district = kDistricts[d];
    const std::string pgd = P(absl::StrCat("pgd-", district.id));
    absl::StrAppend(&f.units, pgd, ",", spec.code, absl::StrFormat("%02d", d + 1), ",Phòng GDĐT ",
                    district.name, ",district,", so, ",,\n");
    const int thcs = d < 10 ? 9 : 8;  // 98 THCS in all
    for (int i = 0; i < thcs; ++i) {
      School s{P(absl::StrCat("thcs-", district.id, "-", i + 1)), "THCS"};
      absl::StrAppend(&f.units, s.id, ",", spec.code, absl::StrFormat("%05d", code++),
                      ",Trường THCS ", kSchoolNames[(d + i) % 15], " (", district.name, "),school,",
                      pgd, ",THCS,\n");
      lower.push_back(s);
    }
    for (int i = 0; i < 2; ++i) {  // primary schools, for primary core managers
      School s{P(absl::StrCat("th-", district.id, "-", i + 1)), "TH"};
      absl::StrAppend(&f.units, s.id, ",", spec.code, absl::StrFormat("%05d", code++),
                      ",Trường TH ", kSchoolNames[(d + i + 5) % 15], " (", district.name,
                      "),school,", pgd, ",TH,\n");
      other.push_back(s);
    }
    School centre{P(absl::StrCat("gdnn-gdtx-", district.id)), "GDTX"};
    absl::StrAppend(&f.units, centre.id, ",", spec.code, absl::StrFormat("%05d", code++),
                    ",Trung tâm GDNN-GDTX ", district.name, ",school,", pgd, ",GDTX,\n");
    other.push_back(centre);
  }
  for (int i = 0; i < 17; ++i) {  // 17 THPT + 10 THCS&THPT = 27 upper-secondary schools
    School s{P(absl::StrCat("thpt-", i + 1)), "THPT"};
    absl::StrAppend(&f.units, s.id, ",", spec.code, absl::StrFormat("%05d", code++),
                    ",Trường THPT ", kSchoolNames[i % 15], i >= 15 ? " 2" : "", " (",
                    kDistricts[i % 11].name, "),school,", so, ",THPT,\n");
    upper.push_back(s);
  }
  for (int i = 0; i < 10; ++i) {
    School s{P(absl::StrCat("thcs-thpt-", i + 1)), "THCS&THPT"};
    absl::StrAppend(&f.units, s.id, ",", spec.code, absl::StrFormat("%05d", code++),
                    ",Trường THCS&THPT ", kSchoolNames[(i + 3) % 15], " (",
                    kDistricts[(i + 4) % 11].name, "),school,", so, ",THCS&THPT,\n");
    upper.push_back(s);
  }

  // People.
  f.people = "id,code,full_name,roles,home_unit_id,subject,level,email\n";
  int person = 0;
  auto add = [&](const std::string& id, const std::string& roles, const std::string& unit,
                 const std::string& subject, const std::string& level) {
    absl::StrAppend(&f.people, id, ",", spec.code, absl::StrFormat("GV%06d", person), ",",
                    Name(person), ",", roles, ",", unit, ",", subject, ",", level, ",", id, "@",
                    spec.id == "bp" ? "binhphuoc" : spec.id, ".edu.vn\n");
    ++person;
  };
  add(P("admin"), "system_admin", so, "", "");
  add(P("so-gd"), "province_leader", so, "", "");
  add(P("so-pgd"), "province_leader", so, "", "");
  for (int i = 1; i <= 3; ++i) add(P(absl::StrCat("so-cv-", i)), "province_officer", so, "", "");
  for (const District& d : kDistricts) {
    const std::string pgd = P(absl::StrCat("pgd-", d.id));
    add(pgd + "-tp", "district_leader", pgd, "", "");
    for (int i = 1; i <= 2; ++i) add(absl::StrCat(pgd, "-cv-", i), "district_officer", pgd, "", "");
  }
  std::vector<School> all = lower;
  all.insert(all.end(), upper.begin(), upper.end());
  all.insert(all.end(), other.begin(), other.end());
  for (const School& s : all) {
    const std::string level = s.level == "THCS&THPT" ? "THPT" : s.level;
    add(absl::StrCat("ht-", s.id), "principal", s.id, "", level);  // s.id has the prefix
  }
  for (int i = 1; i <= 8; ++i) {
    add(P(absl::StrFormat("gvsp-%02d", i)), "pedagogy_lecturer", "dhsp-hcm", kSubjects[i], "");
  }
  for (int i = 1; i <= 3; ++i) {
    add(P(absl::StrFormat("gvqlgd-%02d", i)), "management_lecturer", "hvqlgd", "", "");
  }
  // 100 core teachers (also graders), at lower- and upper-secondary schools.
  std::vector<std::string> core_teachers, core_managers;
  for (int i = 0; i < 100; ++i) {
    const School& s = i < 64 ? lower[i % lower.size()] : upper[(i - 64) % upper.size()];
    const std::string id = P(absl::StrFormat("gvcc-%03d", i + 1));
    add(id, "core_teacher;reporter", s.id, kSubjects[i % 15],
        s.level == "THCS&THPT" ? "THPT" : s.level);
    core_teachers.push_back(id);
  }
  // 10 core managers: vice-principals of THCS, THPT, THCS&THPT and primary schools.
  const std::vector<School> manager_schools = {lower[0], lower[10], lower[20], lower[30], upper[0],
                                               upper[5], upper[17], upper[18], other[0],  other[3]};
  for (size_t i = 0; i < manager_schools.size(); ++i) {
    const School& s = manager_schools[i];
    const std::string id = P(absl::StrFormat("cbqlcc-%03d", static_cast<int>(i) + 1));
    add(id, "core_manager;mass_manager", s.id, "",
        s.level == "THCS&THPT" ? (i == 7 ? "THCS" : "THPT") : s.level);
    core_managers.push_back(id);
  }
  // 5,555 learners: 3,577 lower- and 1,978 upper-secondary (seed 004), 500 of them
  // managers (scaled with spec.learners).
  std::vector<std::string> teachers, managers;
  const size_t max_managers = static_cast<size_t>(spec.learners) * 500 / 5555;
  for (int i = 0; i < spec.learners; ++i) {
    const bool is_lower = i < spec.lower_learners;
    const School& s = is_lower ? lower[i % lower.size()] : upper[i % upper.size()];
    const bool manager = i % 11 == 0 && managers.size() < max_managers;
    const std::string id = P(absl::StrFormat("hv-%05d", i + 1));
    add(id, manager ? "mass_manager" : "mass_teacher", s.id, manager ? "" : kSubjects[i % 15],
        is_lower ? "THCS" : "THPT");
    (manager ? managers : teachers).push_back(id);
  }
  f.lms_prior = "learner_id,year,module,result\n";
  for (const auto* group : {&teachers, &managers}) {
    for (const std::string& id : *group) {
      for (int m = 1; m <= 3; ++m) {
        absl::StrAppend(&f.lms_prior, id, ",", m == 3 ? 2022 : 2021, ",", m, ",recognised\n");
      }
    }
  }

  // Classes: 120 per module (seed 004), learners in order, two graders each.
  f.classes = "id,code,name,year,module,unit_id\n";
  f.assignments = "year,module,kind,from_id,to_id\n";
  const int modules[] = {4, 5, 9};
  for (int module : modules) {
    for (size_t i = 0; i < core_teachers.size(); ++i) {
      absl::StrAppend(&f.assignments, year, ",", module, ",lecturer,",
                      P(absl::StrFormat("gvsp-%02d", static_cast<int>(i % 8) + 1)), ",",
                      core_teachers[i], "\n");
    }
    for (size_t i = 0; i < core_managers.size(); ++i) {
      absl::StrAppend(&f.assignments, year, ",", module, ",lecturer,",
                      P(absl::StrFormat("gvqlgd-%02d", static_cast<int>(i % 3) + 1)), ",",
                      core_managers[i], "\n");
    }
    // Support groups: ~50 teachers per core teacher, 50 managers per core manager.
    for (size_t i = 0; i < teachers.size(); ++i) {
      absl::StrAppend(&f.assignments, year, ",", module, ",support,",
                      core_teachers[i % core_teachers.size()], ",", teachers[i], "\n");
    }
    for (size_t i = 0; i < managers.size(); ++i) {
      absl::StrAppend(&f.assignments, year, ",", module, ",support,",
                      core_managers[i % core_managers.size()], ",", managers[i], "\n");
    }
    for (int c = 0; c < 120; ++c) {
      const std::string id = P(absl::StrFormat("lop-%d-m%d-%03d", year, module, c + 1));
      absl::StrAppend(&f.classes, id, ",", absl::StrFormat("L%d%03d", module, c + 1),
                      ",Lớp bồi dưỡng mô đun ", module, " số ", c + 1, ",", year, ",", module, ",",
                      so, "\n");
      for (int g = 0; g < 2; ++g) {
        absl::StrAppend(&f.assignments, year, ",", module, ",grader,", id, ",",
                        core_teachers[(c * 2 + g) % core_teachers.size()], "\n");
      }
    }
    for (int i = 0; i < spec.learners; ++i) {
      const int c = static_cast<int>(static_cast<int64_t>(i) * 120 / spec.learners);
      absl::StrAppend(&f.assignments, year, ",", module, ",learner,",
                      P(absl::StrFormat("lop-%d-m%d-%03d", year, module, c + 1)), ",",
                      P(absl::StrFormat("hv-%05d", i + 1)), "\n");
    }
  }
  return f;
}

}  // namespace bdtx::demo
