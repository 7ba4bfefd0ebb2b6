#include "gateway/legacy_codec.h"

#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace mediagw::gateway {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;

// The request body example of seed 000.
constexpr char kSeedBody[] = R"({
  "prompt": "1girl, white hair, blue eyes, starry sky, masterpiece",
  "negative_prompt": "lowres, bad quality, watermark",
  "width": 768,
  "height": 1024,
  "steps": 20,
  "workflow": "rr3",
  "seed": -1,
  "cfg": 6
})";

void ExpectInvalid(absl::string_view body, absl::string_view message) {
  auto r = DecodeImageGeneration(body);
  ASSERT_FALSE(r.ok()) << body;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr(message)) << body;
}

TEST(DecodeImageGenerationTest, SeedExample) {
  auto r = DecodeImageGeneration(kSeedBody);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->prompt(),
            "1girl, white hair, blue eyes, starry sky, masterpiece");
  EXPECT_EQ(r->negative_prompt(), "lowres, bad quality, watermark");
  EXPECT_EQ(r->width(), 768);
  EXPECT_EQ(r->height(), 1024);
  EXPECT_EQ(r->steps(), 20);
  EXPECT_EQ(r->workflow(), "rr3");
  ASSERT_TRUE(r->has_seed());
  EXPECT_EQ(r->seed(), -1);
  ASSERT_TRUE(r->has_cfg());
  EXPECT_DOUBLE_EQ(r->cfg(), 6);
  EXPECT_EQ(r->workflow_json(), "");
}

TEST(DecodeImageGenerationTest, GrokExampleLeavesDefaultsUnset) {
  auto r = DecodeImageGeneration(
      R"({"prompt": "a futuristic city, cyberpunk style", "workflow": "grok"})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->workflow(), "grok");
  EXPECT_FALSE(r->has_width());
  EXPECT_FALSE(r->has_height());
  EXPECT_FALSE(r->has_steps());
  EXPECT_FALSE(r->has_seed());
  EXPECT_FALSE(r->has_cfg());
  EXPECT_EQ(r->model(), "");
}

TEST(DecodeImageGenerationTest, NullFieldsAreAbsent) {
  auto r = DecodeImageGeneration(
      R"({"prompt":"x","width":null,"cfg":null,"model":null,"negative_prompt":null})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->has_width());
  EXPECT_FALSE(r->has_cfg());
}

TEST(DecodeImageGenerationTest, IntegralFloatsAndModel) {
  auto r = DecodeImageGeneration(
      R"({"prompt":"x","width":512.0,"cfg":7.5,"model":"sd/x.safetensors"})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->width(), 512);
  EXPECT_DOUBLE_EQ(r->cfg(), 7.5);
  EXPECT_EQ(r->model(), "sd/x.safetensors");
}

TEST(DecodeImageGenerationTest, PromptObjectBecomesWorkflowJson) {
  auto r = DecodeImageGeneration(
      R"({"prompt": {"3": {"class_type": "KSampler", "inputs": {"seed": 5}}},
          "workflow": "default"})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->prompt(), "");
  EXPECT_EQ(r->workflow_json(),
            R"({"3":{"class_type":"KSampler","inputs":{"seed":5}}})");
}

TEST(DecodeImageGenerationTest, MissingPrompt) {
  ExpectInvalid(R"({"width": 512})", "Missing prompt");
  ExpectInvalid(R"({"prompt": null})", "Missing prompt");
  ExpectInvalid("{}", "Missing prompt");
  auto r = DecodeImageGeneration(R"({"width": 512})");
  EXPECT_EQ(r.status().message(), "Missing prompt");
}

TEST(DecodeImageGenerationTest, WrongTypesNameTheField) {
  ExpectInvalid(R"({"prompt": 5})", "prompt");
  ExpectInvalid(R"({"prompt": ["a"]})", "prompt");
  ExpectInvalid(R"({"prompt":"x","width":"abc"})", "width");
  ExpectInvalid(R"({"prompt":"x","height":true})", "height");
  ExpectInvalid(R"({"prompt":"x","steps":1.5})", "steps");
  ExpectInvalid(R"({"prompt":"x","seed":"42"})", "seed");
  ExpectInvalid(R"({"prompt":"x","cfg":"x"})", "cfg");
  ExpectInvalid(R"({"prompt":"x","workflow":3})", "workflow");
  ExpectInvalid(R"({"prompt":"x","negative_prompt":{}})", "negative_prompt");
  ExpectInvalid(R"({"prompt":"x","model":[]})", "model");
  ExpectInvalid(R"({"prompt":"x","width":4294967296})", "width");
  ExpectInvalid(R"({"prompt":"x","seed":18446744073709551615})", "seed");
}

TEST(DecodeImageGenerationTest, MalformedBodies) {
  for (absl::string_view bad : {"", "{", "not json", "{\"prompt\":\"x\",}",
                                "{\"prompt\":\"x\"} extra"}) {
    ExpectInvalid(bad, "Invalid JSON body");
  }
  ExpectInvalid(R"(["prompt", "x"])", "Invalid JSON body: expected an object");
  ExpectInvalid("\"prompt\"", "expected an object");
  ExpectInvalid("null", "expected an object");
}

TEST(EncodeImageQueuedTest, MatchesSeedEnvelopeByteForByte) {
  v1::Task t;
  t.set_id("a1b2c3d4-5e6f-7a8b-9c0d-1e2f3a4b5c6d");
  t.set_state(v1::TASK_STATE_PENDING);
  EXPECT_EQ(EncodeImageQueued(t),
            "{\"success\":true,\"data\":{\"id\":\"a1b2c3d4-5e6f-7a8b-9c0d-"
            "1e2f3a4b5c6d\",\"status\":\"queued\",\"message\":\"Request "
            "queued. Webhook support coming soon.\"},\"error\":null}");
}

v1::Task BaseTask(v1::TaskState state) {
  v1::Task t;
  t.set_id("t-1");
  t.set_state(state);
  t.set_workflow("default");
  t.set_seed(4294967295);
  *t.mutable_create_time() = TimeUtil::SecondsToTimestamp(1700000000);
  *t.mutable_update_time() = TimeUtil::MillisecondsToTimestamp(1700000001500);
  return t;
}

TEST(EncodeTaskStatusTest, Queued) {
  EXPECT_EQ(
      EncodeTaskStatus(BaseTask(v1::TASK_STATE_PENDING)),
      R"({"success":true,"data":{"id":"t-1","status":"queued",)"
      R"("progress":0,"workflow":"default","provider":null,)"
      R"("seed":4294967295,"type":"image","image_url":null,"images":[],"error":null,)"
      R"("created_at":"2023-11-14T22:13:20.000Z",)"
      R"("updated_at":"2023-11-14T22:13:21.500Z",)"
      R"("started_at":null,"completed_at":null,)"
      R"("held_credits":0,"charged_credits":0},"error":null})");
}

TEST(EncodeTaskStatusTest, ShowsWhatTheTaskHoldsAndWasCharged) {
  v1::Task t = BaseTask(v1::TASK_STATE_RUNNING);
  t.set_held_credits(30);
  EXPECT_THAT(EncodeTaskStatus(t),
              HasSubstr(R"("held_credits":30,"charged_credits":0})"));
  t.set_state(v1::TASK_STATE_SUCCEEDED);
  t.set_held_credits(0);
  t.set_charged_credits(20);
  EXPECT_THAT(EncodeTaskStatus(t),
              HasSubstr(R"("held_credits":0,"charged_credits":20})"));
}

TEST(EncodeTaskStatusTest, Running) {
  v1::Task t = BaseTask(v1::TASK_STATE_RUNNING);
  t.set_progress(0.57);
  t.set_provider("comfyui");
  *t.mutable_start_time() = TimeUtil::SecondsToTimestamp(1700000001);
  std::string s = EncodeTaskStatus(t);
  EXPECT_THAT(s, HasSubstr(R"("status":"processing","progress":57,)"));
  EXPECT_THAT(s, HasSubstr(R"("provider":"comfyui")"));
  EXPECT_THAT(s, HasSubstr(R"("started_at":"2023-11-14T22:13:21.000Z")"));
  EXPECT_THAT(s, HasSubstr(R"("completed_at":null)"));
}

TEST(EncodeTaskStatusTest, SucceededWithOutputs) {
  v1::Task t = BaseTask(v1::TASK_STATE_SUCCEEDED);
  t.set_progress(1.0);
  t.add_outputs()->set_uri("http://h/uploads/t-1_1.png");
  t.add_outputs()->set_uri("http://h/uploads/t-1_2.png");
  *t.mutable_end_time() = TimeUtil::SecondsToTimestamp(1700000010);
  std::string s = EncodeTaskStatus(t);
  EXPECT_THAT(s, HasSubstr(R"("status":"completed","progress":100,)"));
  EXPECT_THAT(s, HasSubstr(R"("image_url":"http://h/uploads/t-1_1.png",)"
                           R"("images":["http://h/uploads/t-1_1.png",)"
                           R"("http://h/uploads/t-1_2.png"],"error":null)"));
  EXPECT_THAT(s, HasSubstr(R"("completed_at":"2023-11-14T22:13:30.000Z")"));
  EXPECT_THAT(s, HasSubstr(R"("success":true)"));
}

TEST(EncodeTaskStatusTest, FailedWithError) {
  v1::Task t = BaseTask(v1::TASK_STATE_FAILED);
  t.mutable_error()->set_code("INTERNAL");
  t.mutable_error()->set_message("CUDA \"out\" of memory");
  std::string s = EncodeTaskStatus(t);
  EXPECT_THAT(s, HasSubstr(R"("status":"failed")"));
  EXPECT_THAT(s, HasSubstr(R"("error":"CUDA \"out\" of memory")"));
  EXPECT_THAT(s, HasSubstr(R"("image_url":null,"images":[])"));
  // The envelope itself succeeded: the outer error stays null.
  EXPECT_THAT(s, ::testing::EndsWith(R"(},"error":null})"));
}

TEST(EncodeTaskStatusTest, CancelledAndTimedOut) {
  EXPECT_THAT(EncodeTaskStatus(BaseTask(v1::TASK_STATE_CANCELED)),
              HasSubstr(R"("status":"cancelled")"));
  v1::Task t = BaseTask(v1::TASK_STATE_TIMED_OUT);
  t.mutable_error()->set_code("DEADLINE_EXCEEDED");
  t.mutable_error()->set_message("task did not finish before its deadline");
  std::string s = EncodeTaskStatus(t);
  EXPECT_THAT(s, HasSubstr(R"("status":"failed")"));
  EXPECT_THAT(
      s, HasSubstr(R"("error":"task did not finish before its deadline")"));
}

TEST(EncodeErrorTest, ShapeAndEscaping) {
  EXPECT_EQ(EncodeError("Missing prompt"),
            R"({"success":false,"data":null,"error":"Missing prompt"})");
  EXPECT_EQ(EncodeError("Insufficient balance"),
            R"({"success":false,"data":null,"error":"Insufficient balance"})");
  EXPECT_EQ(EncodeError(std::string("a\"b\\c\nd\x01", 8)),
            R"({"success":false,"data":null,"error":"a\"b\\c\nd\u0001"})");
  EXPECT_EQ(EncodeError(""), R"({"success":false,"data":null,"error":""})");
}

// The video request example of seed 000.
constexpr char kSeedVideoBody[] = R"({
  "prompt": "1girl, dancing, high quality",
  "image": "https://example.com/input.jpg",
  "seed": -1
})";

TEST(DecodeVideoGenerationTest, SeedExample) {
  auto r = DecodeVideoGeneration(kSeedVideoBody);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->prompt(), "1girl, dancing, high quality");
  EXPECT_EQ(r->image(), "https://example.com/input.jpg");
  ASSERT_TRUE(r->has_seed());
  EXPECT_EQ(r->seed(), -1);
  EXPECT_EQ(r->workflow(), "");
}

TEST(DecodeVideoGenerationTest, OptionalWorkflowAndModel) {
  auto r = DecodeVideoGeneration(
      R"({"prompt":"p","image":"aGVsbG8=","workflow":"kie-video","model":"m"})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->workflow(), "kie-video");
  EXPECT_EQ(r->model(), "m");
  EXPECT_FALSE(r->has_seed());
}

TEST(DecodeVideoGenerationTest, BadInput) {
  struct Case {
    const char* body;
    const char* message;
  } cases[] = {
      {R"({"image":"https://e.com/a.png"})", "Missing prompt"},
      {R"({"prompt":null,"image":"x"})", "Missing prompt"},
      {R"({"prompt":"p"})", "Missing image"},
      {R"({"prompt":"p","image":null})", "Missing image"},
      {R"({"prompt":5,"image":"x"})", "prompt must be a string"},
      {R"({"prompt":"p","image":["x"]})", "image must be a string"},
      {R"({"prompt":"p","image":"x","seed":"1"})", "seed must be an integer"},
      {R"({"prompt":"p","image":"x","seed":1.5})", "seed must be an integer"},
      {R"({"prompt":"p","image":"x","workflow":7})",
       "workflow must be a string"},
      {R"([1,2])", "expected an object"},
      {R"({"prompt":"p",)", "Invalid JSON body"},
      {"", "Invalid JSON body"},
  };
  for (const Case& c : cases) {
    auto r = DecodeVideoGeneration(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr(c.message)) << c.body;
  }
}

TEST(DecodeImageGenerationTest, CountOfImages) {
  auto r = DecodeImageGeneration(R"({"prompt":"p","n":3})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->n(), 3);
  ExpectInvalid(R"({"prompt":"p","n":"3"})", "n must be an integer");
}

TEST(EncodeQueuedTest, LabelledWorkflowsAnswerLikeTheSeed) {
  v1::Task t;
  t.set_id("1234567890");
  t.set_provider("rr3");
  EXPECT_EQ(EncodeImageQueued(t),
            R"({"success":true,"data":{"id":"1234567890","provider":"rr3",)"
            R"("status":"queued",)"
            R"("check_status":"?endpoint=task_status&task_id=1234567890"},)"
            R"("error":null})");
  t.set_id("grok_65d4a");
  t.set_provider("grok");
  EXPECT_EQ(EncodeImageQueued(t),
            R"({"success":true,"data":{"id":"grok_65d4a","provider":"grok",)"
            R"("status":"queued",)"
            R"("check_status":"?endpoint=task_status&task_id=grok_65d4a"},)"
            R"("error":null})");
}

TEST(EncodeQueuedTest, VideoAnswerLikeTheSeed) {
  v1::Task t;
  t.set_id("a1b2");
  t.set_kind(v1::TASK_KIND_VIDEO);
  EXPECT_EQ(EncodeVideoQueued(t),
            R"({"success":true,"data":{"id":"a1b2","status":"queued",)"
            R"("message":"Video generation queued.",)"
            R"("check_status":"?endpoint=task_status&task_id=a1b2"},)"
            R"("error":null})");
}

TEST(EncodeTaskStatusTest, VideoShowsTheVideoUrl) {
  v1::Task t;
  t.set_id("v1");
  t.set_kind(v1::TASK_KIND_VIDEO);
  t.set_state(v1::TASK_STATE_SUCCEEDED);
  t.set_progress(1);
  auto* o = t.add_outputs();
  o->set_uri("http://gw/uploads/v1.mp4");
  o->set_mime_type("video/mp4");
  std::string body = EncodeTaskStatus(t);
  EXPECT_THAT(body, HasSubstr(R"("type":"video")"));
  EXPECT_THAT(body, HasSubstr(R"("video_url":"http://gw/uploads/v1.mp4")"));
  EXPECT_THAT(body, HasSubstr(R"("mime_type":"video/mp4")"));
  EXPECT_THAT(body, HasSubstr(R"("image_url":null,"images":[])"));
  EXPECT_THAT(body, HasSubstr(R"("status":"completed")"));
}

TEST(DecodeImageGenerationTest, WebhookExtensionFields) {
  auto req = DecodeImageGeneration(
      R"({"prompt":"x","webhook_url":"https://h.example/hook",)"
      R"("webhook_events":["failed","completed"]})");
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->webhook_url(), "https://h.example/hook");
  EXPECT_THAT(req->webhook_events(),
              ::testing::ElementsAre("failed", "completed"));
  ExpectInvalid(R"({"prompt":"x","webhook_url":5})", "webhook_url");
  ExpectInvalid(R"({"prompt":"x","webhook_events":"failed"})",
                "webhook_events");
  ExpectInvalid(R"({"prompt":"x","webhook_events":[1]})", "webhook_events");
}

TEST(DecodeVideoGenerationTest, WebhookExtensionFields) {
  auto req = DecodeVideoGeneration(
      R"({"prompt":"x","image":"http://h/a.png","webhook_url":"http://h/w",)"
      R"("webhook_events":["timed_out"]})");
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->webhook_url(), "http://h/w");
  EXPECT_THAT(req->webhook_events(), ::testing::ElementsAre("timed_out"));
  EXPECT_FALSE(DecodeVideoGeneration(
                   R"({"prompt":"x","image":"http://h/a.png","webhook_url":[]})")
                   .ok());
}

}  // namespace
}  // namespace mediagw::gateway
