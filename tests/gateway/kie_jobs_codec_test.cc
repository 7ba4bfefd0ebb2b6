// The kie-compatible jobs codec: seed 002's createTask in, kie's envelopes
// and task detail out.
#include "gateway/kie_jobs_codec.h"

#include <string>

#include "common/json.h"
#include "common/status_mapping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagw::gateway {
namespace {

using ::testing::HasSubstr;

std::string Refused(const std::string& body) {
  auto r = DecodeKieCreateTask(body);
  EXPECT_FALSE(r.ok()) << "accepted: " << body;
  if (r.ok()) return "";
  EXPECT_EQ(KieCodeFor(r.status()), 422);
  return std::string(r.status().message());
}

TEST(KieCodecTest, Seed002ExampleDecodes) {
  auto r = DecodeKieCreateTask(R"(
{
  "model": "grok-imagine/text-to-image",
  "callBackUrl": "https://your-domain.com/api/callback",
  "input": {
    "prompt": "一位女性坐在黑胶唱片机旁的电影肖像，复古客厅背景。",
    "aspect_ratio": "3:2"
  }
})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->model, "grok-imagine/text-to-image");
  EXPECT_EQ(r->callback_url, "https://your-domain.com/api/callback");
  EXPECT_THAT(r->prompt, HasSubstr("黑胶唱片机"));
  EXPECT_EQ(r->width, 1024);
  EXPECT_EQ(r->height, 680);  // 1024 / 1.5 = 682.7, to a multiple of 8
  EXPECT_TRUE(r->image_urls.empty());

  r = DecodeKieCreateTask(
      R"({"model":"m","input":{"prompt":"p","image_urls":["http://h/a.png"],
          "nsfw_checker": true}})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->width, 0);
  EXPECT_EQ(r->image_urls, std::vector<std::string>{"http://h/a.png"});
}

TEST(KieCodecTest, RefusalsAre422AndNameTheMember) {
  EXPECT_THAT(Refused("{"), HasSubstr("Invalid JSON"));
  EXPECT_THAT(Refused(R"({"input":{"prompt":"p"}})"), HasSubstr("model"));
  EXPECT_THAT(Refused(R"({"model":"m"})"), HasSubstr("input"));
  EXPECT_THAT(Refused(R"({"model":"m","input":{}})"),
              HasSubstr("input.prompt"));
  EXPECT_THAT(Refused(R"({"model":"m","input":{"prompt":" "}})"),
              HasSubstr("input.prompt"));
  // 5000 characters pass, 5001 do not, counted as characters not bytes.
  std::string ok(5000 * 3, '\0');
  for (size_t i = 0; i < ok.size(); i += 3) ok.replace(i, 3, "猫");
  EXPECT_TRUE(DecodeKieCreateTask(absl::StrCat(R"({"model":"m","input":{"prompt":")",
                                               ok, "\"}}"))
                  .ok());
  EXPECT_THAT(Refused(absl::StrCat(R"({"model":"m","input":{"prompt":")", ok,
                                   "x\"}}")),
              HasSubstr("5000"));
  EXPECT_THAT(
      Refused(R"({"model":"m","input":{"prompt":"p","aspect_ratio":"wide"}})"),
      HasSubstr("aspect_ratio"));
  EXPECT_THAT(Refused(R"({"model":"m","callBackUrl":"ftp://h/x",
                          "input":{"prompt":"p"}})"),
              HasSubstr("callBackUrl"));
  EXPECT_THAT(Refused(R"({"model":"m","callBackUrl":"http://h/a b",
                          "input":{"prompt":"p"}})"),
              HasSubstr("callBackUrl"));
  EXPECT_THAT(Refused(R"({"model":"m","callBackUrl":"http://u:p@h/",
                          "input":{"prompt":"p"}})"),
              HasSubstr("callBackUrl"));
  EXPECT_THAT(Refused(absl::StrCat(R"({"model":"m","callBackUrl":"http://h/)",
                                   std::string(2048, 'a'),
                                   R"(","input":{"prompt":"p"}})")),
              HasSubstr("2048"));
  EXPECT_THAT(Refused(R"({"model":"m","callBackUrl":7,"input":{"prompt":"p"}})"),
              HasSubstr("callBackUrl"));
  EXPECT_THAT(Refused(R"({"model":"m","input":{"prompt":"p",
                          "image_urls":"http://h/a.png"}})"),
              HasSubstr("image_urls"));
  EXPECT_THAT(Refused(R"({"model":"m","input":{"prompt":"p",
                          "image_urls":["file:///etc/passwd"]}})"),
              HasSubstr("image_urls"));
}

TEST(KieCodecTest, StatusesBecomeBodyCodes) {
  EXPECT_EQ(KieCodeFor(WithReason(
                absl::FailedPreconditionError("Insufficient balance"),
                Reason::kCallerBalanceShort)),
            402);
  EXPECT_EQ(KieCodeFor(WithReason(absl::ResourceExhaustedError("too many"),
                                  Reason::kCallerOverLimit)),
            429);
  // Our own upstream account out of credit is not the caller's 402.
  EXPECT_NE(KieCodeFor(WithReason(absl::FailedPreconditionError("x"),
                                  Reason::kInsufficientBalance)),
            402);
  EXPECT_EQ(KieCodeFor(absl::UnauthenticatedError("x")), 401);
  EXPECT_EQ(KieCodeFor(absl::NotFoundError("x")), 404);
  EXPECT_EQ(KieCodeFor(absl::InvalidArgumentError("x")), 422);
  EXPECT_EQ(KieCodeFor(absl::AlreadyExistsError("x")), 422);
  EXPECT_EQ(KieCodeFor(absl::ResourceExhaustedError("x")), 429);
  EXPECT_EQ(KieCodeFor(WithReason(absl::UnavailableError("x"),
                                  Reason::kRateLimited)),
            429);
  EXPECT_EQ(KieCodeFor(absl::UnavailableError("x")), 455);
  EXPECT_EQ(KieCodeFor(absl::UnimplementedError("x")), 505);
  EXPECT_EQ(KieCodeFor(absl::InternalError("x")), 500);
  EXPECT_EQ(KieCodeFor(absl::FailedPreconditionError("x")), 500);
}

TEST(KieCodecTest, EnvelopesAreKies) {
  EXPECT_EQ(EncodeKieCreated("task_1"),
            R"({"code":200,"msg":"success","data":{"taskId":"task_1"}})");
  EXPECT_EQ(EncodeKieError(422, "bad"),
            R"({"code":422,"msg":"bad","data":null})");
}

TEST(KieCodecTest, StatesMapToKies) {
  EXPECT_EQ(KieState(v1::TASK_STATE_PENDING), "waiting");
  EXPECT_EQ(KieState(v1::TASK_STATE_SUBMITTING), "queuing");
  EXPECT_EQ(KieState(v1::TASK_STATE_QUEUED), "queuing");
  EXPECT_EQ(KieState(v1::TASK_STATE_RUNNING), "generating");
  EXPECT_EQ(KieState(v1::TASK_STATE_FINALIZING), "generating");
  EXPECT_EQ(KieState(v1::TASK_STATE_SUCCEEDED), "success");
  EXPECT_EQ(KieState(v1::TASK_STATE_FAILED), "fail");
  EXPECT_EQ(KieState(v1::TASK_STATE_CANCELED), "fail");
  EXPECT_EQ(KieState(v1::TASK_STATE_TIMED_OUT), "fail");
}

TEST(KieCodecTest, RecordInfoOfASucceededTask) {
  v1::Task t;
  t.set_id("t-1");
  t.set_state(v1::TASK_STATE_SUCCEEDED);
  t.add_outputs()->set_uri("http://h/uploads/t-1.png");
  t.mutable_create_time()->set_seconds(100);
  t.mutable_update_time()->set_seconds(103);
  t.mutable_end_time()->set_seconds(103);
  t.mutable_end_time()->set_nanos(500000000);
  auto doc = json::Parse(EncodeKieRecordInfo(t, "grok-imagine/text-to-image"));
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ((*doc)["code"].GetInt(), 200);
  const auto& d = (*doc)["data"];
  EXPECT_STREQ(d["taskId"].GetString(), "t-1");
  EXPECT_STREQ(d["model"].GetString(), "grok-imagine/text-to-image");
  EXPECT_STREQ(d["state"].GetString(), "success");
  // resultJson is JSON inside a JSON string.
  auto result = json::Parse(d["resultJson"].GetString());
  ASSERT_TRUE(result.ok());
  EXPECT_STREQ((*result)["resultUrls"][0].GetString(),
               "http://h/uploads/t-1.png");
  EXPECT_STREQ(d["failCode"].GetString(), "");
  EXPECT_EQ(d["createTime"].GetInt64(), 100000);
  EXPECT_EQ(d["completeTime"].GetInt64(), 103500);
  EXPECT_EQ(d["costTime"].GetInt64(), 3500);
}

TEST(KieCodecTest, RecordInfoOfAFailedAndARunningTask) {
  v1::Task t;
  t.set_id("t-2");
  t.set_state(v1::TASK_STATE_FAILED);
  t.mutable_error()->set_code("INVALID_ARGUMENT");
  t.mutable_error()->set_message("refused by the upstream");
  t.mutable_end_time()->set_seconds(9);
  auto doc = json::Parse(EncodeKieRecordInfo(t, "m"));
  ASSERT_TRUE(doc.ok());
  EXPECT_STREQ((*doc)["data"]["state"].GetString(), "fail");
  EXPECT_STREQ((*doc)["data"]["failCode"].GetString(), "400");
  EXPECT_STREQ((*doc)["data"]["failMsg"].GetString(), "refused by the upstream");
  EXPECT_STREQ((*doc)["data"]["resultJson"].GetString(), "");

  t.Clear();
  t.set_id("t-3");
  t.set_state(v1::TASK_STATE_RUNNING);
  doc = json::Parse(EncodeKieRecordInfo(t, "m"));
  ASSERT_TRUE(doc.ok());
  EXPECT_STREQ((*doc)["data"]["state"].GetString(), "generating");
  EXPECT_TRUE((*doc)["data"]["completeTime"].IsNull());
  EXPECT_TRUE((*doc)["data"]["costTime"].IsNull());
}

TEST(KieCodecTest, CallbackCarriesTheRecordWithKiesCodes) {
  v1::Task t;
  t.set_id("t-1");
  t.set_state(v1::TASK_STATE_SUCCEEDED);
  t.add_outputs()->set_uri("http://h/uploads/t-1.png");
  auto doc = json::Parse(EncodeKieCallback(t, "z-image"));
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ((*doc)["code"].GetInt(), 200);
  EXPECT_STREQ((*doc)["msg"].GetString(), "success");
  EXPECT_STREQ((*doc)["data"]["taskId"].GetString(), "t-1");
  EXPECT_STREQ((*doc)["data"]["state"].GetString(), "success");
  EXPECT_STREQ((*doc)["data"]["model"].GetString(), "z-image");

  t.clear_outputs();
  t.set_state(v1::TASK_STATE_FAILED);
  t.mutable_error()->set_message("upstream said no");
  doc = json::Parse(EncodeKieCallback(t, "z-image"));
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ((*doc)["code"].GetInt(), 501);
  EXPECT_STREQ((*doc)["msg"].GetString(), "upstream said no");
  EXPECT_STREQ((*doc)["data"]["state"].GetString(), "fail");
  EXPECT_STREQ((*doc)["data"]["failMsg"].GetString(), "upstream said no");

  t.clear_error();
  t.set_state(v1::TASK_STATE_CANCELED);
  doc = json::Parse(EncodeKieCallback(t, "z-image"));
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ((*doc)["code"].GetInt(), 501);
  EXPECT_STREQ((*doc)["msg"].GetString(), "canceled");
}

}  // namespace
}  // namespace mediagw::gateway
