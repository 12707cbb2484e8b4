#include "common/idempotency/idempotency.h"

#include "absl/strings/str_cat.h"
#include "common/crypto/sha256.h"
#include "common/status/error_info.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace bdtx::idempotency {

std::string Fingerprint(const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> copy(request.New());
  copy->CopyFrom(request);
  const google::protobuf::FieldDescriptor* id =
      copy->GetDescriptor()->FindFieldByName("request_id");
  if (id != nullptr && id->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING &&
      !id->is_repeated()) {
    copy->GetReflection()->ClearField(copy.get(), id);
  }
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    copy->SerializeToCodedStream(&out);
  }
  return Sha256Hex(absl::StrCat(copy->GetDescriptor()->full_name(), "\n", bytes));
}

Binding Bind(absl::string_view caller, absl::string_view method, absl::string_view resource,
             const google::protobuf::Message& request) {
  return Binding{std::string(caller), std::string(method), std::string(resource),
                 Fingerprint(request)};
}

namespace {
std::string Digest(const Binding& b) {
  // Length-prefixed, so no two different bindings hash the same text.
  return Sha256Hex(absl::StrCat(b.caller.size(), ":", b.caller, b.method.size(), ":", b.method,
                                b.resource.size(), ":", b.resource, b.fingerprint));
}
}  // namespace

bdtx::v1::RequestRecord Record(const Binding& binding) {
  bdtx::v1::RequestRecord record;
  record.set_method(binding.method);
  record.set_binding_sha256(Digest(binding));
  return record;
}

std::string ScopedId(absl::string_view scope, absl::string_view request_id) {
  return absl::StrCat(Sha256Hex(scope).substr(0, 16), "/", request_id);
}

absl::Status Reused(absl::string_view request_id, absl::string_view first_method) {
  return WithErrorInfo(
      absl::AlreadyExistsError(
          absl::StrCat("request_id ", request_id, " đã được dùng",
                       first_method.empty() ? "" : absl::StrCat(" cho ", first_method),
                       " với một yêu cầu khác; gửi lại phải lặp đúng lượt gọi cũ, lượt gọi mới cần "
                       "request_id mới")),
      kReusedReason, {{"method", std::string(first_method)}});
}

absl::Status CheckSame(const Binding& binding, const bdtx::v1::RequestRecord& recorded) {
  if (!recorded.binding_sha256().empty() && recorded.binding_sha256() == Digest(binding)) {
    return absl::OkStatus();
  }
  return Reused("", recorded.method());
}

}  // namespace bdtx::idempotency
