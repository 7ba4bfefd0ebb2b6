// The task lifecycle (docs/API.md "Task lifecycle"):
//   PENDING -> SUBMITTING -> QUEUED -> RUNNING -> FINALIZING -> SUCCEEDED
//   SUBMITTING -> PENDING (retryable failure before an upstream accepted)
//   any non-terminal -> FAILED | CANCELED | TIMED_OUT
// Pure functions; thread-safe.
#ifndef MEDIAGW_CORE_STATE_MACHINE_H_
#define MEDIAGW_CORE_STATE_MACHINE_H_

#include "mediagw/v1/media.pb.h"

namespace mediagw {

bool IsTerminal(v1::TaskState state);

// Whether `from` -> `to` is a legal transition. A state to itself is not a
// transition (progress updates keep the state and need no check).
bool CanTransition(v1::TaskState from, v1::TaskState to);

// Lower-case legacy name: queued / processing / completed / failed /
// cancelled (TIMED_OUT reads as failed).
const char* LegacyStatusName(v1::TaskState state);

}  // namespace mediagw

#endif  // MEDIAGW_CORE_STATE_MACHINE_H_
