#include "common/status/error_info.h"

#include "absl/strings/cord.h"
#include "google/rpc/error_details.pb.h"

namespace bdtx {

absl::Status WithErrorInfo(
    absl::Status status, absl::string_view reason,
    std::initializer_list<std::pair<absl::string_view, std::string>> metadata) {
  if (status.ok()) return status;
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(kErrorDomain);
  for (const auto& [key, value] : metadata) (*info.mutable_metadata())[std::string(key)] = value;
  status.SetPayload(std::string(kTypePrefix) + "google.rpc.ErrorInfo",
                    absl::Cord(info.SerializeAsString()));
  return status;
}

absl::Status WithBadRequest(absl::Status status,
                            const std::vector<std::pair<std::string, std::string>>& violations) {
  if (status.ok()) return status;
  google::rpc::BadRequest request;
  for (const auto& [field, description] : violations) {
    google::rpc::BadRequest::FieldViolation* v = request.add_field_violations();
    v->set_field(field);
    v->set_description(description);
  }
  status.SetPayload(std::string(kTypePrefix) + "google.rpc.BadRequest",
                    absl::Cord(request.SerializeAsString()));
  return status;
}

}  // namespace bdtx
