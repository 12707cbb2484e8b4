// bdtxctl admin: online backups of a service's event store, and offline restores.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
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

// A file of a backup: "<store>/<file>" (the store a directory under the service's
// --data_dir: "events", "credentials", "attachments"); a bare file name (backups before
// there were several stores) is in "events". DATA_LOSS for anything that could leave
// the backup directory.
absl::StatusOr<std::string> BackupFilePath(const std::string& name) {
  std::vector<std::string> parts = absl::StrSplit(name, '/');
  if (parts.size() == 1) parts.insert(parts.begin(), "events");
  const bool ok = parts.size() == 2 && !parts[0].empty() && !parts[1].empty() &&
                  parts[0].find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos &&
                  parts[1][0] != '.';
  if (!ok) return absl::DataLossError(absl::StrCat("bad file name in the backup: '", name, "'"));
  return absl::StrCat(parts[0], "/", parts[1]);
}

std::string FormatMiB(int64_t bytes) {
  return absl::StrFormat("%.1f MiB", static_cast<double>(bytes) / (1 << 20));
}

int AdminBackup(const Flags& flags) {
  namespace fs = std::filesystem;
  const std::string service = flags.Get("service");
  static const char* const kServices[] = {"directory", "plans",         "approvals",
                                          "grading",   "notifications", "support"};
  if (std::find(std::begin(kServices), std::end(kServices), service) == std::end(kServices)) {
    return Fail(absl::InvalidArgumentError(
        "--service must be directory, plans, approvals, grading, notifications or support"));
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
  fs::create_directories(partial, ec);
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
    auto name = BackupFilePath(chunk.file());
    if (!name.ok()) return Fail(name.status());
    if (files.empty() || files.back().name != *name) {
      if (absl::Status s = close_file(); !s.ok()) return Fail(s);
      if (chunk.offset() != 0) return Fail(absl::DataLossError("a file's first piece is missing"));
      files.push_back({*name, chunk.file_size(), ""});
      fs::create_directories(fs::path(partial + "/" + *name).parent_path(), ec);
      file.open(partial + "/" + *name, std::ios::binary | std::ios::trunc);
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
    if (static_cast<int64_t>(fs::file_size(partial + "/" + f.name, ec)) != f.size || ec) {
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
    auto name = BackupFilePath(f.name);
    if (!absl::SimpleAtoi(field(line, "size"), &f.size) || !name.ok() || f.sha256.size() != 64) {
      return absl::DataLossError(absl::StrCat("bad entry in backup.json: ", line));
    }
    // A backup from before several stores keeps its files in events/ under bare names.
    f.name = *name;
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
  // Every store of the backup goes back to its own directory under --data_dir.
  std::set<std::string> stores;
  for (const BackupFile& f : *files) stores.insert(f.name.substr(0, f.name.find('/')));
  std::error_code ec;
  for (const std::string& store : stores) {
    const std::string target = data_dir + "/" + store;
    if (fs::exists(target, ec) && !fs::is_empty(target, ec)) {
      return Fail(absl::FailedPreconditionError(
          absl::StrCat(target,
                       " holds a store: stop the service and move that directory away first "
                       "(restore never overwrites a store)")));
    }
  }
  // Check every file before touching the target.
  std::string buffer(1 << 20, '\0');
  for (const BackupFile& f : *files) {
    std::ifstream in(from + "/" + f.name, std::ios::binary);
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
  // Each store is copied next to its place, then renamed into it.
  for (const std::string& store : stores) {
    fs::remove_all(data_dir + "/" + store + ".restoring", ec);
    fs::create_directories(data_dir + "/" + store + ".restoring", ec);
    if (ec) {
      return Fail(absl::UnavailableError(
          absl::StrCat("cannot create ", data_dir, "/", store, ".restoring: ", ec.message())));
    }
  }
  for (const BackupFile& f : *files) {
    const size_t slash = f.name.find('/');
    fs::copy_file(
        from + "/" + f.name,
        absl::StrCat(data_dir, "/", f.name.substr(0, slash), ".restoring", f.name.substr(slash)),
        ec);
    if (ec)
      return Fail(absl::UnavailableError(absl::StrCat("copying ", f.name, ": ", ec.message())));
  }
  for (const std::string& store : stores) {
    const std::string target = data_dir + "/" + store;
    fs::remove(target, ec);  // an empty directory, if any
    fs::rename(target + ".restoring", target, ec);
    if (ec) {
      return Fail(
          absl::UnavailableError(absl::StrCat("cannot rename to ", target, ": ", ec.message())));
    }
  }
  std::printf("restored the %s stores %s (%zu files) into %s; start the service on --data_dir=%s\n",
              service.c_str(), absl::StrJoin(stores, ", ").c_str(), files->size(), data_dir.c_str(),
              data_dir.c_str());
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
