#include "common/server/logging.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/server/trace.h"

namespace bdtx::server {
namespace {

absl::Mutex log_mu(absl::kConstInit);
std::string* service_name ABSL_GUARDED_BY(log_mu) = nullptr;

absl::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARNING";
    case LogLevel::kError:
      return "ERROR";
  }
  return "INFO";
}

}  // namespace

void SetLogServiceName(const std::string& name) {
  absl::MutexLock lock(&log_mu);
  delete service_name;
  service_name = new std::string(name);
}

std::string JsonQuote(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out.push_back(static_cast<char>(c));  // UTF-8 passes through intact
        }
    }
  }
  out += "\"";
  return out;
}

void Log(LogLevel level, absl::string_view message, std::initializer_list<LogField> fields) {
  std::string line = absl::StrCat(
      "{\"ts\":",
      JsonQuote(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone())),
      ",\"level\":", JsonQuote(LevelName(level)));
  absl::MutexLock lock(&log_mu);
  if (service_name != nullptr) absl::StrAppend(&line, ",\"service\":", JsonQuote(*service_name));
  absl::StrAppend(&line, ",\"msg\":", JsonQuote(message));
  if (const TraceContext* trace = CurrentTrace(); trace != nullptr) {
    absl::StrAppend(&line, ",\"trace_id\":\"", trace->trace_id, "\",\"span_id\":\"", trace->span_id,
                    "\"");
  }
  for (const auto& [key, value] : fields) {
    absl::StrAppend(&line, ",", JsonQuote(key), ":", JsonQuote(value));
  }
  line += "}\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

}  // namespace bdtx::server
