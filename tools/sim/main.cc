// mediagw-sim: a ComfyUI-compatible server without a GPU, for the demo and
// the tests. Prints "sim listening on HOST:PORT" once serving and, with
// --ports-file, writes {"port": N} there. SIGINT/SIGTERM stop it cleanly.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "tools/sim/sim_server.h"

ABSL_FLAG(std::string, host, "127.0.0.1", "Address to listen on");
ABSL_FLAG(int, port, 0, "Port to listen on; 0 picks a free one");
ABSL_FLAG(std::string, ports_file, "",
          "If set, write {\"port\": N} to this file once listening");
ABSL_FLAG(int, step_ms, 50, "Latency of one sampler step in milliseconds");
ABSL_FLAG(int, start_ms, 50,
          "Delay in milliseconds between taking a job and its first event");
ABSL_FLAG(int, max_history, 1000, "History entries kept (with their files)");
ABSL_FLAG(int, threads, 2, "HTTP server threads");
ABSL_FLAG(std::string, api_key, "sim-key",
          "Bearer key the vendor APIs (xAI, OpenAI-style, kie, job APIs) accept");
ABSL_FLAG(std::string, webhook_hmac_key, "sim-webhook-key",
          "HMAC key that signs kie callbacks");

// Abseil flag names are identifiers; accept the documented dashed spelling
// (--ports-file, --step-ms) by rewriting the name part of each "--flag".
void DashesToUnderscores(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    char* arg = argv[i];
    if (std::strncmp(arg, "--", 2) != 0) continue;
    if (arg[2] == '\0') break;  // "--" ends the flags
    for (char* c = arg + 2; *c != '\0' && *c != '='; ++c) {
      if (*c == '-') *c = '_';
    }
  }
}

int main(int argc, char** argv) {
  DashesToUnderscores(argc, argv);
  absl::ParseCommandLine(argc, argv);

  // Block the stop signals before any thread starts so only sigwait sees
  // them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  mediagw::sim::SimOptions options;
  options.host = absl::GetFlag(FLAGS_host);
  options.port = absl::GetFlag(FLAGS_port);
  options.step_time = absl::Milliseconds(absl::GetFlag(FLAGS_step_ms));
  options.start_delay = absl::Milliseconds(absl::GetFlag(FLAGS_start_ms));
  options.max_history =
      static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_max_history)));
  options.threads = std::max(1, absl::GetFlag(FLAGS_threads));
  options.api_key = absl::GetFlag(FLAGS_api_key);
  options.webhook_hmac_key = absl::GetFlag(FLAGS_webhook_hmac_key);
  mediagw::sim::SimServer sim(options);
  absl::Status started = sim.Start();
  if (!started.ok()) {
    std::fprintf(stderr, "mediagw-sim: %s\n", started.ToString().c_str());
    return 1;
  }
  const std::string ports_file = absl::GetFlag(FLAGS_ports_file);
  if (!ports_file.empty()) {
    // Written to a temporary name and renamed, so a reader polling for the
    // file never sees it half written.
    const std::string tmp = ports_file + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << "{\"port\": " << sim.port() << "}\n";
      if (!out) {
        std::fprintf(stderr, "mediagw-sim: cannot write %s\n", tmp.c_str());
        return 1;
      }
    }
    if (std::rename(tmp.c_str(), ports_file.c_str()) != 0) {
      std::fprintf(stderr, "mediagw-sim: cannot write %s\n",
                   ports_file.c_str());
      return 1;
    }
  }
  std::printf("sim listening on %s:%d\n", options.host.c_str(), sim.port());
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::fprintf(stderr, "mediagw-sim: signal %d, stopping\n", signal_number);
  sim.Stop();
  return 0;
}
