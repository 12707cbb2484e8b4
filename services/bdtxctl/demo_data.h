// Demo data: one province shaped like Bình Phước 2023 (seed 004): 1 Sở, 11 Phòng,
// lower- and upper-secondary schools, centres, ~5,555 learners in 120 classes per
// module, ~110 core members with their lecturers and principals. Deterministic.
#ifndef BDTX_SERVICES_BDTXCTL_DEMO_DATA_H_
#define BDTX_SERVICES_BDTXCTL_DEMO_DATA_H_

#include <string>

namespace bdtx::demo {

struct DemoFiles {
  std::string units;  // CSV in the import format (docs/import.md)
  std::string people;
  std::string classes;
  std::string assignments;
  // LMS results (docs/grading.md): modules 1-3 recognised in 2021-2022 for every learner,
  // so the demo classes of modules 4, 5, 9 can be enrolled.
  std::string lms_prior;
};

// One province. Bình Phước keeps short ids (people/gvcc-001); other provinces prefix
// every id with their own id ("p07-gvcc-001") so many provinces share one directory.
struct ProvinceSpec {
  std::string id = "bp";
  std::string code = "70";  // the ministry's province code
  std::string name = "Bình Phước";
  int learners = 5555;        // seed 004: 5,555 learners
  int lower_learners = 3577;  // of which lower-secondary
};

DemoFiles GenerateProvince(const ProvinceSpec& spec, int year = 2023);

inline DemoFiles GenerateBinhPhuoc(int year = 2023) { return GenerateProvince({}, year); }

// Spec of the i-th province (0-based) of a national-size directory: province 0 is
// Bình Phước, the others are numbered, each with `learners` learners.
ProvinceSpec NationalProvince(int index, int learners);

}  // namespace bdtx::demo

#endif  // BDTX_SERVICES_BDTXCTL_DEMO_DATA_H_
