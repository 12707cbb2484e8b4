// gRPC adapter of the directory: decode, authenticate, authorize, call the store or the
// domain rules, encode. No business rules live here.
#ifndef BDTX_SERVICES_DIRECTORY_API_DIRECTORY_SERVICE_H_
#define BDTX_SERVICES_DIRECTORY_API_DIRECTORY_SERVICE_H_

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "common/auth/current_roles.h"
#include "common/auth/subject.h"
#include "common/clock/clock.h"
#include "services/directory/store/directory_store.h"

namespace bdtx::directory {

// People's current roles straight from the store, for the directory's own
// Authenticator (ADR 012): nothing to cache, the store's records are the truth.
class StoreRolesResolver : public auth::RolesResolver {
 public:
  explicit StoreRolesResolver(const DirectoryStore* store) : store_(store) {}
  absl::StatusOr<auth::CurrentRoles> Resolve(const std::string& person) override;
  bool MayBlock() const override { return false; }

 private:
  const DirectoryStore* const store_;
};

class DirectoryService final : public bdtx::v1::Directory::CallbackService {
 public:
  // Neither is owned; both must outlive the service.
  // A streamed import file larger than this is refused (RESOURCE_EXHAUSTED): the whole
  // file is held in memory while it is validated (docs/import.md, "Large files").
  static constexpr size_t kMaxImportBytes = 256 << 20;
  // Streamed imports received at once; one more is refused (RESOURCE_EXHAUSTED) before
  // any of it is read, so the directory holds at most this many times kMaxImportBytes.
  static constexpr int kMaxImportStreams = 2;

  DirectoryService(DirectoryStore* store, const Clock* clock) : store_(store), clock_(clock) {}
  // Waits for imports and exports still running.
  ~DirectoryService() override;

  grpc::ServerUnaryReactor* GetUnit(grpc::CallbackServerContext* context,
                                    const bdtx::v1::GetUnitRequest* request,
                                    bdtx::v1::Unit* response) override;
  grpc::ServerUnaryReactor* LookupUnit(grpc::CallbackServerContext* context,
                                       const bdtx::v1::LookupUnitRequest* request,
                                       bdtx::v1::Unit* response) override;
  grpc::ServerUnaryReactor* ListUnits(grpc::CallbackServerContext* context,
                                      const bdtx::v1::ListUnitsRequest* request,
                                      bdtx::v1::ListUnitsResponse* response) override;
  grpc::ServerUnaryReactor* GetPerson(grpc::CallbackServerContext* context,
                                      const bdtx::v1::GetPersonRequest* request,
                                      bdtx::v1::Person* response) override;
  grpc::ServerUnaryReactor* BatchGetPeople(grpc::CallbackServerContext* context,
                                           const bdtx::v1::BatchGetPeopleRequest* request,
                                           bdtx::v1::BatchGetPeopleResponse* response) override;
  grpc::ServerUnaryReactor* LookupPerson(grpc::CallbackServerContext* context,
                                         const bdtx::v1::LookupPersonRequest* request,
                                         bdtx::v1::Person* response) override;
  grpc::ServerUnaryReactor* ListPeople(grpc::CallbackServerContext* context,
                                       const bdtx::v1::ListPeopleRequest* request,
                                       bdtx::v1::ListPeopleResponse* response) override;
  grpc::ServerUnaryReactor* GetClass(grpc::CallbackServerContext* context,
                                     const bdtx::v1::GetClassRequest* request,
                                     bdtx::v1::Class* response) override;
  grpc::ServerUnaryReactor* GetSupportGroup(grpc::CallbackServerContext* context,
                                            const bdtx::v1::GetSupportGroupRequest* request,
                                            bdtx::v1::SupportGroup* response) override;
  grpc::ServerUnaryReactor* RouteDocument(grpc::CallbackServerContext* context,
                                          const bdtx::v1::RouteDocumentRequest* request,
                                          bdtx::v1::Routing* response) override;
  grpc::ServerUnaryReactor* ImportCsv(grpc::CallbackServerContext* context,
                                      const bdtx::v1::ImportCsvRequest* request,
                                      bdtx::v1::ImportCsvResponse* response) override;
  grpc::ServerUnaryReactor* ExportCsv(grpc::CallbackServerContext* context,
                                      const bdtx::v1::ExportCsvRequest* request,
                                      bdtx::v1::ExportCsvResponse* response) override;
  grpc::ServerReadReactor<bdtx::v1::ImportCsvChunk>* ImportCsvStream(
      grpc::CallbackServerContext* context, bdtx::v1::ImportCsvResponse* response) override;
  grpc::ServerWriteReactor<bdtx::v1::DirectoryChange>* WatchChanges(
      grpc::CallbackServerContext* context, const bdtx::v1::WatchChangesRequest* request) override;

  // Ends every WatchChanges stream (server drain: they would otherwise hold it for the
  // whole drain timeout). Thread-safe.
  void StopWatches();

 private:
  class ImportStreamReactor;
  // PERMISSION_DENIED unless `subject` may import at all (what they import is checked
  // by Import record by record).
  static absl::Status MayImport(const auth::Subject& subject);
  // What a Sở officer's import may touch (docs/authz.md ImportCsv): OK or PERMISSION_DENIED.
  absl::Status MaySoImport(const auth::Subject& subject, const ImportPlan& plan);
  // `method` is the full RPC name the request_id is bound to.
  absl::Status Import(const auth::Subject& subject, absl::string_view method,
                      const bdtx::v1::ImportCsvRequest& request,
                      bdtx::v1::ImportCsvResponse* response);
  // Runs slow work (imports, exports) off the gRPC threads.
  void RunInBackground(std::function<void()> work);

  DirectoryStore* const store_;
  const Clock* const clock_;
  absl::Mutex import_mu_;  // one import at a time: each reads, then writes the model
  absl::Mutex workers_mu_;
  std::vector<std::thread> workers_ ABSL_GUARDED_BY(workers_mu_);
  std::atomic<bool> watches_stopped_{false};
  std::atomic<int> import_streams_{0};  // ImportStreamReactors alive
};

}  // namespace bdtx::directory

#endif  // BDTX_SERVICES_DIRECTORY_API_DIRECTORY_SERVICE_H_
