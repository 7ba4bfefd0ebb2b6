// Registers the comfyui provider with the contract suite: the simulator's
// ComfyUI routes sit at the root, so the faults aim at POST /prompt; n
// images come from one run through the template's batch slot.
#include <memory>
#include <string>

#include "providers/comfyui/comfyui_provider.h"
#include "tests/providers/contract/contract.h"

namespace mediagw::contract {
namespace {

absl::StatusOr<std::shared_ptr<Provider>> Make(const std::string& sim_base_url,
                                               HttpClient* http) {
  comfyui::ComfyUiOptions o;
  o.channel_name = "comfy";
  o.base_urls = {sim_base_url};
  o.templates = {{"default", ReadTemplate("default")},
                 {"video", ReadTemplate("video")}};
  o.request_timeout = absl::Seconds(10);
  o.use_websocket = false;  // /history decides; progress is not tested here
  o.client_id = "contract";
  return comfyui::NewComfyUiProvider(std::move(o), http);
}

ContractCase ComfyUiCase() {
  ContractCase c;
  c.name = "comfyui";
  c.make = Make;
  c.record = [](int n) {
    TaskRecord r;
    r.set_owner("contract");
    r.set_attempts(1);
    r.mutable_task()->set_workflow("default");
    r.mutable_task()->set_kind(v1::TASK_KIND_IMAGE);
    auto* req = r.mutable_request();
    req->set_prompt("a lighthouse at dusk");
    req->set_negative_prompt("blurry");
    req->set_workflow("default");
    req->set_width(64);
    req->set_height(64);
    req->set_steps(3);
    req->set_cfg(7);
    req->set_seed(1);
    req->set_n(n);
    return r;
  };
  c.max_n = 3;
  c.fault_prefix = "/prompt";
  return c;
}

// Image-to-video with the Wan template: the input goes up with
// /upload/image and a real MP4 comes back.
ContractCase ComfyUiVideoCase() {
  ContractCase c;
  c.name = "comfyui_video";
  c.make = Make;
  c.record = [](int) { return VideoRecord("video"); };
  c.context = VideoInput;
  c.fault_prefix = "/prompt";
  return c;
}

const bool kRegistered = (RegisterContractCase(ComfyUiCase()),
                          RegisterContractCase(ComfyUiVideoCase()), true);

}  // namespace
}  // namespace mediagw::contract
