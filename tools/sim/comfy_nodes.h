// The node classes the simulator knows: their inputs, outputs and role.
// Used by the prompt codec (validation) and by /object_info.
// Thread-safe: the table is immutable.
#ifndef MEDIAGW_TOOLS_SIM_COMFY_NODES_H_
#define MEDIAGW_TOOLS_SIM_COMFY_NODES_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "tools/sim/comfy_types.h"

namespace mediagw::sim {

struct InputSpec {
  enum class Kind { kLink, kInt, kFloat, kString, kCombo, kBool };
  std::string name;
  Kind kind = Kind::kLink;
  std::string type;  // ComfyUI type name: "MODEL", "INT", ...
  double min = 0;    // kInt / kFloat range
  double max = 0;
  std::vector<std::string> choices;  // kCombo
};

struct NodeSpec {
  std::string class_type;
  std::string category;
  std::vector<InputSpec> required;
  std::vector<InputSpec> optional;
  std::vector<std::string> outputs;  // output type names, by slot
  bool is_output = false;
  OutputKind output_kind = OutputKind::kImage;
  bool is_sampler = false;  // emits progress per step
};

// nullptr for an unknown class.
const NodeSpec* FindNodeSpec(absl::string_view class_type);
const std::vector<NodeSpec>& AllNodeSpecs();

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_COMFY_NODES_H_
