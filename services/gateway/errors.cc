#include "services/gateway/errors.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace bdtx::gateway {

int HttpStatusForCode(int code) {
  switch (code) {
    case 0:
      return 200;
    case 1:
      return 499;  // CANCELLED
    case 2:
      return 500;  // UNKNOWN
    case 3:
      return 400;  // INVALID_ARGUMENT
    case 4:
      return 504;  // DEADLINE_EXCEEDED
    case 5:
      return 404;  // NOT_FOUND
    case 6:
      return 409;  // ALREADY_EXISTS
    case 7:
      return 403;  // PERMISSION_DENIED
    case 8:
      return 429;  // RESOURCE_EXHAUSTED
    case 9:
      return 400;  // FAILED_PRECONDITION
    case 10:
      return 409;  // ABORTED
    case 11:
      return 400;  // OUT_OF_RANGE
    case 12:
      return 501;  // UNIMPLEMENTED
    case 13:
      return 500;  // INTERNAL
    case 14:
      return 503;  // UNAVAILABLE
    case 15:
      return 500;  // DATA_LOSS
    case 16:
      return 401;  // UNAUTHENTICATED
    default:
      return 500;
  }
}

std::string CodeName(int code) {
  // absl names the canonical codes exactly as AIP-193's `status` spells them.
  std::string name = absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  return name.empty() ? "UNKNOWN" : name;
}

HttpError ToHttpError(int code, absl::string_view message, absl::string_view details_bin,
                      int http_status) {
  // The detail types must be in the generated pool to print their Any as JSON.
  static const bool linked = google::rpc::ErrorInfo::descriptor() != nullptr &&
                             google::rpc::BadRequest::descriptor() != nullptr;
  (void)linked;
  std::vector<std::string> details;
  google::rpc::Status status;
  if (!details_bin.empty() && status.ParseFromString(std::string(details_bin))) {
    for (const auto& any : status.details()) {
      std::string json;
      if (google::protobuf::util::MessageToJsonString(any, &json).ok()) {
        details.push_back(std::move(json));
      }
    }
  }
  const int http = http_status != 0 ? http_status : HttpStatusForCode(code);
  std::string quoted;
  // protobuf's JSON string escaping: a Status with only `message` prints {"message":"..."}.
  google::rpc::Status just_message;
  just_message.set_message(std::string(message));
  (void)google::protobuf::util::MessageToJsonString(just_message, &quoted);
  // quoted is {"message":"..."}; splice it into the error object.
  std::string inner = quoted.size() >= 2 ? quoted.substr(1, quoted.size() - 2) : "";
  if (inner.empty()) inner = "\"message\":\"\"";
  return {http,
          absl::StrCat("{\"error\":{\"code\":", http, ",", inner, ",\"status\":\"", CodeName(code),
                       "\",\"details\":[", absl::StrJoin(details, ","), "]}}")};
}

HttpError ToHttpError(const absl::Status& status) {
  return ToHttpError(static_cast<int>(status.code()), status.message(), "");
}

int RetryAfterSeconds(absl::string_view details_bin) {
  google::rpc::Status status;
  if (details_bin.empty() || !status.ParseFromString(std::string(details_bin))) return 0;
  for (const auto& any : status.details()) {
    google::rpc::ErrorInfo info;
    if (!any.UnpackTo(&info)) continue;
    auto it = info.metadata().find("retry_after_seconds");
    int seconds = 0;
    if (it != info.metadata().end() && absl::SimpleAtoi(it->second, &seconds) && seconds > 0) {
      return seconds;
    }
  }
  return 0;
}

}  // namespace bdtx::gateway
