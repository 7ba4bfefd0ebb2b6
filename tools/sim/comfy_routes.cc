#include "tools/sim/comfy_routes.h"

#include <algorithm>
#include <utility>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "tools/sim/comfy_codec.h"
#include "tools/sim/comfy_prompt_codec.h"
#include "tools/sim/control_codec.h"
#include "tools/sim/multipart.h"

namespace mediagw::sim {
namespace {

using net::ServerRequest;
using net::ServerResponse;

constexpr absl::string_view kJson = "application/json";

ServerResponse Json(int status, std::string body) {
  ServerResponse r;
  r.status = status;
  r.content_type = std::string(kJson);
  r.body = std::move(body);
  return r;
}

// aiohttp's plain answers, which real ComfyUI clients see for unknown paths.
ServerResponse Text(int status, std::string body) {
  ServerResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

ServerResponse NotFound() { return Text(404, "404: Not Found"); }
ServerResponse MethodNotAllowed() {
  return Text(405, "405: Method Not Allowed");
}

bool IsJson(const ServerResponse& r) {
  return absl::StartsWith(r.content_type, kJson);
}

// "name.png [input]" -> ("name.png", "input"); ComfyUI's annotated paths.
std::pair<std::string, std::string> SplitAnnotation(absl::string_view name,
                                                    absl::string_view dflt) {
  for (absl::string_view type : {"input", "output", "temp"}) {
    const std::string suffix = absl::StrCat(" [", type, "]");
    if (absl::EndsWith(name, suffix)) {
      return {std::string(name.substr(0, name.size() - suffix.size())),
              std::string(type)};
    }
  }
  return {std::string(name), std::string(dflt)};
}

std::pair<std::string, std::string> SplitSubfolder(absl::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == absl::string_view::npos) return {"", std::string(path)};
  return {std::string(path.substr(0, slash)),
          std::string(path.substr(slash + 1))};
}

}  // namespace

ComfyRoutes::ComfyRoutes(ComfyEngine* engine, FileStore* files,
                         FaultRegistry* faults, WsHub* hub,
                         Executor* slow_executor)
    : engine_(engine),
      files_(files),
      faults_(faults),
      hub_(hub),
      slow_executor_(slow_executor) {}

void ComfyRoutes::Handle(ServerRequest request,
                         std::shared_ptr<net::ResponseWriter> writer) {
  if (absl::StartsWith(request.path, "/_sim/")) {
    writer->Send(Control(request));
    return;
  }
  faults_->CountRequest(request.path);
  VendorRoutes* vendor = nullptr;
  for (VendorRoutes* v : vendors_) {
    if (absl::StartsWith(request.path, absl::StrCat(v->Prefix(), "/"))) {
      vendor = v;
      break;
    }
  }
  if (std::optional<FaultSpec> fault =
          faults_->TakeRequestFault(request.method, request.path)) {
    const int status =
        fault->mode == FaultMode::kHttpStatus ? fault->status : 500;
    switch (fault->mode) {
      case FaultMode::kDropConnection:
        writer->Abort();
        return;
      case FaultMode::kRejectPrompt:
        writer->Send(Json(400, InvalidPromptBody(
                                   "Prompt rejected by fault injection")));
        return;
      default:
        if (vendor != nullptr) {
          writer->Send(vendor->ErrorResponse(status, "simulated failure"));
        } else {
          writer->Send(Json(status, PlainErrorJson(
                                        "simulated internal server error")));
        }
        return;
    }
  }
  absl::string_view path = request.path;
  std::optional<ServerResponse> response;
  if (vendor != nullptr) {
    path.remove_prefix(vendor->Prefix().size());
    response = vendor->Route(request, path, writer);
  } else {
    // Newer ComfyUI serves every route under /api as well.
    if (absl::StartsWith(path, "/api/")) path.remove_prefix(4);
    response = Route(request, path, writer);
  }
  if (!response.has_value()) return;
  if (std::optional<FaultSpec> fault =
          faults_->TakeResponseFault(request.path, IsJson(*response))) {
    if (fault->mode == FaultMode::kMalformedJson) {
      response->status = 200;
      // Cutting the document in half always leaves an unclosed container.
      response->body.resize(response->body.size() / 2);
      if (response->body.empty()) response->body = "{\"";
    } else {
      SendSlowly(std::move(writer), *std::move(response), fault->slow_ms);
      return;
    }
  }
  writer->Send(*std::move(response));
}

std::optional<ServerResponse> ComfyRoutes::Route(
    const ServerRequest& request, absl::string_view path,
    const std::shared_ptr<net::ResponseWriter>& writer) {
  const bool get = request.method == "GET" || request.method == "HEAD";
  const bool post = request.method == "POST";
  if (path == "/prompt") {
    if (get) return Json(200, PromptInfoJson(engine_->QueueRemaining()));
    if (post) return PostPrompt(request);
    return MethodNotAllowed();
  }
  if (path == "/queue") {
    if (get) {
      ComfyEngine::QueueView q = engine_->Queue();
      return Json(200, QueueJson(q.running, q.pending));
    }
    if (post) return PostQueue(request);
    return MethodNotAllowed();
  }
  if (path == "/history") {
    if (get) return GetHistory(request, "");
    if (post) return PostHistory(request);
    return MethodNotAllowed();
  }
  if (absl::StartsWith(path, "/history/")) {
    if (!get) return MethodNotAllowed();
    return GetHistory(request, path.substr(9));
  }
  if (path == "/interrupt") {
    return post ? PostInterrupt(request) : MethodNotAllowed();
  }
  if (path == "/view") return get ? GetView(request) : MethodNotAllowed();
  if (path == "/upload/image") {
    return post ? UploadImage(request) : MethodNotAllowed();
  }
  if (path == "/ws") return OpenWebSocket(request, writer);
  if (!get) return NotFound();
  if (path == "/system_stats") return Json(200, SystemStatsJson());
  if (path == "/object_info") return Json(200, ObjectInfoJson(std::nullopt));
  if (absl::StartsWith(path, "/object_info/")) {
    return Json(200, ObjectInfoJson(path.substr(13)));
  }
  if (path == "/features") {
    return Json(200,
                R"({"supports_preview_metadata":false,"max_upload_size":)"
                R"(67108864})");
  }
  if (path == "/embeddings" || path == "/extensions") return Json(200, "[]");
  if (path == "/models") return Json(200, R"(["checkpoints","vae","loras"])");
  return NotFound();
}

ServerResponse ComfyRoutes::PostPrompt(const ServerRequest& request) {
  auto parsed = ParsePromptRequest(
      request.body, [this](absl::string_view name) { return InputExists(name); });
  if (auto* rejection = std::get_if<PromptRejection>(&parsed)) {
    return Json(400, std::move(rejection->body));
  }
  ParsedPrompt& prompt = std::get<ParsedPrompt>(parsed);
  // The positive prompt names the job across resubmits even when the
  // client picks a new prompt_id; a graph without one falls back to the id.
  std::string submit_key = prompt.positive;
  const bool keyed_by_id = submit_key.empty();
  ComfyEngine::Submitted s = engine_->Submit(std::move(prompt));
  faults_->CountJob(s.prompt_id);
  faults_->CountSubmit("comfyui", keyed_by_id ? s.prompt_id : submit_key);
  return Json(200, PromptAcceptedJson(s.prompt_id, s.number));
}

ServerResponse ComfyRoutes::PostQueue(const ServerRequest& request) {
  absl::StatusOr<QueueAction> action = ParseQueueAction(request.body);
  if (!action.ok()) return Json(400, PlainErrorJson(action.status().message()));
  if (action->clear) engine_->ClearPending();
  if (!action->delete_ids.empty()) engine_->DeletePending(action->delete_ids);
  return Text(200, "");
}

ServerResponse ComfyRoutes::PostHistory(const ServerRequest& request) {
  absl::StatusOr<QueueAction> action = ParseHistoryAction(request.body);
  if (!action.ok()) return Json(400, PlainErrorJson(action.status().message()));
  if (action->clear) engine_->ClearHistory();
  if (!action->delete_ids.empty()) engine_->DeleteHistory(action->delete_ids);
  return Text(200, "");
}

ServerResponse ComfyRoutes::PostInterrupt(const ServerRequest& request) {
  absl::StatusOr<std::optional<std::string>> id = ParseInterrupt(request.body);
  if (!id.ok()) return Json(400, PlainErrorJson(id.status().message()));
  engine_->Interrupt(*id);
  return Text(200, "");
}

ServerResponse ComfyRoutes::GetHistory(const ServerRequest& request,
                                       absl::string_view id) {
  if (!id.empty()) {
    std::optional<JobRecord> job = engine_->History(id);
    if (!job.has_value()) return Json(200, "{}");
    return Json(200, HistoryJson({*job}));
  }
  std::optional<int64_t> max_items;
  if (std::optional<std::string> raw = request.QueryParam("max_items")) {
    int64_t n = 0;
    if (absl::SimpleAtoi(*raw, &n)) max_items = n;
  }
  return Json(200, HistoryJson(engine_->HistoryAll(max_items)));
}

ServerResponse ComfyRoutes::GetView(const ServerRequest& request) {
  std::optional<std::string> raw_name = request.QueryParam("filename");
  if (!raw_name.has_value()) return NotFound();
  auto [filename, type] = SplitAnnotation(
      *raw_name, request.QueryParam("type").value_or("output"));
  const std::string subfolder = request.QueryParam("subfolder").value_or("");
  // ComfyUI answers 400 for an escaping filename and 403 for a subfolder
  // outside its root.
  if (filename.empty() || filename.find('/') != std::string::npos ||
      IsUnsafeRelativePath(filename)) {
    return Text(400, "400: Bad Request");
  }
  if (IsUnsafeRelativePath(subfolder)) return Text(403, "403: Forbidden");
  if (type != "output" && type != "input" && type != "temp") {
    return Text(400, "400: Bad Request");
  }
  std::optional<StoredFile> file = files_->Get(type, subfolder, filename);
  if (!file.has_value()) return NotFound();
  ServerResponse r;
  r.content_type = file->content_type;
  r.headers.emplace_back("Content-Disposition",
                         absl::StrCat("filename=\"", filename, "\""));
  r.body = std::move(file->bytes);
  return r;
}

ServerResponse ComfyRoutes::UploadImage(const ServerRequest& request) {
  absl::StatusOr<std::string> boundary =
      MultipartBoundary(request.Header("content-type"));
  if (!boundary.ok()) return Text(400, std::string(boundary.status().message()));
  absl::StatusOr<std::vector<FormPart>> parts =
      ParseMultipart(request.body, *boundary);
  if (!parts.ok()) return Text(400, std::string(parts.status().message()));
  const FormPart* image = nullptr;
  bool overwrite = false;
  std::string subfolder;
  std::string type = "input";
  for (const FormPart& part : *parts) {
    if (part.name == "image") image = &part;
    if (part.name == "overwrite") {
      std::string v = absl::AsciiStrToLower(part.body);
      overwrite = v == "true" || v == "1";
    }
    if (part.name == "subfolder") subfolder = part.body;
    if (part.name == "type" && !part.body.empty()) type = part.body;
  }
  if (image == nullptr || !image->filename.has_value() ||
      image->filename->empty() || image->body.empty()) {
    return Text(400, "400: Bad Request");
  }
  if (type != "input" && type != "temp" && type != "output") {
    return Text(400, "400: Bad Request");
  }
  const std::string& filename = *image->filename;
  if (filename.find('/') != std::string::npos ||
      IsUnsafeRelativePath(filename) || IsUnsafeRelativePath(subfolder)) {
    return Text(400, "400: Bad Request");
  }
  std::string content_type =
      image->content_type.empty() ? "image/png" : image->content_type;
  const std::string name = files_->PutUnique(
      type, subfolder, filename, overwrite, {content_type, image->body});
  return Json(200, UploadResultJson(name, subfolder, type));
}

std::optional<ServerResponse> ComfyRoutes::OpenWebSocket(
    const ServerRequest& request,
    const std::shared_ptr<net::ResponseWriter>& writer) {
  std::string sid = request.QueryParam("clientId").value_or("");
  if (sid.empty()) {
    sid = NewUuid();
    sid.erase(std::remove(sid.begin(), sid.end(), '-'), sid.end());
  }
  net::WebSocketCallbacks callbacks;
  callbacks.on_open = [this, sid](std::shared_ptr<net::WebSocketSession> ws) {
    hub_->Add(sid, ws);
    ws->SendText(StatusMessage(engine_->QueueRemaining(), sid));
    if (auto current = engine_->CurrentNodeFor(sid)) {
      ws->SendText(ExecutingMessage(current->node_id, current->prompt_id));
    }
  };
  callbacks.on_text = [](std::shared_ptr<net::WebSocketSession>, std::string) {
  };
  callbacks.on_close = [this](std::shared_ptr<net::WebSocketSession> ws) {
    hub_->Remove(ws.get());
  };
  absl::Status accepted = writer->AcceptWebSocket(std::move(callbacks));
  if (!accepted.ok()) return Text(400, "Expected a websocket upgrade");
  return std::nullopt;
}

void ComfyRoutes::SendSlowly(std::shared_ptr<net::ResponseWriter> writer,
                             ServerResponse response, int slow_ms) {
  slow_executor_->Schedule([writer = std::move(writer),
                            response = std::move(response), slow_ms]() {
    constexpr int kChunks = 10;
    HttpHeaders headers = response.headers;
    headers.emplace_back("Content-Type", response.content_type);
    writer->StartStream(response.status, std::move(headers));
    const size_t size = response.body.size();
    for (int i = 0; i < kChunks; ++i) {
      absl::SleepFor(absl::Milliseconds(slow_ms) / kChunks);
      const size_t begin = size * i / kChunks;
      const size_t end = size * (i + 1) / kChunks;
      if (end > begin) writer->Write(response.body.substr(begin, end - begin));
    }
    writer->End();
  });
}

bool ComfyRoutes::InputExists(absl::string_view annotated_name) const {
  auto [path, type] = SplitAnnotation(annotated_name, "input");
  auto [subfolder, name] = SplitSubfolder(path);
  return files_->Exists(type, subfolder, name);
}

ServerResponse ComfyRoutes::Control(const ServerRequest& request) {
  if (request.path == "/_sim/faults") {
    if (request.method == "POST") {
      absl::StatusOr<FaultSpec> spec = ParseFaultRequest(request.body);
      if (!spec.ok()) {
        return Json(400, PlainErrorJson(spec.status().message()));
      }
      faults_->Add(*std::move(spec));
      return Json(200, FaultAcceptedJson(faults_->Stats().faults_pending));
    }
    if (request.method == "DELETE") {
      faults_->Clear();
      return Json(200, FaultAcceptedJson(0));
    }
    return MethodNotAllowed();
  }
  if (request.path == "/_sim/stats") {
    return request.method == "GET" ? Json(200, StatsJson(faults_->Stats()))
                                   : MethodNotAllowed();
  }
  if (request.path == "/_sim/submits") {
    return request.method == "GET" ? Json(200, SubmitsJson(faults_->Submits()))
                                   : MethodNotAllowed();
  }
  return NotFound();
}

}  // namespace mediagw::sim
