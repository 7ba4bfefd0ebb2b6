// Fuzzes ComfyUI workflow template loading (WorkflowTemplate::Parse) and
// slot rendering (RenderWorkflow) with a plain and a fully specified
// request. Properties: a template that loads renders every request (with
// an uploaded image name exactly when it has an image slot, n > 1 only with
// a batch slot) to a JSON object that is a valid raw workflow, with the
// prompt written into every prompt target; rendering rejects an unresolved
// negative seed, a missing or unexpected image, and n > 1 without a batch
// slot.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/json.h"
#include "providers/comfyui/comfyui_codec.h"
#include "tests/fuzz/fuzz_util.h"

namespace mediagw::fuzz {
namespace {

constexpr absl::string_view kImage = "mediagw/mediagw_t.png";

bool IsImageTarget(const comfyui::WorkflowTemplate& tmpl,
                   const comfyui::SlotTarget& t) {
  for (const comfyui::SlotTarget& i : tmpl.Targets("image")) {
    if (i.node == t.node && i.input == t.input) return true;
  }
  return false;
}

void CheckRender(const comfyui::WorkflowTemplate& tmpl,
                 const v1::SubmitImageRequest& request) {
  const absl::string_view image = tmpl.HasSlot("image") ? kImage : "";
  auto rendered = comfyui::RenderWorkflow(tmpl, request, image);
  FUZZ_CHECK(rendered.ok());
  FUZZ_CHECK(comfyui::ValidateRawWorkflow(*rendered).ok());
  auto doc = json::ParseObject(*rendered);
  FUZZ_CHECK(doc.ok());
  // Later slots may overwrite a shared target, so check the prompt only
  // when no other slot shares it.
  if (request.negative_prompt().empty() && request.model().empty() &&
      !request.has_seed()) {
    for (const comfyui::SlotTarget& t : tmpl.Targets("prompt")) {
      if (IsImageTarget(tmpl, t)) continue;
      const rapidjson::Value* node = json::Find(*doc, t.node);
      FUZZ_CHECK(node != nullptr);
      const rapidjson::Value* inputs = json::Find(*node, "inputs");
      FUZZ_CHECK(inputs != nullptr);
      auto text = json::GetString(*inputs, t.input);
      FUZZ_CHECK(text.ok() && *text == request.prompt());
    }
  }
}

}  // namespace
}  // namespace mediagw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  auto tmpl = comfyui::WorkflowTemplate::Parse("fuzz", fuzz::AsView(data, size));
  if (!tmpl.ok()) {
    FUZZ_CHECK(tmpl.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  FUZZ_CHECK(tmpl->HasSlot("prompt"));
  FUZZ_CHECK(!tmpl->Targets("prompt").empty());
  FUZZ_CHECK(json::ParseObject(tmpl->workflow_json()).ok());

  v1::SubmitImageRequest plain;
  plain.set_prompt("a \"quoted\" cat, \\ \xe7\x8c\xab\n");
  fuzz::CheckRender(*tmpl, plain);

  v1::SubmitImageRequest full = plain;
  full.set_negative_prompt("lowres");
  full.set_width(768);
  full.set_height(1024);
  full.set_steps(20);
  full.set_seed(4294967297);
  full.set_cfg(6.5);
  full.set_model("sd_xl_base_1.0.safetensors");
  full.set_n(tmpl->HasSlot("batch") ? 3 : 1);
  fuzz::CheckRender(*tmpl, full);

  const absl::string_view wrong_image =
      tmpl->HasSlot("image") ? "" : fuzz::kImage;
  FUZZ_CHECK(!comfyui::RenderWorkflow(*tmpl, plain, wrong_image).ok());
  if (!tmpl->HasSlot("batch")) {
    v1::SubmitImageRequest many = plain;
    many.set_n(2);
    FUZZ_CHECK(!comfyui::RenderWorkflow(*tmpl, many, "").ok());
  }

  v1::SubmitImageRequest unresolved = plain;
  unresolved.set_seed(-1);
  FUZZ_CHECK(!comfyui::RenderWorkflow(*tmpl, unresolved).ok());
  return 0;
}
