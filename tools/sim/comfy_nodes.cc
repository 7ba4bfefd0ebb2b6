#include "tools/sim/comfy_nodes.h"

namespace mediagw::sim {
namespace {

using K = InputSpec::Kind;

constexpr double kMaxResolution = 16384;
constexpr double kMaxSeed = 9.0e15;  // int64-safe subset of ComfyUI's range

InputSpec Link(const char* name, const char* type) {
  return InputSpec{name, K::kLink, type, 0, 0, {}};
}
InputSpec Int(const char* name, double min, double max) {
  return InputSpec{name, K::kInt, "INT", min, max, {}};
}
InputSpec Float(const char* name, double min, double max) {
  return InputSpec{name, K::kFloat, "FLOAT", min, max, {}};
}
InputSpec Str(const char* name) {
  return InputSpec{name, K::kString, "STRING", 0, 0, {}};
}
InputSpec Combo(const char* name, std::vector<std::string> choices) {
  return InputSpec{name, K::kCombo, "COMBO", 0, 0, std::move(choices)};
}
InputSpec Bool(const char* name) {
  return InputSpec{name, K::kBool, "BOOLEAN", 0, 0, {}};
}

// Combo inputs accept any string: workflows name models and samplers the
// simulator has never heard of; the listed choices only feed /object_info.
std::vector<NodeSpec> BuildTable() {
  const std::vector<std::string> ckpts = {"sim_model.safetensors"};
  const std::vector<std::string> samplers = {
      "euler", "euler_ancestral", "dpmpp_2m", "dpmpp_2m_sde",
      "dpmpp_2m_sde_gpu", "dpmpp_sde", "ddim", "uni_pc", "res_multistep"};
  const std::vector<std::string> schedulers = {
      "normal", "karras", "exponential", "sgm_uniform", "simple",
      "ddim_uniform", "beta"};
  std::vector<NodeSpec> t;
  t.push_back({"CheckpointLoaderSimple", "loaders",
               {Combo("ckpt_name", ckpts)}, {}, {"MODEL", "CLIP", "VAE"}});
  t.push_back({"ImageOnlyCheckpointLoader", "loaders",
               {Combo("ckpt_name", ckpts)}, {},
               {"MODEL", "CLIP_VISION", "VAE"}});
  t.push_back({"UNETLoader", "advanced/loaders",
               {Combo("unet_name", ckpts)}, {Combo("weight_dtype", {})},
               {"MODEL"}});
  t.push_back({"CLIPLoader", "advanced/loaders",
               {Combo("clip_name", ckpts)}, {Combo("type", {}),
                                             Combo("device", {})},
               {"CLIP"}});
  t.push_back({"VAELoader", "loaders", {Combo("vae_name", ckpts)}, {},
               {"VAE"}});
  t.push_back({"CLIPVisionLoader", "loaders", {Combo("clip_name", ckpts)}, {},
               {"CLIP_VISION"}});
  t.push_back({"LoraLoader", "loaders",
               {Link("model", "MODEL"), Link("clip", "CLIP"),
                Combo("lora_name", {}), Float("strength_model", -100, 100),
                Float("strength_clip", -100, 100)},
               {}, {"MODEL", "CLIP"}});
  t.push_back({"CLIPSetLastLayer", "conditioning",
               {Link("clip", "CLIP"), Int("stop_at_clip_layer", -24, -1)}, {},
               {"CLIP"}});
  t.push_back({"CLIPTextEncode", "conditioning",
               {Str("text"), Link("clip", "CLIP")}, {}, {"CONDITIONING"}});
  t.push_back({"ConditioningZeroOut", "advanced/conditioning",
               {Link("conditioning", "CONDITIONING")}, {}, {"CONDITIONING"}});
  t.push_back({"FluxGuidance", "advanced/conditioning/flux",
               {Link("conditioning", "CONDITIONING"),
                Float("guidance", 0, 100)},
               {}, {"CONDITIONING"}});
  t.push_back({"CLIPVisionEncode", "conditioning",
               {Link("clip_vision", "CLIP_VISION"), Link("image", "IMAGE")},
               {Combo("crop", {"center", "none"})}, {"CLIP_VISION_OUTPUT"}});
  t.push_back({"ModelSamplingSD3", "advanced/model",
               {Link("model", "MODEL"), Float("shift", 0, 100)}, {},
               {"MODEL"}});
  t.push_back({"ModelSamplingAuraFlow", "advanced/model",
               {Link("model", "MODEL"), Float("shift", 0, 100)}, {},
               {"MODEL"}});
  t.push_back({"VideoLinearCFGGuidance", "sampling/video_models",
               {Link("model", "MODEL"), Float("min_cfg", 0, 100)}, {},
               {"MODEL"}});
  t.push_back({"EmptyLatentImage", "latent",
               {Int("width", 16, kMaxResolution),
                Int("height", 16, kMaxResolution), Int("batch_size", 1, 4096)},
               {}, {"LATENT"}});
  t.push_back({"EmptySD3LatentImage", "latent/sd3",
               {Int("width", 16, kMaxResolution),
                Int("height", 16, kMaxResolution), Int("batch_size", 1, 4096)},
               {}, {"LATENT"}});
  t.push_back({"SVD_img2vid_Conditioning", "conditioning/video_models",
               {Link("clip_vision", "CLIP_VISION"),
                Link("init_image", "IMAGE"), Link("vae", "VAE"),
                Int("width", 16, kMaxResolution),
                Int("height", 16, kMaxResolution),
                Int("video_frames", 1, 4096)},
               {Int("motion_bucket_id", 1, 1023), Int("fps", 1, 1024),
                Float("augmentation_level", 0, 10)},
               {"CONDITIONING", "CONDITIONING", "LATENT"}});
  t.push_back({"WanImageToVideo", "conditioning/video_models",
               {Link("positive", "CONDITIONING"),
                Link("negative", "CONDITIONING"), Link("vae", "VAE"),
                Int("width", 16, kMaxResolution),
                Int("height", 16, kMaxResolution), Int("length", 1, 4096),
                Int("batch_size", 1, 4096)},
               {Link("clip_vision_output", "CLIP_VISION_OUTPUT"),
                Link("start_image", "IMAGE")},
               {"CONDITIONING", "CONDITIONING", "LATENT"}});
  NodeSpec ksampler{"KSampler", "sampling",
                    {Link("model", "MODEL"), Int("seed", 0, kMaxSeed),
                     Int("steps", 1, 10000), Float("cfg", 0, 100),
                     Combo("sampler_name", samplers),
                     Combo("scheduler", schedulers),
                     Link("positive", "CONDITIONING"),
                     Link("negative", "CONDITIONING"),
                     Link("latent_image", "LATENT"), Float("denoise", 0, 1)},
                    {}, {"LATENT"}};
  ksampler.is_sampler = true;
  t.push_back(ksampler);
  NodeSpec advanced{"KSamplerAdvanced", "sampling",
                    {Link("model", "MODEL"), Int("noise_seed", 0, kMaxSeed),
                     Int("steps", 1, 10000), Float("cfg", 0, 100),
                     Combo("sampler_name", samplers),
                     Combo("scheduler", schedulers),
                     Link("positive", "CONDITIONING"),
                     Link("negative", "CONDITIONING"),
                     Link("latent_image", "LATENT")},
                    {Combo("add_noise", {"enable", "disable"}),
                     Int("start_at_step", 0, 10000),
                     Int("end_at_step", 0, 10000),
                     Combo("return_with_leftover_noise", {"disable", "enable"})},
                    {"LATENT"}};
  advanced.is_sampler = true;
  t.push_back(advanced);
  t.push_back({"VAEDecode", "latent",
               {Link("samples", "LATENT"), Link("vae", "VAE")}, {}, {"IMAGE"}});
  t.push_back({"VAEEncode", "latent",
               {Link("pixels", "IMAGE"), Link("vae", "VAE")}, {}, {"LATENT"}});
  t.push_back({"ImageScale", "image/upscaling",
               {Link("image", "IMAGE"), Combo("upscale_method", {}),
                Int("width", 0, kMaxResolution),
                Int("height", 0, kMaxResolution), Combo("crop", {})},
               {}, {"IMAGE"}});
  t.push_back({"LoadImage", "image", {Combo("image", {})},
               {Combo("upload", {"image"})}, {"IMAGE", "MASK"}});
  NodeSpec save{"SaveImage", "image",
                {Link("images", "IMAGE")}, {Str("filename_prefix")}, {}};
  save.is_output = true;
  t.push_back(save);
  NodeSpec preview{"PreviewImage", "image", {Link("images", "IMAGE")}, {}, {}};
  preview.is_output = true;
  preview.output_kind = OutputKind::kPreview;
  t.push_back(preview);
  NodeSpec video{"VHS_VideoCombine", "Video Helper Suite",
                 {Link("images", "IMAGE"), Float("frame_rate", 1, 1000)},
                 {Int("loop_count", 0, 100), Str("filename_prefix"),
                  Combo("format", {"video/h264-mp4", "image/gif"}),
                  Bool("pingpong"), Bool("save_output")},
                 {"VHS_FILENAMES"}};
  video.is_output = true;
  video.output_kind = OutputKind::kVideo;
  t.push_back(video);
  // Core ComfyUI's video nodes (comfy_extras/nodes_video.py).
  t.push_back({"CreateVideo", "image/video",
               {Link("images", "IMAGE"), Float("fps", 1, 120)},
               {Link("audio", "AUDIO")}, {"VIDEO"}});
  NodeSpec save_video{"SaveVideo", "image/video",
                      {Link("video", "VIDEO"), Str("filename_prefix"),
                       Combo("format", {"auto", "mp4"}),
                       Combo("codec", {"auto", "h264"})},
                      {}, {}};
  save_video.is_output = true;
  save_video.output_kind = OutputKind::kSavedVideo;
  t.push_back(save_video);
  return t;
}

}  // namespace

const std::vector<NodeSpec>& AllNodeSpecs() {
  static const std::vector<NodeSpec>* table =
      new std::vector<NodeSpec>(BuildTable());
  return *table;
}

const NodeSpec* FindNodeSpec(absl::string_view class_type) {
  for (const NodeSpec& spec : AllNodeSpecs()) {
    if (spec.class_type == class_type) return &spec;
  }
  return nullptr;
}

}  // namespace mediagw::sim
