// The public gRPC services the gateway serves, with their generated descriptors linked
// into the pool (a static library's object is dropped unless something refers to it).
#ifndef BDTX_SERVICES_GATEWAY_PUBLIC_SERVICES_H_
#define BDTX_SERVICES_GATEWAY_PUBLIC_SERVICES_H_

#include <string>
#include <vector>

namespace bdtx::gateway {

// Full names: "bdtx.v1.Directory", ... Thread-safe.
std::vector<std::string> PublicServices();

}  // namespace bdtx::gateway

#endif  // BDTX_SERVICES_GATEWAY_PUBLIC_SERVICES_H_
