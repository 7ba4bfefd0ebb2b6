#include "tools/sim/sim_server.h"

#include "tools/sim/openai_routes.h"
#include "tools/sim/kie_routes.h"
#include "tools/sim/jobapi_flux_routes.h"
#include "tools/sim/sample_routes.h"
#include "tools/sim/jobapi_rr3_routes.h"

namespace mediagw::sim {
namespace {

EngineOptions MakeEngineOptions(const SimOptions& options) {
  EngineOptions e;
  e.step_time = options.step_time;
  e.start_delay = options.start_delay;
  e.max_history = options.max_history;
  return e;
}

net::HttpServerOptions MakeServerOptions(const SimOptions& options) {
  net::HttpServerOptions s;
  s.host = options.host;
  s.port = options.port;
  s.threads = options.threads;
  s.max_body_bytes = 64 << 20;  // image uploads
  return s;
}

}  // namespace

SimServer::SimServer(SimOptions options)
    : options_(options),
      engine_(MakeEngineOptions(options), &files_, &faults_, &hub_),
      slow_pool_(2),
      routes_(&engine_, &files_, &faults_, &hub_, &slow_pool_),
      server_(MakeServerOptions(options),
              [this](net::ServerRequest request,
                     std::shared_ptr<net::ResponseWriter> writer) {
                routes_.Handle(std::move(request), std::move(writer));
              }) {
  // Vendor APIs: one line each, e.g.
  //   vendors_.push_back(std::make_unique<XaiRoutes>(...));
  vendors_.push_back(std::make_unique<KieRoutes>(options_, &faults_));
  vendors_.push_back(std::make_unique<OpenAiRoutes>(
      OpenAiDialect::kXai, options_.api_key, &files_, &faults_));
  vendors_.push_back(std::make_unique<OpenAiRoutes>(
      OpenAiDialect::kSeed003, options_.api_key, &files_, &faults_));
  vendors_.push_back(std::make_unique<OpenAiRoutes>(
      OpenAiDialect::kSeed004, options_.api_key, &files_, &faults_));
  vendors_.push_back(std::make_unique<Rr3Routes>(options_, &faults_));
  vendors_.push_back(std::make_unique<FluxRoutes>(options_, &faults_));
  vendors_.push_back(std::make_unique<SampleRoutes>());
  for (auto& v : vendors_) routes_.AddVendor(v.get());
}

SimServer::~SimServer() { Stop(); }

absl::Status SimServer::Start() { return server_.Start(); }

int SimServer::port() const { return server_.port(); }

void SimServer::Stop() {
  server_.Stop();
  engine_.Stop();
}

}  // namespace mediagw::sim
