// Fuzzes common/config ParseConfig (service configuration JSON). It reads
// no files, so any text is safe to feed it. Property: a config it accepts
// is accepted again after a second pass (validation is deterministic).
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/config.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  const std::string text(fuzz::AsView(data, size));
  auto loaded = ParseConfig(text, "/etc/mediagw");
  if (loaded.ok()) {
    FUZZ_CHECK(loaded->base_dir == "/etc/mediagw");
    auto elsewhere = ParseConfig(text, "/srv/mg");
    FUZZ_CHECK(elsewhere.ok());
  } else {
    FUZZ_CHECK(loaded.status().code() == absl::StatusCode::kInvalidArgument);
  }
  return 0;
}
