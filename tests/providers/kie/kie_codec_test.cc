// Golden tests of the kie codec: createTask bodies and replies, recordInfo
// in every state, the string-encoded resultJson, failures and callbacks,
// with malformed and wrongly typed input throughout.
#include "providers/kie/kie_codec.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_mapping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagw::kie {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Code = absl::StatusCode;
using State = TaskInfo::State;

constexpr char kId[] = "task_grok_12345678";

// recordInfo reply for kId whose data has `fields` (JSON members, no
// braces) after taskId.
std::string Record(const std::string& fields) {
  return std::string(R"({"code":200,"msg":"success","data":{"taskId":")") +
         kId + "\"," + fields + "}}";
}

TEST(NearestAspectRatioTest, PicksTheClosestDocumentedRatio) {
  EXPECT_EQ(NearestAspectRatio(512, 512), "1:1");
  EXPECT_EQ(NearestAspectRatio(1024, 1536), "2:3");
  EXPECT_EQ(NearestAspectRatio(1536, 1024), "3:2");
  EXPECT_EQ(NearestAspectRatio(1200, 1000), "1:1");  // 1.2 < sqrt(1.5)
  EXPECT_EQ(NearestAspectRatio(1250, 1000), "3:2");
  EXPECT_EQ(NearestAspectRatio(1000, 1250), "2:3");
  EXPECT_EQ(NearestAspectRatio(2048, 16), "3:2");
  EXPECT_EQ(NearestAspectRatio(16, 2048), "2:3");
  EXPECT_EQ(NearestAspectRatio(0, 0), "1:1");
  EXPECT_EQ(NearestAspectRatio(-5, 100), "1:1");
}

TEST(BuildCreateTaskBodyTest, ImageWithCallback) {
  CreateTaskRequest r;
  r.model = "grok-imagine/text-to-image";
  r.callback_url = "https://gw.example/v1/callbacks/t1";
  r.prompt = "a \"quoted\" lighthouse\n";
  r.aspect_ratio = "3:2";
  EXPECT_EQ(BuildCreateTaskBody(r),
            R"({"model":"grok-imagine/text-to-image",)"
            R"("callBackUrl":"https://gw.example/v1/callbacks/t1",)"
            R"("input":{"prompt":"a \"quoted\" lighthouse\n",)"
            R"("aspect_ratio":"3:2"}})");
}

TEST(BuildCreateTaskBodyTest, VideoWithoutCallbackOmitsEmptyFields) {
  CreateTaskRequest r;
  r.model = "grok-imagine/image-to-video";
  r.prompt = "waves";
  r.image_urls = {"https://gw.example/uploads/t1_input.png"};
  EXPECT_EQ(BuildCreateTaskBody(r),
            R"({"model":"grok-imagine/image-to-video","input":{)"
            R"("prompt":"waves",)"
            R"("image_urls":["https://gw.example/uploads/t1_input.png"]}})");
}

TEST(BodyCodeToStatusTest, MapsEveryDocumentedCode) {
  struct Case {
    int64_t code;
    Code want;
    bool retryable;
  };
  for (const Case& c : std::vector<Case>{
           {401, Code::kFailedPrecondition, false},
           {402, Code::kFailedPrecondition, false},
           {404, Code::kNotFound, false},
           {422, Code::kInvalidArgument, false},
           {429, Code::kUnavailable, true},
           {455, Code::kUnavailable, true},
           {500, Code::kUnavailable, true},
           {501, Code::kInternal, false},
           {505, Code::kFailedPrecondition, false},
           {201, Code::kUnknown, false},
           {0, Code::kUnknown, false},
           {-1, Code::kUnknown, false},
           {123456, Code::kUnknown, false},
       }) {
    absl::Status st = BodyCodeToStatus(c.code, "the message");
    EXPECT_EQ(st.code(), c.want) << c.code << ": " << st;
    EXPECT_EQ(IsRetryable(st), c.retryable) << c.code;
    EXPECT_THAT(st.message(), HasSubstr("the message")) << c.code;
    EXPECT_THAT(st.message(), HasSubstr("kie")) << c.code;
  }
}

TEST(CreateTaskCodeToStatusTest, RefusalsBeforeAcceptanceAreRetryable) {
  struct Case {
    int64_t code;
    Code want;
    bool retryable;
    const char* says;
  };
  for (const Case& c : std::vector<Case>{
           {401, Code::kFailedPrecondition, false, "API key"},
           {402, Code::kFailedPrecondition, false, "credits"},
           {422, Code::kInvalidArgument, false, "the message"},
           {429, Code::kUnavailable, true, "the message"},
           {455, Code::kUnavailable, true, "the message"},
           {500, Code::kUnavailable, true, "the message"},
           {501, Code::kUnavailable, true, "(generation failed)"},
           {505, Code::kUnavailable, true, "(feature disabled)"},
       }) {
    absl::Status st = CreateTaskCodeToStatus(c.code, "the message");
    EXPECT_EQ(st.code(), c.want) << c.code << ": " << st;
    if (c.code == 401) {
      EXPECT_EQ(ReasonOf(st), Reason::kUpstreamCredentialsRefused);
    } else if (c.code == 402) {
      EXPECT_EQ(ReasonOf(st), Reason::kInsufficientBalance);
    } else if (c.code == 429) {
      EXPECT_EQ(ReasonOf(st), Reason::kRateLimited);
    }
    EXPECT_EQ(IsRetryable(st), c.retryable) << c.code;
    EXPECT_THAT(st.message(), HasSubstr("the message")) << c.code;
    EXPECT_THAT(st.message(), HasSubstr(c.says)) << c.code;
    EXPECT_THAT(st.message(), HasSubstr(absl::StrCat(c.code))) << c.code;

    // Same code and message in the reply to createTask.
    auto parsed = ParseCreateTaskResponse(
        200, absl::StrCat(R"({"code":)", c.code, R"(,"msg":"the message"})"));
    EXPECT_EQ(parsed.status(), st) << c.code;
  }
}

TEST(ParseCreateTaskResponseTest, Success) {
  auto id = ParseCreateTaskResponse(
      200, R"({"code":200,"msg":"success","data":{"taskId":"task_grok_1"}})");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "task_grok_1");
}

TEST(ParseCreateTaskResponseTest, BodyCodeWinsOverHttp200) {
  auto st = ParseCreateTaskResponse(
      200, R"({"code":401,"msg":"You do not have access permissions"})");
  EXPECT_EQ(st.status().code(), Code::kFailedPrecondition);
  EXPECT_THAT(st.status().message(), HasSubstr("access permissions"));
  EXPECT_EQ(ParseCreateTaskResponse(200, R"({"code":455,"msg":"maintenance"})")
                .status()
                .code(),
            Code::kUnavailable);
  EXPECT_EQ(ParseCreateTaskResponse(
                200, R"({"code":422,"msg":"bad","data":{"taskId":"x"}})")
                .status()
                .code(),
            Code::kInvalidArgument);
  // The same envelope on an HTTP error status.
  EXPECT_EQ(ParseCreateTaskResponse(402, R"({"code":402,"msg":"credits"})")
                .status()
                .code(),
            Code::kFailedPrecondition);
}

TEST(ParseCreateTaskResponseTest, HttpErrorsWithoutEnvelope) {
  auto st = ParseCreateTaskResponse(502, "<html>Bad Gateway</html>");
  EXPECT_EQ(st.status().code(), Code::kUnavailable);
  EXPECT_THAT(st.status().message(), HasSubstr("502"));
  EXPECT_EQ(ParseCreateTaskResponse(403, "").status().code(),
            Code::kFailedPrecondition);
  // An envelope saying 200 does not make an HTTP error a success.
  EXPECT_EQ(
      ParseCreateTaskResponse(503, R"({"code":200,"data":{"taskId":"x"}})")
          .status()
          .code(),
      Code::kUnavailable);
}

TEST(ParseCreateTaskResponseTest, Unreadable2xxRepliesAreNotRetried) {
  for (const char* body : {
           "",
           R"({"code":200,"msg":"success","da)",
           "[]",
           R"({"msg":"success","data":{"taskId":"x"}})",
           R"({"code":"200","data":{"taskId":"x"}})",
           R"({"code":200,"msg":"success"})",
           R"({"code":200,"data":null})",
           R"({"code":200,"data":{"taskId":7}})",
           R"({"code":200,"data":{"taskId":""}})",
           R"({"code":200,"data":{"task_id":"x"}})",
           R"({"code":200.5,"data":{"taskId":"x"}})",
       }) {
    auto st = ParseCreateTaskResponse(200, body);
    ASSERT_FALSE(st.ok()) << body;
    EXPECT_EQ(st.status().code(), Code::kInternal) << body;
    EXPECT_FALSE(IsRetryable(st.status())) << body;
    EXPECT_THAT(st.status().message(),
                HasSubstr("malformed upstream response"));
  }
}

TEST(ParseRecordInfoTest, EachRunningState) {
  struct Case {
    const char* state;
    State want;
  };
  for (const Case& c :
       {Case{"waiting", State::kWaiting}, Case{"queuing", State::kQueuing},
        Case{"generating", State::kGenerating}}) {
    auto info = ParseRecordInfo(
        200,
        Record(
            std::string(R"("model":"grok-imagine/text-to-image","state":")") +
            c.state +
            R"(","param":"{}","resultJson":"","failCode":"","failMsg":"",)"
            R"("costTime":null,"completeTime":null,"createTime":1,)"
            R"("updateTime":2)"),
        kId);
    ASSERT_TRUE(info.ok()) << c.state << ": " << info.status();
    EXPECT_EQ(info->state, c.want) << c.state;
    EXPECT_EQ(info->task_id, kId);
    EXPECT_EQ(info->model, "grok-imagine/text-to-image");
    EXPECT_THAT(info->result_urls, IsEmpty());
  }
}

TEST(ParseRecordInfoTest, SuccessReadsTheStringEncodedResultJson) {
  auto info = ParseRecordInfo(
      200,
      Record(R"("state":"success","resultJson":)"
             R"("{\"resultUrls\":[\"https://cdn.example/a.png\",)"
             R"(\"http://127.0.0.1:9/kie/files/b.png\"]}","failCode":null)"),
      kId);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->state, State::kSuccess);
  EXPECT_THAT(info->result_urls,
              ElementsAre("https://cdn.example/a.png",
                          "http://127.0.0.1:9/kie/files/b.png"));
  EXPECT_THAT(info->result_problem, IsEmpty());
}

TEST(ParseRecordInfoTest, SuccessAcceptsAnObjectResultJson) {
  auto info = ParseRecordInfo(
      200,
      Record(
          R"("state":"success","resultJson":{"resultUrls":["https://x/v.mp4"]})"),
      kId);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_THAT(info->result_urls, ElementsAre("https://x/v.mp4"));
}

TEST(ParseRecordInfoTest, SuccessWithAnUnusableResultIsReportedNotThrown) {
  for (
      const char* result : {
          R"("resultJson":"")",
          R"("resultJson":null)",
          R"("resultJson":"{\"resultUrls\":[\"https://x/a.png\"")",
          R"("resultJson":"{\"resultUrls\":[]}")",
          R"("resultJson":"{\"resultUrls\":\"https://x/a.png\"}")",
          R"("resultJson":"{\"resultUrls\":[[\"https://x/a.png\"]]}")",
          R"("resultJson":"{\"resultUrls\":[7]}")",
          R"("resultJson":"{\"resultUrls\":[\"file:///etc/passwd\"]}")",
          R"("resultJson":"{\"resultUrls\":[\"https://x/a b.png\"]}")",
          R"("resultJson":"[\"https://x/a.png\"]")",
          R"("resultJson":"\"{\\\"resultUrls\\\":[\\\"https://x/a.png\\\"]}\"")",
          R"("resultJson":42)",
          R"("resultJson":["https://x/a.png"])",
          R"("resultJson":"{\"urls\":[\"https://x/a.png\"]}")",
      }) {
    auto info = ParseRecordInfo(
        200, Record(std::string(R"("state":"success",)") + result), kId);
    ASSERT_TRUE(info.ok()) << result << ": " << info.status();
    EXPECT_EQ(info->state, State::kSuccess) << result;
    EXPECT_THAT(info->result_urls, IsEmpty()) << result;
    EXPECT_FALSE(info->result_problem.empty()) << result;
  }
  // No resultJson member at all.
  auto info = ParseRecordInfo(200, Record(R"("state":"success")"), kId);
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->result_problem.empty());
}

TEST(ParseRecordInfoTest, FailCarriesCodeAndMessage) {
  auto info = ParseRecordInfo(
      200, Record(R"("state":"fail","failCode":"500","failMsg":"it broke")"),
      kId);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->state, State::kFail);
  EXPECT_EQ(info->fail_code, "500");
  EXPECT_EQ(info->fail_msg, "it broke");
  // failCode as a number, failMsg absent.
  info = ParseRecordInfo(200, Record(R"("state":"fail","failCode":422)"), kId);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->fail_code, "422");
  EXPECT_EQ(info->fail_msg, "");
  // Wrong types are a malformed reply.
  EXPECT_EQ(
      ParseRecordInfo(200, Record(R"("state":"fail","failCode":[1])"), kId)
          .status()
          .code(),
      Code::kUnavailable);
  EXPECT_EQ(ParseRecordInfo(200, Record(R"("state":"fail","failMsg":{})"), kId)
                .status()
                .code(),
            Code::kUnavailable);
}

TEST(ParseRecordInfoTest, UnknownTaskIsNotFound) {
  for (const char* body : {
           R"({"code":404,"msg":"task not found"})",
           R"({"code":404,"msg":"task not found","data":null})",
           R"({"code":200,"msg":"success","data":null})",
           R"({"code":200,"msg":"success"})",
       }) {
    auto info = ParseRecordInfo(200, body, kId);
    ASSERT_TRUE(info.ok()) << body << ": " << info.status();
    EXPECT_EQ(info->state, State::kNotFound) << body;
  }
  auto info =
      ParseRecordInfo(404, R"({"code":404,"msg":"task not found"})", kId);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->state, State::kNotFound);
}

TEST(ParseRecordInfoTest, ErrorCodesAndMalformedReplies) {
  EXPECT_EQ(
      ParseRecordInfo(200, R"({"code":401,"msg":"no"})", kId).status().code(),
      Code::kFailedPrecondition);
  EXPECT_EQ(
      ParseRecordInfo(200, R"({"code":455,"msg":"m"})", kId).status().code(),
      Code::kUnavailable);
  EXPECT_EQ(ParseRecordInfo(503, "busy", kId).status().code(),
            Code::kUnavailable);
  // After acceptance 501 and 505 keep BodyCodeToStatus's mapping.
  EXPECT_EQ(
      ParseRecordInfo(200, R"({"code":501,"msg":"m"})", kId).status().code(),
      Code::kInternal);
  EXPECT_EQ(
      ParseRecordInfo(200, R"({"code":505,"msg":"m"})", kId).status().code(),
      Code::kFailedPrecondition);
  EXPECT_EQ(ParseRecordInfo(404, "<html/>", kId).status().code(),
            Code::kNotFound);
  for (const std::string& body : std::vector<std::string>{
           "",
           "{",
           "null",
           "\xEF\xBB\xBF{\"code\":200}",
           std::string("{\"code\":200}\0x", 14),
           R"({"msg":"success","data":{}})",
           R"({"code":200,"data":[]})",
           R"({"code":200,"data":"x"})",
           Record(R"("state":"exploded")"),
           Record(R"("state":7)"),
           Record(R"("model":"m")"),
           Record(R"("state":"success","model":5)"),
           R"({"code":200,"data":{"taskId":"someone-else","state":"success"}})",
           R"({"code":200,"data":{"taskId":5,"state":"success"}})",
       }) {
    auto info = ParseRecordInfo(200, body, kId);
    ASSERT_FALSE(info.ok()) << body;
    EXPECT_EQ(info.status().code(), Code::kUnavailable) << body;
    EXPECT_THAT(info.status().message(),
                HasSubstr("malformed upstream response"));
  }
}

TEST(ParseRecordInfoTest, DataWithoutTaskIdIsAboutTheAskedTask) {
  auto info = ParseRecordInfo(
      200, R"({"code":200,"data":{"state":"generating"}})", kId);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->state, State::kGenerating);
  EXPECT_EQ(info->task_id, kId);
}

TEST(ParseResultJsonTest, AcceptsTheDocumentedShape) {
  auto urls = ParseResultJson(
      R"( {"resultUrls":["https://a/1.png","HTTP://b/2.png"],"extra":{"x":[1]}} )");
  ASSERT_TRUE(urls.ok()) << urls.status();
  EXPECT_THAT(*urls, ElementsAre("https://a/1.png", "HTTP://b/2.png"));
}

TEST(ParseResultJsonTest, RejectsEverythingElse) {
  for (const std::string& text : std::vector<std::string>{
           "",
           "   ",
           "{",
           "[]",
           "\"x\"",
           "null",
           "{}",
           R"({"resultUrls":null})",
           R"({"resultUrls":{}})",
           R"({"resultUrls":["ftp://a/b"]})",
           R"({"resultUrls":["//a/b"]})",
           R"({"resultUrls":["https://"]})",
           R"({"resultUrls":["https:///x"]})",
           R"x({"resultUrls":["javascript:alert(1)"]})x",
           std::string(R"({"resultUrls":["https://a/b"]})") +
               std::string(1, '\0'),
           std::string(300, '[') + std::string(300, ']'),
       }) {
    auto urls = ParseResultJson(text);
    EXPECT_FALSE(urls.ok()) << text;
    if (!urls.ok()) EXPECT_EQ(urls.status().code(), Code::kInvalidArgument);
  }
}

TEST(FailureToStatusTest, MapsClientCodesAndKeepsTheMessage) {
  absl::Status st = FailureToStatus("500", "simulated generation failure");
  EXPECT_EQ(st.code(), Code::kInternal);
  EXPECT_EQ(st.message(), "kie: simulated generation failure (failCode 500)");
  st = FailureToStatus("422", "prompt refused");
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_EQ(st.message(), "kie: prompt refused (failCode 422)");
  EXPECT_EQ(FailureToStatus("402", "credits").code(),
            Code::kFailedPrecondition);
  EXPECT_EQ(FailureToStatus("429", "busy").code(), Code::kUnavailable);
  EXPECT_EQ(FailureToStatus("", "").message(), "kie: generation failed");
  EXPECT_EQ(FailureToStatus("", "").code(), Code::kInternal);
  EXPECT_EQ(FailureToStatus("E_CONTENT", "nsfw").code(), Code::kInternal);
  EXPECT_EQ(FailureToStatus("200", "odd").code(), Code::kInternal);
}

TEST(ParseCallbackTaskIdTest, ReadsTaskIdOrTaskUnderscoreId) {
  auto id = ParseCallbackTaskId(
      R"({"code":200,"msg":"done","data":{"taskId":"t1","state":"success"}})");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "t1");
  id = ParseCallbackTaskId(R"({"data":{"task_id":"t2"}})");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "t2");
  id = ParseCallbackTaskId(R"({"data":{"taskId":"","task_id":"t3"}})");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "t3");
}

TEST(ParseCallbackTaskIdTest, RejectsMalformedBodies) {
  for (const char* body : {
           "",
           "{",
           "[]",
           "{}",
           R"({"data":null})",
           R"({"data":"t1"})",
           R"({"data":{}})",
           R"({"data":{"taskId":""}})",
           R"({"data":{"taskId":7}})",
           R"({"data":{"task_id":["t"]}})",
           R"({"taskId":"t1"})",
       }) {
    auto id = ParseCallbackTaskId(body);
    ASSERT_FALSE(id.ok()) << body;
    EXPECT_EQ(id.status().code(), Code::kInvalidArgument) << body;
  }
}

TEST(MimeTypeForUrlTest, FromThePathExtension) {
  EXPECT_EQ(MimeTypeForUrl("https://a/b/c.png", "x"), "image/png");
  EXPECT_EQ(MimeTypeForUrl("https://a/b/c.JPG?sig=1", "x"), "image/jpeg");
  EXPECT_EQ(MimeTypeForUrl("https://a/v.mp4#t=1", "x"), "video/mp4");
  EXPECT_EQ(MimeTypeForUrl("https://a/b/c", "image/png"), "image/png");
  EXPECT_EQ(MimeTypeForUrl("https://a.png/c?f=d.mp4", "video/mp4"),
            "video/mp4");
  EXPECT_EQ(MimeTypeForUrl("https://a/c.exe", "image/png"), "image/png");
}

TEST(UrlEncodeTest, KeepsUnreservedOnly) {
  EXPECT_EQ(UrlEncode("task_1-a.b~"), "task_1-a.b~");
  EXPECT_EQ(UrlEncode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
}

}  // namespace
}  // namespace mediagw::kie
