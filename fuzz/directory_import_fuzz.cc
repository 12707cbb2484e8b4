// Every directory import kind on hostile CSV, against a populated directory (the unit
// tests' sample province) so references resolve and the deep checks run. The first
// byte picks the kind; the rest is the file.
#include <string>

#include "fuzz/fuzz_support.h"
#include "services/directory/testing/fake_directory.h"
#include "services/directory/domain/import.h"

namespace {

bdtx::directory::FakeDirectory* Province() {
  static auto* dir = [] {
    auto* d = new bdtx::directory::FakeDirectory;
    bdtx::directory::LoadSampleProvince(*d);
    return d;
  }();
  return dir;
}

std::string Seed(char kind, const char* csv) { return std::string(1, kind) + csv; }

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  using namespace bdtx::directory;
  bdtx::fuzz::MaybeWriteSeeds({
      Seed(0, kSampleUnits),
      Seed(1, kSamplePeople),
      Seed(2, "id,code,name,year,module,unit_id\nc1,L01,Lớp THCS 01,2023,4,bp\n"),
      Seed(3,
           "year,module,kind,from_id,to_id\n2023,4,learner,c1,gv-1\n2023,4,grader,c1,gvcc-thcs\n"),
      Seed(3, kSampleAssignments),
      Seed(1,
           "id,code,full_name,roles,home_unit_id,subject,level,email\n"
           "p1,,Ok Name,mass_teacher,thcs-tanphu,,,\np2,,Nguy\xEAn,mass_teacher,thcs-tanphu,,,\n"),
      Seed(1, "id,full_name,roles\np1,A,mass_teacher\n"),
  });
  Province();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto kind = static_cast<bdtx::v1::ImportKind>(1 + data[0] % 4);
  const std::string content(reinterpret_cast<const char*>(data + 1), size - 1);
  auto plan = bdtx::directory::PlanImport(kind, "fuzz.csv", content, *Province());
  if (plan.ok()) {
    BDTX_FUZZ_CHECK(plan->kind == kind);
  } else {
    BDTX_FUZZ_CHECK(plan.status().code() == absl::StatusCode::kInvalidArgument);
  }
  return 0;
}
