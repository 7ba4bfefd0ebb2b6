// Router over a fixed table built at start from configuration.
#ifndef MEDIAGW_CORE_STATIC_ROUTER_H_
#define MEDIAGW_CORE_STATIC_ROUTER_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/provider.h"

namespace mediagw {

class StaticRouter : public Router {
 public:
  // Channel names in `workflow_channels` must be keys of `channels`
  // (config validation guarantees it).
  void AddChannel(Channel channel);
  void AddWorkflow(WorkflowInfo info, std::vector<std::string> channel_names);
  // Requests of `workflow` asking for `model` go to these channels instead.
  void AddModelRoute(const std::string& workflow, const std::string& model,
                     std::vector<std::string> channel_names);

  absl::StatusOr<WorkflowInfo> Workflow(absl::string_view name) const override;
  std::vector<Channel> ChannelsFor(absl::string_view workflow,
                                   absl::string_view model = "") const override;
  Channel FindChannel(absl::string_view name) const override;
  std::vector<Channel> AllChannels() const override;

 private:
  absl::flat_hash_map<std::string, Channel> channels_;
  absl::flat_hash_map<std::string, WorkflowInfo> workflows_;
  absl::flat_hash_map<std::string, std::vector<std::string>> routes_;
  // Key: workflow + '\0' + model.
  absl::flat_hash_map<std::string, std::vector<std::string>> model_routes_;
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_STATIC_ROUTER_H_
