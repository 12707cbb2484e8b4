// The REST ⇄ gRPC transcoder, driven only by descriptors and their google.api.http
// options (no per-method code): which method an HTTP request names, the request
// message built from path variables, query parameters and the JSON body (proto3 JSON,
// lowerCamelCase or original field names accepted), and the response as JSON.
// Thread-safe once built (all const).
#ifndef BDTX_SERVICES_GATEWAY_TRANSCODER_H_
#define BDTX_SERVICES_GATEWAY_TRANSCODER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "services/gateway/path_template.h"

namespace bdtx::gateway {

struct Route {
  std::string http_method;  // GET, POST, PATCH, PUT, DELETE
  PathTemplate path;
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string body;           // "" (none), "*" (whole request) or a field path
  std::string response_body;  // "" (whole response) or a top-level field of the response
  std::string grpc_path;      // "/bdtx.v1.Approvals/Approve"
  std::string service;        // "bdtx.v1.Approvals"
};

class RouteTable {
 public:
  // Every method with a google.api.http option in the services named (full names,
  // e.g. "bdtx.v1.Plans"), looked up in the generated descriptor pool. INVALID_ARGUMENT
  // for an unknown service, a bad template, a body or path field the request lacks, or
  // two routes with the same method and template.
  static absl::StatusOr<RouteTable> Build(const std::vector<std::string>& services);

  struct Match {
    const Route* route;
    PathTemplate::Bindings bindings;
  };
  // NOT_FOUND when no template matches `path`; UNIMPLEMENTED (HTTP 405) naming the
  // allowed methods when templates match but not with `http_method`. Among matches the
  // template with the most literal segments wins.
  absl::StatusOr<Match> Find(absl::string_view http_method, absl::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;  // most specific first
};

// Fills `request` (an empty message of route.method->input_type()): the body first
// (JSON of the whole request or of the body field; empty body allowed), then query
// parameters (only fields not bound by the path or the body; repeated fields by
// repeating the parameter; messages such as FieldMask and Timestamp in their JSON
// string form), then path variables. INVALID_ARGUMENT with the offending parameter or
// JSON error. With `skip_body` the body is left to the caller (streamed uploads).
absl::Status BuildRequest(const Route& route, const PathTemplate::Bindings& bindings,
                          absl::string_view query, absl::string_view body, bool skip_body,
                          google::protobuf::Message* request);

// proto3 JSON with lowerCamelCase names, default-valued scalars included so clients
// see every field.
absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message);

// A new, empty message of `type` from the generated factory.
std::unique_ptr<google::protobuf::Message> NewMessage(const google::protobuf::Descriptor* type);

// Sets `value` (text) on the scalar, enum or well-known-type field at dotted `path`
// (proto or JSON names) of `message`, appending for repeated fields.
absl::Status SetFieldFromText(google::protobuf::Message* message, absl::string_view path,
                              absl::string_view value);

}  // namespace bdtx::gateway

#endif  // BDTX_SERVICES_GATEWAY_TRANSCODER_H_
