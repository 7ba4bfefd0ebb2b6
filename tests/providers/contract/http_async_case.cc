// Contract cases for the declarative http_async provider, one per shipped
// vendor: the config/vendors/rr3.json and config/vendors/fluxjobs.json
// channels, pointed at the simulator's /rr3 and /flux routes and created
// through the provider registry.
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "providers/registry.h"
#include "tests/providers/contract/contract.h"
#include "tests/providers/http_async/vendor_config.h"

namespace mediagw::contract {
namespace {

// The shipped channel in config/vendors/`file`, served under `prefix`.
absl::StatusOr<std::shared_ptr<Provider>> MakeVendor(
    const std::string& file, const std::string& prefix,
    const std::string& sim_base_url, HttpClient* http) {
  auto channel = http_async::testing::LoadVendorChannel(
      file, absl::StrCat(sim_base_url, prefix));
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

// Flux sides are multiples of 32 in 256..1440; its body has no n.
TaskRecord FluxRecord(int n) {
  TaskRecord r;
  r.mutable_task()->set_workflow("fluxjobs");
  auto* req = r.mutable_request();
  req->set_prompt("a lighthouse on a cliff at dusk, oil painting");
  req->set_width(256);
  req->set_height(320);
  req->set_steps(4);
  req->set_seed(42);
  req->set_cfg(3.5);
  req->set_workflow("fluxjobs");
  req->set_n(n);
  return r;
}

const bool kRegistered =
    (RegisterContractCase({
         /*name=*/"http_async_rr3",
         /*make=*/
         [](const std::string& base, HttpClient* http) {
           return MakeVendor("rr3.json", "/rr3", base, http);
         },
         /*record=*/Rr3Record,
         /*max_n=*/4,
         /*fault_prefix=*/"/rr3/",
         /*context=*/nullptr,
     }),
     RegisterContractCase({
         /*name=*/"http_async_flux",
         /*make=*/
         [](const std::string& base, HttpClient* http) {
           return MakeVendor("fluxjobs.json", "/flux", base, http);
         },
         /*record=*/FluxRecord,
         /*max_n=*/1,
         /*fault_prefix=*/"/flux/",
         /*context=*/nullptr,
     }),
     true);

}  // namespace
}  // namespace mediagw::contract
