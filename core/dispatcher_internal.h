// Private to the Dispatcher implementation files.
#ifndef MEDIAGW_CORE_DISPATCHER_INTERNAL_H_
#define MEDIAGW_CORE_DISPATCHER_INTERNAL_H_

#include <deque>

#include "core/dispatcher.h"
#include "google/protobuf/util/time_util.h"

namespace mediagw {

struct Dispatcher::Active {
  struct Pending {
    MutateFn fn;
    RecordCallback after;
  };
  explicit Active(std::string id) : record_id(std::move(id)) {}
  const std::string record_id;
  // Guarded by Dispatcher::mu_.
  TaskRecord record;
  Channel channel;
  bool writing = false;
  std::deque<Pending> queue;
  Scheduler::TimerId poll_timer = 0;
  Scheduler::TimerId deadline_timer = 0;
  bool poll_in_flight = false;
  bool fetching = false;
  bool retired = false;
  int not_found = 0;
  int poll_errors = 0;
};

inline google::protobuf::Timestamp ToProtoTime(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      absl::ToUnixNanos(t));
}

// What a mutation returns when there is nothing to write.
inline absl::Status Unchanged() {
  return absl::FailedPreconditionError("unchanged");
}

}  // namespace mediagw

#endif  // MEDIAGW_CORE_DISPATCHER_INTERNAL_H_
