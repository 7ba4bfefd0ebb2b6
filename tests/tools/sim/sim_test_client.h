// Test helpers: a blocking libcurl HTTP call and a small Boost.Beast
// websocket client, both bounded in time, for talking to the simulator.
#ifndef MEDIAGW_TESTS_TOOLS_SIM_SIM_TEST_CLIENT_H_
#define MEDIAGW_TESTS_TOOLS_SIM_SIM_TEST_CLIENT_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mediagw::sim::testing {

struct HttpResult {
  bool transport_ok = false;  // false: connection failed, reset, timed out
  std::string error;          // curl's message when !transport_ok
  long status = 0;
  std::string content_type;
  std::string body;
  absl::Duration elapsed;
};

HttpResult HttpCall(absl::string_view method, absl::string_view url,
                    absl::string_view body = "",
                    absl::string_view content_type = "application/json",
                    absl::Duration timeout = absl::Seconds(10));

class WsClient {
 public:
  WsClient();
  ~WsClient();
  // Connects to ws://127.0.0.1:port{target}; false on failure.
  bool Connect(int port, absl::string_view target);
  // Next text frame, or nullopt after `timeout` or on error.
  std::optional<std::string> Read(absl::Duration timeout = absl::Seconds(10));
  // Reads frames until one has JSON "type" == `type` (returned) or timeout.
  // Frames read on the way are appended to `seen` when given.
  std::optional<std::string> ReadUntilType(
      absl::string_view type, absl::Duration timeout = absl::Seconds(10),
      std::vector<std::string>* seen = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mediagw::sim::testing

#endif  // MEDIAGW_TESTS_TOOLS_SIM_SIM_TEST_CLIENT_H_
