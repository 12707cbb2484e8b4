// gRPC adapter of the directory: decode, authenticate, authorize, call the store or the
// domain rules, encode. No business rules live here.
#ifndef BDTX_SERVICES_DIRECTORY_API_DIRECTORY_SERVICE_H_
#define BDTX_SERVICES_DIRECTORY_API_DIRECTORY_SERVICE_H_

#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "common/auth/subject.h"
#include "common/clock/clock.h"
#include "services/directory/store/directory_store.h"

namespace bdtx::directory {

class DirectoryService final : public bdtx::v1::Directory::CallbackService {
 public:
  // Neither is owned; both must outlive the service.
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

 private:
  absl::Status Import(const auth::Subject& subject, const bdtx::v1::ImportCsvRequest& request,
                      bdtx::v1::ImportCsvResponse* response);
  // Runs slow work (imports, exports) off the gRPC threads.
  void RunInBackground(std::function<void()> work);

  DirectoryStore* const store_;
  const Clock* const clock_;
  absl::Mutex import_mu_;  // one import at a time: each reads, then writes the model
  absl::Mutex workers_mu_;
  std::vector<std::thread> workers_ ABSL_GUARDED_BY(workers_mu_);
};

}  // namespace bdtx::directory

#endif  // BDTX_SERVICES_DIRECTORY_API_DIRECTORY_SERVICE_H_
