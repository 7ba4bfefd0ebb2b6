// mediagw-cli: a small gRPC client for mediagw.v1.MediaService.
//
//   mediagw-cli --addr=HOST:PORT --key=KEY submit --prompt=TEXT [--workflow=W]
//       [--width=N --height=N --steps=N --seed=N] [--wait] [--out=FILE.png]
//   mediagw-cli --addr=HOST:PORT --key=KEY get ID
//   mediagw-cli --addr=HOST:PORT --key=KEY watch ID
//   mediagw-cli --addr=HOST:PORT --key=KEY cancel ID
//   mediagw-cli --addr=HOST:PORT --key=KEY list [--state=SUCCEEDED]
//   mediagw-cli --addr=HOST:PORT --key=KEY account
//   mediagw-cli --addr=HOST:PORT [--admin_key=KEY] admin <call> ...
//     (one call per AdminService method; tools/cli/admin_commands.h)
//
// Prints tasks as JSON lines. With --wait, follows StreamTask until the task
// ends; with --out, downloads the first output there. Exit status: 0 on
// success, 1 if the task did not succeed or a call failed, 2 on bad usage.
#include <curl/curl.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "mediagw/v1/media.grpc.pb.h"
#include "tools/cli/admin_commands.h"

namespace {

using mediagw::v1::MediaService;

std::string Json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

int Usage() {
  std::fprintf(stderr,
               "usage: mediagw-cli --addr=HOST:PORT --key=KEY "
               "(submit --prompt=T [--workflow=W] [--width=N] [--height=N] "
               "[--steps=N] [--seed=N] [--wait] [--out=F] | get ID | watch ID "
               "| cancel ID | list [--state=S] | account)\n"
               "       mediagw-cli --addr=HOST:PORT [--admin_key=KEY] admin "
               "<call>:\n%s",
               mediagw::cli::AdminUsage());
  return 2;
}

int Fail(const grpc::Status& st) {
  std::fprintf(stderr, "error: %d %s\n", static_cast<int>(st.error_code()),
               st.error_message().c_str());
  return 1;
}

size_t WriteToString(char* p, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, size * n);
  return size * n;
}

bool Download(const std::string& url, const std::string& path) {
  CURL* curl = curl_easy_init();
  std::string body;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteToString);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    std::fprintf(stderr, "download %s: %s\n", url.c_str(), curl_easy_strerror(rc));
    return false;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(body.data(), static_cast<std::streamsize>(body.size()));
  return static_cast<bool>(out);
}

// Follows the task until it ends; returns the last task seen.
grpc::Status Watch(MediaService::Stub& stub, const std::string& key,
                   const std::string& id, mediagw::v1::Task* last) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-api-key", key);
  mediagw::v1::StreamTaskRequest req;
  req.set_id(id);
  auto reader = stub.StreamTask(&ctx, req);
  mediagw::v1::TaskEvent ev;
  while (reader->Read(&ev)) {
    *last = ev.task();
    std::printf("%s\n", Json(ev.task()).c_str());
    std::fflush(stdout);
  }
  return reader->Finish();
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (absl::StartsWith(a, "--")) {
      auto eq = a.find('=');
      flags[a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2)] =
          eq == std::string::npos ? "true" : a.substr(eq + 1);
    } else {
      args.push_back(a);
    }
  }
  if (args.empty() || !flags.count("addr")) return Usage();
  const std::string key = flags["key"];
  auto channel = grpc::CreateChannel(flags["addr"], grpc::InsecureChannelCredentials());
  auto stub = MediaService::NewStub(channel);
  const std::string& cmd = args[0];
  if (cmd == "admin") {
    return mediagw::cli::RunAdmin({args.begin() + 1, args.end()}, flags,
                                  channel);
  }
  if (cmd == "account" && args.size() == 1) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", key);
    mediagw::v1::Account account;
    grpc::Status st =
        stub->GetAccount(&ctx, mediagw::v1::GetAccountRequest(), &account);
    if (!st.ok()) return Fail(st);
    std::printf("%s\n", Json(account).c_str());
    return 0;
  }

  if (cmd == "submit") {
    mediagw::v1::SubmitImageRequest req;
    req.set_prompt(flags["prompt"]);
    if (flags.count("workflow")) req.set_workflow(flags["workflow"]);
    int64_t v;
    if (flags.count("width") && absl::SimpleAtoi(flags["width"], &v)) req.set_width(static_cast<int32_t>(v));
    if (flags.count("height") && absl::SimpleAtoi(flags["height"], &v)) req.set_height(static_cast<int32_t>(v));
    if (flags.count("steps") && absl::SimpleAtoi(flags["steps"], &v)) req.set_steps(static_cast<int32_t>(v));
    if (flags.count("seed") && absl::SimpleAtoi(flags["seed"], &v)) req.set_seed(v);
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", key);
    mediagw::v1::Task task;
    grpc::Status st = stub->SubmitImage(&ctx, req, &task);
    if (!st.ok()) return Fail(st);
    std::printf("%s\n", Json(task).c_str());
    std::fflush(stdout);
    if (!flags.count("wait") && !flags.count("out")) return 0;
    mediagw::v1::Task last;
    st = Watch(*stub, key, task.id(), &last);
    if (!st.ok()) return Fail(st);
    if (last.state() != mediagw::v1::TASK_STATE_SUCCEEDED) return 1;
    if (flags.count("out")) {
      if (last.outputs_size() == 0 || !Download(last.outputs(0).uri(), flags["out"])) return 1;
    }
    return 0;
  }
  if ((cmd == "get" || cmd == "watch" || cmd == "cancel") && args.size() == 2) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", key);
    mediagw::v1::Task task;
    grpc::Status st;
    if (cmd == "get") {
      mediagw::v1::GetTaskRequest req;
      req.set_id(args[1]);
      st = stub->GetTask(&ctx, req, &task);
    } else if (cmd == "cancel") {
      mediagw::v1::CancelTaskRequest req;
      req.set_id(args[1]);
      st = stub->CancelTask(&ctx, req, &task);
    } else {
      st = Watch(*stub, key, args[1], &task);
      return st.ok() ? 0 : Fail(st);
    }
    if (!st.ok()) return Fail(st);
    std::printf("%s\n", Json(task).c_str());
    return 0;
  }
  if (cmd == "list") {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", key);
    mediagw::v1::ListTasksRequest req;
    if (flags.count("state")) {
      mediagw::v1::TaskState s;
      if (!mediagw::v1::TaskState_Parse("TASK_STATE_" + flags["state"], &s)) return Usage();
      req.add_states(s);
    }
    mediagw::v1::ListTasksResponse resp;
    grpc::Status st = stub->ListTasks(&ctx, req, &resp);
    if (!st.ok()) return Fail(st);
    std::printf("%s\n", Json(resp).c_str());
    return 0;
  }
  return Usage();
}
