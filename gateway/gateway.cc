#include "gateway/gateway.h"

#include <utility>

#include "gateway/legacy_codec.h"

namespace mediagw::gateway {

Gateway::Gateway(Deps deps)
    : legacy_(deps.tasks, deps.auth, deps.accounts),
      rest_(deps.tasks, deps.auth,
            TaskEventStream::Options{deps.scheduler, deps.sse_heartbeat}),
      callbacks_(deps.tasks),
      health_(std::move(deps.ready)),
      routes_(&EncodeError) {
  legacy_.Register(routes_);
  rest_.Register(routes_);
  callbacks_.Register(routes_);
  health_.Register(routes_);
  if (deps.compat) {
    openai_.emplace(
        OpenAiImagesHandler::Deps{deps.tasks, deps.auth, deps.compat->timers,
                                  deps.compat->blobs, deps.compat->blob_pool},
        std::move(deps.compat->openai));
    openai_->Register(routes_);
    kie_.emplace(deps.tasks, deps.auth, std::move(deps.compat->kie_models));
    kie_->Register(routes_);
  }
  if (deps.webhooks) {
    webhooks_.emplace(std::move(*deps.webhooks));
    webhooks_->Register(routes_);
  }
  deps.uploads->Register(routes_);
}

void Gateway::Handle(net::ServerRequest request,
                     std::shared_ptr<net::ResponseWriter> writer) {
  routes_.Dispatch(std::move(request), std::move(writer));
}

std::optional<net::ServerResponse> Gateway::CheckHead(
    const net::ServerRequest& head) const {
  return routes_.CheckHead(head);
}

}  // namespace mediagw::gateway
