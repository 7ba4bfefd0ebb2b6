#include "tests/integration/e2e/harness.h"

#include <curl/curl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/json.h"
#include "common/host_port.h"
#include "core/image_info.h"
#include "core/state_machine.h"

namespace mediagw::e2e {

Process::Process(std::vector<std::string> argv,
                 std::map<std::string, std::string> env,
                 const std::string& log_path) {
  pid_ = fork();
  if (pid_ == 0) {
    setpgid(0, 0);
    FILE* log = std::fopen(log_path.c_str(), "a");
    if (log != nullptr) {
      dup2(fileno(log), 1);
      dup2(fileno(log), 2);
    }
    for (auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
}

Process::~Process() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

void Process::Signal(int sig) {
  if (pid_ > 0) kill(pid_, sig);
}

int Process::Wait(absl::Duration timeout) {
  absl::Time end = absl::Now() + timeout;
  while (absl::Now() < end) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1000;
}

namespace {
size_t Collect(char* p, size_t s, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, s * n);
  return s * n;
}
}  // namespace

HttpResult Http(const std::string& method, const std::string& url,
                const std::string& body, const std::vector<std::string>& headers) {
  HttpResult r;
  CURL* c = curl_easy_init();
  curl_slist* h = nullptr;
  for (const auto& x : headers) h = curl_slist_append(h, x.c_str());
  if (!body.empty() || method == "POST") {
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  if (curl_easy_perform(c) == CURLE_OK) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    char* ct = nullptr;
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    if (ct) r.content_type = ct;
  }
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return r;
}

int ReadPort(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::smatch m;
  std::string text = ss.str();
  if (std::regex_search(text, m, std::regex("\"" + key + "\"\\s*:\\s*(\\d+)"))) {
    return std::stoi(m[1]);
  }
  return 0;
}

bool WaitFor(const std::function<bool()>& fn, absl::Duration timeout,
             absl::Duration every) {
  absl::Time end = absl::Now() + timeout;
  while (absl::Now() < end) {
    if (fn()) return true;
    absl::SleepFor(every);
  }
  return fn();
}

std::pair<int, int> PngSize(const std::string& bytes) {
  MediaInfo info = SniffMedia(bytes);
  if (info.mime_type != "image/png") return {0, 0};
  return {info.width, info.height};
}

std::string BinaryPath(const std::string& name) {
  return name == "mediagw" ? MEDIAGW_BIN_MEDIAGW : MEDIAGW_BIN_MEDIAGW_SIM;
}

std::string SourceDir() { return MEDIAGW_SOURCE_DIR; }

std::string MakeTempDir() {
  char tmpl[] = "/tmp/mediagw-e2e-XXXXXX";
  char* d = mkdtemp(tmpl);
  return d ? d : "/tmp";
}

Simulator::Simulator(const std::string& dir, int step_ms) {
  std::string ports = dir + "/sim.ports";
  proc_ = std::make_unique<Process>(
      std::vector<std::string>{BinaryPath("mediagw-sim"), "--host", "127.0.0.1",
                               "--port", "0", "--ports_file", ports,
                               "--step_ms", std::to_string(step_ms)},
      std::map<std::string, std::string>{}, dir + "/sim.log");
  WaitFor([&] { return ReadPort(ports, "port") > 0; }, absl::Seconds(20));
  url_ = absl::StrCat("http://127.0.0.1:", ReadPort(ports, "port"));
}

void Simulator::Fault(const std::string& json) {
  Http("POST", url_ + "/_sim/faults", json);
}

HttpResult Simulator::Stats() { return Http("GET", url_ + "/_sim/stats"); }

Server::Server(const std::string& dir, const std::string& sim_url,
               ServerOptions o)
    : dir_(dir) {
  if (o.all_providers) {
    std::string cmd = absl::StrCat(
        "python3 ", SourceDir(), "/scripts/sim_config.py --sim ", sim_url,
        " --data ", dir, "/data --out ", ConfigPath(), " --ports-file ", dir,
        "/mediagw.ports --key-sha256 ", Sha256Hex(kKey), " --key-sha256 ",
        Sha256Hex(kOtherKey), " --poll-ms ", o.poll_interval_ms,
        " --deadline-s ", o.deadline_seconds, " --max-active ", o.max_active);
    if (std::system(cmd.c_str()) != 0) {
      throw std::runtime_error("sim_config.py failed: " + cmd);
    }
    env_ = {{"MEDIAGW_XAI_KEY", "sim-key"},     {"MEDIAGW_OPENAI_KEY", "sim-key"},
            {"MEDIAGW_KIE_KEY", "sim-key"},     {"MEDIAGW_RR3_KEY", "sim-key"},
            {"MEDIAGW_FLUX_KEY", "sim-key"},
            {"MEDIAGW_KIE_WEBHOOK_KEY", "sim-webhook-key"}};
    for (const auto& name : o.unset_env) env_.erase(name);
    return;
  }
  listen_host_ = o.listen_host;
  const std::string listen = JoinHostPort(listen_host_, 0);
  std::string wf = SourceDir() + "/config/workflows/";
  const std::string grace =
      o.shutdown_grace_ms >= 0
          ? absl::StrCat(R"(, "shutdown_grace_ms": )", o.shutdown_grace_ms)
          : "";
  const std::string page_cap =
      o.sqlite_max_page_count > 0
          ? absl::StrCat(R"(, "sqlite_max_page_count": )",
                         o.sqlite_max_page_count)
          : "";
  std::string cfg = absl::StrCat(R"({
  "server": {"grpc_listen": ")", listen, R"(", "http_listen": ")", listen, R"(",
             "ports_file": ")", dir, R"(/mediagw.ports")", grace, R"(},
  "storage": {"data_dir": ")", dir, R"(/data")", page_cap, R"(},
  "api_keys": [{"name": "e2e", "sha256": ")", Sha256Hex(kKey), R"("},
               {"name": "other", "sha256": ")", Sha256Hex(kOtherKey), R"("})",
      o.extra_api_keys.empty() ? "" : ",", o.extra_api_keys, R"(],
  "channels": [{"name": "comfy", "provider": "comfyui", "base_urls": [")", sim_url, R"("]}],
  "workflows": [
    {"name": "default", "channels": ["comfy"], "template_file": ")", wf, R"(default.json", "default_cfg": 7, "accepts_model": true)",
      o.default_price > 0
          ? absl::StrCat(R"(, "price": {"per_output": )", o.default_price, "}")
          : "",
      R"(},
    {"name": "anime", "channels": ["comfy"], "template_file": ")", wf, R"(anime.json", "default_cfg": 7, "accepts_model": true},
    {"name": "z-image", "channels": ["comfy"], "template_file": ")", wf, R"(z-image.json", "default_cfg": 1})",
    o.extra_workflows.empty() ? "" : ",", o.extra_workflows, R"(
  ],
  "dispatch": {"poll_interval_ms": )", o.poll_interval_ms,
      R"(, "default_deadline_seconds": )", o.deadline_seconds,
      R"(, "max_active_tasks": )", o.max_active, R"(})",
      o.compat.empty() ? "" : R"(,
  "compat": )", o.compat, o.accounts.empty() ? "" : R"(,
  "accounts": )", o.accounts, R"(
})");
  std::ofstream(ConfigPath()) << cfg;
  env_ = o.env;
}

void Server::Start() {
  std::string ports = dir_ + "/mediagw.ports";
  std::remove(ports.c_str());
  proc_ = std::make_unique<Process>(
      std::vector<std::string>{BinaryPath("mediagw"), "--config=" + ConfigPath()},
      env_,
      absl::StrCat(dir_, "/mediagw.", ++starts_, ".log"));
  if (!WaitFor([&] { return ReadPort(ports, "http") > 0; }, absl::Seconds(30))) {
    throw std::runtime_error("mediagw did not start; see " + dir_);
  }
  rest_ = "http://" + JoinHostPort(listen_host_, ReadPort(ports, "http"));
  grpc_addr_ = JoinHostPort(listen_host_, ReadPort(ports, "grpc"));
}

void Server::Kill9() {
  proc_->Signal(SIGKILL);
  proc_->Wait(absl::Seconds(10));
  proc_.reset();
}

int Server::Stop() {
  if (!proc_) return -1;
  proc_->Signal(SIGTERM);
  int status = proc_->Wait(absl::Seconds(20));
  proc_.reset();
  return status;
}

void Server::Signal(int sig) {
  if (proc_) proc_->Signal(sig);
}

int Server::Wait(absl::Duration timeout) {
  if (!proc_) return -1;
  const int status = proc_->Wait(timeout);
  if (status != -1000) proc_.reset();
  return status;
}

std::unique_ptr<v1::MediaService::Stub> Server::Stub() const {
  return v1::MediaService::NewStub(
      grpc::CreateChannel(grpc_addr_, grpc::InsecureChannelCredentials()));
}

std::string SubmitLegacy(const Server& server, const std::string& body,
                         const std::string& endpoint, HttpResult* reply) {
  HttpResult r =
      Http("POST", server.rest() + "/v1/index.php?endpoint=" + endpoint, body,
           {std::string("x-api-key: ") + Server::kKey});
  if (reply != nullptr) *reply = r;
  if (r.status != 200) return "";
  auto doc = json::Parse(r.body);
  if (!doc.ok() || !doc->IsObject() || !doc->HasMember("data") ||
      !(*doc)["data"].IsObject() || !(*doc)["data"].HasMember("id") ||
      !(*doc)["data"]["id"].IsString()) {
    return "";
  }
  return (*doc)["data"]["id"].GetString();
}

v1::Task GetTask(const Server& server, const std::string& id,
                 grpc::Status* status) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-api-key", Server::kKey);
  v1::GetTaskRequest req;
  req.set_id(id);
  v1::Task t;
  grpc::Status st = server.Stub()->GetTask(&ctx, req, &t);
  if (status != nullptr) *status = st;
  return st.ok() ? t : v1::Task();
}

v1::Task WaitTerminal(const Server& server, const std::string& id,
                      absl::Duration timeout) {
  v1::Task t;
  WaitFor(
      [&] {
        t = GetTask(server, id);
        return IsTerminal(t.state());
      },
      timeout);
  return t;
}

}  // namespace mediagw::e2e
