// bdtxctl admin: online backups of a service's event store, and offline restores.
#include <algorithm>
#include <filesystem>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bdtx/v1/admin.grpc.pb.h"
#include "common/auth/jwt.h"
#include "openssl/evp.h"
#include "services/bdtxctl/cli.h"

namespace bdtx::ctl {
namespace {

void DefineFlags(Flags& flags) {
  flags.Define("service", "", "the service to back up");
  flags.Define("address", "", "its address (default: the service's address flag below)");
  bdtx::server::DefineServiceAddressFlags(flags,
                                          {"plans", "approvals", "grading", "notifications"});
  flags.Define("out", "", "backup: the new directory to write");
  flags.Define("from", "", "restore: the backup directory");
  flags.Define("data_dir", "", "restore: the stopped service's --data_dir");
}

// Streaming SHA-256 of a file's pieces (a backup file can be gigabytes).
class Sha256Stream {
 public:
  Sha256Stream() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Sha256Stream() { EVP_MD_CTX_free(ctx_); }
  void Add(absl::string_view data) { EVP_DigestUpdate(ctx_, data.data(), data.size()); }
  std::string Hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_, digest, &n);
    std::string hex;
    for (unsigned int i = 0; i < n; ++i)
      absl::StrAppend(&hex, absl::Hex(digest[i], absl::kZeroPad2));
    return hex;
  }

 private:
  EVP_MD_CTX* ctx_;
};

// backup.json: what a backup holds, checked by restore.
struct BackupFile {
  std::string name;
  int64_t size = 0;
  std::string sha256;
};

std::string FormatMiB(int64_t bytes) {
  return absl::StrFormat("%.1f MiB", static_cast<double>(bytes) / (1 << 20));
}

int AdminBackup(const Flags& flags) {
  namespace fs = std::filesystem;
  const std::string service = flags.Get("service");
  static const char* const kServices[] = {"directory", "plans", "approvals", "grading",
                                          "notifications"};
  if (std::find(std::begin(kServices), std::end(kServices), service) == std::end(kServices)) {
    return Fail(absl::InvalidArgumentError(
        "--service must be directory, plans, approvals, grading or notifications"));
  }
  const std::string out = flags.Get("out");
  if (out.empty()) return Fail(absl::InvalidArgumentError("--out DIR is required"));
  if (fs::exists(out)) {
    return Fail(absl::AlreadyExistsError(
        absl::StrCat(out, " already exists: a backup goes into a new directory")));
  }
  std::string address = flags.Get("address");
  if (address.empty()) address = flags.Get(service == "directory" ? "addr" : service);
  auto token = CallToken(flags);
  if (!token.ok()) return Fail(token.status());
  auto stub = bdtx::v1::Admin::NewStub(Channel(address, 16 << 20));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + *token);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::hours(6));
  bdtx::v1::BackupRequest request;
  auto reader = stub->Backup(&context, request);

  // Written to OUT.partial and renamed at the end: OUT exists only when complete.
  const std::string partial = out + ".partial";
  std::error_code ec;
  fs::remove_all(partial, ec);
  fs::create_directories(partial + "/events", ec);
  if (ec)
    return Fail(
        absl::UnavailableError(absl::StrCat("cannot create ", partial, ": ", ec.message())));
  bdtx::v1::BackupChunk chunk;
  std::vector<BackupFile> files;
  std::ofstream file;
  std::unique_ptr<Sha256Stream> sha;
  int64_t total = 0, received = 0, last_position = 0;
  std::string got_service;
  absl::Time last_report = absl::InfinitePast();
  auto close_file = [&]() -> absl::Status {
    if (files.empty()) return absl::OkStatus();
    file.close();
    if (!file) return absl::DataLossError(absl::StrCat("writing ", files.back().name, " failed"));
    files.back().sha256 = sha->Hex();
    return absl::OkStatus();
  };
  while (reader->Read(&chunk)) {
    if (!chunk.service().empty()) {
      got_service = chunk.service();
      total = chunk.total_bytes();
      last_position = chunk.last_position();
      std::fprintf(stderr, "backup of %s: %d files, %s, events up to position %lld\n",
                   got_service.c_str(), chunk.file_count(), FormatMiB(total).c_str(),
                   static_cast<long long>(last_position));
    }
    if (chunk.file().empty() || chunk.file().find('/') != std::string::npos ||
        chunk.file()[0] == '.') {
      return Fail(
          absl::DataLossError(absl::StrCat("bad file name in the backup: '", chunk.file(), "'")));
    }
    if (files.empty() || files.back().name != chunk.file()) {
      if (absl::Status s = close_file(); !s.ok()) return Fail(s);
      if (chunk.offset() != 0) return Fail(absl::DataLossError("a file's first piece is missing"));
      files.push_back({chunk.file(), chunk.file_size(), ""});
      file.open(partial + "/events/" + chunk.file(), std::ios::binary | std::ios::trunc);
      sha = std::make_unique<Sha256Stream>();
    }
    file.write(chunk.data().data(), static_cast<std::streamsize>(chunk.data().size()));
    sha->Add(chunk.data());
    received += static_cast<int64_t>(chunk.data().size());
    if (absl::Now() - last_report > absl::Seconds(1)) {
      last_report = absl::Now();
      std::fprintf(stderr, "  %s / %s (%.0f%%)\n", FormatMiB(received).c_str(),
                   FormatMiB(total).c_str(), total > 0 ? 100.0 * received / total : 100.0);
    }
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return Fail(bdtx::FromGrpcStatus(status));
  if (absl::Status s = close_file(); !s.ok()) return Fail(s);
  if (got_service != service) {
    return Fail(absl::FailedPreconditionError(
        absl::StrCat(address, " is the ", got_service.empty() ? "(unnamed)" : got_service,
                     " service, not ", service)));
  }
  if (received != total) {
    return Fail(absl::DataLossError(absl::StrCat("received ", received, " bytes of ", total)));
  }
  for (const BackupFile& f : files) {
    if (static_cast<int64_t>(fs::file_size(partial + "/events/" + f.name, ec)) != f.size || ec) {
      return Fail(absl::DataLossError(absl::StrCat(f.name, " is incomplete")));
    }
  }
  std::string manifest = absl::StrCat(
      "{\n  \"service\": \"", service, "\",\n  \"last_position\": ", last_position,
      ",\n  \"created\": \"", absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone()),
      "\",\n  \"files\": [\n");
  for (size_t i = 0; i < files.size(); ++i) {
    absl::StrAppend(&manifest, "    {\"name\": \"", files[i].name, "\", \"size\": ", files[i].size,
                    ", \"sha256\": \"", files[i].sha256, "\"}", i + 1 < files.size() ? "," : "",
                    "\n");
  }
  absl::StrAppend(&manifest, "  ]\n}\n");
  std::ofstream(partial + "/backup.json") << manifest;
  fs::rename(partial, out, ec);
  if (ec)
    return Fail(absl::UnavailableError(absl::StrCat("cannot rename to ", out, ": ", ec.message())));
  std::printf("backup of %s in %s: %zu files, %s, events up to position %lld\n", service.c_str(),
              out.c_str(), files.size(), FormatMiB(total).c_str(),
              static_cast<long long>(last_position));
  return 0;
}

// Reads backup.json (the format AdminBackup writes, one file entry per line).
absl::StatusOr<std::vector<BackupFile>> ReadManifest(const std::string& dir, std::string* service) {
  std::ifstream in(dir + "/backup.json");
  if (!in) return absl::NotFoundError(absl::StrCat(dir, "/backup.json missing: not a bdtx backup"));
  std::vector<BackupFile> files;
  std::string line;
  auto field = [](const std::string& l, const std::string& key) -> std::string {
    const std::string k = "\"" + key + "\": ";
    size_t at = l.find(k);
    if (at == std::string::npos) return "";
    at += k.size();
    if (l[at] == '"') return l.substr(at + 1, l.find('"', at + 1) - at - 1);
    return l.substr(at, l.find_first_of(",}", at) - at);
  };
  while (std::getline(in, line)) {
    if (line.find("\"service\": ") != std::string::npos &&
        line.find("\"name\"") == std::string::npos) {
      *service = field(line, "service");
    }
    if (line.find("\"name\": ") == std::string::npos) continue;
    BackupFile f{field(line, "name"), 0, field(line, "sha256")};
    if (!absl::SimpleAtoi(field(line, "size"), &f.size) || f.name.empty() ||
        f.name.find('/') != std::string::npos || f.sha256.size() != 64) {
      return absl::DataLossError(absl::StrCat("bad entry in backup.json: ", line));
    }
    files.push_back(std::move(f));
  }
  if (files.empty()) return absl::DataLossError("backup.json lists no files");
  return files;
}

int AdminRestore(const Flags& flags) {
  namespace fs = std::filesystem;
  const std::string from = flags.Get("from");
  const std::string data_dir = flags.Get("data_dir");
  if (from.empty() || data_dir.empty()) {
    return Fail(absl::InvalidArgumentError("--from BACKUP_DIR and --data_dir DIR are required"));
  }
  std::string service;
  auto files = ReadManifest(from, &service);
  if (!files.ok()) return Fail(files.status());
  const std::string target = data_dir + "/events";
  std::error_code ec;
  if (fs::exists(target, ec) && !fs::is_empty(target, ec)) {
    return Fail(absl::FailedPreconditionError(
        absl::StrCat(target,
                     " holds a store: stop the service and move that directory away first "
                     "(restore never overwrites a store)")));
  }
  // Check every file before touching the target.
  std::string buffer(1 << 20, '\0');
  for (const BackupFile& f : *files) {
    std::ifstream in(from + "/events/" + f.name, std::ios::binary);
    if (!in) return Fail(absl::DataLossError(absl::StrCat("backup file ", f.name, " missing")));
    Sha256Stream sha;
    int64_t size = 0;
    while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
      sha.Add(absl::string_view(buffer.data(), static_cast<size_t>(in.gcount())));
      size += in.gcount();
    }
    if (size != f.size || sha.Hex() != f.sha256) {
      return Fail(absl::DataLossError(
          absl::StrCat("backup file ", f.name, " does not match backup.json (size or sha256)")));
    }
  }
  const std::string staging = target + ".restoring";
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec)
    return Fail(
        absl::UnavailableError(absl::StrCat("cannot create ", staging, ": ", ec.message())));
  for (const BackupFile& f : *files) {
    fs::copy_file(from + "/events/" + f.name, staging + "/" + f.name, ec);
    if (ec)
      return Fail(absl::UnavailableError(absl::StrCat("copying ", f.name, ": ", ec.message())));
  }
  fs::remove(target, ec);  // an empty directory, if any
  fs::rename(staging, target, ec);
  if (ec)
    return Fail(
        absl::UnavailableError(absl::StrCat("cannot rename to ", target, ": ", ec.message())));
  std::printf("restored the %s store (%zu files) into %s; start the service on --data_dir=%s\n",
              service.c_str(), files->size(), target.c_str(), data_dir.c_str());
  return 0;
}

}  // namespace

const CommandGroup& AdminCommands() {
  static const CommandGroup group = {
      "admin",
      DefineFlags,
      {{"backup",
        "--service directory|plans|approvals|grading|notifications --out DIR\n"
        "      [--address HOST:PORT] [--tls_ca_file CA.pem]",
        AdminBackup},
       {"restore", "--from DIR --data_dir SERVICE_DATA_DIR   (service stopped)", AdminRestore}}};
  return group;
}

}  // namespace bdtx::ctl
