// The demo province imports cleanly and has the shape of Bình Phước 2023 (seed 004).
#include "services/bdtxctl/demo_data.h"

#include "services/directory/domain/routing.h"
#include "services/directory/testing/fake_directory.h"

namespace bdtx::demo {
namespace {

using directory::FakeDirectory;

TEST(DemoDataTest, ImportsAndHasTheShapeOfBinhPhuoc) {
  const DemoFiles files = GenerateBinhPhuoc();
  FakeDirectory d;
  d.Import(bdtx::v1::UNITS, files.units);
  d.Import(bdtx::v1::PEOPLE, files.people);
  d.Import(bdtx::v1::CLASSES, files.classes);
  d.Import(bdtx::v1::ASSIGNMENTS, files.assignments);
  int districts = 0, lower = 0, upper = 0, both = 0, centres = 0;
  for (const auto& [id, u] : d.units) {
    districts += u.kind() == bdtx::v1::DISTRICT_OFFICE;
    lower += u.school_level() == bdtx::v1::LOWER_SECONDARY;
    upper += u.school_level() == bdtx::v1::UPPER_SECONDARY;
    both += u.school_level() == bdtx::v1::LOWER_AND_UPPER_SECONDARY;
    centres += u.school_level() == bdtx::v1::CONTINUING_EDUCATION;
  }
  EXPECT_EQ(districts, 11);
  EXPECT_EQ(lower + both, 108);  // lower-secondary schools, seed 004
  EXPECT_EQ(upper + both, 27);   // upper-secondary schools
  EXPECT_EQ(both, 10);
  EXPECT_EQ(centres, 11);
  int learners = 0, core = 0;
  for (const auto& [id, p] : d.people) {
    for (int r : p.roles()) {
      learners += r == bdtx::v1::MASS_TEACHER || (r == bdtx::v1::MASS_MANAGER && id[0] == 'h');
      core += r == bdtx::v1::CORE_TEACHER || r == bdtx::v1::CORE_MANAGER;
    }
  }
  EXPECT_EQ(learners, 5555);
  EXPECT_EQ(core, 110);
  int classes_m4 = 0, members = 0;
  for (const auto& [id, c] : d.classes) {
    if (c.module() == 4) {
      ++classes_m4;
      members += c.learners_size();
      EXPECT_EQ(c.graders_size(), 2) << id;
    }
  }
  EXPECT_EQ(classes_m4, 120);
  EXPECT_EQ(members, 5555);
  // Every core member routes for every module: nobody is left without a lecturer or signer.
  for (const auto& [id, p] : d.people) {
    bool is_core = false;
    for (int r : p.roles()) is_core |= r == bdtx::v1::CORE_TEACHER || r == bdtx::v1::CORE_MANAGER;
    if (!is_core) continue;
    for (int module : {4, 5, 9}) {
      bdtx::v1::RouteDocumentRequest req;
      req.set_author(p.name());
      req.set_kind(bdtx::v1::PLAN);
      req.set_year(2023);
      req.set_module(module);
      auto routing = directory::RouteDocument(d, req);
      EXPECT_TRUE(routing.ok()) << id << ": " << routing.status();
    }
  }
}

}  // namespace
}  // namespace bdtx::demo
