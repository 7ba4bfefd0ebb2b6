// Prints every (method, path) the gateway's route table serves, one
// "METHOD PATH" line each, for the OpenAPI agreement test
// (openapi_agreement_test.py). The gateway is built as main.cc builds it,
// with nothing behind it: registering routes calls no dependency.
#include <iostream>
#include <utility>

#include "core/auth.h"
#include "gateway/gateway.h"
#include "gateway/uploads_handler.h"

int main() {
  mediagw::Authenticator auth({});
  mediagw::gateway::UploadsHandler uploads(nullptr, nullptr);
  // Every optional surface on, as the shipped config has them.
  mediagw::gateway::Gateway::Deps deps{nullptr, &auth, &uploads, nullptr};
  deps.compat.emplace();
  deps.webhooks.emplace();
  mediagw::gateway::Gateway gateway(std::move(deps));
  for (const auto& route : gateway.Routes()) {
    std::cout << route.method << " " << route.path << "\n";
  }
  return 0;
}
