#include "core/state_machine.h"

namespace mediagw {

using v1::TaskState;

bool IsTerminal(TaskState state) {
  switch (state) {
    case v1::TASK_STATE_SUCCEEDED:
    case v1::TASK_STATE_FAILED:
    case v1::TASK_STATE_CANCELED:
    case v1::TASK_STATE_TIMED_OUT:
      return true;
    default:
      return false;
  }
}

bool CanTransition(TaskState from, TaskState to) {
  if (from == to || IsTerminal(from)) return false;
  if (to == v1::TASK_STATE_FAILED || to == v1::TASK_STATE_CANCELED ||
      to == v1::TASK_STATE_TIMED_OUT) {
    return true;
  }
  switch (from) {
    case v1::TASK_STATE_PENDING:
      return to == v1::TASK_STATE_SUBMITTING;
    case v1::TASK_STATE_SUBMITTING:
      // Back to PENDING only for a retry on another channel.
      return to == v1::TASK_STATE_PENDING || to == v1::TASK_STATE_QUEUED;
    case v1::TASK_STATE_QUEUED:
      // A fast job may be seen finished before it was seen running.
      return to == v1::TASK_STATE_RUNNING || to == v1::TASK_STATE_FINALIZING;
    case v1::TASK_STATE_RUNNING:
      return to == v1::TASK_STATE_FINALIZING;
    case v1::TASK_STATE_FINALIZING:
      return to == v1::TASK_STATE_SUCCEEDED;
    default:
      return false;
  }
}

const char* LegacyStatusName(TaskState state) {
  switch (state) {
    case v1::TASK_STATE_PENDING:
    case v1::TASK_STATE_SUBMITTING:
    case v1::TASK_STATE_QUEUED:
      return "queued";
    case v1::TASK_STATE_RUNNING:
    case v1::TASK_STATE_FINALIZING:
      return "processing";
    case v1::TASK_STATE_SUCCEEDED:
      return "completed";
    case v1::TASK_STATE_CANCELED:
      return "cancelled";
    case v1::TASK_STATE_FAILED:
    case v1::TASK_STATE_TIMED_OUT:
    default:
      return "failed";
  }
}

}  // namespace mediagw
