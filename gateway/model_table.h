// The model names a compatible surface (OpenAI images, kie jobs) accepts,
// each with the workflow that serves it and that workflow's model. Built
// from configuration (compat.openai_models / compat.kie_models), which has
// already checked the names are unique and the workflows exist.
//
// Immutable after construction; thread-safe.
#ifndef MEDIAGW_GATEWAY_MODEL_TABLE_H_
#define MEDIAGW_GATEWAY_MODEL_TABLE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "mediagw/config/config.pb.h"

namespace mediagw::gateway {

struct ModelEntry {
  std::string name;      // as callers send it
  std::string workflow;  // the workflow that serves it
  std::string model;     // that workflow's model; "" = its default
  bool video = false;    // the workflow makes videos (image-to-video)
};

class ModelTable {
 public:
  ModelTable() = default;
  explicit ModelTable(std::vector<ModelEntry> entries)
      : entries_(std::move(entries)) {}

  // `aliases` of `config` (one of its compat tables); a workflow's kind
  // comes from config.workflows.
  static ModelTable FromConfig(
      const google::protobuf::RepeatedPtrField<config::ModelAlias>& aliases,
      const config::Config& config);

  // The entry named `name` (exact match), or nullptr.
  const ModelEntry* Find(absl::string_view name) const;
  // The first entry served by `workflow`, or nullptr: the name a task is
  // shown under (a task keeps its workflow, not the name it came in by).
  const ModelEntry* FindByWorkflow(absl::string_view workflow) const;
  const std::vector<ModelEntry>& entries() const { return entries_; }

 private:
  std::vector<ModelEntry> entries_;
};

}  // namespace mediagw::gateway

#endif  // MEDIAGW_GATEWAY_MODEL_TABLE_H_
