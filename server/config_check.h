// `mediagw --check_config`: checks a configuration file the way start-up
// loads it, without binding a port, opening the task store or touching the
// data folder, so a deployment (a rendered ConfigMap, a CI job) can be
// judged before it runs.
//
// Checked: the JSON against the schema, defaults and every validation rule
// of LoadConfigFile (channel files included), then each channel's provider is
// built as at start (ComfyUI templates read and compiled, declarative job
// specs compiled) with an HTTP client that never sends. Secrets are not
// needed where the check runs: an unset environment variable a key or a
// channel names is a note, not an error, while a set one that start-up would
// refuse (not UTF-8) is an error.
#ifndef MEDIAGW_SERVER_CONFIG_CHECK_H_
#define MEDIAGW_SERVER_CONFIG_CHECK_H_

#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mediagw {

// The notes (one line each, naming the field and the variable), or the
// first error: INVALID_ARGUMENT naming the field, NOT_FOUND for an
// unreadable file. Not thread-safe with respect to the environment.
absl::StatusOr<std::vector<std::string>> CheckConfigFile(
    const std::string& path);

// Runs CheckConfigFile and reports: "note: ..." lines and "config OK: path"
// on `out` and exit code 0, or "mediagw: <error>" on `err` and exit code 1.
int RunConfigCheck(const std::string& path, std::FILE* out, std::FILE* err);

}  // namespace mediagw

#endif  // MEDIAGW_SERVER_CONFIG_CHECK_H_
