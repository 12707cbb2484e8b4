// Structured logs: one JSON object per line on stdout.
//   {"ts":"2026-11-23T04:20:00.123Z","level":"INFO","service":"approvals",
//    "msg":"listening","address":"127.0.0.1:7103"}
// Lines written while a call's span is current (common/server/trace.h) also carry
// "trace_id" and "span_id".
// Never pass secrets (tokens, keys) as fields.
#ifndef BDTX_COMMON_SERVER_LOGGING_H_
#define BDTX_COMMON_SERVER_LOGGING_H_

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace bdtx::server {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

using LogField = std::pair<absl::string_view, std::string>;

// Sets the "service" field of every line. Call once at start-up.
void SetLogServiceName(const std::string& name);

// Thread-safe; each line is written whole.
void Log(LogLevel level, absl::string_view message, std::initializer_list<LogField> fields = {});

inline void LogInfo(absl::string_view m, std::initializer_list<LogField> f = {}) {
  Log(LogLevel::kInfo, m, f);
}
inline void LogWarning(absl::string_view m, std::initializer_list<LogField> f = {}) {
  Log(LogLevel::kWarning, m, f);
}
inline void LogError(absl::string_view m, std::initializer_list<LogField> f = {}) {
  Log(LogLevel::kError, m, f);
}

// JSON string escaping (quotes included), exposed for tests.
std::string JsonQuote(absl::string_view s);

}  // namespace bdtx::server

#endif  // BDTX_COMMON_SERVER_LOGGING_H_
