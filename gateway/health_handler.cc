#include "gateway/health_handler.h"

#include "common/metrics.h"
#include "gateway/service_codec.h"

namespace mediagw::gateway {

void HealthHandler::Register(RouteTable& table) {
  table.Add({"healthz", "/healthz", false, {"GET", "HEAD"},
             [](net::ServerRequest, std::shared_ptr<net::ResponseWriter> w) {
               SendJson(w, 200, EncodeServiceStatus("ok"));
             },
             nullptr, &EncodeServiceError});
  table.Add({"readyz", "/readyz", false, {"GET", "HEAD"},
             [this](net::ServerRequest,
                    std::shared_ptr<net::ResponseWriter> w) {
               const absl::Status st = ready_ ? ready_() : absl::OkStatus();
               SendJson(w, st.ok() ? 200 : 503,
                        EncodeServiceStatus(st.ok() ? "ready" : st.message()));
             },
             nullptr, &EncodeServiceError});
  table.Add({"metrics", "/metrics", false, {"GET"},
             [](net::ServerRequest, std::shared_ptr<net::ResponseWriter> w) {
               net::ServerResponse resp;
               resp.content_type = "text/plain; version=0.0.4";
               resp.body = GlobalMetrics().RenderPrometheus();
               w->Send(std::move(resp));
             },
             nullptr, &EncodeServiceError});
}

}  // namespace mediagw::gateway
