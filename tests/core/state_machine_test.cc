#include "core/state_machine.h"

#include <set>
#include <string>
#include <utility>

#include "gtest/gtest.h"

namespace mediagw {
namespace {

using v1::TaskState;

constexpr TaskState kAll[] = {
    v1::TASK_STATE_UNSPECIFIED, v1::TASK_STATE_PENDING,
    v1::TASK_STATE_SUBMITTING,  v1::TASK_STATE_QUEUED,
    v1::TASK_STATE_RUNNING,     v1::TASK_STATE_FINALIZING,
    v1::TASK_STATE_SUCCEEDED,   v1::TASK_STATE_FAILED,
    v1::TASK_STATE_CANCELED,    v1::TASK_STATE_TIMED_OUT};

// The lifecycle of docs/API.md, spelled out: every legal edge.
const std::set<std::pair<TaskState, TaskState>>& Legal() {
  static const auto* legal = [] {
    auto* s = new std::set<std::pair<TaskState, TaskState>>{
        {v1::TASK_STATE_PENDING, v1::TASK_STATE_SUBMITTING},
        {v1::TASK_STATE_SUBMITTING, v1::TASK_STATE_PENDING},
        {v1::TASK_STATE_SUBMITTING, v1::TASK_STATE_QUEUED},
        {v1::TASK_STATE_QUEUED, v1::TASK_STATE_RUNNING},
        {v1::TASK_STATE_QUEUED, v1::TASK_STATE_FINALIZING},
        {v1::TASK_STATE_RUNNING, v1::TASK_STATE_FINALIZING},
        {v1::TASK_STATE_FINALIZING, v1::TASK_STATE_SUCCEEDED},
    };
    for (TaskState from :
         {v1::TASK_STATE_UNSPECIFIED, v1::TASK_STATE_PENDING,
          v1::TASK_STATE_SUBMITTING, v1::TASK_STATE_QUEUED,
          v1::TASK_STATE_RUNNING, v1::TASK_STATE_FINALIZING}) {
      for (TaskState to : {v1::TASK_STATE_FAILED, v1::TASK_STATE_CANCELED,
                           v1::TASK_STATE_TIMED_OUT}) {
        s->insert({from, to});
      }
    }
    return s;
  }();
  return *legal;
}

TEST(StateMachineTest, EveryPairMatchesTheLifecycle) {
  int legal = 0;
  for (TaskState from : kAll) {
    for (TaskState to : kAll) {
      bool want = Legal().count({from, to}) > 0;
      EXPECT_EQ(CanTransition(from, to), want)
          << v1::TaskState_Name(from) << " -> " << v1::TaskState_Name(to);
      legal += want;
    }
  }
  EXPECT_EQ(legal, 7 + 6 * 3);
}

TEST(StateMachineTest, TerminalStatesAreAbsorbing) {
  for (TaskState from : kAll) {
    if (!IsTerminal(from)) continue;
    for (TaskState to : kAll) {
      EXPECT_FALSE(CanTransition(from, to))
          << v1::TaskState_Name(from) << " -> " << v1::TaskState_Name(to);
    }
  }
}

TEST(StateMachineTest, SelfIsNotATransition) {
  for (TaskState s : kAll) EXPECT_FALSE(CanTransition(s, s));
}

TEST(StateMachineTest, IsTerminal) {
  std::set<TaskState> terminal;
  for (TaskState s : kAll) {
    if (IsTerminal(s)) terminal.insert(s);
  }
  EXPECT_EQ(terminal,
            (std::set<TaskState>{v1::TASK_STATE_SUCCEEDED, v1::TASK_STATE_FAILED,
                                 v1::TASK_STATE_CANCELED,
                                 v1::TASK_STATE_TIMED_OUT}));
}

TEST(StateMachineTest, LegacyStatusNames) {
  EXPECT_STREQ(LegacyStatusName(v1::TASK_STATE_PENDING), "queued");
  EXPECT_STREQ(LegacyStatusName(v1::TASK_STATE_SUBMITTING), "queued");
  EXPECT_STREQ(LegacyStatusName(v1::TASK_STATE_QUEUED), "queued");
  EXPECT_STREQ(LegacyStatusName(v1::TASK_STATE_RUNNING), "processing");
  EXPECT_STREQ(LegacyStatusName(v1::TASK_STATE_FINALIZING), "processing");
  EXPECT_STREQ(LegacyStatusName(v1::TASK_STATE_SUCCEEDED), "completed");
  EXPECT_STREQ(LegacyStatusName(v1::TASK_STATE_FAILED), "failed");
  EXPECT_STREQ(LegacyStatusName(v1::TASK_STATE_TIMED_OUT), "failed");
  EXPECT_STREQ(LegacyStatusName(v1::TASK_STATE_CANCELED), "cancelled");
}

}  // namespace
}  // namespace mediagw
