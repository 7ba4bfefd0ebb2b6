#include "core/static_router.h"

#include "absl/strings/str_cat.h"

namespace mediagw {

void StaticRouter::AddChannel(Channel channel) {
  std::string name = channel.name;
  channels_[name] = std::move(channel);
}

void StaticRouter::AddWorkflow(WorkflowInfo info,
                               std::vector<std::string> channel_names) {
  std::string name = info.name;
  workflows_[name] = std::move(info);
  routes_[name] = std::move(channel_names);
}

absl::StatusOr<WorkflowInfo> StaticRouter::Workflow(
    absl::string_view name) const {
  auto it = workflows_.find(name);
  if (it == workflows_.end()) {
    return absl::NotFoundError(absl::StrCat("Unknown workflow: ", name));
  }
  return it->second;
}

void StaticRouter::AddModelRoute(const std::string& workflow,
                                 const std::string& model,
                                 std::vector<std::string> channel_names) {
  model_routes_[absl::StrCat(workflow, std::string(1, '\0'), model)] =
      std::move(channel_names);
}

std::vector<Channel> StaticRouter::ChannelsFor(absl::string_view workflow,
                                               absl::string_view model) const {
  const std::vector<std::string>* names = nullptr;
  if (!model.empty()) {
    auto m =
        model_routes_.find(absl::StrCat(workflow, std::string(1, '\0'), model));
    if (m != model_routes_.end()) names = &m->second;
  }
  if (names == nullptr) {
    auto w = routes_.find(workflow);
    if (w != routes_.end()) names = &w->second;
  }
  std::vector<Channel> out;
  if (names == nullptr) return out;
  for (const auto& name : *names) {
    auto c = channels_.find(name);
    if (c != channels_.end()) out.push_back(c->second);
  }
  return out;
}

Channel StaticRouter::FindChannel(absl::string_view name) const {
  auto it = channels_.find(name);
  if (it == channels_.end()) return Channel{};
  return it->second;
}

std::vector<Channel> StaticRouter::AllChannels() const {
  std::vector<Channel> out;
  out.reserve(channels_.size());
  for (const auto& [name, channel] : channels_) out.push_back(channel);
  return out;
}

}  // namespace mediagw
