// The simulated kie API's request validation and reply shapes, and its
// task table (time-driven states, endings, eviction), without a network.
#include "tools/sim/kie_sim_codec.h"

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/sim/kie_jobs.h"

namespace mediagw::sim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(KieCreateTaskTest, AcceptsTheSeedRequest) {
  auto r = ParseKieCreateTask(
      R"({"model":"grok-imagine/text-to-image",)"
      R"("callBackUrl":"https://your-domain.com/api/callback",)"
      R"("input":{"prompt":"a cinematic portrait","aspect_ratio":"3:2"}})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->model, "grok-imagine/text-to-image");
  EXPECT_EQ(r->callback_url, "https://your-domain.com/api/callback");
  EXPECT_EQ(r->prompt, "a cinematic portrait");
  EXPECT_EQ(r->aspect_ratio, "3:2");
  EXPECT_FALSE(r->video);
}

TEST(KieCreateTaskTest, DefaultsAndVideoModels) {
  auto r = ParseKieCreateTask(
      R"({"model":"grok-imagine/text-to-image","input":{"prompt":"p"}})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->aspect_ratio, "1:1");
  EXPECT_EQ(r->callback_url, "");
  r = ParseKieCreateTask(
      R"({"model":"grok-imagine/image-to-video","callBackUrl":null,)"
      R"("input":{"prompt":"p","image_urls":["http://127.0.0.1:8080/uploads/a.png"]}})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->video);
  EXPECT_THAT(r->image_urls,
              ElementsAre("http://127.0.0.1:8080/uploads/a.png"));
  r = ParseKieCreateTask(
      R"({"model":"grok-imagine/text-to-video","input":{"prompt":"p"}})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->video);
}

TEST(KieCreateTaskTest, RefusesInvalidRequestsWithAMessage) {
  struct Case {
    const char* body;
    const char* says;
  };
  for (
      const Case& c : std::vector<Case>{
          {"", "request body"},
          {"{", "request body"},
          {"[]", "request body"},
          {R"({"input":{"prompt":"p"}})", "model"},
          {R"({"model":7,"input":{"prompt":"p"}})", "model"},
          {R"({"model":"dall-e","input":{"prompt":"p"}})", "not supported"},
          {R"({"model":"grok-imagine/text-to-image"})", "input"},
          {R"({"model":"grok-imagine/text-to-image","input":"p"})", "input"},
          {R"({"model":"grok-imagine/text-to-image","input":{}})", "prompt"},
          {R"({"model":"grok-imagine/text-to-image","input":{"prompt":"  "}})",
           "prompt"},
          {R"({"model":"grok-imagine/text-to-image","input":{"prompt":3}})",
           "prompt"},
          {R"({"model":"grok-imagine/text-to-image","input":{"prompt":"p",)"
           R"("aspect_ratio":"16:9"}})",
           "aspect_ratio"},
          {R"({"model":"grok-imagine/text-to-image","input":{"prompt":"p",)"
           R"("aspect_ratio":1}})",
           "aspect_ratio"},
          {R"({"model":"grok-imagine/image-to-video","input":{"prompt":"p"}})",
           "image_urls"},
          {R"({"model":"grok-imagine/image-to-video","input":{"prompt":"p",)"
           R"("image_urls":"http://a/b.png"}})",
           "image_urls"},
          {R"({"model":"grok-imagine/image-to-video","input":{"prompt":"p",)"
           R"("image_urls":[5]}})",
           "image_urls"},
          {R"({"model":"grok-imagine/image-to-video","input":{"prompt":"p",)"
           R"("image_urls":["file:///etc/passwd"]}})",
           "image_urls"},
          {R"({"model":"grok-imagine/text-to-image","callBackUrl":"ftp://x/y",)"
           R"("input":{"prompt":"p"}})",
           "callBackUrl"},
          {R"({"model":"grok-imagine/text-to-image","callBackUrl":5,)"
           R"("input":{"prompt":"p"}})",
           "callBackUrl"},
      }) {
    auto r = ParseKieCreateTask(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr(c.says)) << c.body;
  }
  const std::string long_prompt(kKieMaxPromptChars + 1, 'x');
  auto r = ParseKieCreateTask(
      R"({"model":"grok-imagine/text-to-image","input":{"prompt":")" +
      long_prompt + "\"}}");
  EXPECT_FALSE(r.ok());
}

TEST(KieSimJsonTest, Envelopes) {
  EXPECT_EQ(
      KieEnvelopeJson(401, "You do not have access permissions"),
      R"({"code":401,"msg":"You do not have access permissions","data":null})");
  EXPECT_EQ(KieCreatedJson("task_1"),
            R"({"code":200,"msg":"success","data":{"taskId":"task_1"}})");
}

KieTaskView SuccessView() {
  KieTaskView v;
  v.task_id = "task_1";
  v.model = "grok-imagine/text-to-image";
  v.state = "success";
  v.param = R"({"model":"grok-imagine/text-to-image"})";
  v.result_urls = {"http://h:1/kie/files/task_1_0.png"};
  v.create_time_ms = 1000;
  v.update_time_ms = 3000;
  v.complete_time_ms = 3000;
  v.cost_time_ms = 1500;
  return v;
}

TEST(KieSimJsonTest, RecordInfoEncodesResultJsonAsAString) {
  EXPECT_EQ(
      KieRecordInfoJson(SuccessView()),
      R"({"code":200,"msg":"success","data":{"taskId":"task_1",)"
      R"("model":"grok-imagine/text-to-image","state":"success",)"
      R"("param":"{\"model\":\"grok-imagine/text-to-image\"}",)"
      R"("resultJson":"{\"resultUrls\":[\"http://h:1/kie/files/task_1_0.png\"]}",)"
      R"("failCode":"","failMsg":"","costTime":1500,"completeTime":3000,)"
      R"("createTime":1000,"updateTime":3000}})");
}

TEST(KieSimJsonTest, RunningTaskHasNoResultAndNullTimes) {
  KieTaskView v;
  v.task_id = "t";
  v.model = "m";
  v.state = "queuing";
  v.create_time_ms = 5;
  v.update_time_ms = 6;
  EXPECT_EQ(KieTaskDataJson(v),
            R"({"taskId":"t","model":"m","state":"queuing","param":"",)"
            R"("resultJson":"","failCode":"","failMsg":"","costTime":null,)"
            R"("completeTime":null,"createTime":5,"updateTime":6})");
}

TEST(KieSimJsonTest, CallbackBodies) {
  EXPECT_THAT(KieCallbackJson(SuccessView()),
              HasSubstr(R"({"code":200,"msg":"Task completed successfully.",)"
                        R"("data":{"taskId":"task_1",)"));
  KieTaskView failed = SuccessView();
  failed.state = "fail";
  failed.result_urls.clear();
  failed.fail_code = "500";
  failed.fail_msg = "simulated generation failure";
  const std::string body = KieCallbackJson(failed);
  EXPECT_THAT(
      body, HasSubstr(R"({"code":501,"msg":"simulated generation failure",)"));
  EXPECT_THAT(body, HasSubstr(R"("failCode":"500")"));
}

// --- the task table -------------------------------------------------------

KieCreateRequest ImageRequest(std::string callback = "") {
  KieCreateRequest r;
  r.model = "grok-imagine/text-to-image";
  r.prompt = "p";
  r.aspect_ratio = "1:1";
  r.callback_url = std::move(callback);
  return r;
}

constexpr absl::Duration kStep = absl::Milliseconds(100);

KieJobTiming Timing() { return {kStep, kStep, 4 * kStep}; }

TEST(KieJobsTest, StatesFollowTheClockUntilTheTaskEnds) {
  KieJobs jobs(Timing(), 10);
  const absl::Time t0 = absl::FromUnixSeconds(1700000000);
  KieJobs::Created c =
      jobs.Create(ImageRequest(), "{}", "http://h:1/kie/files", t0);
  EXPECT_EQ(c.done_at, t0 + 6 * kStep);
  EXPECT_EQ(c.task_id.rfind("task_", 0), 0u);
  EXPECT_EQ(jobs.View(c.task_id, t0)->state, "waiting");
  EXPECT_EQ(jobs.View(c.task_id, t0 + kStep)->state, "queuing");
  EXPECT_EQ(jobs.View(c.task_id, t0 + 2 * kStep)->state, "generating");
  // Still generating after done_at until the routes end it.
  EXPECT_EQ(jobs.View(c.task_id, t0 + 60 * kStep)->state, "generating");
  EXPECT_FALSE(jobs.View(c.task_id, t0)->complete_time_ms.has_value());

  auto ended = jobs.Succeed(
      c.task_id, {{c.task_id + "_0.png", "image/png", "PNG"}}, t0 + 7 * kStep);
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->view.state, "success");
  EXPECT_THAT(ended->view.result_urls,
              ElementsAre("http://h:1/kie/files/" + c.task_id + "_0.png"));
  EXPECT_EQ(*ended->view.complete_time_ms, absl::ToUnixMillis(t0 + 7 * kStep));
  EXPECT_EQ(*ended->view.cost_time_ms, absl::ToInt64Milliseconds(5 * kStep));
  auto file = jobs.File(c.task_id + "_0.png");
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->bytes, "PNG");
  // An ended task does not end again.
  EXPECT_FALSE(jobs.Fail(c.task_id, "500", "x", t0 + 8 * kStep).has_value());
  EXPECT_EQ(jobs.View(c.task_id, t0 + 9 * kStep)->state, "success");
}

TEST(KieJobsTest, FailForgetAndUnknownIds) {
  KieJobs jobs(Timing(), 10);
  const absl::Time t0 = absl::FromUnixSeconds(1700000000);
  KieJobs::Created a = jobs.Create(ImageRequest("http://cb/1"), "{}", "b", t0);
  KieJobs::Created b = jobs.Create(ImageRequest(), "{}", "b", t0);
  EXPECT_NE(a.task_id, b.task_id);
  auto ended = jobs.Fail(a.task_id, "500", "boom", t0 + kStep);
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->callback_url, "http://cb/1");
  EXPECT_EQ(ended->view.state, "fail");
  EXPECT_EQ(ended->view.fail_code, "500");
  EXPECT_EQ(ended->view.fail_msg, "boom");
  jobs.Forget(b.task_id);
  EXPECT_FALSE(jobs.View(b.task_id, t0).has_value());
  EXPECT_FALSE(jobs.Succeed(b.task_id, {}, t0).has_value());
  EXPECT_FALSE(jobs.View("task_nope", t0).has_value());
  EXPECT_FALSE(jobs.File("nope.png").has_value());
  EXPECT_EQ(jobs.size(), 1u);
}

TEST(KieJobsTest, OldestTasksAndTheirFilesAreEvicted) {
  KieJobs jobs(Timing(), 2);
  const absl::Time t0 = absl::FromUnixSeconds(1700000000);
  KieJobs::Created first = jobs.Create(ImageRequest(), "{}", "b", t0);
  ASSERT_TRUE(jobs.Succeed(first.task_id, {{"first.png", "image/png", "x"}}, t0)
                  .has_value());
  jobs.Create(ImageRequest(), "{}", "b", t0);
  jobs.Create(ImageRequest(), "{}", "b", t0);
  EXPECT_EQ(jobs.size(), 2u);
  EXPECT_FALSE(jobs.View(first.task_id, t0).has_value());
  EXPECT_FALSE(jobs.File("first.png").has_value());
}

}  // namespace
}  // namespace mediagw::sim
