#include "tools/sim/comfy_prompt_codec.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "tools/sim/comfy_nodes.h"

namespace mediagw::sim {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(Writer& w, absl::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

std::string ErrorBody(absl::string_view type, absl::string_view message,
                      absl::string_view details) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("error");
  w.StartObject();
  w.Key("type");
  Str(w, type);
  w.Key("message");
  Str(w, message);
  w.Key("details");
  Str(w, details);
  w.Key("extra_info");
  w.StartObject();
  w.EndObject();
  w.EndObject();
  w.Key("node_errors");
  w.StartObject();
  w.EndObject();
  w.EndObject();
  return sb.GetString();
}

struct InputError {
  std::string type;     // required_input_missing, bad_linked_input, ...
  std::string message;
  std::string details;
  std::string input_name;
};

struct NodeErrors {
  std::string class_type;
  std::vector<InputError> errors;
  std::set<std::string> dependent_outputs;
};

std::string ValidationFailedBody(
    const std::map<std::string, NodeErrors>& node_errors) {
  std::vector<std::string> lines;
  for (const auto& [id, ne] : node_errors) {
    for (const InputError& e : ne.errors) {
      lines.push_back(absl::StrCat(e.message, ": ", e.details));
    }
  }
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("error");
  w.StartObject();
  w.Key("type");
  Str(w, "prompt_outputs_failed_validation");
  w.Key("message");
  Str(w, "Prompt outputs failed validation");
  w.Key("details");
  Str(w, absl::StrJoin(lines, "\n"));
  w.Key("extra_info");
  w.StartObject();
  w.EndObject();
  w.EndObject();
  w.Key("node_errors");
  w.StartObject();
  for (const auto& [id, ne] : node_errors) {
    Str(w, id);
    w.StartObject();
    w.Key("errors");
    w.StartArray();
    for (const InputError& e : ne.errors) {
      w.StartObject();
      w.Key("type");
      Str(w, e.type);
      w.Key("message");
      Str(w, e.message);
      w.Key("details");
      Str(w, e.details);
      w.Key("extra_info");
      w.StartObject();
      if (!e.input_name.empty()) {
        w.Key("input_name");
        Str(w, e.input_name);
      }
      w.EndObject();
      w.EndObject();
    }
    w.EndArray();
    w.Key("dependent_outputs");
    w.StartArray();
    for (const std::string& out : ne.dependent_outputs) Str(w, out);
    w.EndArray();
    w.Key("class_type");
    Str(w, ne.class_type);
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  return sb.GetString();
}

bool IsLinkShaped(const rapidjson::Value& v) {
  return v.IsArray() && v.Size() == 2;
}

// Validates the graph below one output node, depth first, the way ComfyUI's
// validate_inputs does; collects errors per node and the execution order.
class GraphValidator {
 public:
  GraphValidator(const rapidjson::Value& prompt, const InputExists& exists)
      : prompt_(prompt), input_exists_(exists) {}

  void Visit(const std::string& id, const std::string& output_id) {
    if (done_.count(id) > 0) {
      if (errors_.count(id) > 0) errors_[id].dependent_outputs.insert(output_id);
      return;
    }
    done_.insert(id);
    const rapidjson::Value& node = prompt_[id.c_str()];
    const rapidjson::Value& inputs = node["inputs"];
    const std::string class_type = node["class_type"].GetString();
    const NodeSpec* spec = FindNodeSpec(class_type);
    std::vector<InputError> errors;
    for (const InputSpec& in : spec->required) {
      const rapidjson::Value* v = json::Find(inputs, in.name);
      if (v == nullptr) {
        errors.push_back({"required_input_missing", "Required input is missing",
                          in.name, in.name});
        continue;
      }
      CheckInput(in, *v, output_id, errors);
    }
    for (const InputSpec& in : spec->optional) {
      const rapidjson::Value* v = json::Find(inputs, in.name);
      if (v != nullptr && !v->IsNull()) CheckInput(in, *v, output_id, errors);
    }
    if (class_type == "LoadImage" && input_exists_) {
      const rapidjson::Value* v = json::Find(inputs, "image");
      if (v != nullptr && v->IsString() && !input_exists_(v->GetString())) {
        errors.push_back({"custom_validation_failed",
                          "Custom validation failed for node",
                          absl::StrCat("image - Invalid image file: ",
                                       v->GetString()),
                          "image"});
      }
    }
    if (!errors.empty()) {
      NodeErrors& ne = errors_[id];
      ne.class_type = class_type;
      ne.errors = std::move(errors);
      ne.dependent_outputs.insert(output_id);
    }
    WorkflowNode wn;
    wn.id = id;
    wn.class_type = class_type;
    wn.is_output = spec->is_output;
    wn.output_kind = spec->output_kind;
    if (spec->is_sampler) {
      auto steps = json::GetOptInt(inputs, "steps");
      wn.sampler_steps =
          steps.ok() && steps->has_value() ? static_cast<int>(**steps) : 20;
    }
    order_.push_back(std::move(wn));
  }

  const std::map<std::string, NodeErrors>& errors() const { return errors_; }
  std::vector<WorkflowNode> TakeOrder() { return std::move(order_); }

 private:
  void CheckInput(const InputSpec& in, const rapidjson::Value& v,
                  const std::string& output_id,
                  std::vector<InputError>& errors) {
    if (IsLinkShaped(v)) {
      if (!v[0].IsString() || !v[1].IsInt() || v[1].GetInt() < 0) {
        errors.push_back({"bad_linked_input",
                          "Bad linked input, must be a length-2 list of "
                          "[node_id, slot_index]",
                          in.name, in.name});
        return;
      }
      const std::string target = v[0].GetString();
      if (!prompt_.HasMember(target.c_str())) {
        errors.push_back(
            {"bad_linked_input", "Linked node does not exist",
             absl::StrCat(in.name, " -> node '", target, "'"), in.name});
        return;
      }
      const NodeSpec* target_spec =
          FindNodeSpec(prompt_[target.c_str()]["class_type"].GetString());
      if (static_cast<size_t>(v[1].GetInt()) >= target_spec->outputs.size()) {
        errors.push_back({"bad_linked_input", "Linked output does not exist",
                          absl::StrCat(in.name, " -> slot ", v[1].GetInt()),
                          in.name});
        return;
      }
      Visit(target, output_id);
      return;
    }
    switch (in.kind) {
      case InputSpec::Kind::kLink:
        errors.push_back({"bad_linked_input",
                          "Bad linked input, must be a length-2 list of "
                          "[node_id, slot_index]",
                          in.name, in.name});
        return;
      case InputSpec::Kind::kInt:
      case InputSpec::Kind::kFloat: {
        absl::StatusOr<double> d = json::AsDouble(v, in.name);
        if (in.kind == InputSpec::Kind::kInt) {
          absl::StatusOr<int64_t> i = json::AsInt(v, in.name);
          if (i.ok()) d = static_cast<double>(*i);
          else d = i.status();
        }
        if (!d.ok()) {
          errors.push_back({"invalid_input_type",
                            absl::StrCat("Failed to convert an input value to a ",
                                         in.type, " value"),
                            in.name, in.name});
        } else if (*d < in.min) {
          errors.push_back({"value_smaller_than_min",
                            absl::StrCat("Value ", *d, " smaller than min of ",
                                         in.min),
                            in.name, in.name});
        } else if (*d > in.max) {
          errors.push_back({"value_bigger_than_max",
                            absl::StrCat("Value ", *d, " bigger than max of ",
                                         in.max),
                            in.name, in.name});
        }
        return;
      }
      case InputSpec::Kind::kString:
      case InputSpec::Kind::kCombo:
        if (!v.IsString()) {
          errors.push_back({"invalid_input_type",
                            "Failed to convert an input value to a STRING value",
                            in.name, in.name});
        }
        return;
      case InputSpec::Kind::kBool:
        if (!v.IsBool() && !v.IsNumber()) {
          errors.push_back({"invalid_input_type",
                            "Failed to convert an input value to a BOOLEAN value",
                            in.name, in.name});
        }
        return;
    }
  }

  const rapidjson::Value& prompt_;
  const InputExists& input_exists_;
  std::set<std::string> done_;
  std::map<std::string, NodeErrors> errors_;
  std::vector<WorkflowNode> order_;
};

const rapidjson::Value* NodeInput(const rapidjson::Value& prompt,
                                  absl::string_view id,
                                  absl::string_view input) {
  const rapidjson::Value* node = json::Find(prompt, id);
  if (node == nullptr) return nullptr;
  const rapidjson::Value* inputs = json::Find(*node, "inputs");
  return inputs == nullptr ? nullptr : json::Find(*inputs, input);
}

std::optional<int64_t> IntInput(const rapidjson::Value& prompt,
                                absl::string_view id, absl::string_view input) {
  const rapidjson::Value* v = NodeInput(prompt, id, input);
  if (v == nullptr) return std::nullopt;
  absl::StatusOr<int64_t> i = json::AsInt(*v, input);
  if (!i.ok()) return std::nullopt;
  return *i;
}

std::optional<std::string> StringInput(const rapidjson::Value& prompt,
                                       absl::string_view id,
                                       absl::string_view input) {
  const rapidjson::Value* v = NodeInput(prompt, id, input);
  if (v == nullptr || !v->IsString()) return std::nullopt;
  return std::string(v->GetString(), v->GetStringLength());
}

// Follows conditioning links (FluxGuidance, ConditioningZeroOut, ...) back
// to the CLIPTextEncode that holds the text.
std::string FindPromptText(const rapidjson::Value& prompt,
                           const rapidjson::Value* link) {
  for (int depth = 0; depth < 16 && link != nullptr && IsLinkShaped(*link) &&
                      (*link)[0].IsString();
       ++depth) {
    const std::string id = (*link)[0].GetString();
    if (auto text = StringInput(prompt, id, "text")) return *text;
    const rapidjson::Value* next = NodeInput(prompt, id, "conditioning");
    if (next == nullptr) next = NodeInput(prompt, id, "positive");
    link = next;
  }
  return "";
}

void ExtractJobParameters(const rapidjson::Value& prompt, ParsedPrompt& out) {
  for (const WorkflowNode& node : out.execution_order) {
    const std::string& c = node.class_type;
    if (c == "EmptyLatentImage" || c == "EmptySD3LatentImage" ||
        c == "SVD_img2vid_Conditioning" || c == "WanImageToVideo" ||
        c == "ImageScale") {
      if (auto w = IntInput(prompt, node.id, "width")) out.width = *w;
      if (auto h = IntInput(prompt, node.id, "height")) out.height = *h;
      if (auto b = IntInput(prompt, node.id, "batch_size")) {
        out.batch_size = static_cast<int>(*b);
      }
      if (auto f = IntInput(prompt, node.id, "video_frames")) {
        out.video_frames = static_cast<int>(*f);
      }
      if (auto f = IntInput(prompt, node.id, "length")) {
        out.video_frames = static_cast<int>(*f);
      }
    } else if (node.sampler_steps > 0) {
      out.steps = node.sampler_steps;
      if (auto s = IntInput(prompt, node.id, "seed")) out.seed = *s;
      if (auto s = IntInput(prompt, node.id, "noise_seed")) out.seed = *s;
      out.positive =
          FindPromptText(prompt, NodeInput(prompt, node.id, "positive"));
    } else if (c == "LoadImage") {
      if (auto image = StringInput(prompt, node.id, "image")) {
        out.load_images.push_back(*image);
      }
    } else if (c == "CreateVideo") {
      const rapidjson::Value* fps = NodeInput(prompt, node.id, "fps");
      if (fps != nullptr && fps->IsNumber()) out.frame_rate = fps->GetDouble();
    } else if (node.is_output) {
      if (auto prefix = StringInput(prompt, node.id, "filename_prefix")) {
        out.filename_prefix = *prefix;
      }
      if (node.output_kind == OutputKind::kVideo) {
        const rapidjson::Value* fr = NodeInput(prompt, node.id, "frame_rate");
        if (fr != nullptr && fr->IsNumber()) out.frame_rate = fr->GetDouble();
      }
      // Without a video model, the frames are the decoded image batch.
      if (IsVideoOutput(node.output_kind) && out.video_frames == 0) {
        out.video_frames = std::max(out.batch_size, 1);
      }
    }
  }
}

}  // namespace

std::string InvalidPromptBody(absl::string_view message,
                              absl::string_view details) {
  return ErrorBody("invalid_prompt", message, details);
}

std::vector<std::string> KnownClassTypes() {
  std::vector<std::string> out;
  for (const NodeSpec& spec : AllNodeSpecs()) out.push_back(spec.class_type);
  return out;
}

std::variant<ParsedPrompt, PromptRejection> ParsePromptRequest(
    absl::string_view body, const InputExists& input_exists) {
  absl::StatusOr<rapidjson::Document> doc = json::Parse(body);
  if (!doc.ok()) {
    return PromptRejection{
        InvalidPromptBody("Invalid JSON body", doc.status().message())};
  }
  if (!doc->IsObject()) {
    return PromptRejection{
        InvalidPromptBody("Request body must be a JSON object")};
  }
  const rapidjson::Value* prompt = json::Find(*doc, "prompt");
  if (prompt == nullptr) {
    return PromptRejection{
        ErrorBody("no_prompt", "No prompt provided", "No prompt provided")};
  }
  if (!prompt->IsObject()) {
    return PromptRejection{InvalidPromptBody(
        "Prompt must be an object of nodes", "\"prompt\" is not an object")};
  }

  ParsedPrompt out;
  auto prompt_id = json::GetOptString(*doc, "prompt_id");
  auto client_id = json::GetOptString(*doc, "client_id");
  if (!prompt_id.ok() || !client_id.ok()) {
    return PromptRejection{InvalidPromptBody(
        "prompt_id and client_id must be strings")};
  }
  if (prompt_id->has_value() && (*prompt_id)->empty()) {
    return PromptRejection{InvalidPromptBody("prompt_id must not be empty")};
  }
  out.prompt_id = *prompt_id;
  out.client_id = client_id->value_or("");
  absl::StatusOr<std::optional<bool>> front = json::GetOptBool(*doc, "front");
  if (!front.ok()) {
    return PromptRejection{InvalidPromptBody("front must be a boolean")};
  }
  out.front = front->value_or(false);

  std::vector<std::string> outputs;
  for (auto it = prompt->MemberBegin(); it != prompt->MemberEnd(); ++it) {
    const std::string id(it->name.GetString(), it->name.GetStringLength());
    const std::string details = absl::StrCat("Node ID '#", id, "'");
    const rapidjson::Value& node = it->value;
    const rapidjson::Value* class_type =
        node.IsObject() ? json::Find(node, "class_type") : nullptr;
    if (class_type == nullptr || !class_type->IsString()) {
      return PromptRejection{InvalidPromptBody(
          "Cannot execute because a node is missing the class_type property.",
          details)};
    }
    const NodeSpec* spec = FindNodeSpec(class_type->GetString());
    if (spec == nullptr) {
      return PromptRejection{InvalidPromptBody(
          absl::StrCat("Cannot execute because node ", class_type->GetString(),
                       " does not exist."),
          details)};
    }
    const rapidjson::Value* inputs = json::Find(node, "inputs");
    if (inputs == nullptr || !inputs->IsObject()) {
      return PromptRejection{InvalidPromptBody(
          "Cannot execute because a node has no inputs object.", details)};
    }
    if (spec->is_output) outputs.push_back(id);
  }
  if (outputs.empty()) {
    return PromptRejection{
        ErrorBody("prompt_no_outputs", "Prompt has no outputs", "")};
  }

  GraphValidator validator(*prompt, input_exists);
  for (const std::string& id : outputs) validator.Visit(id, id);
  if (!validator.errors().empty()) {
    return PromptRejection{ValidationFailedBody(validator.errors())};
  }
  out.execution_order = validator.TakeOrder();
  out.output_node_ids = outputs;
  ExtractJobParameters(*prompt, out);
  if (out.batch_size < 1) out.batch_size = 1;

  out.prompt_json = json::Serialize(*prompt);
  rapidjson::Document extra(rapidjson::kObjectType);
  const rapidjson::Value* given = json::Find(*doc, "extra_data");
  if (given != nullptr && given->IsObject()) {
    extra.CopyFrom(*given, extra.GetAllocator());
  }
  if (!out.client_id.empty()) {
    extra.RemoveMember("client_id");
    extra.AddMember("client_id",
                    rapidjson::Value(out.client_id.c_str(),
                                     extra.GetAllocator()),
                    extra.GetAllocator());
  }
  out.extra_data_json = json::Serialize(extra);
  return out;
}

}  // namespace mediagw::sim
