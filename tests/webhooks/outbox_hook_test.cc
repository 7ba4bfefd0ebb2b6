// The outbox hook on the transition path: which ends write a row (a URL,
// the events filter, the account default), what the row says, and the kie
// callback shape for kie callBackUrl tasks.
#include "webhooks/outbox_hook.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"

namespace mediagw::webhooks {
namespace {

using ::testing::HasSubstr;

class OutboxHookTest : public ::testing::Test {
 protected:
  OutboxHook MakeHook() {
    return OutboxHook(
        OutboxHook::Deps{
            [this](const std::string& account) {
              return account == "alice" ? default_url_ : std::string();
            },
            [](const v1::Task& t) { return "kie:" + t.id(); },
            [this] { ++kicks_; }, &clock_},
        absl::Hours(24));
  }

  static TaskRecord Running(const std::string& owner = "alice") {
    TaskRecord r;
    r.set_owner(owner);
    r.set_version(3);
    r.mutable_task()->set_id("t1");
    r.mutable_task()->set_state(v1::TASK_STATE_RUNNING);
    return r;
  }

  // The rows of `before` -> `state`.
  SideRows End(OutboxHook& hook, const TaskRecord& before,
               v1::TaskState state) {
    TaskRecord next = before;
    next.set_version(before.version() + 1);
    next.mutable_task()->set_state(state);
    SideRows rows;
    EXPECT_TRUE(hook.AddRows(&before, &next, &rows).ok());
    hook.Committed(&before, next);
    return rows;
  }

  FakeClock clock_;
  std::string default_url_;
  int kicks_ = 0;
};

TEST_F(OutboxHookTest, RequestUrlGetsEveryEndByDefault) {
  OutboxHook hook = MakeHook();
  TaskRecord before = Running();
  before.mutable_request()->set_webhook_url("https://hooks.example/x");
  const struct {
    v1::TaskState state;
    const char* event;
  } cases[] = {{v1::TASK_STATE_SUCCEEDED, "completed"},
               {v1::TASK_STATE_FAILED, "failed"},
               {v1::TASK_STATE_CANCELED, "canceled"},
               {v1::TASK_STATE_TIMED_OUT, "timed_out"}};
  for (const auto& c : cases) {
    SideRows rows = End(hook, before, c.state);
    ASSERT_EQ(rows.outbox.size(), 1u) << c.event;
    const OutboxRow& row = rows.outbox[0];
    EXPECT_EQ(row.id, "msg_t1");
    EXPECT_EQ(row.task_id, "t1");
    EXPECT_EQ(row.account_id, "alice");
    EXPECT_EQ(row.url, "https://hooks.example/x");
    EXPECT_EQ(row.event, c.event);
    EXPECT_FALSE(row.kie_format);
    EXPECT_EQ(row.give_up_at_us - row.created_at_us,
              absl::ToInt64Microseconds(absl::Hours(24)));
    rapidjson::Document body;
    body.Parse(row.body.c_str());
    ASSERT_TRUE(body.IsObject()) << row.body;
    EXPECT_EQ(std::string(body["type"].GetString()),
              std::string("task.") + c.event);
    EXPECT_TRUE(body["timestamp"].IsString());
    EXPECT_EQ(std::string(body["data"]["id"].GetString()), "t1");
    EXPECT_EQ(std::string(body["data"]["version"].GetString()), "4");
  }
  EXPECT_EQ(kicks_, 4);
}

TEST_F(OutboxHookTest, OnlyTheChangeThatEndsTheTaskWritesARow) {
  OutboxHook hook = MakeHook();
  TaskRecord before = Running();
  before.mutable_request()->set_webhook_url("https://hooks.example/x");
  EXPECT_TRUE(End(hook, before, v1::TASK_STATE_FINALIZING).outbox.empty());
  TaskRecord created = before;
  SideRows rows;
  ASSERT_TRUE(hook.AddRows(nullptr, &created, &rows).ok());
  EXPECT_TRUE(rows.outbox.empty());
  TaskRecord ended = before;
  ended.mutable_task()->set_state(v1::TASK_STATE_FAILED);
  EXPECT_TRUE(End(hook, ended, v1::TASK_STATE_FAILED).outbox.empty());
  EXPECT_EQ(kicks_, 0);
}

TEST_F(OutboxHookTest, EventsFilterPicksTheEnds) {
  OutboxHook hook = MakeHook();
  TaskRecord before = Running();
  before.mutable_request()->set_webhook_url("https://hooks.example/x");
  before.mutable_request()->add_webhook_events("failed");
  before.mutable_request()->add_webhook_events("timed_out");
  EXPECT_TRUE(End(hook, before, v1::TASK_STATE_SUCCEEDED).outbox.empty());
  EXPECT_TRUE(End(hook, before, v1::TASK_STATE_CANCELED).outbox.empty());
  EXPECT_EQ(End(hook, before, v1::TASK_STATE_FAILED).outbox.size(), 1u);
  EXPECT_EQ(End(hook, before, v1::TASK_STATE_TIMED_OUT).outbox.size(), 1u);
}

TEST_F(OutboxHookTest, AccountDefaultUrlWhenTheRequestHasNone) {
  OutboxHook hook = MakeHook();
  EXPECT_TRUE(End(hook, Running(), v1::TASK_STATE_SUCCEEDED).outbox.empty());
  default_url_ = "https://alice.example/hook";
  SideRows rows = End(hook, Running(), v1::TASK_STATE_SUCCEEDED);
  ASSERT_EQ(rows.outbox.size(), 1u);
  EXPECT_EQ(rows.outbox[0].url, "https://alice.example/hook");
  EXPECT_TRUE(End(hook, Running("bob"), v1::TASK_STATE_SUCCEEDED).outbox.empty());
}

TEST_F(OutboxHookTest, KieCallBackUrlGetsKieShape) {
  OutboxHook hook = MakeHook();
  TaskRecord before = Running();
  before.mutable_request()->set_webhook_url("https://kie-caller.example/cb");
  before.set_webhook_kie_format(true);
  SideRows rows = End(hook, before, v1::TASK_STATE_SUCCEEDED);
  ASSERT_EQ(rows.outbox.size(), 1u);
  EXPECT_TRUE(rows.outbox[0].kie_format);
  EXPECT_EQ(rows.outbox[0].body, "kie:t1");
  // The account's default URL is no kie callBackUrl.
  default_url_ = "https://alice.example/hook";
  before.mutable_request()->clear_webhook_url();
  rows = End(hook, before, v1::TASK_STATE_SUCCEEDED);
  ASSERT_EQ(rows.outbox.size(), 1u);
  EXPECT_FALSE(rows.outbox[0].kie_format);
  EXPECT_THAT(rows.outbox[0].body, HasSubstr(R"("type":"task.completed")"));
}

}  // namespace
}  // namespace mediagw::webhooks
