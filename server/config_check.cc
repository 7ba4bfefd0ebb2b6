#include "server/config_check.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/config.h"
#include "common/status_macros.h"
#include "core/http_client.h"
#include "providers/registry.h"

namespace mediagw {
namespace {

// Providers get a client at construction; none may reach an upstream from
// a check, so every request fails at once.
class NoNetworkHttpClient : public HttpClient {
 public:
  void Send(HttpRequest request, HttpCallback done) override {
    done(absl::FailedPreconditionError(
        absl::StrCat("config check sends nothing (", request.url, ")")));
  }
};

// An unset variable is only noted: secrets live where the server runs, not
// where its configuration is checked. A set one must be usable.
absl::Status CheckSecret(const std::string& field, const std::string& var,
                         absl::string_view if_unset,
                         std::vector<std::string>* notes) {
  if (var.empty()) return absl::OkStatus();
  auto secret = SecretFromEnv(var);
  if (secret.ok()) return absl::OkStatus();
  if (secret.status().code() == absl::StatusCode::kNotFound) {
    notes->push_back(absl::StrCat(field, ": ", secret.status().message(),
                                  " here; ", if_unset));
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("config: ", field, ": ", secret.status().message()));
}

}  // namespace

absl::StatusOr<std::vector<std::string>> CheckConfigFile(
    const std::string& path) {
  auto loaded = LoadConfigFile(path);
  if (!loaded.ok()) return loaded.status();
  const config::Config& cfg = loaded->config;
  std::vector<std::string> notes;
  for (const auto& k : cfg.api_keys()) {
    MG_RETURN_IF_ERROR(CheckSecret(
        absl::StrCat("api_keys '", k.name(), "'.key_env"), k.key_env(),
        "the server does not start without it", &notes));
  }
  for (const auto& ch : cfg.channels()) {
    const std::string where = absl::StrCat("channel '", ch.name(), "'");
    MG_RETURN_IF_ERROR(
        CheckSecret(absl::StrCat(where, ".api_key_env"), ch.api_key_env(),
                    "the channel refuses work without it", &notes));
    MG_RETURN_IF_ERROR(CheckSecret(
        absl::StrCat(where, ".webhook_secret_env"), ch.webhook_secret_env(),
        "its callbacks are refused without it (polling only)", &notes));
  }
  NoNetworkHttpClient http;
  ProviderContext ctx{&http, &cfg, nullptr, nullptr};
  for (const auto& ch : cfg.channels()) {
    auto provider = CreateProvider(ch, ctx);
    if (!provider.ok()) return provider.status();
  }
  return notes;
}

int RunConfigCheck(const std::string& path, std::FILE* out, std::FILE* err) {
  auto notes = CheckConfigFile(path);
  if (!notes.ok()) {
    std::fprintf(err, "mediagw: %s\n",
                 std::string(notes.status().message()).c_str());
    return 1;
  }
  for (const std::string& note : *notes) {
    std::fprintf(out, "note: %s\n", note.c_str());
  }
  std::fprintf(out, "config OK: %s\n", path.c_str());
  std::fflush(out);
  return 0;
}

}  // namespace mediagw
