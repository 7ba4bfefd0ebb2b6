#include "gateway/callback_handler.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_mapping.h"
#include "gateway/service_codec.h"

namespace mediagw::gateway {
void CallbackHandler::Register(RouteTable& table) {
  table.Add({"callbacks", std::string(kPathPrefix), true, {"POST"},
             [this](net::ServerRequest r,
                    std::shared_ptr<net::ResponseWriter> w) {
               Handle(std::move(r), std::move(w));
             },
             nullptr, &EncodeServiceError,
             absl::StrCat(kPathPrefix, "{task_id}")});
}

void CallbackHandler::Handle(net::ServerRequest request,
                             std::shared_ptr<net::ResponseWriter> writer) {
  const std::string task_id = request.path.substr(kPathPrefix.size());
  CallbackRequest cb;
  cb.headers = std::move(request.headers);
  cb.body = std::move(request.body);
  tasks_->HandleCallback(task_id, std::move(cb), [writer](absl::Status st) {
    if (!st.ok()) {
      SendJson(writer, ToHttpStatus(st), EncodeServiceError(st.message()));
      return;
    }
    SendJson(writer, 200, EncodeServiceStatus("ok"));
  });
}

}  // namespace mediagw::gateway
