// bdtxctl demo: a demo province (or a national-size directory) as CSV files, and loading
// them into the directory.
#include <filesystem>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "services/bdtxctl/cli.h"
#include "services/bdtxctl/demo_data.h"

namespace bdtx::ctl {
namespace {

void DefineFlags(Flags& flags) {
  flags.Define("out", "", "output directory");
  flags.Define("provinces", "1", "number of provinces (63 for a national-size directory)");
  flags.Define("learners", "5555", "learners per province");
  flags.Define("validate_only", "false", "load: check the imports without applying them");
}

// Writes (and with `load`, imports) one province's four files into `dir`.
int DemoProvince(const std::string& verb, const Flags& flags, const bdtx::demo::ProvinceSpec& spec,
                 const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const bdtx::demo::DemoFiles files = bdtx::demo::GenerateProvince(spec);
  const std::vector<std::pair<std::string, const std::string*>> all = {
      {"units.csv", &files.units},
      {"people.csv", &files.people},
      {"classes.csv", &files.classes},
      {"assignments.csv", &files.assignments}};
  for (const auto& [name, content] : all) {
    std::ofstream(dir / name, std::ios::binary) << *content;
  }
  std::ofstream(dir / "lms-prior.csv", std::ios::binary) << files.lms_prior;
  if (verb == "generate") {
    std::printf("wrote units.csv, people.csv, classes.csv, assignments.csv, lms-prior.csv to %s\n",
                dir.string().c_str());
    return 0;
  }
  const bdtx::v1::ImportKind kinds[] = {bdtx::v1::UNITS, bdtx::v1::PEOPLE, bdtx::v1::CLASSES,
                                        bdtx::v1::ASSIGNMENTS};
  for (size_t i = 0; i < all.size(); ++i) {
    auto r = ImportFile(flags, kinds[i], (dir / all[i].first).string(), NewRequestId(),
                        flags.Get("validate_only") == "true");
    if (!r.ok()) return Fail(r.status());
    PrintImport((dir / all[i].first).string(), *r);
  }
  return 0;
}

int DemoCommand(const std::string& verb, const Flags& flags) {
  if (flags.Get("out").empty()) return Fail(absl::InvalidArgumentError("--out is required"));
  const std::filesystem::path out = flags.Get("out");
  int provinces = 1, learners = 5555;
  if (!absl::SimpleAtoi(flags.Get("provinces"), &provinces) || provinces < 1 || provinces > 63 ||
      !absl::SimpleAtoi(flags.Get("learners"), &learners) || learners < 120) {
    return Fail(absl::InvalidArgumentError("--provinces must be 1..63 and --learners >= 120"));
  }
  if (provinces == 1 && learners == 5555) {
    return DemoProvince(verb, flags, bdtx::demo::ProvinceSpec(), out);
  }
  const absl::Time start = absl::Now();
  for (int i = 0; i < provinces; ++i) {
    const bdtx::demo::ProvinceSpec spec = bdtx::demo::NationalProvince(i, learners);
    if (int rc = DemoProvince(verb, flags, spec, out / spec.id); rc != 0) return rc;
    std::printf("[%d/%d provinces] %s done, %.1f s elapsed\n", i + 1, provinces, spec.name.c_str(),
                absl::ToDoubleSeconds(absl::Now() - start));
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

const CommandGroup& DemoCommands() {
  static const CommandGroup group = {
      "demo",
      DefineFlags,
      {{"generate", "--out DIR [--provinces N --learners M]",
        [](const Flags& flags) { return DemoCommand("generate", flags); }},
       {"load", "--out DIR [--provinces N --learners M]   (generate, then import all four files)",
        [](const Flags& flags) { return DemoCommand("load", flags); }}}};
  return group;
}

}  // namespace bdtx::ctl
