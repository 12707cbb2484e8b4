// request_id records that cannot be turned against us (AIP-155). One mechanism for every
// mutating RPC of every service; the contract is in docs/api.md "request_id".
//
// A handler, after authenticating the caller and authorizing them for the resource:
//   idempotency::Binding binding =
//       idempotency::Bind(subject.name, kApproveMethod, request->document(), *request);
//   // look the request_id up (from the resource's own events or a read model) and
//   if (recorded) RETURN_IF_ERROR(idempotency::CheckSame(binding, *recorded));  // then replay
//   // else decide, and store idempotency::Record(binding) with the command's events.
//
// Pure functions; thread-safe.
#ifndef BDTX_COMMON_IDEMPOTENCY_IDEMPOTENCY_H_
#define BDTX_COMMON_IDEMPOTENCY_IDEMPOTENCY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bdtx/v1/events.pb.h"
#include "google/protobuf/message.h"

namespace bdtx::idempotency {

// The ErrorInfo reason of a request_id used again for something else.
inline constexpr char kReusedReason[] = "REQUEST_ID_REUSED";

// What one request_id is bound to.
struct Binding {
  std::string caller;       // the subject's name, "people/gvsp-01" or "services/plans"
  std::string method;       // full RPC name, "/bdtx.v1.Approvals/Approve"
  std::string resource;     // the resource the command acts on, "documents/..."
  std::string fingerprint;  // Fingerprint(request)
};

// SHA-256 hex of the deterministic serialization of `request` with its top-level
// `request_id` string field cleared (so the fingerprint is of everything else).
std::string Fingerprint(const google::protobuf::Message& request);

Binding Bind(absl::string_view caller, absl::string_view method, absl::string_view resource,
             const google::protobuf::Message& request);

// The record to store with the command's events (no response: add it when the service
// replays a stored answer).
bdtx::v1::RequestRecord Record(const Binding& binding);

// OK when `recorded` was written for exactly `binding` (same caller, RPC, resource and
// request); otherwise ALREADY_EXISTS with ErrorInfo{reason REQUEST_ID_REUSED, metadata
// method = the RPC the id was first used with}. Never reveals anything else about the
// first request. A record without a binding (written before bindings existed) never
// matches.
absl::Status CheckSame(const Binding& binding, const bdtx::v1::RequestRecord& recorded);

// A key for `request_id` in a store-wide namespace, private to `scope` (a caller or a
// resource name): 16 hex digits of SHA-256(scope), "/", the id (at most 117 bytes for a
// 100-byte id). Another caller's lookup of the same id never finds this record.
std::string ScopedId(absl::string_view scope, absl::string_view request_id);

// The status for a request_id recorded for a different resource, or whose record is
// unreadable: ALREADY_EXISTS REQUEST_ID_REUSED naming `first_method` ("" if unknown).
absl::Status Reused(absl::string_view request_id, absl::string_view first_method);

}  // namespace bdtx::idempotency

#endif  // BDTX_COMMON_IDEMPOTENCY_IDEMPOTENCY_H_
