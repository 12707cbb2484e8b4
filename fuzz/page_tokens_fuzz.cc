// Page tokens on hostile input: every list that takes a page_token (directory units and
// people, approvals inbox and unit lists), over a populated directory. A token the list did
// not return is INVALID_ARGUMENT; no token may read outside the list's own key range.
// Layout: byte 0 picks the list and the page size; the rest is the token.
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "common/eventstore/memory_event_store.h"
#include "fuzz/fuzz_support.h"
#include "services/approvals/store/approvals_store.h"
#include "services/directory/testing/fake_directory.h"
#include "services/directory/store/directory_store.h"

namespace {

namespace v1 = ::bdtx::v1;

struct Stores {
  bdtx::eventstore::MemoryEventStore directory_events;
  bdtx::directory::DirectoryStore directory{&directory_events};
  bdtx::eventstore::MemoryEventStore approvals_events;
  bdtx::approvals::ApprovalsStore approvals{&approvals_events};
};

Stores& Get() {
  static Stores* stores = [] {
    auto* s = new Stores;
    for (auto [kind, csv] : {std::pair{v1::UNITS, bdtx::directory::kSampleUnits},
                             std::pair{v1::PEOPLE, bdtx::directory::kSamplePeople},
                             std::pair{v1::ASSIGNMENTS, bdtx::directory::kSampleAssignments}}) {
      auto plan = bdtx::directory::PlanImport(kind, "f.csv", csv, s->directory);
      BDTX_FUZZ_CHECK(plan.ok());
      BDTX_FUZZ_CHECK(
          s->directory.Apply(*plan, "f.csv", "sha", "people/admin", absl::UnixEpoch()).ok());
    }
    return s;
  }();
  return *stores;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  Stores& s = Get();
  std::vector<std::string> seeds;
  auto units = s.directory.ListUnits("", v1::UNIT_KIND_UNSPECIFIED, 2, "");
  BDTX_FUZZ_CHECK(units.ok());
  seeds.push_back(std::string(1, '\x10') + units->next_page_token);
  auto people = s.directory.ListPeople("thcs-tanphu", v1::ROLE_UNSPECIFIED, 2, "");
  BDTX_FUZZ_CHECK(people.ok());
  seeds.push_back(std::string(1, '\x11') + people->next_page_token);
  seeds.push_back(std::string(1, '\x12') +
                  absl::WebSafeBase64Escape(std::string("i\0people/x\0", 11)));
  seeds.push_back(std::string(1, '\x13') + absl::WebSafeBase64Escape("u/units/bp/"));
  seeds.push_back(std::string(1, '\x00') + "not base64 ~~");
  bdtx::fuzz::MaybeWriteSeeds(seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  Stores& s = Get();
  const std::string token(reinterpret_cast<const char*>(data + 1), size - 1);
  const int page_size = (data[0] >> 2) - 4;  // -4..59: zero and negative sizes too
  absl::Status status;
  switch (data[0] & 3) {
    case 0:
      status = s.directory.ListUnits("", v1::UNIT_KIND_UNSPECIFIED, page_size, token).status();
      break;
    case 1:
      status =
          s.directory.ListPeople("thcs-tanphu", v1::ROLE_UNSPECIFIED, page_size, token).status();
      break;
    case 2:
      status = s.approvals
                   .Inbox("people/ht-thcs", "units/thcs-tanphu", {v1::PRINCIPAL}, page_size, token)
                   .status();
      break;
    case 3: {
      v1::ListDocumentsRequest request;
      request.set_unit("units/bp");
      request.set_page_size(page_size);
      request.set_page_token(token);
      status = s.approvals.ListByUnit(request).status();
      break;
    }
  }
  if (!status.ok()) BDTX_FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  return 0;
}
