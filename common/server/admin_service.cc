#include "common/server/admin_service.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/auth/subject.h"
#include "common/server/logging.h"
#include "common/server/trace.h"
#include "common/status/grpc_status.h"

namespace bdtx::server {
namespace {

namespace fs = std::filesystem;

// Streams the files of a checkpoint directory, then removes it. A helper thread reads the
// files (disk reads must not block a gRPC thread) and writes one message at a time.
class BackupReactor : public grpc::ServerWriteReactor<v1::BackupChunk> {
 public:
  BackupReactor(std::string dir, std::vector<std::string> stores, std::string service,
                int64_t last_position, size_t chunk)
      : dir_(std::move(dir)),
        stores_(std::move(stores)),
        service_(std::move(service)),
        last_position_(last_position),
        chunk_(chunk) {
    // The stream's thread logs under the call's span.
    thread_ = std::thread(::bdtx::server::BindTrace([this] { Run(); }));
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) stopped_ = true;
  }
  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
  }
  void OnDone() override {
    thread_.join();
    delete this;
  }

 private:
  // Waits until the previous write finished; false when the call is over.
  bool Send(const v1::BackupChunk& chunk) {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](BackupReactor* r) { return !r->writing_ || r->stopped_; }, this));
    if (stopped_) return false;
    message_ = chunk;
    writing_ = true;
    StartWrite(&message_);
    return true;
  }

  void Run() {
    absl::Status status = Stream();
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](BackupReactor* r) { return !r->writing_ || r->stopped_; }, this));
    }
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
    LogInfo("backup finished", {{"status", status.ToString()}});
    Finish(ToGrpcStatus(status));
  }

  absl::Status Stream() {
    std::vector<std::pair<std::string, int64_t>> files;  // "store/file", size
    int64_t total = 0;
    for (const std::string& store : stores_) {
      std::vector<std::pair<std::string, int64_t>> in_store;
      std::error_code ec;
      for (const fs::directory_entry& e : fs::directory_iterator(dir_ + "/" + store, ec)) {
        if (!e.is_regular_file()) continue;
        in_store.push_back(
            {store + "/" + e.path().filename().string(), static_cast<int64_t>(e.file_size())});
        total += in_store.back().second;
      }
      if (ec) {
        return absl::InternalError(
            absl::StrCat("reading the checkpoint of ", store, ": ", ec.message()));
      }
      std::sort(in_store.begin(), in_store.end());
      files.insert(files.end(), in_store.begin(), in_store.end());
    }
    v1::BackupChunk chunk;
    for (const std::string& store : stores_) chunk.add_stores(store);
    chunk.set_service(service_);
    chunk.set_last_position(last_position_);
    chunk.set_total_bytes(total);
    chunk.set_file_count(static_cast<int>(files.size()));
    bool first = true;
    std::string buffer(chunk_, '\0');
    for (const auto& [name, size] : files) {
      std::ifstream in(dir_ + "/" + name, std::ios::binary);
      if (!in) return absl::InternalError(absl::StrCat("cannot read checkpoint file ", name));
      int64_t offset = 0;
      do {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        const std::streamsize n = in.gcount();
        if (n == 0 && offset < size) {
          return absl::InternalError(absl::StrCat("checkpoint file ", name, " ended early"));
        }
        if (!first) chunk = v1::BackupChunk();
        first = false;
        chunk.set_file(name);
        chunk.set_file_size(size);
        chunk.set_offset(offset);
        chunk.set_data(buffer.data(), static_cast<size_t>(n));
        if (!Send(chunk)) return absl::CancelledError("the backup call ended");
        offset += n;
      } while (offset < size);
    }
    return absl::OkStatus();
  }

  const std::string dir_;
  const std::vector<std::string> stores_;
  const std::string service_;
  const int64_t last_position_;
  const size_t chunk_;
  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  v1::BackupChunk message_;
  std::thread thread_;
};

class Refused : public grpc::ServerWriteReactor<v1::BackupChunk> {
 public:
  explicit Refused(const absl::Status& s) { Finish(ToGrpcStatus(s)); }
  void OnDone() override { delete this; }
};

}  // namespace

void AdminService::RemoveStaleCheckpoints() {
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(data_dir_, ec)) {
    if (e.is_directory() && e.path().filename().string().rfind("backup-", 0) == 0) {
      std::error_code ignored;
      fs::remove_all(e.path(), ignored);
    }
  }
}

grpc::ServerWriteReactor<v1::BackupChunk>* AdminService::Backup(
    grpc::CallbackServerContext* context, const v1::BackupRequest* request) {
  absl::StatusOr<auth::Subject> subject = auth::SubjectFromContext(*context);
  if (!subject.ok()) return new Refused(subject.status());
  if (!subject->HasRole(v1::SYSTEM_ADMIN)) {
    return new Refused(absl::PermissionDeniedError(
        "chỉ quản trị hệ thống (SYSTEM_ADMIN) được sao lưu dữ liệu của dịch vụ"));
  }
  int64_t chunk = request->chunk_bytes() == 0 ? (1 << 20) : request->chunk_bytes();
  if (chunk < (64 << 10) || chunk > (4 << 20)) {
    return new Refused(absl::InvalidArgumentError(
        absl::StrCat("chunk_bytes must be 65536..4194304 (or 0), got ", chunk)));
  }
  // Positions are durable before they are published, so every command acknowledged
  // before this point is at or below it and in the checkpoint.
  const int64_t last_position = store_->LastPosition();
  const std::string dir = absl::StrCat(data_dir_, "/backup-", getpid(), "-", next_backup_++);
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  fs::create_directories(dir, ignored);
  // The event store first: another store's data its events refer to (an attachment, a
  // credential) was written before the event, so it is in that store's later checkpoint.
  std::vector<std::string> stores = {"events"};
  absl::Status s = store_->Checkpoint(dir + "/events");
  for (const BackupStore& more : more_) {
    if (!s.ok()) break;
    stores.push_back(more.name);
    s = more.checkpoint(dir + "/" + more.name);
  }
  if (!s.ok()) {
    fs::remove_all(dir, ignored);
    return new Refused(s);
  }
  LogInfo("backup started", {{"checkpoint", dir}, {"last_position", absl::StrCat(last_position)}});
  return new BackupReactor(dir, std::move(stores), service_name_, last_position,
                           static_cast<size_t>(chunk));
}

}  // namespace bdtx::server
