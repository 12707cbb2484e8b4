#include "common/validation/edge.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status/grpc_status.h"
#include "common/validation/validator.h"
#include "google/protobuf/message.h"
#include "grpcpp/impl/rpc_service_method.h"
#include "grpcpp/server_context.h"

namespace bdtx::validation {

using MethodList = std::vector<std::unique_ptr<grpc::internal::RpcServiceMethod>>;

// grpc::Service keeps its methods private (only grpc::Server may touch them) and offers
// no way to decorate a handler without destroying it. An explicit template
// instantiation may name a private member (C++20 [temp.spec.general]/6): this yields
// &grpc::Service::methods_, used only to swap each method for a guarded copy that owns
// the original. Checked against gRPC 1.51's layout by edge_test.
MethodList grpc::Service::*ServiceMethodsMember();
template <MethodList grpc::Service::*kMember>
struct ServiceMethodsAccess {
  friend MethodList grpc::Service::*ServiceMethodsMember() { return kMember; }
};
template struct ServiceMethodsAccess<&grpc::Service::methods_>;

namespace {

// The refusal decided in Deserialize, handed to the interceptor that gRPC runs right
// after it on the same thread (server_cc.cc: Deserialize, then POST_RECV_MESSAGE).
struct Pending {
  grpc_call* call = nullptr;
  grpc::Status status;
};
thread_local Pending pending;

class GuardedHandler : public grpc::internal::MethodHandler {
 public:
  explicit GuardedHandler(std::unique_ptr<grpc::internal::RpcServiceMethod> original)
      : original_(std::move(original)) {}

  void RunHandler(const HandlerParameter& param) override {
    original_->handler()->RunHandler(param);
  }

  void* Deserialize(grpc_call* call, grpc_byte_buffer* req, grpc::Status* status,
                    void** handler_data) override {
    void* request = original_->handler()->Deserialize(call, req, status, handler_data);
    if (request == nullptr || !status->ok()) {
      *status = grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("the request to ", original_->name(),
                       " cannot be decoded: a string field holds invalid UTF-8, or the bytes "
                       "are not that request message"));
      pending = {call, *status};
      return nullptr;
    }
    // Generated requests derive from protobuf::Message alone, at offset 0.
    auto* message = static_cast<google::protobuf::Message*>(request);
    absl::Status valid = ValidateAndNormalize(*message);
    if (valid.ok()) return request;
    *status = ToGrpcStatus(valid);
    pending = {call, *status};
    // Unary requests live in the handler's message holder, which frees them; a
    // server-streaming handler frees only a request it decoded successfully.
    if (original_->method_type() == grpc::internal::RpcMethod::SERVER_STREAMING) {
      message->~Message();
    }
    return nullptr;
  }

 private:
  std::unique_ptr<grpc::internal::RpcServiceMethod> original_;
};

class EdgeInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit EdgeInterceptor(grpc::experimental::ServerRpcInfo* info) : info_(info) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr && pending.call != nullptr &&
        pending.call == info_->server_context()->c_call()) {
      refusal_ = std::move(pending.status);
      pending = {};
    }
    if (refusal_ && methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      methods->ModifySendStatus(*refusal_);
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
  std::optional<grpc::Status> refusal_;
};

class EdgeInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new EdgeInterceptor(info);
  }
};

}  // namespace

void GuardService(grpc::Service* service) {
  MethodList& methods = service->*ServiceMethodsMember();
  for (std::unique_ptr<grpc::internal::RpcServiceMethod>& method : methods) {
    if (method == nullptr || method->handler() == nullptr) continue;  // generic or async
    if (dynamic_cast<GuardedHandler*>(method->handler()) != nullptr) continue;
    using Api = grpc::internal::RpcServiceMethod::ApiType;
    const Api api = method->api_type();
    if (api != Api::CALL_BACK && api != Api::SYNC) continue;  // raw: bytes, not messages
    const char* name = method->name();
    const grpc::internal::RpcMethod::RpcType type = method->method_type();
    auto guarded = std::make_unique<grpc::internal::RpcServiceMethod>(
        name, type, new GuardedHandler(std::move(method)));
    guarded->SetServerApiType(api);
    method = std::move(guarded);
  }
}

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
EdgeInterceptors() {
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> out;
  out.push_back(std::make_unique<EdgeInterceptorFactory>());
  return out;
}

}  // namespace bdtx::validation
