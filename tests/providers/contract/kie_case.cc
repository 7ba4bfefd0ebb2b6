// The kie provider in the contract suite: image and image-to-video jobs on
// the simulator's /kie API. kie makes one output per task (max_n 1).
#include <memory>
#include <string>

#include "providers/kie/kie_provider.h"
#include "tests/providers/contract/contract.h"

namespace mediagw::contract {
namespace {

absl::StatusOr<std::shared_ptr<Provider>> Make(const std::string& sim_base_url,
                                               HttpClient* http) {
  kie::KieOptions o;
  o.channel_name = "kie-contract";
  o.base_url = sim_base_url + "/kie";
  o.api_key = "sim-key";
  o.request_timeout = absl::Seconds(5);
  return kie::NewKieProvider(std::move(o), http);
}

ContractCase KieCase() {
  ContractCase c;
  c.name = "kie";
  c.make = Make;
  c.record = [](int n) {
    TaskRecord r;
    r.mutable_task()->set_kind(v1::TASK_KIND_IMAGE);
    r.mutable_task()->set_workflow("grok-kie");
    auto* req = r.mutable_request();
    req->set_prompt("a lighthouse at dusk");
    req->set_width(768);
    req->set_height(512);
    req->set_seed(7);
    req->set_n(n);
    req->set_workflow("grok-kie");
    return r;
  };
  c.max_n = 1;
  c.fault_prefix = "/kie/";
  return c;
}

// The image-to-video model: the input image goes by our own URL.
ContractCase KieVideoCase() {
  ContractCase c;
  c.name = "kie_video";
  c.make = Make;
  c.record = [](int) {
    TaskRecord r = VideoRecord("kie-video");
    r.mutable_request()->set_model("grok-imagine/image-to-video");
    return r;
  };
  c.context = VideoInput;
  c.fault_prefix = "/kie/";
  return c;
}

const bool kRegistered = (RegisterContractCase(KieCase()),
                          RegisterContractCase(KieVideoCase()), true);

}  // namespace
}  // namespace mediagw::contract
