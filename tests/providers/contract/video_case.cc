// Image-to-video in the contract suite: the comfyui provider with the Wan
// template (the input image goes up with /upload/image) and the kie
// provider's image-to-video model (the input goes by our own URL). Both
// must come back as real MP4 files.
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "providers/comfyui/comfyui_provider.h"
#include "providers/kie/kie_provider.h"
#include "tests/core/test_png.h"
#include "tests/providers/contract/contract.h"

namespace mediagw::contract {
namespace {

std::string ReadTemplate(const std::string& name) {
  std::ifstream in(
      absl::StrCat(MEDIAGW_SOURCE_DIR, "/config/workflows/", name, ".json"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TaskRecord VideoRecord(const std::string& workflow) {
  TaskRecord r;
  r.set_owner("contract");
  r.set_attempts(1);
  r.mutable_task()->set_workflow(workflow);
  r.mutable_task()->set_kind(v1::TASK_KIND_VIDEO);
  auto* req = r.mutable_request();
  req->set_prompt("waves on a beach");
  req->set_negative_prompt("blurry");
  req->set_workflow(workflow);
  req->set_width(64);
  req->set_height(48);
  req->set_steps(3);
  req->set_cfg(6);
  req->set_seed(3);
  req->set_n(1);
  r.mutable_video()->set_prompt("waves on a beach");
  r.mutable_video()->set_workflow(workflow);
  r.set_input_blob("contract_input.png");
  r.set_input_mime_type("image/png");
  return r;
}

SubmitContext VideoInput() {
  SubmitContext ctx;
  ctx.input_image = testing::MakePng(64, 48);
  ctx.input_mime_type = "image/png";
  ctx.input_name = "contract_input.png";
  ctx.input_url = "http://gateway.test/uploads/contract_input.png";
  return ctx;
}

ContractCase ComfyUiVideoCase() {
  ContractCase c;
  c.name = "comfyui_video";
  c.make = [](const std::string& sim_base_url, HttpClient* http) {
    comfyui::ComfyUiOptions o;
    o.channel_name = "comfy-video";
    o.base_urls = {sim_base_url};
    o.templates = {{"video", ReadTemplate("video")}};
    o.request_timeout = absl::Seconds(10);
    o.use_websocket = false;
    o.client_id = "contract-video";
    return comfyui::NewComfyUiProvider(std::move(o), http);
  };
  c.record = [](int) { return VideoRecord("video"); };
  c.context = VideoInput;
  c.fault_prefix = "/prompt";
  return c;
}

ContractCase KieVideoCase() {
  ContractCase c;
  c.name = "kie_video";
  c.make = [](const std::string& sim_base_url, HttpClient* http) {
    kie::KieOptions o;
    o.channel_name = "kie-video";
    o.base_url = sim_base_url + "/kie";
    o.api_key = "sim-key";
    o.request_timeout = absl::Seconds(5);
    return kie::NewKieProvider(std::move(o), http);
  };
  c.record = [](int) {
    TaskRecord r = VideoRecord("kie-video");
    r.mutable_request()->set_model("grok-imagine/image-to-video");
    return r;
  };
  c.context = VideoInput;
  c.fault_prefix = "/kie/";
  return c;
}

const bool kRegistered = (RegisterContractCase(ComfyUiVideoCase()),
                          RegisterContractCase(KieVideoCase()), true);

}  // namespace
}  // namespace mediagw::contract
