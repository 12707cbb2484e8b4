#include "common/server/trace.h"

#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/server/logging.h"

namespace bdtx::server {
namespace {

namespace gx = grpc::experimental;

thread_local std::shared_ptr<const TraceContext> current_trace;

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool AllZero(absl::string_view s) { return s.find_first_not_of('0') == absl::string_view::npos; }

// Random lowercase hex, never all zero (the spec forbids it).
std::string RandomHex(int digits) {
  thread_local std::mt19937_64 rng([] {
    std::random_device device;
    std::seed_seq seq{device(), device(), device(), device()};
    return std::mt19937_64(seq);
  }());
  std::string out;
  do {
    out.clear();
    while (static_cast<int>(out.size()) < digits)
      absl::StrAppend(&out, absl::Hex(rng(), absl::kZeroPad16));
    out.resize(digits);
  } while (AllZero(out));
  return out;
}

const char* CodeText(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i < 17 ? kNames[i] : "UNKNOWN";
}

class ServerTraceInterceptor : public gx::Interceptor {
 public:
  explicit ServerTraceInterceptor(gx::ServerRpcInfo* info)
      : method_(info->method()),
        // Probes every few seconds would drown the calls people make.
        log_access_(!absl::StartsWith(method_, "/grpc.health.v1.")),
        start_(absl::Now()) {}

  void Intercept(gx::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            gx::InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      std::optional<TraceParent> parent;
      const auto* metadata = methods->GetRecvInitialMetadata();
      if (metadata != nullptr && metadata->count("traceparent") == 1) {
        const grpc::string_ref value = metadata->find("traceparent")->second;
        parent = ParseTraceparent(absl::string_view(value.data(), value.size()));
      }
      trace_ = std::make_shared<const TraceContext>(TraceContext::StartSpan(parent));
    }
    if (log_access_ &&
        methods->QueryInterceptionHookPoint(gx::InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      ScopedTrace scope(trace_);
      Log(status.ok() ? LogLevel::kInfo : LogLevel::kWarning, "call",
          {{"method", method_},
           {"grpc_code", CodeText(status.error_code())},
           {"duration_ms",
            absl::StrFormat("%.3f", absl::ToDoubleMilliseconds(absl::Now() - start_))},
           {"parent_span_id", trace_ ? trace_->parent_span_id : ""}});
    }
    // gRPC's callback API starts the handler inside the last interceptor's Proceed().
    ScopedTrace scope(trace_);
    methods->Proceed();
  }

 private:
  const std::string method_;
  const bool log_access_;
  const absl::Time start_;
  std::shared_ptr<const TraceContext> trace_;
};

class ServerTraceFactory : public gx::ServerInterceptorFactoryInterface {
 public:
  gx::Interceptor* CreateServerInterceptor(gx::ServerRpcInfo* info) override {
    return new ServerTraceInterceptor(info);
  }
};

class ClientTraceInterceptor : public gx::Interceptor {
 public:
  explicit ClientTraceInterceptor(std::shared_ptr<const TraceContext> trace)
      : trace_(std::move(trace)) {}

  void Intercept(gx::InterceptorBatchMethods* methods) override {
    if (trace_ != nullptr && methods->QueryInterceptionHookPoint(
                                 gx::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      auto* metadata = methods->GetSendInitialMetadata();
      if (metadata->find("traceparent") == metadata->end()) {
        metadata->emplace("traceparent", trace_->Traceparent());
      }
    }
    methods->Proceed();
  }

 private:
  const std::shared_ptr<const TraceContext> trace_;
};

class ClientTraceFactory : public gx::ClientInterceptorFactoryInterface {
 public:
  // gRPC creates the interceptors as the call is created, on the caller's thread.
  gx::Interceptor* CreateClientInterceptor(gx::ClientRpcInfo*) override {
    return new ClientTraceInterceptor(CurrentTraceHandle());
  }
};

}  // namespace

std::optional<TraceParent> ParseTraceparent(absl::string_view header) {
  // version "-" trace-id "-" parent-id "-" trace-flags: 2+1+32+1+16+1+2 = 55.
  if (header.size() != 55 || header[2] != '-' || header[35] != '-' || header[52] != '-') {
    return std::nullopt;
  }
  const absl::string_view version = header.substr(0, 2), trace_id = header.substr(3, 32),
                          parent_id = header.substr(36, 16), flags = header.substr(53, 2);
  if (version != "00" || !IsLowerHex(trace_id) || !IsLowerHex(parent_id) || !IsLowerHex(flags) ||
      AllZero(trace_id) || AllZero(parent_id)) {
    return std::nullopt;
  }
  TraceParent out{std::string(trace_id), std::string(parent_id), 0};
  out.flags = static_cast<uint8_t>(std::stoi(std::string(flags), nullptr, 16));
  return out;
}

TraceContext TraceContext::StartSpan(const std::optional<TraceParent>& parent) {
  TraceContext out;
  if (parent.has_value()) {
    out.trace_id = parent->trace_id;
    out.parent_span_id = parent->parent_id;
    out.flags = parent->flags;
  } else {
    out.trace_id = RandomHex(32);
    out.flags = 0;
  }
  out.span_id = RandomHex(16);
  return out;
}

std::string TraceContext::Traceparent() const {
  return absl::StrFormat("00-%s-%s-%02x", trace_id, span_id, flags);
}

const TraceContext* CurrentTrace() { return current_trace.get(); }

std::shared_ptr<const TraceContext> CurrentTraceHandle() { return current_trace; }

ScopedTrace::ScopedTrace(std::shared_ptr<const TraceContext> trace)
    : previous_(std::exchange(current_trace, std::move(trace))) {}

ScopedTrace::~ScopedTrace() { current_trace = std::move(previous_); }

std::unique_ptr<gx::ServerInterceptorFactoryInterface> NewServerTraceInterceptorFactory() {
  return std::make_unique<ServerTraceFactory>();
}

std::unique_ptr<gx::ClientInterceptorFactoryInterface> NewClientTraceInterceptorFactory() {
  return std::make_unique<ClientTraceFactory>();
}

}  // namespace bdtx::server
