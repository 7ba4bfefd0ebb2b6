// End-to-end harness: runs the real mediagw and mediagw-sim binaries as
// child processes on 127.0.0.1 with kernel-chosen ports, and talks to them
// over real HTTP (libcurl) and gRPC.
#ifndef MEDIAGW_TESTS_INTEGRATION_E2E_HARNESS_H_
#define MEDIAGW_TESTS_INTEGRATION_E2E_HARNESS_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "mediagw/v1/media.grpc.pb.h"

namespace mediagw::e2e {

// A child process; killed (SIGKILL) on destruction if still running.
class Process {
 public:
  Process(std::vector<std::string> argv, std::map<std::string, std::string> env,
          const std::string& log_path);
  ~Process();
  pid_t pid() const { return pid_; }
  void Signal(int sig);
  // Waits for exit; returns the exit status (or -signal).
  int Wait(absl::Duration timeout);

 private:
  pid_t pid_ = -1;
};

struct HttpResult {
  long status = 0;
  std::string body;
  std::string content_type;
};

// Blocking libcurl request (tests only).
HttpResult Http(const std::string& method, const std::string& url,
                const std::string& body = "",
                const std::vector<std::string>& headers = {});

// Reads `{"k": N}` style integer fields from a small JSON file.
int ReadPort(const std::string& path, const std::string& key);

// Polls `fn` until it returns true or `timeout` passes.
bool WaitFor(const std::function<bool()>& fn, absl::Duration timeout,
             absl::Duration every = absl::Milliseconds(50));

// PNG width/height from the IHDR chunk, or {0,0}.
std::pair<int, int> PngSize(const std::string& bytes);

std::string BinaryPath(const std::string& name);  // "mediagw" or "mediagw-sim"
std::string SourceDir();                           // repo root

class Simulator {
 public:
  explicit Simulator(const std::string& dir, int step_ms = 20);
  std::string url() const { return url_; }
  // POST /_sim/faults with this JSON body.
  void Fault(const std::string& json);
  HttpResult Stats();

 private:
  std::unique_ptr<Process> proc_;
  std::string url_;
};

struct ServerOptions {
  int poll_interval_ms = 100;
  int deadline_seconds = 120;
  int max_active = 256;
  std::string extra_workflows;  // JSON objects appended to "workflows"
  std::string compat;  // the config's "compat" object (JSON), if any
  std::string accounts;  // the config's "accounts" object (JSON), if any
  std::string extra_api_keys;  // JSON objects appended to "api_keys"
  // Extra environment of the server (e.g. the admin key's variable).
  std::map<std::string, std::string> env;
  // Every provider and workflow wired to the simulator, written by
  // scripts/sim_config.py (as the demo does); extra_workflows is ignored.
  bool all_providers = false;
  // Upstream key variables to leave unset (e.g. "MEDIAGW_XAI_KEY").
  std::vector<std::string> unset_env;
  // Address both listeners bind (port 0), e.g. "::1"; ignored with
  // all_providers.
  std::string listen_host = "127.0.0.1";
  // server.shutdown_grace_ms when >= 0 (else the default); ignored with
  // all_providers.
  int shutdown_grace_ms = -1;
  // storage.sqlite_max_page_count when > 0; ignored with all_providers.
  int64_t sqlite_max_page_count = 0;
  // The price per output of workflow "default" when > 0 (accounts,
  // docs/ACCOUNTS.md); ignored with all_providers.
  int64_t default_price = 0;
};

// mediagw with a SQLite file and blob dir under `dir`, one ComfyUI channel on
// the simulator, workflows default/anime/z-image, and API key kKey.
class Server {
 public:
  static constexpr char kKey[] = "sk-e2e-test-key";
  static constexpr char kOtherKey[] = "sk-e2e-other-key";
  Server(const std::string& dir, const std::string& sim_url,
         ServerOptions options = {});
  void Start();
  void Kill9();
  int Stop();  // SIGTERM and wait; the exit status
  void Signal(int sig);
  // Waits for the process to exit: its exit status (or -signal), or a
  // -1000 if it is still running after `timeout`.
  int Wait(absl::Duration timeout);
  std::string rest() const { return rest_; }
  std::string grpc_addr() const { return grpc_addr_; }
  std::unique_ptr<v1::MediaService::Stub> Stub() const;
  std::string ConfigPath() const { return dir_ + "/mediagw.json"; }
  pid_t pid() const { return proc_ ? proc_->pid() : -1; }

 private:
  std::string dir_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<Process> proc_;
  std::string rest_;
  std::string grpc_addr_;
  std::string listen_host_ = "127.0.0.1";
  int starts_ = 0;
};

// A fresh temp dir per test, removed at the end.
std::string MakeTempDir();

// POST /v1/index.php?endpoint=<endpoint> with Server::kKey: the new task's
// id, or "" when the submit was refused (`reply`, if given, gets the answer).
std::string SubmitLegacy(const Server& server, const std::string& body,
                         const std::string& endpoint = "image_generation",
                         HttpResult* reply = nullptr);

// GetTask over gRPC with Server::kKey; an empty task when the call fails
// (`status`, if given, gets the call's status).
v1::Task GetTask(const Server& server, const std::string& id,
                 grpc::Status* status = nullptr);

// Polls GetTask until the task is in a terminal state or `timeout` passes;
// returns the task as last seen.
v1::Task WaitTerminal(const Server& server, const std::string& id,
                      absl::Duration timeout);

}  // namespace mediagw::e2e

#endif  // MEDIAGW_TESTS_INTEGRATION_E2E_HARNESS_H_
