// bdtx-plans: wiring only. See services/plans/api for the handlers.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/auth/service_token.h"
#include "common/clients/directory_client.h"
#include "common/clock/clock.h"
#include "common/server/server.h"
#include "grpcpp/grpcpp.h"
#include "services/plans/api/plans_service.h"

int main(int argc, char** argv) {
  bdtx::server::ServiceRunner runner("plans", 7102);
  bdtx::server::DefineServiceAddressFlags(runner.flags(), {"directory", "approvals", "grading"});
  runner.flags().Define("support", "",
                        "address of the support service (rows 2.1-2.3 of reports); empty: "
                        "not used, those rows stay as grading and the author leave them");
  runner.flags().Define("max_attachment_bytes", "10485760",
                        "largest attachment accepted (bytes; default 10 MiB)");
  runner.flags().Define("workers", "32",
                        "threads for calls that wait on other services (directory, approvals, "
                        "grading)");
  if (absl::Status s = runner.Init(argc, argv); !s.ok()) return runner.Fail(s);
  bdtx::plans::PlansOptions options;
  if (!absl::SimpleAtoi(runner.flags().Get("max_attachment_bytes"),
                        &options.max_attachment_bytes) ||
      options.max_attachment_bytes <= 0) {
    return runner.Fail(absl::InvalidArgumentError(
        absl::StrCat("--max_attachment_bytes must be a positive number of bytes, got '",
                     runner.flags().Get("max_attachment_bytes"), "'")));
  }
  if (!absl::SimpleAtoi(runner.flags().Get("workers"), &options.workers) || options.workers < 1 ||
      options.workers > 1024) {
    return runner.Fail(absl::InvalidArgumentError(
        absl::StrCat("--workers must be 1..1024, got '", runner.flags().Get("workers"), "'")));
  }
  auto secret = bdtx::server::ServiceSecret(runner.flags());
  if (!secret.ok()) return runner.Fail(secret.status());
  auto events = runner.OpenEventStore();
  if (!events.ok()) return runner.Fail(events.status());
  auto blobs = bdtx::plans::AttachmentBlobs::Open(runner.data_dir() + "/attachments");
  if (!blobs.ok()) return runner.Fail(blobs.status());
  runner.AddBackupStore("attachments", [store = blobs->get()](const std::string& dir) {
    return store->Checkpoint(dir);
  });

  auto channel = [&](const char* flag) { return runner.PeerChannel(runner.flags().Get(flag)); };
  auto directory_stub = bdtx::v1::Directory::NewStub(channel("directory"));
  auto approvals_stub = bdtx::v1::Approvals::NewStub(channel("approvals"));
  auto grading_stub = bdtx::v1::Grading::NewStub(channel("grading"));
  std::unique_ptr<bdtx::v1::Support::Stub> support_stub;
  if (!runner.flags().Get("support").empty()) {
    support_stub = bdtx::v1::Support::NewStub(channel("support"));
  }
  bdtx::auth::ServiceToken token("plans", *secret, &bdtx::RealClock());
  // People change by directory imports; a minute of staleness in a plan's pre-filled
  // header is harmless and saves a call per request.
  bdtx::clients::DirectoryClient directory(directory_stub.get(), &token, absl::Seconds(60));
  bdtx::plans::PlansStore store(*events);
  bdtx::plans::PlansService service(
      &store, blobs->get(),
      {&directory, approvals_stub.get(), grading_stub.get(), support_stub.get(), &token},
      &bdtx::RealClock(), options);
  runner.AddService(&service);
  // Imports change people and units: drop cached directory answers (ADR 012).
  runner.OnDirectoryChange([&directory] { directory.DropCaches(); });
  return runner.Run();
}
