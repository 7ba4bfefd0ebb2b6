#include "gateway/model_table.h"

namespace mediagw::gateway {

ModelTable ModelTable::FromConfig(
    const google::protobuf::RepeatedPtrField<config::ModelAlias>& aliases,
    const config::Config& config) {
  std::vector<ModelEntry> entries;
  entries.reserve(aliases.size());
  for (const auto& a : aliases) {
    ModelEntry e;
    e.name = a.name();
    e.workflow = a.workflow();
    e.model = a.model();
    for (const auto& w : config.workflows()) {
      if (w.name() == a.workflow()) e.video = w.kind() == "video";
    }
    entries.push_back(std::move(e));
  }
  return ModelTable(std::move(entries));
}

const ModelEntry* ModelTable::Find(absl::string_view name) const {
  for (const ModelEntry& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

const ModelEntry* ModelTable::FindByWorkflow(absl::string_view workflow) const {
  for (const ModelEntry& e : entries_) {
    if (e.workflow == workflow) return &e;
  }
  return nullptr;
}

}  // namespace mediagw::gateway
