// The directory's persistent state: read-model records in the service's own event store
// (key layout in docs/storage.md, "Directory read model"), changed only by applying an
// ImportPlan, which appends one DirectoryImported event and every record change in one
// atomic write.
#ifndef BDTX_SERVICES_DIRECTORY_STORE_DIRECTORY_STORE_H_
#define BDTX_SERVICES_DIRECTORY_STORE_DIRECTORY_STORE_H_

#include <initializer_list>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bdtx/v1/directory.pb.h"
#include "bdtx/v1/events.pb.h"
#include "common/eventstore/event_store.h"
#include "common/paging/page_token.h"
#include "services/directory/domain/directory_view.h"
#include "services/directory/domain/import.h"

namespace bdtx::directory {

// Thread-safe for reads; Apply() calls must be serialized by the caller (the service
// holds one import at a time) and are also guarded by the stream's expected version.
class DirectoryStore : public DirectoryView {
 public:
  // Not owned; must outlive this object.
  explicit DirectoryStore(eventstore::EventStore* store) : store_(store) {}

  // The event store under the read model (its positions version the directory).
  eventstore::EventStore* events() const { return store_; }

  std::optional<Unit> FindUnit(absl::string_view id) const override;
  std::optional<Person> FindPerson(absl::string_view id) const override;
  std::optional<Class> FindClass(absl::string_view id) const override;
  std::vector<Person> PeopleWithRoleAt(absl::string_view unit_id, Role role) const override;
  std::optional<std::string> LecturerOf(int year, int module,
                                        absl::string_view core_id) const override;

  std::optional<std::string> UnitIdByCode(absl::string_view code) const override;
  std::optional<std::string> PersonIdByCode(absl::string_view code) const override;
  std::optional<std::string> ClassIdByCode(absl::string_view code) const override;

  // Every secondary index (codes, children, people per unit and role, supporters,
  // lecturers' core members) compared with one rebuilt from the primary records; one
  // line per difference, empty when they agree. Reads the whole directory: for tests
  // and operators, not for serving.
  absl::StatusOr<std::vector<std::string>> CheckIndexes() const;
  std::vector<std::string> SupportGroup(int year, int module,
                                        absl::string_view core_id) const override;
  // The core member (bare id) whose support group holds `colleague_id`.
  std::optional<std::string> SupporterOf(int year, int module,
                                         absl::string_view colleague_id) const;

  // page_size <= 0 means 100; at most 1000. INVALID_ARGUMENT for a bad page token.
  absl::StatusOr<Page<Unit>> ListUnits(absl::string_view parent_id, bdtx::v1::UnitKind kind,
                                       int page_size, absl::string_view page_token) const;
  absl::StatusOr<Page<Person>> ListPeople(absl::string_view unit_id, Role role, int page_size,
                                          absl::string_view page_token) const;

  // Writes the plan's changes. Records equal to the stored ones count as unchanged; when
  // nothing changes nothing is written. `sha256` identifies the file in the event.
  // With a non-empty `request_key` (idempotency::ScopedId of the caller's request_id),
  // `request_record` (its binding) is stored under it with the answer, in the same atomic write;
  // then the event is appended even when no record changed, so that a later retry of
  // this file is answered from the record and never re-applies it.
  absl::StatusOr<bdtx::v1::ImportCsvResponse> Apply(const ImportPlan& plan,
                                                    absl::string_view file_name,
                                                    absl::string_view sha256,
                                                    absl::string_view actor, absl::Time now,
                                                    absl::string_view request_key = "",
                                                    bdtx::v1::RequestRecord request_record = {});

  // The request record stored under `request_key` by Apply, if any.
  absl::StatusOr<std::optional<bdtx::v1::RequestRecord>> FindRequest(
      absl::string_view request_key) const;

  // The whole directory of one kind as CSV in the import format (re-importable).
  absl::StatusOr<std::string> ExportCsv(bdtx::v1::ImportKind kind) const;

 private:
  // The value of the first of `keys` present in the read model.
  std::optional<std::string> IdByKey(std::initializer_list<std::string> keys) const;
  template <typename T>
  std::optional<T> Load(const std::string& key) const;
  std::vector<std::string> ScanIds(const std::string& prefix) const;
  // Units and people are read many times per routing and change only through Apply:
  // parsed copies are cached, bounded, and dropped whole by every Apply. `cache` is one
  // of the maps below (a pointer: Cached takes cache_mu_ itself, which clang's
  // -Wthread-safety cannot see through a reference parameter).
  template <typename T, typename Loader>
  T Cached(absl::flat_hash_map<std::string, T>* cache, const std::string& key, Loader load) const;

  eventstore::EventStore* const store_;
  static constexpr size_t kCacheCapacity = 200'000;
  mutable absl::Mutex cache_mu_;
  mutable uint64_t generation_ ABSL_GUARDED_BY(cache_mu_) = 0;
  mutable absl::flat_hash_map<std::string, std::optional<Unit>> unit_cache_
      ABSL_GUARDED_BY(cache_mu_);
  mutable absl::flat_hash_map<std::string, std::optional<Person>> person_cache_
      ABSL_GUARDED_BY(cache_mu_);
  mutable absl::flat_hash_map<std::string, std::vector<Person>> role_cache_
      ABSL_GUARDED_BY(cache_mu_);
  mutable absl::flat_hash_map<std::string, std::optional<std::string>> lecturer_cache_
      ABSL_GUARDED_BY(cache_mu_);
};

}  // namespace bdtx::directory

#endif  // BDTX_SERVICES_DIRECTORY_STORE_DIRECTORY_STORE_H_
