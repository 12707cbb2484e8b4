// W3C Trace Context (https://www.w3.org/TR/trace-context/) for bdtx calls: every call a
// server takes gets a span (a new span id) in the caller's trace, taken from the call's
// `traceparent` metadata, or in a new trace when there is none or it is malformed. The
// span is the "current trace" of the thread that runs the handler; logging writes its
// trace_id and span_id into every line, and calls made on PeerChannel carry it on as
// their `traceparent` (parent-id = this span).
//
// The current trace is thread-local: work that a handler moves to another thread must
// take it along. WorkQueue::Run does so itself; elsewhere wrap the closure in BindTrace
// (async client callbacks, threads a handler starts).
#ifndef BDTX_COMMON_SERVER_TRACE_H_
#define BDTX_COMMON_SERVER_TRACE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "grpcpp/support/client_interceptor.h"
#include "grpcpp/support/server_interceptor.h"

namespace bdtx::server {

// The parts of a valid version-00 `traceparent` header.
struct TraceParent {
  std::string trace_id;   // 32 lowercase hex digits, not all zero
  std::string parent_id;  // 16 lowercase hex digits, not all zero
  uint8_t flags = 0;      // bit 0: sampled
};

// Strict: exactly "00-<32 hex>-<16 hex>-<2 hex>", lowercase, ids not all zero (the
// spec's rules for version 00). nullopt for anything else, which callers treat as "no
// parent" (the spec: a malformed traceparent starts a new trace).
std::optional<TraceParent> ParseTraceparent(absl::string_view header);

// One span of a trace.
struct TraceContext {
  std::string trace_id;        // 32 hex
  std::string span_id;         // 16 hex, this span's own
  std::string parent_span_id;  // 16 hex, the caller's span; empty for a trace's root
  uint8_t flags = 0;

  // A new span under `parent` (same trace and flags), or the root of a new trace.
  static TraceContext StartSpan(const std::optional<TraceParent>& parent);
  // The header for calls made from this span: "00-<trace_id>-<span_id>-<flags>".
  std::string Traceparent() const;
};

// The thread's current span, or nullptr outside any call.
const TraceContext* CurrentTrace();

// Makes `trace` the thread's current span until destroyed (then restores the previous).
class ScopedTrace {
 public:
  explicit ScopedTrace(std::shared_ptr<const TraceContext> trace);
  ~ScopedTrace();
  ScopedTrace(const ScopedTrace&) = delete;
  ScopedTrace& operator=(const ScopedTrace&) = delete;

 private:
  std::shared_ptr<const TraceContext> previous_;
};

// The current span as a shared handle (nullptr outside any call), to hand to another thread.
std::shared_ptr<const TraceContext> CurrentTraceHandle();

// `f` that runs under the span current now, whichever thread calls it.
template <typename F>
auto BindTrace(F f) {
  return
      [trace = CurrentTraceHandle(), f = std::move(f)](auto&&... args) mutable -> decltype(auto) {
        ScopedTrace scope(trace);
        return std::move(f)(std::forward<decltype(args)>(args)...);
      };
}

// Server side: takes the span from `traceparent`, makes it current while the handler
// starts (gRPC's callback API runs it inside the interceptor chain) and while later
// interception hooks run, and logs one access line per call ("call": method, grpc_code,
// duration_ms, peer parent span).
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewServerTraceInterceptorFactory();

// Client side: adds `traceparent` (the current span as parent) to calls made while a span
// is current, unless the call already carries one.
std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
NewClientTraceInterceptorFactory();

}  // namespace bdtx::server

#endif  // BDTX_COMMON_SERVER_TRACE_H_
