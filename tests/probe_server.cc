// A minimal service built on the shared bootstrap, for the bootstrap test: Probe.Sleep
// holds a call open so the test can check that SIGTERM drains in-flight calls.
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "bdtx/testing/v1/probe.grpc.pb.h"
#include "common/server/server.h"

namespace {

class ProbeService final : public bdtx::testing::v1::Probe::CallbackService {
 public:
  ~ProbeService() override {
    absl::MutexLock lock(&mu_);
    for (std::thread& t : sleepers_) t.join();
  }

  grpc::ServerUnaryReactor* Sleep(grpc::CallbackServerContext* context,
                                  const bdtx::testing::v1::SleepRequest* request,
                                  bdtx::testing::v1::SleepResponse* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    const int millis = request->millis();
    absl::MutexLock lock(&mu_);
    // A reactor must not block the gRPC thread: finish from a helper thread.
    sleepers_.emplace_back([reactor, response, millis] {
      absl::SleepFor(absl::Milliseconds(millis));
      response->set_slept_millis(millis);
      reactor->Finish(grpc::Status::OK);
    });
    return reactor;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::thread> sleepers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

int main(int argc, char** argv) {
  bdtx::server::ServiceRunner runner("probe", 0);
  runner.TrustTokenRolesForTest();  // no directory to ask
  if (absl::Status s = runner.Init(argc, argv); !s.ok()) return runner.Fail(s);
  auto store = runner.OpenEventStore();
  if (!store.ok()) return runner.Fail(store.status());
  ProbeService probe;
  runner.AddService(&probe);
  return runner.Run();
}
