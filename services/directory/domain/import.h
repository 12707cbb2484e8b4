// Validation of directory CSV imports (columns in docs/import.md). Pure: reads the
// current directory through DirectoryView and returns what to write, or every error
// with file, line and column. Nothing is applied here; the store applies a plan in one
// atomic write (all-or-nothing).
#ifndef BDTX_SERVICES_DIRECTORY_DOMAIN_IMPORT_H_
#define BDTX_SERVICES_DIRECTORY_DOMAIN_IMPORT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bdtx/v1/directory.pb.h"
#include "services/directory/domain/directory_view.h"

namespace bdtx::directory {

struct SupportAssignment {
  int year = 0;
  int module = 0;
  std::string core;       // bare id of the core member
  std::string colleague;  // bare id of the colleague supported
};

struct LecturerAssignment {
  int year = 0;
  int module = 0;
  std::string lecturer;
  std::string core;
};

struct ClassMember {
  std::string class_id;
  std::string person;
  bool grader = false;  // false: learner
};

struct ImportPlan {
  bdtx::v1::ImportKind kind = bdtx::v1::IMPORT_KIND_UNSPECIFIED;
  int rows = 0;
  std::vector<Unit> units;
  std::vector<Person> people;
  std::vector<Class> classes;
  std::vector<SupportAssignment> support;
  std::vector<LecturerAssignment> lecturers;
  std::vector<ClassMember> members;
  std::vector<std::string> warnings;
};

// Above this many colleagues a support group draws a warning (never a truncation).
inline constexpr int kUsualSupportGroupSize = 50;

// INVALID_ARGUMENT listing up to 50 errors, one per line, each
// "<file>:<line>:<column>: <what>", when anything in the file is wrong.
absl::StatusOr<ImportPlan> PlanImport(bdtx::v1::ImportKind kind, absl::string_view file,
                                      absl::string_view content, const DirectoryView& view);

// The CSV header row of each kind (export writes it; import requires its columns).
std::vector<std::string> ImportColumns(bdtx::v1::ImportKind kind);

// Text forms used in CSV files.
std::string SchoolLevelText(bdtx::v1::SchoolLevel level);
std::string UnitKindText(bdtx::v1::UnitKind kind);
std::string UniversityKindText(bdtx::v1::UniversityKind kind);
std::string RolesText(const Person& person);

}  // namespace bdtx::directory

#endif  // BDTX_SERVICES_DIRECTORY_DOMAIN_IMPORT_H_
