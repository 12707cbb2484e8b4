// Read access to directory data that the pure rules (import validation, routing) need.
// Implemented by the RocksDB read model (store/) and by an in-memory map in tests.
#ifndef BDTX_SERVICES_DIRECTORY_DOMAIN_DIRECTORY_VIEW_H_
#define BDTX_SERVICES_DIRECTORY_DOMAIN_DIRECTORY_VIEW_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "bdtx/v1/directory.pb.h"
#include "common/names/resource_name.h"

namespace bdtx::directory {

using bdtx::v1::Class;
using bdtx::v1::Person;
using bdtx::v1::Role;
using bdtx::v1::Unit;

// Ids are the bare ids ("thcs-tan-phu"), not resource names ("units/thcs-tan-phu").
class DirectoryView {
 public:
  virtual ~DirectoryView() = default;
  virtual std::optional<Unit> FindUnit(absl::string_view id) const = 0;
  virtual std::optional<Person> FindPerson(absl::string_view id) const = 0;
  virtual std::optional<Class> FindClass(absl::string_view id) const = 0;
  // The unit / person / class (bare id) holding a code, if any. Codes compare as
  // CodeKey does: "BHDUP", "bhdup" and "BhDup" are one code.
  virtual std::optional<std::string> UnitIdByCode(absl::string_view code) const = 0;
  virtual std::optional<std::string> PersonIdByCode(absl::string_view code) const = 0;
  virtual std::optional<std::string> ClassIdByCode(absl::string_view code) const = 0;
  // People whose home unit is `unit_id` and who hold `role`.
  virtual std::vector<Person> PeopleWithRoleAt(absl::string_view unit_id, Role role) const = 0;
  // The lecturer (bare id) assigned to a core member for a module of a year.
  virtual std::optional<std::string> LecturerOf(int year, int module,
                                                absl::string_view core_id) const = 0;
  // The colleagues (bare ids) a core member supports in a module of a year.
  virtual std::vector<std::string> SupportGroup(int year, int module,
                                                absl::string_view core_id) const = 0;
};

// Resource names both ways (BareId, UnitName, PersonName, ClassName) are
// common/names/resource_name.h's.

// What a code (of a unit, person or class) is compared by, for uniqueness and lookups:
// NFC, then Vietnamese-aware case folding (common/text), because people type codes in
// any case and Excel may change it; the code keeps the form it was imported with for
// display. Bytes that are not UTF-8 compare as they are.
std::string CodeKey(absl::string_view code);

// The unit and its parents up to the root, as resource names. Stops (without error)
// at a missing parent or after 16 levels, so a broken tree cannot loop.
std::vector<std::string> UnitAncestry(const DirectoryView& view, absl::string_view unit_id);

}  // namespace bdtx::directory

#endif  // BDTX_SERVICES_DIRECTORY_DOMAIN_DIRECTORY_VIEW_H_
