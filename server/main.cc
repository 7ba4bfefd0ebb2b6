// mediagw: the composition root. The only file that names concrete types:
// it reads the configuration, builds the store, the curl loop, providers,
// dispatcher and TaskService, and starts the gRPC and HTTP front ends.
//
//   mediagw --config=path/to/mediagw.json [--log-level=debug|info|warning]
//           [--log_format=text|json]
//   mediagw --config=path/to/mediagw.json --check_config
//     checks the file and exits: 0 when it can run, 1 with the error
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "accounts/account_view_adapter.h"
#include "common/config.h"
#include "common/crypto.h"
#include "common/host_port.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "common/request_metrics.h"
#include "common/status_mapping.h"
#include "common/thread_pool.h"
#include "core/async_event_bus.h"
#include "core/auth.h"
#include "core/breaker_board.h"
#include "core/dispatcher.h"
#include "core/event_bus.h"
#include "core/retention_sweeper.h"
#include "core/retry_budget.h"
#include "core/static_router.h"
#include "core/task_service_impl.h"
#include "gateway/gateway.h"
#include "gateway/kie_jobs_codec.h"
#include "gateway/model_table.h"
#include "gateway/public_urls.h"
#include "gateway/uploads_handler.h"
#include "grpcpp/health_check_service_interface.h"
#include "net/curl_multi_client.h"
#include "net/http_server.h"
#include "net/safe_fetcher.h"
#include "providers/registry.h"
#include "server/accounts_setup.h"
#include "server/admin_service.h"
#include "server/config_check.h"
#include "server/fd_limits.h"
#include "server/grpc_server.h"
#include "server/media_service.h"
#include "store/blob/local_blob_store.h"
#include "store/sqlite/sqlite_task_store.h"
#include "store/sqlite/sqlite_webhook_store.h"
#include "webhooks/outbox_hook.h"
#include "webhooks/webhook_sender.h"

namespace mediagw {
namespace {

struct Flags {
  std::string config_path;
  std::string log_level = "info";
  std::string log_format = "text";
  bool check_config = false;
};

absl::StatusOr<Flags> ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    if (absl::ConsumePrefix(&a, "--config=")) {
      f.config_path = std::string(a);
    } else if (absl::ConsumePrefix(&a, "--log-level=")) {
      f.log_level = std::string(a);
    } else if (absl::ConsumePrefix(&a, "--log_format=") ||
               absl::ConsumePrefix(&a, "--log-format=")) {
      f.log_format = std::string(a);
    } else if (a == "--check_config" || a == "--check-config") {
      f.check_config = true;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", argv[i]));
    }
  }
  if (f.config_path.empty()) {
    return absl::InvalidArgumentError("--config=<file> is required");
  }
  return f;
}

absl::Status WritePortsFile(const std::string& path, int grpc_port,
                            int http_port) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "{\"grpc\":" << grpc_port << ",\"http\":" << http_port << "}\n";
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

int Run(int argc, char** argv) {
  // Signals are taken synchronously by sigwait below, so block them in every
  // thread before any is started.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto flags = ParseFlags(argc, argv);
  if (!flags.ok()) {
    std::fprintf(stderr, "mediagw: %s\n",
                 std::string(flags.status().message()).c_str());
    return 2;
  }
  auto log_format = ParseLogFormat(flags->log_format);
  if (!log_format.ok()) {
    std::fprintf(stderr, "mediagw: --log_format: %s\n",
                 std::string(log_format.status().message()).c_str());
    return 2;
  }
  SetLogFormat(*log_format);
  if (flags->log_level == "debug") SetMinLogLevel(LogLevel::kDebug);
  if (flags->log_level == "warning") SetMinLogLevel(LogLevel::kWarning);
  if (flags->check_config) {
    return RunConfigCheck(flags->config_path, stdout, stderr);
  }
  auto loaded = LoadConfigFile(flags->config_path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "mediagw: %s\n",
                 std::string(loaded.status().message()).c_str());
    return 2;
  }
  const config::Config& cfg = loaded->config;
  auto fail = [](const absl::Status& st) {
    std::fprintf(stderr, "mediagw: %s\n", st.ToString().c_str());
    return 1;
  };
  // Before any thread starts: every HTTP connection needs a descriptor.
  if (auto st = EnsureFdLimit(cfg.server().max_http_connections()); !st.ok()) {
    return fail(st);
  }

  // Keys are registered by the account book below, once the store is open.
  Authenticator auth;

  std::error_code ec;
  std::filesystem::create_directories(cfg.storage().data_dir(), ec);
  SqliteOptions sqlite_opts;
  // SQLite takes at most 4294967294 pages.
  sqlite_opts.max_page_count = static_cast<int64_t>(std::min<uint64_t>(
      cfg.storage().sqlite_max_page_count(), 4294967294u));
  auto store = SqliteTaskStore::Open(cfg.storage().sqlite_path(), sqlite_opts);
  if (!store.ok()) return fail(store.status());
  auto blobs = LocalBlobStore::Open(cfg.storage().blob_dir());
  if (!blobs.ok()) return fail(blobs.status());
  if (auto swept = (*blobs)->RemoveTemporaries(); !swept.ok()) {
    return fail(swept.status());
  } else if (*swept > 0) {
    MG_LOG(Info, "removed ", *swept, " temporary files left in ",
           (*blobs)->root());
  }

  net::CurlMultiClient::Options curl_opts;
  net::CurlMultiClient curl(curl_opts);
  net::SafeFetcher::Options fetch_opts;
  fetch_opts.max_bytes = cfg.fetch().max_bytes();
  fetch_opts.timeout = absl::Milliseconds(cfg.fetch().timeout_ms());
  fetch_opts.max_redirects = static_cast<int>(cfg.fetch().max_redirects());
  fetch_opts.allow_addresses.assign(cfg.fetch().allow_addresses().begin(),
                                    cfg.fetch().allow_addresses().end());
  auto fetcher = net::SafeFetcher::Create(&curl, std::move(fetch_opts));
  if (!fetcher.ok()) return fail(fetcher.status());
  ThreadPool workers(static_cast<int>(cfg.dispatch().workers()));
  // Watchers hear of changes on a thread of their own: the store's writer,
  // which commits the changes, never waits for them.
  InProcessEventBus watchers;
  AsyncEventBus bus(&watchers);
  RealClock clock;

  // Upstream health: circuit breakers and the retry budget.
  const auto& bcfg = cfg.dispatch().breaker();
  std::unique_ptr<BreakerBoard> breakers;
  if (!bcfg.disabled()) {
    breakers = std::make_unique<BreakerBoard>(
        BreakerOptions{static_cast<int>(std::min<uint32_t>(
                           bcfg.failure_threshold(), 1000000)),
                       absl::Milliseconds(bcfg.base_cooldown_ms()),
                       absl::Milliseconds(bcfg.max_cooldown_ms())},
        &clock);
  }
  RetryBudgetOptions budget_opts;
  budget_opts.ratio = cfg.dispatch().retry_budget_ratio();
  budget_opts.min_retries_per_second =
      cfg.dispatch().retry_budget_min_per_second();
  RetryBudget retry_budget(budget_opts, &clock);

  StaticRouter router;
  ProviderContext pctx{&curl, &cfg, &workers, breakers.get()};
  for (const auto& ch : cfg.channels()) {
    auto provider = CreateProvider(ch, pctx);
    if (!provider.ok()) return fail(provider.status());
    router.AddChannel(Channel{ch.name(), *std::move(provider),
                              static_cast<int>(ch.weight()),
                              static_cast<int>(ch.max_concurrency())});
  }
  for (const auto& wf : cfg.workflows()) {
    WorkflowInfo info;
    info.name = wf.name();
    info.default_cfg = wf.default_cfg() > 0 ? wf.default_cfg() : 7;
    info.accepts_model = wf.accepts_model();
    info.default_model = wf.default_model();
    info.deadline = absl::Seconds(
        wf.deadline_seconds() > 0 ? wf.deadline_seconds()
                                  : cfg.dispatch().default_deadline_seconds());
    info.kind = wf.kind() == "video" ? WorkflowInfo::Kind::kVideo
                                     : WorkflowInfo::Kind::kImage;
    info.default_width = static_cast<int>(wf.default_width());
    info.default_height = static_cast<int>(wf.default_height());
    info.models.assign(wf.models().begin(), wf.models().end());
    if (wf.task_id_style() == "numeric") {
      info.id_style = WorkflowInfo::IdStyle::kNumeric;
    } else if (wf.task_id_style() == "prefixed") {
      info.id_style = WorkflowInfo::IdStyle::kPrefixedHex;
      info.id_prefix = wf.task_id_prefix();
    }
    info.provider_label = wf.provider_label();
    info.weighted = wf.balance() == "weighted";
    router.AddWorkflow(info, {wf.channels().begin(), wf.channels().end()});
    for (const auto& r : wf.model_routes()) {
      router.AddModelRoute(wf.name(), r.model(),
                           {r.channels().begin(), r.channels().end()});
    }
  }

  // The HTTP port must be known before the dispatcher (it writes output
  // URLs), so the gateway is attached once everything else exists.
  std::atomic<gateway::Gateway*> gateway_ptr{nullptr};
  // /uploads reads on a pool of its own, never on the one driving tasks.
  ThreadPool uploads_pool(2);
  gateway::UploadsHandler uploads(blobs->get(), &uploads_pool);
  // Checked by the config loader already; parsed here for its parts.
  auto http_listen = ParseHostPort(cfg.server().http_listen());
  if (!http_listen.ok()) {
    return fail(Annotate(http_listen.status(), "server.http_listen: "));
  }
  auto grpc_listen = ParseHostPort(cfg.server().grpc_listen());
  if (!grpc_listen.ok()) {
    return fail(Annotate(grpc_listen.status(), "server.grpc_listen: "));
  }
  net::HttpServerOptions http_opts;
  http_opts.host = http_listen->host;
  http_opts.port = http_listen->port;
  http_opts.max_body_bytes = cfg.server().max_body_bytes();
  http_opts.header_timeout =
      absl::Milliseconds(cfg.server().header_timeout_ms());
  http_opts.request_timeout =
      absl::Milliseconds(cfg.server().request_timeout_ms());
  http_opts.max_connections = cfg.server().max_http_connections();
  http_opts.check_head = [&gateway_ptr](const net::ServerRequest& head) {
    gateway::Gateway* gw = gateway_ptr.load();
    return gw != nullptr ? gw->CheckHead(head) : std::nullopt;
  };
  http_opts.threads = 2;
  net::HttpServer http(http_opts, [&gateway_ptr](
                                      net::ServerRequest req,
                                      std::shared_ptr<net::ResponseWriter> w) {
    gateway::Gateway* gw = gateway_ptr.load();
    if (gw == nullptr) {
      net::ServerResponse resp;
      resp.status = 503;
      resp.body = R"({"success":false,"data":null,"error":"Service starting"})";
      w->Send(std::move(resp));
      return;
    }
    gw->Handle(std::move(req), std::move(w));
  });
  if (auto st = http.Start(); !st.ok()) return fail(st);
  std::string public_base = cfg.server().public_base_url();
  if (public_base.empty()) {
    // A wildcard address is no place to send a request to: use loopback.
    std::string host = http_opts.host;
    if (host == "0.0.0.0") host = "127.0.0.1";
    if (host == "::") host = "::1";
    public_base = absl::StrCat("http://", JoinHostPort(host, http.port()));
  }

  DispatcherOptions dopts;
  dopts.poll_interval = absl::Milliseconds(cfg.dispatch().poll_interval_ms());
  dopts.max_attempts = static_cast<int>(cfg.dispatch().max_attempts());
  dopts.max_active = static_cast<int>(cfg.dispatch().max_active_tasks());
  const gateway::GatewayUrls public_urls(public_base);
  dopts.urls = &public_urls;
  dopts.fetch_timeout = absl::Milliseconds(cfg.fetch().timeout_ms());
  dopts.max_outputs = static_cast<int>(
      std::min<uint32_t>(cfg.fetch().max_outputs(), 1u << 20));
  dopts.max_task_bytes = static_cast<int64_t>(
      std::min<uint64_t>(cfg.fetch().max_task_bytes(), uint64_t{1} << 62));
  dopts.fetch_parallel_per_task = static_cast<int>(
      std::min<uint32_t>(cfg.fetch().max_parallel_per_task(), 1024));
  dopts.fetch_parallel =
      static_cast<int>(std::min<uint32_t>(cfg.fetch().max_parallel(), 1024));
  dopts.progress_interval =
      absl::Milliseconds(cfg.dispatch().progress_interval_ms());
  auto accounts = AccountsSetup::Create(cfg, store->get(), &auth, &clock);
  if (!accounts.ok()) return fail(accounts.status());
  TaskWriter writer(store->get(), &bus, &clock);
  writer.AddHook((*accounts)->hook());
  // Webhooks (docs/API.md "Webhooks"): the outbox row commits with the end
  // of a task; the sender delivers it through its own SSRF-checked client.
  const auto& hooks_cfg = cfg.webhooks();
  const absl::Duration webhook_max_retry =
      absl::Hours(hooks_cfg.max_retry_hours());
  SqliteWebhookStore webhook_store(store->get());
  net::SafeFetcher::Options hook_fetch_opts;
  hook_fetch_opts.max_bytes = 64 << 10;
  hook_fetch_opts.timeout = absl::Milliseconds(hooks_cfg.attempt_timeout_ms());
  hook_fetch_opts.max_redirects = 0;  // a 3xx is an answer, never followed
  hook_fetch_opts.allowed_content_types.clear();  // any reply body
  hook_fetch_opts.allow_addresses.assign(hooks_cfg.allow_addresses().begin(),
                                         hooks_cfg.allow_addresses().end());
  auto hook_fetcher = net::SafeFetcher::Create(&curl, std::move(hook_fetch_opts));
  if (!hook_fetcher.ok()) return fail(hook_fetcher.status());
  AccountBook* const book = (*accounts)->book();
  webhooks::SenderOptions sender_opts;
  sender_opts.attempt_timeout =
      absl::Milliseconds(hooks_cfg.attempt_timeout_ms());
  sender_opts.retry_base = absl::Milliseconds(hooks_cfg.retry_base_ms());
  sender_opts.retry_max_delay =
      absl::Milliseconds(hooks_cfg.retry_max_delay_ms());
  sender_opts.poll_interval = absl::Milliseconds(hooks_cfg.poll_interval_ms());
  sender_opts.max_per_endpoint = static_cast<int>(hooks_cfg.max_per_endpoint());
  sender_opts.max_in_flight = static_cast<int>(hooks_cfg.max_in_flight());
  webhooks::WebhookSender sender(
      webhooks::WebhookSender::Deps{
          &webhook_store, hook_fetcher->get(),
          [book](const std::string& account) {
            return book->WebhookSecrets(account);
          },
          &clock},
      sender_opts);
  webhooks::WebhookSender::RegisterMetrics();
  GlobalMetrics().Gauge("mediagw_webhook_in_flight",
                        "Webhook delivery attempts in flight now",
                        [&sender] { return double(sender.in_flight()); });
  const gateway::ModelTable kie_names =
      gateway::ModelTable::FromConfig(cfg.compat().kie_models(), cfg);
  webhooks::OutboxHook outbox_hook(
      webhooks::OutboxHook::Deps{
          [book](const std::string& account) {
            return book->DefaultWebhookUrl(account);
          },
          [&kie_names](const v1::Task& task) {
            const gateway::ModelEntry* entry =
                kie_names.FindByWorkflow(task.workflow());
            return gateway::EncodeKieCallback(
                task, entry != nullptr ? entry->name : task.workflow());
          },
          [&sender] { sender.Kick(); }, &clock},
      webhook_max_retry);
  // After the accounts hook: the body shows the charged credits.
  writer.AddHook(&outbox_hook);
  dopts.weight_of = [book = (*accounts)->book()](const std::string& owner) {
    return book->Weight(owner);
  };
  Dispatcher dispatcher(
      DispatcherDeps{store->get(), blobs->get(), &router, &curl, fetcher->get(),
                     &curl, &workers, &writer, &clock, breakers.get(),
                     &retry_budget},
      dopts);
  TaskServiceImpl tasks(TaskServiceImpl::Deps{
      store->get(), blobs->get(), &router, &dispatcher, &workers, &bus, &clock,
      &writer,
      absl::Hours(std::min<uint32_t>(cfg.storage().idempotency_ttl_hours(),
                                     24 * 365 * 100)),
      (*accounts)->limits()});
  if (auto st = dispatcher.Recover(); !st.ok()) return fail(st);
  // Blob deletes block on disk: a thread of its own, off the task workers.
  ThreadPool retention_pool(1);
  RetentionOptions ropts;
  ropts.retention = absl::Hours(24) * cfg.storage().retention_days();
  RetentionSweeper retention(
      RetentionSweeper::Deps{store->get(), blobs->get(), &curl,
                             &retention_pool, &clock},
      ropts);
  retention.Start();
  // Store reads of the webhook routes, off the task workers.
  ThreadPool webhooks_pool(1);
  sender.Start();
  dispatcher.RegisterMetrics(GlobalMetrics());
  RegisterRequestMetrics();
  GlobalMetrics().Gauge("mediagw_http_open_connections",
                        "HTTP connections open now",
                        [&http] { return double(http.open_connections()); });

  // A caller's GetAccount is a store read, like GetTask's: on the workers.
  AccountViewAdapter account_view((*accounts)->book(), (*accounts)->limits(),
                                  &workers);
  MediaServiceImpl media(&tasks, &auth, &account_view);
  // Admin calls block on the store: a small pool of their own, so that they
  // never hold up the task workers (nor a gRPC reaction).
  ThreadPool admin_pool(2);
  AdminServiceImpl admin((*accounts)->book(), &auth, &admin_pool,
                         (*accounts)->admin_key_sha256());
  auto grpc_server = StartGrpcServer(cfg.server().grpc_listen(),
                                     {&media, &admin},
                                     cfg.server().grpc_limits());
  if (!grpc_server.ok()) return fail(grpc_server.status());

  std::atomic<bool> ready{true};
  TaskStore* const task_store = store->get();
  // Readiness, not liveness: while the store cannot write, /readyz and the
  // gRPC health of mediagw.v1.MediaService say not ready, and the process
  // (/healthz, the "" health service) stays up for its disk to come back.
  auto readiness = [&ready, task_store]() -> absl::Status {
    if (!ready.load()) return absl::UnavailableError("shutting down");
    absl::Status st = task_store->WriteHealth();
    if (!st.ok()) {
      return absl::UnavailableError(
          absl::StrCat("the task store cannot write: ", st.message()));
    }
    return absl::OkStatus();
  };
  gateway::Gateway::Deps gateway_deps{&tasks, &auth, &uploads, readiness};
  gateway::Gateway::Deps::Compat compat;
  compat.timers = &curl;
  compat.blobs = blobs->get();
  // b64_json replies read whole outputs: the uploads pool, never the task
  // workers.
  compat.blob_pool = &uploads_pool;
  compat.openai.models =
      gateway::ModelTable::FromConfig(cfg.compat().openai_models(), cfg);
  compat.openai.sync_timeout =
      absl::Seconds(cfg.compat().openai_sync_timeout_seconds());
  compat.openai.max_b64_bytes = cfg.compat().openai_max_b64_bytes();
  compat.kie_models =
      gateway::ModelTable::FromConfig(cfg.compat().kie_models(), cfg);
  gateway_deps.compat = std::move(compat);
  gateway_deps.accounts = &account_view;
  gateway_deps.scheduler = &curl;  // event-stream heartbeats
  gateway_deps.sse_heartbeat =
      absl::Milliseconds(cfg.server().sse_heartbeat_ms());
  gateway::WebhooksHandler::Deps webhooks_deps{
      &tasks, &auth, &webhook_store, &webhooks_pool, &clock,
      [&sender] { sender.Kick(); }};
  webhooks_deps.max_retry = webhook_max_retry;
  gateway_deps.webhooks = std::move(webhooks_deps);
  gateway::Gateway gw(std::move(gateway_deps));
  grpc::HealthCheckServiceInterface* health =
      grpc_server->server->GetHealthCheckService();
  absl::Notification stop_health;
  std::thread health_thread([&] {
    bool serving = true;
    health->SetServingStatus("mediagw.v1.MediaService", true);
    while (!stop_health.WaitForNotificationWithTimeout(
        absl::Milliseconds(250))) {
      const bool now = readiness().ok();
      if (now != serving) {
        serving = now;
        health->SetServingStatus("mediagw.v1.MediaService", serving);
      }
    }
  });
  gateway_ptr.store(&gw);

  std::printf("mediagw serving\nrest: %s\ngrpc: %s\n", public_base.c_str(),
              JoinHostPort(grpc_listen->host, grpc_server->port).c_str());
  std::fflush(stdout);
  if (!cfg.server().ports_file().empty()) {
    if (auto st = WritePortsFile(cfg.server().ports_file(), grpc_server->port,
                                 http.port());
        !st.ok()) {
      return fail(st);
    }
  }

  int sig = 0;
  sigwait(&signals, &sig);
  const absl::Duration grace =
      absl::Milliseconds(cfg.server().shutdown_grace_ms());
  const absl::Time drain_deadline = absl::Now() + grace;
  MG_LOG(Info, "signal ", sig, ": draining for up to ",
         absl::FormatDuration(grace));
  // Not ready first (/readyz 503, every gRPC health service NOT_SERVING,
  // watchers told), then the listeners close; requests in flight finish
  // within the grace and open streams end with a final event.
  ready = false;
  stop_health.Notify();
  health_thread.join();
  health->SetServingStatus(false);
  // gRPC's Shutdown closes its listener at once and blocks until its calls
  // are done or the deadline passes (then cancels them), so it runs beside
  // the HTTP drain rather than before it.
  std::thread grpc_stop([&grpc_server, drain_deadline] {
    grpc_server->server->Shutdown(absl::ToChronoTime(drain_deadline));
  });
  if (!WaitUntilNotListening(grpc_listen->host, grpc_server->port,
                             absl::Seconds(1))) {
    MG_LOG(Warning, "the gRPC listener still accepts; ending streams anyway");
  }
  media.Drain();
  http.Drain(std::max(drain_deadline - absl::Now(), absl::ZeroDuration()));
  grpc_stop.join();
  bus.Stop();  // the front ends are down: nobody is left to watch
  admin_pool.Shutdown();
  MG_LOG(Info, "drained; stopping");
  gateway_ptr.store(nullptr);
  retention.Stop();
  dispatcher.Shutdown();
  curl.Shutdown();
  // Attempts cut by the client's shutdown stay pending for the next start;
  // the ones that finished are recorded before the store goes.
  sender.Stop();
  webhooks_pool.Shutdown();
  // Quiesce before anything is destroyed: worker jobs and store callbacks
  // call into the dispatcher, and each may queue work for the other.
  for (int i = 0; i < 2; ++i) {
    workers.Shutdown();
    (*store)->Flush();
  }
  MG_LOG(Info, "stopped");
  return 0;
}

}  // namespace
}  // namespace mediagw

int main(int argc, char** argv) { return mediagw::Run(argc, argv); }
