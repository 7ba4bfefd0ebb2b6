// CompileSpec: the shipped vendor channels compile; every kind of mistake
// is INVALID_ARGUMENT naming the field. TaskSlots: which values a task
// offers.
#include "providers/http_async/http_async_spec.h"

#include <functional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/providers/http_async/vendor_config.h"

namespace mediagw::http_async {
namespace {

using ::testing::HasSubstr;
using testing::LoadVendorChannel;

config::Channel Rr3() {
  auto c = LoadVendorChannel("rr3.json");
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : config::Channel();
}

TEST(CompileSpecTest, ShippedVendorsCompile) {
  for (const char* file : {"rr3.json", "fluxjobs.json"}) {
    auto channel = LoadVendorChannel(file);
    ASSERT_TRUE(channel.ok()) << channel.status();
    EXPECT_EQ(channel->provider(), "http_async") << file;
    auto spec = CompileSpec(*channel, absl::Seconds(60), "k");
    ASSERT_TRUE(spec.ok()) << file << ": " << spec.status();
    EXPECT_TRUE(spec->needs_api_key) << file;
    EXPECT_EQ(spec->request_timeout, absl::Seconds(30)) << file;
    EXPECT_FALSE(spec->state_map.empty());
  }
  auto rr3 = CompileSpec(Rr3(), absl::Seconds(60), "");
  ASSERT_TRUE(rr3.ok());
  EXPECT_EQ(rr3->state_map.at("SUCCESS"), UpstreamState::kSucceeded);
  EXPECT_EQ(rr3->state_map.at("CANCELLED"), UpstreamState::kFailed);
  EXPECT_EQ(rr3->progress_scale, 100);
  EXPECT_TRUE(rr3->cancel.has_value());
  EXPECT_EQ(rr3->base_urls,
            std::vector<std::string>{"https://api.rr3.example"});
}

TEST(CompileSpecTest, DefaultsApply) {
  config::Channel c = Rr3();
  c.set_request_timeout_ms(0);
  c.mutable_http_async()->set_progress_scale(0);
  c.clear_base_urls();
  c.add_base_urls("http://h/rr3//");
  auto spec = CompileSpec(c, absl::Seconds(42), "k");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->request_timeout, absl::Seconds(42));
  EXPECT_EQ(spec->progress_scale, 1);
  EXPECT_EQ(spec->base_urls[0], "http://h/rr3");
}

struct BadCase {
  const char* name;
  std::function<void(config::Channel&)> mutate;
  const char* message;
};

class CompileSpecErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(CompileSpecErrorTest, NamesTheField) {
  config::Channel c = Rr3();
  GetParam().mutate(c);
  auto spec = CompileSpec(c, absl::Seconds(60), "k");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(spec.status().message(), HasSubstr(GetParam().message));
}

config::HttpAsyncSpec& Http(config::Channel& c) {
  return *c.mutable_http_async();
}

const BadCase kBadCases[] = {
    {"NoSubmit", [](config::Channel& c) { Http(c).clear_submit(); },
     "config: channel 'rr3'.http_async.submit: is required"},
    {"NoPoll", [](config::Channel& c) { Http(c).clear_poll(); },
     "config: channel 'rr3'.http_async.poll: is required"},
    {"NoIdPointer", [](config::Channel& c) { Http(c).clear_id_pointer(); },
     "config: channel 'rr3'.http_async.id_pointer: is required"},
    {"BadIdPointer",
     [](config::Channel& c) { Http(c).set_id_pointer("data/task_id"); },
     "config: channel 'rr3'.http_async.id_pointer: 'data/task_id' is not a "
     "JSON pointer"},
    {"NoStatePointer",
     [](config::Channel& c) { Http(c).clear_state_pointer(); },
     "'rr3'.http_async.state_pointer: is required"},
    {"BadStateValue",
     [](config::Channel& c) {
       (*Http(c).mutable_state_map())["DONE"] = "done";
     },
     "'rr3'.http_async.state_map[DONE]: 'done' is not one of queued, running, "
     "succeeded, failed"},
    {"NoSuccessState",
     [](config::Channel& c) { Http(c).mutable_state_map()->erase("SUCCESS"); },
     "http_async.state_map: no upstream state maps to succeeded"},
    {"EmptyStateMap", [](config::Channel& c) { Http(c).clear_state_map(); },
     "http_async.state_map: is required"},
    {"NoResultPointers",
     [](config::Channel& c) { Http(c).clear_result_url_pointers(); },
     "http_async.result_url_pointers: at least one pointer is required"},
    {"BadResultPointer",
     [](config::Channel& c) { Http(c).add_result_url_pointers("/a~9"); },
     "http_async.result_url_pointers[1]: '/a~9' is not a JSON pointer"},
    {"BadErrorPointer",
     [](config::Channel& c) { Http(c).set_error_pointer("error"); },
     "http_async.error_pointer: 'error' is not a JSON pointer"},
    {"BadFallbackPointer",
     [](config::Channel& c) { Http(c).add_error_fallback_pointers(""); },
     "http_async.error_fallback_pointers[0]: is required"},
    {"BadProgressPointer",
     [](config::Channel& c) { Http(c).set_progress_pointer("progress"); },
     "http_async.progress_pointer: 'progress' is not a JSON pointer"},
    {"NegativeScale",
     [](config::Channel& c) { Http(c).set_progress_scale(-1); },
     "http_async.progress_scale: must be a positive number"},
    {"StatusWithoutOk", [](config::Channel& c) { Http(c).clear_status_ok(); },
     "http_async.status_ok: is required with status_pointer"},
    {"OkWithoutStatus",
     [](config::Channel& c) { Http(c).clear_status_pointer(); },
     "http_async.status_pointer: is required with status_ok"},
    {"UnknownBodySlot",
     [](config::Channel& c) {
       (*Http(c)
             .mutable_submit()
             ->mutable_body()
             ->mutable_struct_value()
             ->mutable_fields())["style"]
           .set_string_value("{{style}}");
     },
     "config: channel 'rr3'.http_async.submit.body: unknown slot {{style}}"},
    {"IdInSubmit",
     [](config::Channel& c) {
       Http(c).mutable_submit()->set_path("/gen/{{id}}");
     },
     "'rr3'.http_async.submit.path: slot {{id}} exists only in poll and "
     "cancel"},
    {"UnknownHeaderSlot",
     [](config::Channel& c) {
       (*Http(c).mutable_poll()->mutable_headers())["X-Api-Key"] = "{{key}}";
     },
     "'rr3'.http_async.poll.headers[X-Api-Key]: unknown slot {{key}}"},
    {"BadCancelMethod",
     [](config::Channel& c) { Http(c).mutable_cancel()->set_method("KILL"); },
     "'rr3'.http_async.cancel.method: 'KILL' is not"},
    {"ApiKeyWithoutEnv", [](config::Channel& c) { c.clear_api_key_env(); },
     "config: channel 'rr3'.api_key_env: is required: the http_async calls "
     "use {{api_key}}"},
    {"NoBaseUrls", [](config::Channel& c) { c.clear_base_urls(); },
     "config: channel 'rr3'.base_urls: at least one URL is required"},
    {"NoSpec", [](config::Channel& c) { c.clear_http_async(); },
     "config: channel 'rr3'.http_async: is required"},
};

INSTANTIATE_TEST_SUITE_P(Mistakes, CompileSpecErrorTest,
                         ::testing::ValuesIn(kBadCases),
                         [](const ::testing::TestParamInfo<BadCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(TaskSlotsTest, OffersWhatTheTaskHas) {
  auto spec = CompileSpec(Rr3(), absl::Seconds(60), "secret");
  ASSERT_TRUE(spec.ok());
  TaskRecord r;
  r.mutable_task()->set_id("t-1");
  auto* req = r.mutable_request();
  req->set_prompt("a cat");
  req->set_width(768);
  req->set_height(1024);
  req->set_steps(20);
  req->set_seed(7);
  req->set_cfg(6);
  req->set_n(2);
  SubmitContext ctx;
  ctx.callback_url = "http://gw/v1/callbacks/t-1";
  SlotValues v = TaskSlots(*spec, r, ctx);
  EXPECT_EQ(v.at("prompt").text(), "a cat");
  EXPECT_EQ(v.at("width").int_value(), 768);
  EXPECT_EQ(v.at("seed").int_value(), 7);
  EXPECT_EQ(v.at("cfg").type(), SlotValue::Type::kReal);
  EXPECT_EQ(v.at("n").int_value(), 2);
  EXPECT_EQ(v.at("aspect_ratio").text(), "3:4");
  EXPECT_EQ(v.at("api_key").text(), "secret");
  EXPECT_EQ(v.at("task_id").text(), "t-1");
  EXPECT_EQ(v.at("callback_url").text(), "http://gw/v1/callbacks/t-1");
  // Unset, empty or unresolved: no value.
  for (const char* slot : {"negative_prompt", "model", "image_url", "id"}) {
    EXPECT_EQ(v.count(slot), 0u) << slot;
  }
  req->set_seed(-1);
  r.set_upstream_id("1234567890");
  v = TaskSlots(*spec, r, {});
  EXPECT_EQ(v.count("seed"), 0u);
  EXPECT_EQ(v.at("id").text(), "1234567890");
}

TEST(TaskSlotsTest, VideoTasksUseTheVideoRequest) {
  auto spec = CompileSpec(Rr3(), absl::Seconds(60), "");
  ASSERT_TRUE(spec.ok());
  TaskRecord r;
  r.mutable_video()->set_prompt("waves");
  r.mutable_video()->set_seed(9);
  r.mutable_video()->set_model("wan-2");
  SubmitContext ctx;
  ctx.input_url = "http://gw/uploads/t_input.png";
  SlotValues v = TaskSlots(*spec, r, ctx);
  EXPECT_EQ(v.at("prompt").text(), "waves");
  EXPECT_EQ(v.at("seed").int_value(), 9);
  EXPECT_EQ(v.at("model").text(), "wan-2");
  EXPECT_EQ(v.at("image_url").text(), "http://gw/uploads/t_input.png");
  EXPECT_EQ(v.count("api_key"), 0u);
}

}  // namespace
}  // namespace mediagw::http_async
