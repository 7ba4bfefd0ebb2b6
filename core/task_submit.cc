// TaskServiceImpl submits: validation, ids, the stored record, hand-off to the
// dispatcher.
#include <atomic>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "common/status_macros.h"
#include "common/status_mapping.h"
#include "core/image_info.h"
#include "core/request_normalizer.h"
#include "core/task_service_impl.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/time_util.h"

namespace mediagw {

using google::protobuf::util::TimeUtil;

namespace {

inline constexpr char kDefaultVideoWorkflow[] = "video";

// What a caller is told when its task could not be stored for a reason that
// passes (a full disk, a held lock): the store's own message names files and
// SQLite codes, so it goes to the log and the caller gets one it can act on.
absl::Status StoreRefusal(const absl::Status& st) {
  if (st.code() != absl::StatusCode::kUnavailable) return st;
  MG_LOG(Warning, "task not stored: ", st.ToString());
  if (ReasonOf(st) == Reason::kDiskFull) {
    return WithReason(
        absl::UnavailableError("Service unavailable: the task store is "
                               "full; try again later"),
        Reason::kDiskFull);
  }
  return absl::UnavailableError(
      "Service unavailable: the task store cannot write now; try again "
      "later");
}
// As Stripe allows.
inline constexpr size_t kMaxIdempotencyKeyBytes = 255;

// Submits by result: the benchmark checks gRPC status here, server side.
void CountSubmit(const absl::Status& st) {
  static std::atomic<int64_t>* ok = GlobalMetrics().Counter(
      "mediagw_submits_total", "Submits by result code", "code=\"OK\"");
  if (st.ok()) {
    ok->fetch_add(1, std::memory_order_relaxed);
    return;
  }
  GlobalMetrics()
      .Counter("mediagw_submits_total", "Submits by result code",
               absl::StrCat("code=\"", CodeName(st.code()), "\""))
      ->fetch_add(1, std::memory_order_relaxed);
}

TaskServiceImpl::Callback<v1::Task> Counted(TaskServiceImpl::Callback<v1::Task> reply) {
  return [reply = std::move(reply)](absl::StatusOr<v1::Task> t) {
    CountSubmit(t.status());
    reply(std::move(t));
  };
}

std::string NewTaskId(const WorkflowInfo& wf) {
  switch (wf.id_style) {
    case WorkflowInfo::IdStyle::kNumeric:
      return NewNumericId();  // as the legacy rr3 surface shows them
    case WorkflowInfo::IdStyle::kPrefixedHex:
      return NewPrefixedHexId(wf.id_prefix);
    case WorkflowInfo::IdStyle::kUuid:
      break;
  }
  return NewUuid();
}

// Protobuf's serialization is only stable with deterministic mode on (map
// order); the fingerprint must not change between two equal requests.
std::string DeterministicBytes(const google::protobuf::Message& m) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&coded);
  }
  return out;
}

bool AsksForRandomSeed(bool has_seed, int64_t seed) {
  return !has_seed || seed == -1;
}

absl::Status WrongKind(const WorkflowInfo& wf) {
  return absl::InvalidArgumentError(
      wf.kind == WorkflowInfo::Kind::kVideo
          ? absl::StrCat("workflow '", wf.name,
                         "' makes videos: use video_generation (SubmitVideo)")
          : absl::StrCat("workflow '", wf.name,
                         "' makes images: use image_generation (SubmitImage)"));
}

// Text is checked as UTF-8 where it enters (the route table, the codecs,
// gRPC's parsing) and the store parses every record back before writing
// it; the key's length is what no surface bounds.
absl::Status CheckIdempotencyKey(const std::string& key) {
  if (key.size() > kMaxIdempotencyKeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "idempotency key is longer than ", kMaxIdempotencyKeyBytes, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status TaskServiceImpl::CheckChannels(const WorkflowInfo& workflow,
                                        const std::string& model) const {
  absl::Status first = absl::FailedPreconditionError(
      absl::StrCat("no channel serves workflow ", workflow.name));
  bool any = false;
  for (const Channel& ch : deps_.router->ChannelsFor(workflow.name, model)) {
    if (ch.provider == nullptr) continue;
    absl::Status st = ch.provider->CheckReady();
    if (st.ok()) return st;
    if (!any) first = st;
    any = true;
  }
  return first;
}

absl::Status TaskServiceImpl::CheckRouteLimits(
    const v1::SubmitImageRequest& request) const {
  // The channels this very request would go to (its model may have a route
  // of its own): each must be able to run it.
  for (const Channel& ch :
       deps_.router->ChannelsFor(request.workflow(), request.model())) {
    if (ch.provider == nullptr) continue;
    const ProviderLimits limits = ch.provider->LimitsFor(request.workflow());
    if (!request.workflow_json().empty() && !limits.accepts_workflow_json) {
      return absl::InvalidArgumentError(
          absl::StrCat("workflow ", request.workflow(),
                       " takes the prompt as text, not a whole workflow"));
    }
    if (request.n() > limits.max_outputs) {
      return absl::InvalidArgumentError(
          absl::StrCat("n must be at most ", limits.max_outputs,
                       " for workflow ", request.workflow()));
    }
  }
  return absl::OkStatus();
}

void TaskServiceImpl::SetIdempotency(TaskRecord& rec, bool random_seed,
                                 absl::string_view image) const {
  if (rec.request().idempotency_key().empty()) return;
  // What the caller asked for, normalized: defaults filled in, the key
  // left out, and a seed we drew at random counted as "random".
  v1::SubmitImageRequest asked = rec.request();
  asked.clear_idempotency_key();
  if (random_seed) asked.set_seed(-1);
  std::string canonical = rec.task().kind() == v1::TASK_KIND_VIDEO
                              ? absl::StrCat("video:", image.size(), ":", image)
                              : "image:";
  absl::StrAppend(&canonical, DeterministicBytes(asked));
  rec.set_idempotency_fingerprint(Sha256Hex(canonical));
  *rec.mutable_idempotency_expire_time() = TimeUtil::NanosecondsToTimestamp(
      absl::ToUnixNanos(deps_.clock->Now() + deps_.idempotency_ttl));
}

TaskRecord TaskServiceImpl::NewRecord(const Caller& caller,
                                  const WorkflowInfo& workflow,
                                  v1::SubmitImageRequest params,
                                  v1::TaskKind kind) {
  TaskRecord rec;
  auto* task = rec.mutable_task();
  task->set_id(NewTaskId(workflow));
  task->set_state(v1::TASK_STATE_PENDING);
  task->set_kind(kind);
  task->set_workflow(params.workflow());
  task->set_seed(params.seed());
  task->set_provider(workflow.provider_label);
  *task->mutable_create_time() =
      TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(deps_.clock->Now()));
  *task->mutable_update_time() = task->create_time();
  rec.set_webhook_kie_format(caller.kie_callback &&
                             !params.webhook_url().empty());
  *rec.mutable_request() = std::move(params);
  rec.set_owner(caller.owner());
  rec.set_request_id(caller.request_id);
  rec.set_version(1);
  *rec.mutable_deadline() = TimeUtil::NanosecondsToTimestamp(
      absl::ToUnixNanos(deps_.clock->Now() + workflow.deadline));
  return rec;
}

void TaskServiceImpl::SubmitImage(const Caller& caller,
                              v1::SubmitImageRequest request,
                              Callback<v1::Task> reply) {
  auto done = Counted(std::move(reply));
  if (absl::Status text = CheckIdempotencyKey(request.idempotency_key());
      !text.ok()) {
    done(text);
    return;
  }
  if (request.workflow().empty()) request.set_workflow(kDefaultWorkflow);
  auto workflow = deps_.router->Workflow(request.workflow());
  if (!workflow.ok()) {
    done(absl::InvalidArgumentError(workflow.status().message()));
    return;
  }
  if (workflow->kind != WorkflowInfo::Kind::kImage) {
    done(WrongKind(*workflow));
    return;
  }
  auto normalized = NormalizeImageRequest(request, *workflow);
  if (!normalized.ok()) {
    done(normalized.status());
    return;
  }
  if (absl::Status st = CheckRouteLimits(*normalized); !st.ok()) {
    done(st);
    return;
  }
  if (absl::Status st = CheckChannels(*workflow, normalized->model());
      !st.ok()) {
    done(st);
    return;
  }
  TaskRecord rec =
      NewRecord(caller, *workflow, *std::move(normalized), v1::TASK_KIND_IMAGE);
  SetIdempotency(rec, AsksForRandomSeed(request.has_seed(), request.seed()),
                 "");
  Store(caller, std::move(rec), std::move(done));
}

void TaskServiceImpl::SubmitVideo(const Caller& caller,
                              v1::SubmitVideoRequest request,
                              Callback<v1::Task> reply) {
  auto done = Counted(std::move(reply));
  if (absl::Status text = CheckIdempotencyKey(request.idempotency_key());
      !text.ok()) {
    done(text);
    return;
  }
  if (request.workflow().empty()) request.set_workflow(kDefaultVideoWorkflow);
  auto workflow = deps_.router->Workflow(request.workflow());
  if (!workflow.ok()) {
    done(absl::InvalidArgumentError(workflow.status().message()));
    return;
  }
  if (workflow->kind != WorkflowInfo::Kind::kVideo) {
    done(WrongKind(*workflow));
    return;
  }
  auto params = NormalizeVideoRequest(request, *workflow);
  if (!params.ok()) {
    done(params.status());
    return;
  }
  if (absl::Status st = CheckChannels(*workflow, params->model()); !st.ok()) {
    done(st);
    return;
  }
  TaskRecord rec =
      NewRecord(caller, *workflow, *std::move(params), v1::TASK_KIND_VIDEO);
  SetIdempotency(rec, AsksForRandomSeed(request.has_seed(), request.seed()),
                 request.image());
  // Decoding and writing the image is not for a reaction thread.
  deps_.executor->Schedule([this, caller, rec = std::move(rec),
                            request = std::move(request), done]() mutable {
    auto input = ClassifyImageInput(request.image());
    if (!input.ok()) {
      done(input.status());
      return;
    }
    if (input->url.empty()) {
      MediaInfo info = SniffMedia(input->data);
      if (!absl::StartsWith(info.mime_type, "image/")) {
        done(absl::InvalidArgumentError(
            "image is not a PNG, JPEG, WebP or GIF picture"));
        return;
      }
      std::string name =
          absl::StrCat(rec.task().id(), "_input.", info.extension);
      if (absl::Status st = deps_.blobs->Put(name, input->data); !st.ok()) {
        done(st);
        return;
      }
      rec.set_input_blob(name);
      rec.set_input_mime_type(info.mime_type);
      request.clear_image();  // the bytes live in the blob store only
    } else {
      request.set_image(input->url);
    }
    *rec.mutable_video() = std::move(request);
    Store(caller, std::move(rec), done);
  });
}

void TaskServiceImpl::HandleCallback(const std::string& id, CallbackRequest request,
                                 std::function<void(absl::Status)> done) {
  if (!PlausibleId(id)) {
    done(absl::NotFoundError("task not found"));
    return;
  }
  deps_.dispatcher->OnCallback(id, std::move(request), std::move(done));
}

void TaskServiceImpl::Store(const Caller& caller, TaskRecord rec,
                        Callback<v1::Task> done) {
  std::string key = rec.request().idempotency_key();
  std::string fingerprint = rec.idempotency_fingerprint();
  if (deps_.limits != nullptr) {
    if (absl::Status st = deps_.limits->Admit(caller.owner()); !st.ok()) {
      done(st);
      return;
    }
  }
  deps_.writer->Create(
      std::move(rec),
      [this, caller, key, fingerprint, done](absl::StatusOr<TaskRecord> made) {
        if (!made.ok() && deps_.limits != nullptr) {
          deps_.limits->Release(caller.owner());  // nothing new was stored
        }
        if (made.ok()) {
          MG_LOGF(Info, "task submitted", {"task_id", made->task().id()},
                  {"request_id", made->request_id()},
                  {"workflow", made->task().workflow()},
                  {"kind", v1::TaskKind_Name(made->task().kind())},
                  {"account", made->owner()},
                  {"state", v1::TaskState_Name(made->task().state())});
          v1::Task reply = made->task();
          reply.set_version(made->version());
          done(std::move(reply));
          deps_.dispatcher->Enqueue(*made);
          return;
        }
        const absl::Status& st = made.status();
        if (st.code() == absl::StatusCode::kAlreadyExists && !key.empty()) {
          ReplyExisting(caller, key, fingerprint, done);
          return;
        }
        done(StoreRefusal(st));
      });
}

}  // namespace mediagw
