#include "common/config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/host_port.h"
#include "common/status_macros.h"
#include "common/utf8.h"
#include "google/protobuf/util/json_util.h"

namespace mediagw {
namespace {

using mediagw::config::Config;

absl::Status Bad(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("config: ", field, ": ", what));
}

// "1.2.3.4", "1.2.3.4:80", "::1", "[::1]:80".
bool IsAddressPattern(const std::string& s) {
  std::string host = s;
  std::string port;
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find(']');
    if (close == std::string::npos) return false;
    host = s.substr(1, close - 1);
    if (close + 1 < s.size()) {
      if (s[close + 1] != ':') return false;
      port = s.substr(close + 2);
      if (port.empty()) return false;
    }
  } else if (std::count(s.begin(), s.end(), ':') == 1) {
    host = s.substr(0, s.find(':'));
    port = s.substr(s.find(':') + 1);
    if (port.empty()) return false;
  }
  if (!port.empty()) {
    int p = 0;
    if (!absl::SimpleAtoi(port, &p) || p < 1 || p > 65535) return false;
  }
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::string Resolve(const std::string& base, const std::string& path) {
  if (path.empty() || path[0] == '/' || base.empty()) return path;
  return absl::StrCat(base, "/", path);
}

absl::Status CheckHostPort(absl::string_view field, const std::string& v) {
  auto parsed = ParseHostPort(v);
  if (!parsed.ok()) return Bad(field, parsed.status().message());
  return absl::OkStatus();
}

// http(s)://host[:port][/path], host non-empty, port 1..65535 when given.
bool IsHttpUrl(absl::string_view u) {
  if (!absl::ConsumePrefix(&u, "http://") &&
      !absl::ConsumePrefix(&u, "https://")) {
    return false;
  }
  absl::string_view authority = u.substr(0, u.find_first_of("/?#"));
  if (authority.empty() || authority.find('@') != absl::string_view::npos) {
    return false;
  }
  size_t colon = authority.rfind(':');
  size_t bracket = authority.rfind(']');
  if (colon != absl::string_view::npos &&
      (bracket == absl::string_view::npos || colon > bracket)) {
    int port = 0;
    if (colon == 0 || !absl::SimpleAtoi(authority.substr(colon + 1), &port) ||
        port < 1 || port > 65535) {
      return false;
    }
  }
  return true;
}

void ApplyDefaults(Config& c, const std::string& base) {
  auto* s = c.mutable_server();
  if (s->grpc_listen().empty()) s->set_grpc_listen("127.0.0.1:50051");
  if (s->http_listen().empty()) s->set_http_listen("127.0.0.1:8080");
  if (s->max_body_bytes() == 0) s->set_max_body_bytes(8 << 20);
  if (s->header_timeout_ms() == 0) s->set_header_timeout_ms(10000);
  auto* g = s->mutable_grpc_limits();
  if (g->max_concurrent_streams() == 0) g->set_max_concurrent_streams(100);
  if (g->max_receive_message_bytes() == 0) {
    g->set_max_receive_message_bytes(16 << 20);
  }
  if (g->memory_quota_bytes() == 0) g->set_memory_quota_bytes(uint64_t{1} << 30);
  if (g->max_threads() == 0) g->set_max_threads(64);
  if (g->keepalive_time_ms() == 0) g->set_keepalive_time_ms(2 * 3600 * 1000);
  if (g->keepalive_timeout_ms() == 0) g->set_keepalive_timeout_ms(20000);
  if (g->min_ping_interval_ms() == 0) g->set_min_ping_interval_ms(300000);
  if (g->max_ping_strikes() == 0) g->set_max_ping_strikes(2);
  if (g->max_connection_idle_ms() == 0) {
    g->set_max_connection_idle_ms(30 * 60 * 1000);
  }
  if (g->max_connection_age_grace_ms() == 0) {
    g->set_max_connection_age_grace_ms(30000);
  }
  if (s->max_http_connections() == 0) s->set_max_http_connections(10000);
  if (s->request_timeout_ms() == 0) s->set_request_timeout_ms(30000);
  if (!s->has_shutdown_grace_ms()) s->set_shutdown_grace_ms(10000);
  if (s->sse_heartbeat_ms() == 0) s->set_sse_heartbeat_ms(15000);
  auto* st = c.mutable_storage();
  if (st->data_dir().empty()) st->set_data_dir("data");
  st->set_data_dir(Resolve(base, st->data_dir()));
  if (st->sqlite_path().empty()) {
    st->set_sqlite_path(absl::StrCat(st->data_dir(), "/mediagw.db"));
  } else {
    st->set_sqlite_path(Resolve(base, st->sqlite_path()));
  }
  if (st->blob_dir().empty()) {
    st->set_blob_dir(absl::StrCat(st->data_dir(), "/uploads"));
  } else {
    st->set_blob_dir(Resolve(base, st->blob_dir()));
  }
  if (st->idempotency_ttl_hours() == 0) st->set_idempotency_ttl_hours(24);
  if (!st->has_retention_days()) st->set_retention_days(30);
  auto* d = c.mutable_dispatch();
  if (d->poll_interval_ms() == 0) d->set_poll_interval_ms(1000);
  if (d->default_deadline_seconds() == 0) d->set_default_deadline_seconds(600);
  if (d->max_attempts() == 0) d->set_max_attempts(3);
  if (d->workers() == 0) d->set_workers(2);
  if (d->connect_timeout_ms() == 0) d->set_connect_timeout_ms(5000);
  if (d->request_timeout_ms() == 0) d->set_request_timeout_ms(60000);
  if (d->max_active_tasks() == 0) d->set_max_active_tasks(256);
  if (!d->has_progress_interval_ms()) d->set_progress_interval_ms(200);
  auto* b = d->mutable_breaker();
  if (b->failure_threshold() == 0) b->set_failure_threshold(5);
  if (b->base_cooldown_ms() == 0) b->set_base_cooldown_ms(30000);
  if (b->max_cooldown_ms() == 0) b->set_max_cooldown_ms(300000);
  if (!d->has_retry_budget_ratio()) d->set_retry_budget_ratio(0.2);
  if (!d->has_retry_budget_min_per_second()) {
    d->set_retry_budget_min_per_second(3);
  }
  for (auto& ch : *c.mutable_channels()) {
    if (ch.weight() == 0) ch.set_weight(1);
  }
  auto* f = c.mutable_fetch();
  if (f->max_bytes() == 0) f->set_max_bytes(64 << 20);
  if (f->timeout_ms() == 0) f->set_timeout_ms(120000);
  if (f->max_redirects() == 0) f->set_max_redirects(3);
  if (f->max_outputs() == 0) f->set_max_outputs(16);
  if (f->max_task_bytes() == 0) f->set_max_task_bytes(uint64_t{1} << 30);
  if (f->max_parallel_per_task() == 0) f->set_max_parallel_per_task(4);
  if (f->max_parallel() == 0) f->set_max_parallel(16);
  auto* hooks = c.mutable_webhooks();
  if (hooks->max_retry_hours() == 0) hooks->set_max_retry_hours(24);
  if (hooks->max_per_endpoint() == 0) hooks->set_max_per_endpoint(4);
  if (hooks->attempt_timeout_ms() == 0) hooks->set_attempt_timeout_ms(10000);
  if (hooks->retry_base_ms() == 0) hooks->set_retry_base_ms(5000);
  if (hooks->retry_max_delay_ms() == 0) {
    hooks->set_retry_max_delay_ms(3600000);
  }
  if (hooks->poll_interval_ms() == 0) hooks->set_poll_interval_ms(1000);
  if (hooks->max_in_flight() == 0) hooks->set_max_in_flight(64);
  auto* compat = c.mutable_compat();
  if (compat->openai_sync_timeout_seconds() == 0) {
    compat->set_openai_sync_timeout_seconds(300);
  }
  if (compat->openai_max_b64_bytes() == 0) {
    compat->set_openai_max_b64_bytes(32u << 20);
  }
  for (auto& w : *c.mutable_workflows()) {
    if (w.kind().empty()) w.set_kind("image");
    if (w.task_id_style().empty()) w.set_task_id_style("uuid");
    if (w.balance().empty()) w.set_balance("ordered");
    if (w.default_width() == 0) w.set_default_width(512);
    if (w.default_height() == 0) w.set_default_height(512);
    if (!w.template_file().empty()) {
      w.set_template_file(Resolve(base, w.template_file()));
    }
  }
}

// One model table of a compatible surface: names callers can type, unique,
// each naming a workflow of an allowed kind (and one of its models).
absl::Status ValidateModelTable(
    const Config& c, absl::string_view table,
    const google::protobuf::RepeatedPtrField<config::ModelAlias>& aliases,
    bool video_allowed) {
  absl::flat_hash_set<std::string> names;
  for (int i = 0; i < aliases.size(); ++i) {
    const auto& a = aliases[i];
    std::string f = absl::StrCat("compat.", table, "[", i, "]");
    if (a.name().empty() || a.name().size() > 128) {
      return Bad(f + ".name", "must be 1..128 characters");
    }
    for (char ch : a.name()) {
      if (static_cast<unsigned char>(ch) <= ' ' ||
          static_cast<unsigned char>(ch) >= 0x7f) {
        return Bad(f + ".name", "must be printable ASCII without spaces");
      }
    }
    if (!names.insert(a.name()).second) {
      return Bad(f + ".name", absl::StrCat("duplicate model '", a.name(), "'"));
    }
    const config::Workflow* wf = nullptr;
    for (const auto& w : c.workflows()) {
      if (w.name() == a.workflow()) wf = &w;
    }
    if (wf == nullptr) {
      return Bad(f + ".workflow",
                 absl::StrCat("unknown workflow '", a.workflow(), "'"));
    }
    if (!video_allowed && wf->kind() != "image") {
      return Bad(f + ".workflow", "must be an image workflow");
    }
    if (!a.model().empty()) {
      if (!wf->accepts_model()) {
        return Bad(f + ".model", "the workflow does not accept a model");
      }
      if (!wf->models().empty() &&
          std::find(wf->models().begin(), wf->models().end(), a.model()) ==
              wf->models().end()) {
        return Bad(f + ".model", "must be one of the workflow's models");
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateCompat(const Config& c) {
  const auto& compat = c.compat();
  if (auto st = ValidateModelTable(c, "openai_models", compat.openai_models(),
                                   /*video_allowed=*/false);
      !st.ok()) {
    return st;
  }
  if (auto st = ValidateModelTable(c, "kie_models", compat.kie_models(),
                                   /*video_allowed=*/true);
      !st.ok()) {
    return st;
  }
  if (compat.openai_sync_timeout_seconds() > 86400) {
    return Bad("compat.openai_sync_timeout_seconds",
               "must be at most 86400");
  }
  if (compat.openai_max_b64_bytes() > (1u << 30)) {
    return Bad("compat.openai_max_b64_bytes", "must be at most 1073741824");
  }
  return absl::OkStatus();
}

absl::Status Validate(const Config& c) {
  if (auto st = CheckHostPort("server.grpc_listen", c.server().grpc_listen());
      !st.ok()) {
    return st;
  }
  if (auto st = CheckHostPort("server.http_listen", c.server().http_listen());
      !st.ok()) {
    return st;
  }
  const auto& g = c.server().grpc_limits();
  const std::pair<const char*, uint32_t> grpc_ints[] = {
      {"max_concurrent_streams", g.max_concurrent_streams()},
      {"max_receive_message_bytes", g.max_receive_message_bytes()},
      {"max_threads", g.max_threads()},
      {"keepalive_time_ms", g.keepalive_time_ms()},
      {"keepalive_timeout_ms", g.keepalive_timeout_ms()},
      {"min_ping_interval_ms", g.min_ping_interval_ms()},
      {"max_ping_strikes", g.max_ping_strikes()},
      {"max_connection_idle_ms", g.max_connection_idle_ms()},
      {"max_connection_age_ms", g.max_connection_age_ms()},
      {"max_connection_age_grace_ms", g.max_connection_age_grace_ms()},
  };
  for (const auto& [name, value] : grpc_ints) {
    // gRPC takes these as int.
    if (value > static_cast<uint32_t>(INT32_MAX)) {
      return Bad(absl::StrCat("server.grpc_limits.", name),
                 "must be at most 2147483647");
    }
  }
  if (c.server().shutdown_grace_ms() > 3600 * 1000) {
    return Bad("server.shutdown_grace_ms", "must be at most 3600000");
  }
  if (c.api_keys().empty())
    return Bad("api_keys", "at least one key is required");
  for (int i = 0; i < c.api_keys_size(); ++i) {
    const auto& k = c.api_keys(i);
    std::string f = absl::StrCat("api_keys[", i, "]");
    if (k.name().empty()) return Bad(f + ".name", "must not be empty");
    if (k.sha256().empty() == k.key_env().empty()) {
      return Bad(f, "exactly one of sha256 and key_env is required");
    }
    if (!k.sha256().empty()) {
      bool hex = k.sha256().size() == 64;
      for (char ch : k.sha256()) {
        hex = hex && ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'));
      }
      if (!hex) return Bad(f + ".sha256", "must be 64 lower-case hex digits");
    }
  }
  absl::flat_hash_set<std::string> channels;
  for (int i = 0; i < c.channels_size(); ++i) {
    const auto& ch = c.channels(i);
    std::string f = absl::StrCat("channels[", i, "]");
    if (ch.name().empty()) return Bad(f + ".name", "must not be empty");
    if (!channels.insert(ch.name()).second) {
      return Bad(f + ".name",
                 absl::StrCat("duplicate channel '", ch.name(), "'"));
    }
    if (ch.provider().empty()) return Bad(f + ".provider", "must not be empty");
    if (ch.weight() > 1000000)
      return Bad(f + ".weight", "must be at most 1000000");
    if (ch.base_urls().empty())
      return Bad(f + ".base_urls", "at least one URL is required");
    for (int j = 0; j < ch.base_urls_size(); ++j) {
      const auto& u = ch.base_urls(j);
      if (!IsHttpUrl(u)) {
        return Bad(absl::StrCat(f, ".base_urls[", j, "]"),
                   absl::StrCat("'", u, "' is not an http(s) URL"));
      }
    }
  }
  absl::flat_hash_set<std::string> workflows;
  for (int i = 0; i < c.workflows_size(); ++i) {
    const auto& w = c.workflows(i);
    std::string f = absl::StrCat("workflows[", i, "]");
    if (w.name().empty()) return Bad(f + ".name", "must not be empty");
    if (!workflows.insert(w.name()).second) {
      return Bad(f + ".name",
                 absl::StrCat("duplicate workflow '", w.name(), "'"));
    }
    if (w.channels().empty())
      return Bad(f + ".channels", "at least one channel is required");
    for (int j = 0; j < w.channels_size(); ++j) {
      if (!channels.contains(w.channels(j))) {
        return Bad(absl::StrCat(f, ".channels[", j, "]"),
                   absl::StrCat("unknown channel '", w.channels(j), "'"));
      }
    }
    if (w.default_cfg() < 0 || w.default_cfg() > 30) {
      return Bad(f + ".default_cfg", "must be within 0..30");
    }
    if (w.kind() != "image" && w.kind() != "video") {
      return Bad(f + ".kind", "must be \"image\" or \"video\"");
    }
    if (w.default_width() < 16 || w.default_width() > 2048) {
      return Bad(f + ".default_width", "must be within 16..2048");
    }
    if (w.default_height() < 16 || w.default_height() > 2048) {
      return Bad(f + ".default_height", "must be within 16..2048");
    }
    if (w.balance() != "ordered" && w.balance() != "weighted") {
      return Bad(f + ".balance", "must be \"ordered\" or \"weighted\"");
    }
    const std::string& style = w.task_id_style();
    if (style != "uuid" && style != "numeric" && style != "prefixed") {
      return Bad(f + ".task_id_style",
                 "must be \"uuid\", \"numeric\" or \"prefixed\"");
    }
    if ((style == "prefixed") == w.task_id_prefix().empty()) {
      return Bad(f + ".task_id_prefix",
                 "is required with task_id_style \"prefixed\" and only then");
    }
    for (char ch : w.task_id_prefix()) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(ch)) && ch != '_' &&
          ch != '-') {
        return Bad(f + ".task_id_prefix",
                   "may hold only letters, digits, _ and -");
      }
    }
    for (int j = 0; j < w.model_routes_size(); ++j) {
      const auto& r = w.model_routes(j);
      std::string rf = absl::StrCat(f, ".model_routes[", j, "]");
      if (r.model().empty()) return Bad(rf + ".model", "must not be empty");
      if (!w.models().empty() && std::find(w.models().begin(), w.models().end(),
                                           r.model()) == w.models().end()) {
        return Bad(rf + ".model", "must be one of models");
      }
      if (r.channels().empty())
        return Bad(rf + ".channels", "at least one channel is required");
      for (int k = 0; k < r.channels_size(); ++k) {
        if (!channels.contains(r.channels(k))) {
          return Bad(absl::StrCat(rf, ".channels[", k, "]"),
                     absl::StrCat("unknown channel '", r.channels(k), "'"));
        }
      }
    }
    if (!w.default_model().empty() && !w.models().empty() &&
        std::find(w.models().begin(), w.models().end(), w.default_model()) ==
            w.models().end()) {
      return Bad(f + ".default_model", "must be one of models");
    }
  }
  if (auto st = ValidateCompat(c); !st.ok()) return st;
  if (c.dispatch().workers() > 64)
    return Bad("dispatch.workers", "must be at most 64");
  if (c.dispatch().breaker().max_cooldown_ms() <
      c.dispatch().breaker().base_cooldown_ms()) {
    return Bad("dispatch.breaker.max_cooldown_ms",
               "must be at least base_cooldown_ms");
  }
  // NaN fails both comparisons and is refused too.
  if (!(c.dispatch().retry_budget_ratio() >= 0 &&
        c.dispatch().retry_budget_ratio() <= 10)) {
    return Bad("dispatch.retry_budget_ratio", "must be between 0 and 10");
  }
  if (!(c.dispatch().retry_budget_min_per_second() >= 0 &&
        c.dispatch().retry_budget_min_per_second() <= 1e6)) {
    return Bad("dispatch.retry_budget_min_per_second",
               "must be between 0 and 1000000");
  }
  for (int i = 0; i < c.fetch().allow_addresses_size(); ++i) {
    if (!IsAddressPattern(c.fetch().allow_addresses(i))) {
      return Bad(absl::StrCat("fetch.allow_addresses[", i, "]"),
                 "must be an IP address, optionally with :port ([v6]:port)");
    }
  }
  for (int i = 0; i < c.webhooks().allow_addresses_size(); ++i) {
    if (!IsAddressPattern(c.webhooks().allow_addresses(i))) {
      return Bad(absl::StrCat("webhooks.allow_addresses[", i, "]"),
                 "must be an IP address, optionally with :port ([v6]:port)");
    }
  }
  const auto& wh = c.webhooks();
  if (wh.max_retry_hours() > 24 * 30) {
    return Bad("webhooks.max_retry_hours", "must be at most 720");
  }
  if (wh.max_per_endpoint() > 1024 || wh.max_in_flight() > 65536) {
    return Bad("webhooks.max_per_endpoint",
               "must be at most 1024 (max_in_flight at most 65536)");
  }
  if (wh.attempt_timeout_ms() > 600000) {
    return Bad("webhooks.attempt_timeout_ms", "must be at most 600000");
  }
  if (wh.retry_base_ms() > wh.retry_max_delay_ms() ||
      wh.retry_max_delay_ms() > 86400000) {
    return Bad("webhooks.retry_base_ms",
               "must be at most retry_max_delay_ms, itself at most 86400000");
  }
  if (wh.poll_interval_ms() > 3600000) {
    return Bad("webhooks.poll_interval_ms", "must be at most 3600000");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("config: cannot open ", path));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Status ParseJson(const std::string& text, absl::string_view what,
                       config::Config* out) {
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  auto st = google::protobuf::util::JsonStringToMessage(text, out, opts);
  if (!st.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, std::string(st.message())));
  }
  // Config text ends up in requests, headers and stored records.
  if (absl::Status utf8 = ValidateUtf8Fields(*out); !utf8.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(what, utf8.message()));
  }
  return absl::OkStatus();
}

absl::Status AppendChannelFiles(const std::string& base_dir,
                                config::Config* c) {
  for (int i = 0; i < c->channel_files_size(); ++i) {
    const std::string& name = c->channel_files(i);
    const std::string where = absl::StrCat("config: channel_files[", i, "]");
    if (name.empty()) return absl::InvalidArgumentError(where + ": empty");
    const std::string path =
        name[0] == '/' ? name : absl::StrCat(base_dir, "/", name);
    auto text = ReadFile(path);
    if (!text.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": cannot open ", path));
    }
    config::Config part;
    MG_RETURN_IF_ERROR(ParseJson(*text, absl::StrCat(where, ": "), &part));
    const int channels = part.channels_size();
    part.clear_channels();
    if (channels == 0 || part.ByteSizeLong() != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": ", name,
                       " must hold a non-empty \"channels\" list and "
                       "nothing else"));
    }
    MG_RETURN_IF_ERROR(ParseJson(*text, "", &part));
    for (auto& ch : *part.mutable_channels()) {
      *c->add_channels() = std::move(ch);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LoadedConfig> ParseConfig(const std::string& json_text,
                                         const std::string& base_dir) {
  LoadedConfig out;
  out.base_dir = base_dir;
  MG_RETURN_IF_ERROR(ParseJson(json_text, "config: ", &out.config));
  MG_RETURN_IF_ERROR(AppendChannelFiles(base_dir, &out.config));
  ApplyDefaults(out.config, base_dir);
  auto v = Validate(out.config);
  if (!v.ok()) return v;
  return out;
}

absl::StatusOr<LoadedConfig> LoadConfigFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  std::string base = ".";
  auto slash = path.rfind('/');
  if (slash != std::string::npos) base = path.substr(0, slash);
  if (slash == 0) base = "/";
  return ParseConfig(*text, base);
}

absl::StatusOr<std::string> SecretFromEnv(const std::string& var) {
  const char* v = std::getenv(var.c_str());
  if (v == nullptr || *v == '\0') {
    return absl::NotFoundError(
        absl::StrCat("environment variable ", var, " is not set"));
  }
  if (!IsValidUtf8(v)) {
    return absl::InvalidArgumentError(
        absl::StrCat("environment variable ", var, " is not valid UTF-8"));
  }
  return std::string(v);
}

}  // namespace mediagw
