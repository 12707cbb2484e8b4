// bdtx-openapi OUT: writes the OpenAPI document of the gateway's REST routes (build time).
#include <fstream>
#include <iostream>

#include "services/gateway/openapi.h"
#include "services/gateway/public_services.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: bdtx-openapi OUT.json\n";
    return 2;
  }
  auto routes = bdtx::gateway::RouteTable::Build(bdtx::gateway::PublicServices());
  if (!routes.ok()) {
    std::cerr << routes.status() << "\n";
    return 1;
  }
  std::ofstream out(argv[1]);
  out << bdtx::gateway::OpenApiDocument(*routes);
  return out.good() ? 0 : 1;
}
