// Contract case for the declarative http_async provider in the rr3 shape:
// the shipped config/vendors/rr3.json channel, pointed at the simulator's
// /rr3 routes and created through the provider registry.
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "providers/registry.h"
#include "tests/providers/contract/contract.h"
#include "tests/providers/http_async/vendor_config.h"

namespace mediagw::contract {
namespace {

absl::StatusOr<std::shared_ptr<Provider>> MakeRr3(
    const std::string& sim_base_url, HttpClient* http) {
  auto channel = http_async::testing::LoadVendorChannel(
      "rr3.json", absl::StrCat(sim_base_url, "/rr3"));
  if (!channel.ok()) return channel.status();
  // The simulator's vendor key, where the shipped channel looks for it.
  setenv(channel->api_key_env().c_str(), "sim-key", 1);
  static const config::Config* const kConfig = [] {
    auto* c = new config::Config();
    c->mutable_dispatch()->set_request_timeout_ms(10000);
    return c;
  }();
  return CreateProvider(*channel, ProviderContext{http, kConfig});
}

TaskRecord Rr3Record(int n) {
  TaskRecord r;
  r.mutable_task()->set_workflow("rr3");
  auto* req = r.mutable_request();
  req->set_prompt("1girl, white hair, blue eyes, starry sky, masterpiece");
  req->set_negative_prompt("lowres, bad quality, watermark");
  req->set_width(256);
  req->set_height(320);
  req->set_steps(4);
  req->set_seed(42);
  req->set_cfg(6);
  req->set_workflow("rr3");
  req->set_n(n);
  return r;
}

const bool kRegistered = (RegisterContractCase({
                              /*name=*/"http_async_rr3",
                              /*make=*/MakeRr3,
                              /*record=*/Rr3Record,
                              /*max_n=*/4,
                              /*fault_prefix=*/"/rr3/",
                              /*context=*/nullptr,
                          }),
                          true);

}  // namespace
}  // namespace mediagw::contract
