#include "services/gateway/static_site.h"

#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace bdtx::gateway {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<std::string> ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("không đọc được tệp ", path.string()));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

std::string ContentTypeFor(absl::string_view name) {
  static const std::map<std::string, std::string, std::less<>> kTypes = {
      {"html", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"webmanifest", "application/manifest+json"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"ico", "image/x-icon"},
      {"woff2", "font/woff2"},
      {"txt", "text/plain; charset=utf-8"},
  };
  const size_t dot = name.rfind('.');
  if (dot == absl::string_view::npos) return "application/octet-stream";
  auto it = kTypes.find(absl::AsciiStrToLower(name.substr(dot + 1)));
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

absl::StatusOr<std::shared_ptr<const StaticSite>> StaticSite::Load(const std::string& dir,
                                                                   size_t max_total_bytes) {
  std::error_code ec;
  const fs::path root = fs::canonical(dir, ec);
  if (ec || !fs::is_directory(root)) {
    return absl::NotFoundError(absl::StrCat("--console_dir ", dir, " không phải là thư mục"));
  }
  auto site = std::make_shared<StaticSite>();
  std::map<std::string, std::string> gz;  // "/x.js" → gzip bytes of it
  size_t total = 0;
  // Symlinks are neither followed (directories) nor served (files): only what the
  // build wrote inside `dir` is reachable.
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_symlink(ec) || !it->is_regular_file(ec)) continue;
    std::string url = "/" + fs::relative(it->path(), root, ec).generic_string();
    if (ec) break;
    auto content = ReadAll(it->path());
    if (!content.ok()) return content.status();
    total += content->size();
    if (total > max_total_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("--console_dir ", dir, " lớn hơn ", max_total_bytes, " byte"));
    }
    if (absl::EndsWith(url, ".gz")) {
      gz[url.substr(0, url.size() - 3)] = *std::move(content);
      continue;
    }
    File file;
    file.content = *std::move(content);
    file.content_type = ContentTypeFor(url);
    file.cache_control =
        absl::StartsWith(url, "/assets/") ? "public, max-age=31536000, immutable" : "no-cache";
    site->files_[url] = std::move(file);
  }
  if (ec) return absl::InternalError(absl::StrCat("đọc ", dir, ": ", ec.message()));
  for (auto& [url, bytes] : gz) {
    auto it = site->files_.find(url);
    if (it != site->files_.end()) it->second.gzip = std::move(bytes);
  }
  if (!site->files_.count("/index.html")) {
    return absl::NotFoundError(absl::StrCat("--console_dir ", dir, " không có index.html"));
  }
  return std::shared_ptr<const StaticSite>(std::move(site));
}

const StaticSite::File* StaticSite::Find(absl::string_view path) const {
  if (path.empty() || path == "/") path = "/index.html";
  if (auto it = files_.find(path); it != files_.end()) return &it->second;
  // A client route (/inbox, /documents/gvcc-001-2023-m4-plan) gets the app; a missing
  // file (/assets/old-build.js, /favicon.ico) stays 404 so it is not parsed as HTML.
  const size_t slash = path.rfind('/');
  const absl::string_view last = path.substr(slash == absl::string_view::npos ? 0 : slash + 1);
  if (absl::StrContains(last, '.') || absl::StartsWith(path, "/assets/")) return nullptr;
  return &files_.find("/index.html")->second;
}

}  // namespace bdtx::gateway
