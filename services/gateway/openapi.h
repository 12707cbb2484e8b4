// The OpenAPI 3.0 document of the gateway's REST routes, generated from the same
// descriptors and google.api.http options the transcoder serves (so the two cannot
// drift): one operation per route, request/response schemas in proto3 JSON form
// (lowerCamelCase, 64-bit integers as strings, enums by name, well-known types in their
// JSON forms), AIP-193 errors, bearer authentication. Pure; thread-safe.
#ifndef BDTX_SERVICES_GATEWAY_OPENAPI_H_
#define BDTX_SERVICES_GATEWAY_OPENAPI_H_

#include <string>

#include "services/gateway/transcoder.h"

namespace bdtx::gateway {

// JSON text of the document.
std::string OpenApiDocument(const RouteTable& routes);

}  // namespace bdtx::gateway

#endif  // BDTX_SERVICES_GATEWAY_OPENAPI_H_
