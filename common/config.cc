#include "common/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"

namespace mediagw {
namespace {

using mediagw::config::Config;

absl::Status Bad(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("config: ", field, ": ", what));
}

std::string Resolve(const std::string& base, const std::string& path) {
  if (path.empty() || path[0] == '/' || base.empty()) return path;
  return absl::StrCat(base, "/", path);
}

absl::Status CheckHostPort(absl::string_view field, const std::string& v) {
  auto colon = v.rfind(':');
  int port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(v.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return Bad(field, absl::StrCat("'", v, "' is not host:port"));
  }
  return absl::OkStatus();
}

// http(s)://host[:port][/path], host non-empty, port 1..65535 when given.
bool IsHttpUrl(absl::string_view u) {
  if (!absl::ConsumePrefix(&u, "http://") && !absl::ConsumePrefix(&u, "https://")) {
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
  auto* d = c.mutable_dispatch();
  if (d->poll_interval_ms() == 0) d->set_poll_interval_ms(1000);
  if (d->default_deadline_seconds() == 0) d->set_default_deadline_seconds(600);
  if (d->max_attempts() == 0) d->set_max_attempts(3);
  if (d->workers() == 0) d->set_workers(2);
  if (d->connect_timeout_ms() == 0) d->set_connect_timeout_ms(5000);
  if (d->request_timeout_ms() == 0) d->set_request_timeout_ms(60000);
  if (d->max_active_tasks() == 0) d->set_max_active_tasks(256);
  for (auto& ch : *c.mutable_channels()) {
    if (ch.weight() == 0) ch.set_weight(1);
  }
  for (auto& w : *c.mutable_workflows()) {
    if (!w.template_file().empty()) {
      w.set_template_file(Resolve(base, w.template_file()));
    }
  }
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
  if (c.api_keys().empty()) return Bad("api_keys", "at least one key is required");
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
      return Bad(f + ".name", absl::StrCat("duplicate channel '", ch.name(), "'"));
    }
    if (ch.provider().empty()) return Bad(f + ".provider", "must not be empty");
    if (ch.base_urls().empty()) return Bad(f + ".base_urls", "at least one URL is required");
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
      return Bad(f + ".name", absl::StrCat("duplicate workflow '", w.name(), "'"));
    }
    if (w.channels().empty()) return Bad(f + ".channels", "at least one channel is required");
    for (int j = 0; j < w.channels_size(); ++j) {
      if (!channels.contains(w.channels(j))) {
        return Bad(absl::StrCat(f, ".channels[", j, "]"),
                   absl::StrCat("unknown channel '", w.channels(j), "'"));
      }
    }
    if (w.default_cfg() < 0 || w.default_cfg() > 30) {
      return Bad(f + ".default_cfg", "must be within 0..30");
    }
  }
  if (c.dispatch().workers() > 64) return Bad("dispatch.workers", "must be at most 64");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LoadedConfig> ParseConfig(const std::string& json_text,
                                         const std::string& base_dir) {
  LoadedConfig out;
  out.base_dir = base_dir;
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  auto st = google::protobuf::util::JsonStringToMessage(json_text, &out.config,
                                                        opts);
  if (!st.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config: ", std::string(st.message())));
  }
  ApplyDefaults(out.config, base_dir);
  auto v = Validate(out.config);
  if (!v.ok()) return v;
  return out;
}

absl::StatusOr<LoadedConfig> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("config: cannot open ", path));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string base = ".";
  auto slash = path.rfind('/');
  if (slash != std::string::npos) base = path.substr(0, slash);
  if (slash == 0) base = "/";
  return ParseConfig(ss.str(), base);
}

absl::StatusOr<std::string> SecretFromEnv(const std::string& var) {
  const char* v = std::getenv(var.c_str());
  if (v == nullptr || *v == '\0') {
    return absl::NotFoundError(
        absl::StrCat("environment variable ", var, " is not set"));
  }
  return std::string(v);
}

}  // namespace mediagw
