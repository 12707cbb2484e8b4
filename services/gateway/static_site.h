// The web console's built files (web/console/dist, issue 19), served by the gateway at /.
//
// Load() reads every regular file under a folder into memory once, keyed by its URL path
// ("/assets/index-3f2a.js"); symlinks and anything else that is not a regular file are
// skipped. Requests are answered only by exact lookups in that map, so no part of a
// request's path ever reaches the file system (no traversal, "..", "%2e" or NUL tricks).
// A "name.gz" next to "name" (written by the console's build) is its gzip encoding.
// Paths that look like client routes (no '.' in the last segment) fall back to
// /index.html, as single-page apps need. Immutable after Load: thread-safe to read.
#ifndef BDTX_SERVICES_GATEWAY_STATIC_SITE_H_
#define BDTX_SERVICES_GATEWAY_STATIC_SITE_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bdtx::gateway {

class StaticSite {
 public:
  struct File {
    std::string content;
    std::string gzip;  // empty: no precompressed copy
    std::string content_type;
    // "public, max-age=31536000, immutable" for content-hashed /assets/ files, else
    // "no-cache" (index.html must be revalidated so a new build is picked up at once).
    std::string cache_control;
  };

  // Reads `dir` (recursively). Errors: NotFound when `dir` or its index.html is missing;
  // ResourceExhausted above `max_total_bytes` (the console is a few hundred KB).
  static absl::StatusOr<std::shared_ptr<const StaticSite>> Load(const std::string& dir,
                                                                size_t max_total_bytes = 64 << 20);

  // The file for a request path (without the query), or nullptr: 404.
  const File* Find(absl::string_view path) const;

  size_t size() const { return files_.size(); }

 private:
  std::map<std::string, File, std::less<>> files_;
};

// The Content-Type for a file name, by extension; application/octet-stream if unknown.
std::string ContentTypeFor(absl::string_view name);

}  // namespace bdtx::gateway

#endif  // BDTX_SERVICES_GATEWAY_STATIC_SITE_H_
