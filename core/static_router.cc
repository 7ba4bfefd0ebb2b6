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

std::vector<Channel> StaticRouter::ChannelsFor(absl::string_view workflow) const {
  std::vector<Channel> out;
  auto it = routes_.find(workflow);
  if (it == routes_.end()) return out;
  for (const auto& name : it->second) {
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

}  // namespace mediagw
