#include "providers/comfyui/comfyui_flow.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "common/status_mapping.h"
#include "common/utf8.h"
#include "providers/comfyui/comfyui_outputs.h"
#include "providers/comfyui/comfyui_upload_codec.h"

namespace mediagw::comfyui {
namespace {

constexpr absl::string_view kProvider = "comfyui";
// Queue probes only rank servers: a slow member must not hold up a submit.
constexpr absl::Duration kMaxProbeTimeout = absl::Seconds(5);
// Outputs (videos especially) and input images can be much larger than
// API replies.
constexpr absl::Duration kMinTransferTimeout = absl::Minutes(2);
constexpr int kBoundaryAttempts = 4;
constexpr int kMaxCancelRounds = 3;

bool Is2xx(int status) { return status >= 200 && status < 300; }

absl::Status HttpError(const HttpResponse& r) {
  return WithRetryAfter(UpstreamHttpToStatus(r.status, kProvider,
                                             SanitizeUpstreamText(r.body, 200)),
                        r.status, r.headers, absl::Now());
}

PollResult StateOnly(UpstreamState state, double progress = 0) {
  PollResult r;
  r.state = state;
  r.progress = progress;
  return r;
}

}  // namespace

struct Flow::Prepared {
  const WorkflowTemplate* tmpl = nullptr;  // null for a raw workflow_json
  mediagw::v1::SubmitImageRequest request;
  std::string workflow;  // rendered with `image_value` in the image slot
  // Set when the template reads an input image.
  std::string image_value;  // LoadImage's value if the server keeps our name
  std::string upload_body;
  std::string upload_content_type;
};

struct Flow::LocateState {
  std::vector<std::string> servers;
  std::string id;
  size_t next = 0;
  bool strict = true;  // an unanswered server fails the search
  absl::Status error;  // last failure to ask a server
  LocateDone done;
};

Flow::Flow(Config config, HttpClient* http)
    : config_(std::move(config)), http_(http) {}

ProviderLimits Flow::LimitsFor(absl::string_view workflow) const {
  ProviderLimits limits;
  limits.accepts_workflow_json = true;
  auto it = config_.templates.find(workflow);
  if (it != config_.templates.end() && !it->second.HasSlot("batch")) {
    limits.max_outputs = 1;
  }
  return limits;
}

Flow::PreparedPtr Flow::Prepare(const TaskRecord& record,
                                const SubmitContext& context) const {
  auto p = std::make_shared<Prepared>();
  const auto& request = record.request();
  const bool video = record.task().kind() == mediagw::v1::TASK_KIND_VIDEO;
  if (!request.workflow_json().empty() && !video) {
    MG_ASSIGN_OR_RETURN(p->workflow,
                        ValidateRawWorkflow(request.workflow_json()));
    return p;
  }
  std::string name = record.task().workflow();
  if (name.empty()) name = request.workflow();
  if (name.empty()) name = "default";
  auto it = config_.templates.find(name);
  if (it == config_.templates.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "channel '", config_.channel_name, "' has no workflow '", name, "'"));
  }
  p->tmpl = &it->second;
  p->request = request;
  if (p->tmpl->HasSlot("image")) {
    if (context.input_image.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("task ", record.task().id(), " has no input image for ",
                       "workflow '", name, "'"));
    }
    ImageUpload upload;
    upload.filename = UploadFilename(
        record.task().id(), context.input_mime_type, context.input_name);
    upload.subfolder = std::string(kUploadSubfolder);
    upload.mime_type = context.input_mime_type;
    std::string boundary;
    for (int i = 0; i < kBoundaryAttempts && boundary.empty(); ++i) {
      std::string candidate = absl::StrCat("mediagw-", NewUuid());
      if (BoundaryFits(context.input_image, candidate)) boundary = candidate;
    }
    if (boundary.empty()) {
      return absl::InternalError("no multipart boundary fits the input image");
    }
    p->upload_body = BuildUploadBody(upload, context.input_image, boundary);
    p->upload_content_type = UploadContentType(boundary);
    p->image_value =
        LoadImageValue({upload.filename, upload.subfolder, "input"});
  } else if (video) {
    return absl::InvalidArgumentError(absl::StrCat(
        "workflow '", name, "' has no image slot for the video's input image"));
  }
  MG_ASSIGN_OR_RETURN(p->workflow,
                      RenderWorkflow(*p->tmpl, request, p->image_value));
  return p;
}

HttpRequest Flow::Get(const std::string& url, absl::Duration timeout) const {
  HttpRequest r;
  r.method = "GET";
  r.url = url;
  r.timeout = timeout;
  r.connect_timeout = std::min(timeout, absl::Seconds(5));
  return r;
}

HttpRequest Flow::PostJson(const std::string& url, std::string body) const {
  HttpRequest r = Get(url, config_.request_timeout);
  r.method = "POST";
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

std::vector<std::string> Flow::ServersFor(const TaskRecord& record) const {
  auto server = ParseProviderState(record.provider_state());
  if (!server.ok()) {
    MG_LOG(Warning, "task ", record.task().id(), ": ",
           server.status().message(), "; searching the whole pool");
  } else if (!server->empty()) {
    return {*server};
  }
  return config_.servers;
}

void Flow::FetchHistory(
    const std::string& server, const std::string& id,
    std::function<void(absl::StatusOr<HistoryEntry>)> done) {
  http_->Send(Get(absl::StrCat(server, "/history/", UrlEncode(id)),
                  config_.request_timeout),
              [id, done = std::move(done)](absl::StatusOr<HttpResponse> r) {
                if (!r.ok()) return done(r.status());
                if (!Is2xx(r->status)) return done(HttpError(*r));
                done(ParseHistory(r->body, id));
              });
}

void Flow::FetchQueue(const std::string& server,
                      std::function<void(absl::StatusOr<QueueSnapshot>)> done) {
  http_->Send(Get(absl::StrCat(server, "/queue"),
                  std::min(config_.request_timeout, kMaxProbeTimeout)),
              [done = std::move(done)](absl::StatusOr<HttpResponse> r) {
                if (!r.ok()) return done(r.status());
                if (!Is2xx(r->status)) return done(HttpError(*r));
                done(ParseQueue(r->body));
              });
}

void Flow::PostExpectOk(const std::string& url, std::string body,
                        StatusDone done) {
  http_->Send(PostJson(url, std::move(body)),
              [done = std::move(done)](absl::StatusOr<HttpResponse> r) {
                if (!r.ok()) return done(r.status());
                done(Is2xx(r->status) ? absl::OkStatus() : HttpError(*r));
              });
}

void Flow::Submit(const TaskRecord& record, const SubmitContext& context,
                  SubmitDone done) {
  PreparedPtr prepared = Prepare(record, context);
  if (record.attempts() > 1 && !record.upstream_id().empty()) {
    // A retry keeps its prompt_id; an earlier attempt that timed out may
    // still have reached some member of the pool, so look before sending.
    return LocateThenSubmit(record, std::move(prepared), /*strict=*/false,
                            std::move(done));
  }
  SubmitFresh(record, std::move(prepared), std::move(done));
}

void Flow::SubmitFresh(const TaskRecord& record, PreparedPtr prepared,
                       SubmitDone done) {
  if (!prepared.ok()) return done(prepared.status());
  std::string prompt_id =
      record.upstream_id().empty() ? NewUuid() : record.upstream_id();
  PickServer([self = shared_from_this(), prepared = *std::move(prepared),
              prompt_id = std::move(prompt_id),
              done = std::move(done)](absl::StatusOr<std::string> server) {
    if (!server.ok()) return done(server.status());
    self->SendPrepared(*server, prepared, prompt_id, done);
  });
}

// The input image goes to the server that will run the prompt; LoadImage
// is validated when the prompt is queued, so the upload must come first.
void Flow::SendPrepared(const std::string& server,
                        std::shared_ptr<const Prepared> prepared,
                        const std::string& prompt_id, SubmitDone done) {
  if (prepared->upload_body.empty()) {
    return PostPrompt(server, prepared->workflow, prompt_id, std::move(done));
  }
  Upload(
      server, *prepared,
      [self = shared_from_this(), server, prompt_id, prepared,
       done = std::move(done)](absl::StatusOr<std::string> value) {
        if (!value.ok()) {
          self->Release(server);
          return done(value.status());
        }
        if (*value == prepared->image_value) {
          return self->PostPrompt(server, prepared->workflow, prompt_id, done);
        }
        // The server stored it under another name or folder.
        auto graph = RenderWorkflow(*prepared->tmpl, prepared->request, *value);
        if (!graph.ok()) {
          self->Release(server);
          return done(graph.status());
        }
        self->PostPrompt(server, *graph, prompt_id, done);
      });
}

void Flow::Upload(const std::string& server, const Prepared& prepared,
                  std::function<void(absl::StatusOr<std::string>)> done) {
  uploads_.fetch_add(1);
  HttpRequest r = Get(absl::StrCat(server, "/upload/image"),
                      std::max(config_.request_timeout, kMinTransferTimeout));
  r.method = "POST";
  r.headers.emplace_back("Content-Type", prepared.upload_content_type);
  r.body = prepared.upload_body;
  http_->Send(std::move(r),
              [done = std::move(done)](absl::StatusOr<HttpResponse> resp) {
                if (!resp.ok()) return done(resp.status());
                auto image = ParseUploadResponse(resp->status, resp->body);
                if (!image.ok()) return done(image.status());
                done(LoadImageValue(*image));
              });
}

bool Flow::Admit(const std::string& server) {
  return config_.breakers == nullptr ||
         config_.breakers->AdmitUpstream(config_.channel_name, server);
}

void Flow::Report(const std::string& server, const absl::Status& outcome) {
  if (config_.breakers != nullptr) {
    config_.breakers->RecordUpstream(config_.channel_name, server, outcome);
  }
}

void Flow::PickServer(ServerDone done) {
  const std::vector<std::string>& servers = config_.servers;
  if (servers.size() == 1) {
    Choose({size_t{0}}, absl::OkStatus(), done);
    return;
  }
  // Ejected members get neither a queue probe nor the task; a half-open
  // one gets the probe, and its answer decides for its breaker.
  std::vector<size_t> admitted;
  for (size_t i = 0; i < servers.size(); ++i) {
    if (Admit(servers[i])) admitted.push_back(i);
  }
  if (admitted.empty()) {
    return done(absl::UnavailableError(
        absl::StrCat("every comfyui server of channel '", config_.channel_name,
                     "' is ejected by its circuit breaker")));
  }
  struct Probe {
    absl::Mutex mu;
    size_t remaining ABSL_GUARDED_BY(mu) = 0;
    std::vector<std::optional<size_t>> depths ABSL_GUARDED_BY(mu);
    absl::Status last_error ABSL_GUARDED_BY(mu);
  };
  auto probe = std::make_shared<Probe>();
  {
    absl::MutexLock lock(&probe->mu);
    probe->remaining = admitted.size();
    probe->depths.resize(servers.size());
  }
  for (size_t i : admitted) {
    FetchQueue(servers[i], [self = shared_from_this(), probe, i,
                            done](absl::StatusOr<QueueSnapshot> q) {
      self->Report(self->config_.servers[i], q.status());
      std::vector<std::optional<size_t>> depths;
      absl::Status last_error;
      {
        absl::MutexLock lock(&probe->mu);
        if (q.ok()) {
          probe->depths[i] = q->Depth();
        } else {
          probe->last_error = q.status();
        }
        if (--probe->remaining > 0) return;
        depths = probe->depths;
        last_error = probe->last_error;
      }
      self->Choose(depths, last_error, done);
    });
  }
}

void Flow::Choose(const std::vector<std::optional<size_t>>& depths,
                  const absl::Status& last_error, const ServerDone& done) {
  std::string chosen;
  {
    absl::MutexLock lock(&mu_);
    std::vector<size_t> best;
    size_t best_depth = std::numeric_limits<size_t>::max();
    for (size_t i = 0; i < depths.size(); ++i) {
      if (!depths[i].has_value()) continue;
      size_t depth = *depths[i] + in_flight_[config_.servers[i]];
      if (depth < best_depth) {
        best_depth = depth;
        best.clear();
      }
      if (depth == best_depth) best.push_back(i);
    }
    if (!best.empty()) {
      chosen = config_.servers[best[round_robin_++ % best.size()]];
      ++in_flight_[chosen];
    }
  }
  if (chosen.empty()) {
    return done(absl::UnavailableError(
        absl::StrCat("no comfyui server of channel '", config_.channel_name,
                     "' is reachable: ", last_error.message())));
  }
  done(chosen);
}

void Flow::Release(const std::string& server) {
  absl::MutexLock lock(&mu_);
  auto it = in_flight_.find(server);
  if (it != in_flight_.end() && it->second > 0) --it->second;
}

void Flow::PostPrompt(const std::string& server, const std::string& workflow,
                      const std::string& prompt_id, SubmitDone done) {
  submits_.fetch_add(1);
  http_->Send(
      PostJson(absl::StrCat(server, "/prompt"),
               BuildPromptBody(workflow, config_.client_id, prompt_id)),
      [self = shared_from_this(), server,
       done = std::move(done)](absl::StatusOr<HttpResponse> r) {
        self->Release(server);
        if (!r.ok()) {
          self->Report(server, r.status());
          return done(r.status());
        }
        auto id = ParsePromptResponse(r->status, r->body);
        if (!id.ok()) {
          absl::Status st = WithRetryAfter(
              id.status(), r->status, r->headers, absl::Now());
          // A success we cannot read (cut short, or another server's page)
          // may have queued the prompt: look it up, never send it elsewhere.
          if (Is2xx(r->status) && st.code() == absl::StatusCode::kUnavailable) {
            st = MarkOutcomeUnknown(std::move(st));
          }
          self->Report(server, st);
          return done(st);
        }
        self->Report(server, absl::OkStatus());
        done(SubmitResult{*std::move(id), BuildProviderState(server), {}});
      });
}

void Flow::Poll(const TaskRecord& record, double progress, PollDone done) {
  const std::string& id = record.upstream_id();
  if (id.empty()) {
    return done(absl::FailedPreconditionError(absl::StrCat(
        "task ", record.task().id(), " has no comfyui prompt_id")));
  }
  std::vector<std::string> servers = ServersFor(record);
  if (servers.size() == 1) {
    return PollOn(servers[0], id, progress, /*recheck=*/false, std::move(done));
  }
  Locate(std::move(servers), id, /*strict=*/true,
         [self = shared_from_this(), id, progress, done = std::move(done)](
             absl::StatusOr<std::optional<std::string>> found) {
           if (!found.ok()) return done(found.status());
           if (!found->has_value()) {
             return done(StateOnly(UpstreamState::kNotFound));
           }
           self->PollOn(**found, id, progress, /*recheck=*/false, done);
         });
}

void Flow::PollOn(const std::string& server, const std::string& id,
                  double progress, bool recheck, PollDone done) {
  FetchHistory(server, id,
               [self = shared_from_this(), server, id, progress, recheck,
                done = std::move(done)](absl::StatusOr<HistoryEntry> entry) {
                 // Polls feed the member's breaker as submits do (the
                 // dispatcher cannot tell which member a pool's poll asked).
                 self->Report(server, entry.status());
                 if (!entry.ok()) return done(entry.status());
                 if (entry->status != HistoryEntry::Status::kAbsent) {
                   return done(self->ToPollResult(server, *entry, progress));
                 }
                 if (recheck) return done(StateOnly(UpstreamState::kNotFound));
                 self->FetchQueue(server, [self, server, id, progress, done](
                                              absl::StatusOr<QueueSnapshot> q) {
                   self->Report(server, q.status());
                   if (!q.ok()) return done(q.status());
                   if (q->IsRunning(id)) {
                     return done(StateOnly(UpstreamState::kRunning, progress));
                   }
                   if (q->IsPending(id))
                     return done(StateOnly(UpstreamState::kQueued));
                   // It may have finished between the two reads: look once
                   // more.
                   self->PollOn(server, id, progress, /*recheck=*/true, done);
                 });
               });
}

PollResult Flow::ToPollResult(const std::string& server,
                              const HistoryEntry& entry,
                              double progress) const {
  PollResult r;
  switch (entry.status) {
    case HistoryEntry::Status::kAbsent:
      r.state = UpstreamState::kNotFound;
      break;
    case HistoryEntry::Status::kRunning:
      r.state = UpstreamState::kRunning;
      r.progress = progress;
      break;
    case HistoryEntry::Status::kFailed:
      r.state = UpstreamState::kFailed;
      r.error = entry.interrupted
                    ? absl::AbortedError("comfyui run was interrupted")
                    : absl::InternalError(absl::StrCat(
                          "comfyui execution error: ", entry.error_message));
      break;
    case HistoryEntry::Status::kSucceeded:
      if (entry.outputs.empty()) {
        r.state = UpstreamState::kFailed;
        r.error = absl::InternalError(
            "comfyui run finished without saving any output file");
        break;
      }
      r.state = UpstreamState::kSucceeded;
      r.progress = 1;
      for (const OutputFile& f : SelectOutputs(entry.outputs)) {
        OutputRef ref;
        ref.request = Get(ViewUrl(server, f), std::max(config_.request_timeout,
                                                       kMinTransferTimeout));
        ref.mime_type = MimeTypeForOutput(f);
        r.outputs.push_back(std::move(ref));
      }
      break;
  }
  return r;
}

void Flow::Resume(const TaskRecord& record, const SubmitContext& context,
                  SubmitDone done) {
  if (record.upstream_id().empty()) {
    return done(absl::NotFoundError(absl::StrCat(
        "task ", record.task().id(), " has no preassigned comfyui prompt_id")));
  }
  LocateThenSubmit(record, Prepare(record, context), /*strict=*/true,
                   std::move(done));
}

// A job found upstream was queued with its input already in place; only a
// resubmit needs the (idempotent, same-name) upload again.
void Flow::LocateThenSubmit(const TaskRecord& record, PreparedPtr prepared,
                            bool strict, SubmitDone done) {
  const std::string id = record.upstream_id();
  Locate(ServersFor(record), id, strict,
         [self = shared_from_this(), record, id, prepared = std::move(prepared),
          done = std::move(done)](
             absl::StatusOr<std::optional<std::string>> found) {
           if (!found.ok()) return done(found.status());
           if (found->has_value()) {
             return done(SubmitResult{id, BuildProviderState(**found), {}});
           }
           // Nobody has it: the same prompt_id keeps a resubmit idempotent.
           self->SubmitFresh(record, prepared, done);
         });
}

void Flow::Locate(std::vector<std::string> servers, const std::string& id,
                  bool strict, LocateDone done) {
  auto state = std::make_shared<LocateState>();
  state->strict = strict;
  state->servers = std::move(servers);
  state->id = id;
  state->done = std::move(done);
  LocateStep(std::move(state));
}

// Steps run one after another (each from the previous one's callback), so
// the state needs no lock.
void Flow::LocateStep(std::shared_ptr<LocateState> state) {
  if (state->next == state->servers.size()) {
    if (state->strict && !state->error.ok()) {
      return state->done(absl::UnavailableError(
          absl::StrCat("cannot tell whether comfyui holds prompt ", state->id,
                       ": ", state->error.message())));
    }
    return state->done(std::optional<std::string>());
  }
  const std::string server = state->servers[state->next++];
  FindOn(
      server, state->id,
      [self = shared_from_this(), state, server](absl::StatusOr<bool> found) {
        if (!found.ok()) {
          state->error = found.status();
        } else if (*found) {
          return state->done(std::optional<std::string>(server));
        }
        self->LocateStep(state);
      });
}

void Flow::FindOn(const std::string& server, const std::string& id,
                  std::function<void(absl::StatusOr<bool>)> done) {
  FetchHistory(server, id,
               [self = shared_from_this(), server, id,
                done = std::move(done)](absl::StatusOr<HistoryEntry> entry) {
                 if (!entry.ok()) return done(entry.status());
                 if (entry->status != HistoryEntry::Status::kAbsent)
                   return done(true);
                 self->FetchQueue(server, [self, server, id, done](
                                              absl::StatusOr<QueueSnapshot> q) {
                   self->Report(server, q.status());
                   if (!q.ok()) return done(q.status());
                   if (q->IsRunning(id) || q->IsPending(id)) return done(true);
                   self->FetchHistory(
                       server, id, [done](absl::StatusOr<HistoryEntry> again) {
                         if (!again.ok()) return done(again.status());
                         done(again->status != HistoryEntry::Status::kAbsent);
                       });
                 });
               });
}

void Flow::Cancel(const TaskRecord& record, StatusDone done) {
  const std::string& id = record.upstream_id();
  if (id.empty()) return done(absl::OkStatus());
  std::vector<std::string> servers = ServersFor(record);
  if (servers.size() == 1) return CancelOn(servers[0], id, 0, std::move(done));
  Locate(std::move(servers), id, /*strict=*/true,
         [self = shared_from_this(), id, done = std::move(done)](
             absl::StatusOr<std::optional<std::string>> found) {
           if (!found.ok()) return done(found.status());
           if (!found->has_value()) return done(absl::OkStatus());
           self->CancelOn(**found, id, 0, done);
         });
}

void Flow::CancelOn(const std::string& server, const std::string& id,
                    int attempt, StatusDone done) {
  FetchQueue(server, [self = shared_from_this(), server, id, attempt,
                      done = std::move(done)](absl::StatusOr<QueueSnapshot> q) {
    if (!q.ok()) return done(q.status());
    if (q->IsRunning(id)) {
      return self->PostExpectOk(absl::StrCat(server, "/interrupt"),
                                BuildInterruptBody(id), done);
    }
    if (!q->IsPending(id)) return done(absl::OkStatus());
    if (attempt >= kMaxCancelRounds) {
      return done(absl::UnavailableError(
          absl::StrCat("comfyui kept prompt ", id, " queued after delete")));
    }
    // Read the queue again afterwards: the prompt may have started running
    // before the delete arrived, and then it needs an interrupt instead.
    self->PostExpectOk(absl::StrCat(server, "/queue"), BuildDeleteBody(id),
                       [self, server, id, attempt, done](absl::Status st) {
                         if (!st.ok()) return done(st);
                         self->CancelOn(server, id, attempt + 1, done);
                       });
  });
}

}  // namespace mediagw::comfyui
