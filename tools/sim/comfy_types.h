// Plain data shared by the simulator's prompt codec, message codec and job
// engine. No behaviour, no JSON library.
#ifndef MEDIAGW_TOOLS_SIM_COMFY_TYPES_H_
#define MEDIAGW_TOOLS_SIM_COMFY_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mediagw::sim {

// What an output node writes, and under which key of its `output` object
// ComfyUI lists the files: "images" for SaveImage and PreviewImage, "gifs"
// (with format and frame_rate) for VHS_VideoCombine, and "images" plus
// "animated": [true] for core ComfyUI's SaveVideo.
enum class OutputKind { kImage, kPreview, kVideo, kSavedVideo };

inline bool IsVideoOutput(OutputKind kind) {
  return kind == OutputKind::kVideo || kind == OutputKind::kSavedVideo;
}

struct WorkflowNode {
  std::string id;
  std::string class_type;
  bool is_output = false;
  OutputKind output_kind = OutputKind::kImage;
  int sampler_steps = 0;  // > 0 for sampler nodes: progress events per step
};

// A validated POST /prompt body, reduced to what the simulated run needs.
struct ParsedPrompt {
  std::optional<std::string> prompt_id;  // caller-chosen, if any
  std::string client_id;                 // "" when absent
  bool front = false;  // {"front": true}: queue ahead of pending prompts
  std::string prompt_json;      // the "prompt" object, compact, echoed back
  std::string extra_data_json;  // {"client_id": ...} plus caller extra_data
  // Nodes reachable from the outputs, dependencies first.
  std::vector<WorkflowNode> execution_order;
  std::vector<std::string> output_node_ids;  // ComfyUI's outputs_to_execute
  int width = 512;
  int height = 512;
  int batch_size = 1;
  int64_t seed = 0;
  int steps = 20;
  std::string positive;
  std::string filename_prefix = "ComfyUI";
  int video_frames = 0;    // > 0 for video workflows (as asked, uncapped)
  double frame_rate = 8;   // video workflows
  std::vector<std::string> load_images;  // LoadImage inputs, "subfolder/name"
};

struct FileRef {
  std::string filename;
  std::string subfolder;
  std::string type = "output";  // output | temp | input
  std::string format;  // video only, e.g. "video/h264-mp4"
  double frame_rate = 0;
};

struct NodeOutput {
  std::string node_id;
  OutputKind kind = OutputKind::kImage;
  std::vector<FileRef> files;
};

// One queued / running / finished job, as /queue and /history show it.
struct JobRecord {
  int64_t number = 0;
  std::string prompt_id;
  std::string client_id;
  std::string prompt_json;
  std::string extra_data_json;
  std::vector<std::string> output_node_ids;

  enum class Outcome { kSuccess, kError, kInterrupted };
  Outcome outcome = Outcome::kSuccess;
  std::vector<NodeOutput> outputs;
  int64_t start_ms = 0;  // unix milliseconds
  int64_t end_ms = 0;
  // For kError / kInterrupted: where it stopped.
  std::string failed_node_id;
  std::string failed_node_type;
  std::string exception_message;
  std::string exception_type;
  std::vector<std::string> executed_nodes;
};

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_COMFY_TYPES_H_
