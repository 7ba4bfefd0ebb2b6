// `mediagw-cli admin <call> ...`: one subcommand per
// mediagw.admin.v1.AdminService call (docs/API.md), printing the reply as
// one JSON line. The admin key comes from --admin_key=KEY, else from the
// environment variable MEDIAGW_ADMIN_KEY.
#ifndef MEDIAGW_TOOLS_CLI_ADMIN_COMMANDS_H_
#define MEDIAGW_TOOLS_CLI_ADMIN_COMMANDS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"

namespace mediagw::cli {

// The usage lines of the admin subcommands.
const char* AdminUsage();

// `args` starts after "admin" (the call and its operands); `flags` are the
// command line's --name=value flags. Exit status: 0 done, 1 the call
// failed (the status is printed to stderr), 2 bad usage.
int RunAdmin(const std::vector<std::string>& args,
             const std::map<std::string, std::string>& flags,
             const std::shared_ptr<grpc::Channel>& channel);

}  // namespace mediagw::cli

#endif  // MEDIAGW_TOOLS_CLI_ADMIN_COMMANDS_H_
