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
};

DemoFiles GenerateBinhPhuoc(int year = 2023);

}  // namespace bdtx::demo

#endif  // BDTX_SERVICES_BDTXCTL_DEMO_DATA_H_
