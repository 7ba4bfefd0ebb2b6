// Loads and validates the service configuration (mediagw.config.Config,
// written as JSON). Errors are INVALID_ARGUMENT and name the offending field,
// e.g. "config: workflows[1].channels[0]: unknown channel 'foo'".
#ifndef MEDIAGW_COMMON_CONFIG_H_
#define MEDIAGW_COMMON_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "mediagw/config/config.pb.h"

namespace mediagw {

struct LoadedConfig {
  mediagw::config::Config config;  // defaults applied
  std::string base_dir;            // folder of the config file
};

// Parses `json_text`, applies defaults and validates. `base_dir` resolves
// relative paths (template files, data dir).
absl::StatusOr<LoadedConfig> ParseConfig(const std::string& json_text,
                                         const std::string& base_dir);

// Reads the file at `path`, then ParseConfig.
absl::StatusOr<LoadedConfig> LoadConfigFile(const std::string& path);

// Resolves an environment variable that holds a secret; NOT_FOUND names it.
absl::StatusOr<std::string> SecretFromEnv(const std::string& var);

}  // namespace mediagw

#endif  // MEDIAGW_COMMON_CONFIG_H_
