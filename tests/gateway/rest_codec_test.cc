#include "gateway/rest_codec.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagw::gateway {
namespace {

using ::testing::HasSubstr;

TEST(RestCodecTest, SubmitBodyIsTheProtoJsonOfEitherKind) {
  auto image = DecodeSubmitTask(
      R"({"image":{"prompt":"a cat","width":640,"workflow":"anime","n":2}})");
  ASSERT_TRUE(image.ok()) << image.status();
  ASSERT_TRUE(image->has_image());
  EXPECT_EQ(image->image().prompt(), "a cat");
  EXPECT_EQ(image->image().width(), 640);
  EXPECT_EQ(image->image().n(), 2);
  // Proto field names work as well as the JSON (lowerCamelCase) ones.
  auto video = DecodeSubmitTask(
      R"({"video":{"prompt":"p","image":"https://x/y.png","idempotency_key":"k"}})");
  ASSERT_TRUE(video.ok()) << video.status();
  ASSERT_TRUE(video->has_video());
  EXPECT_EQ(video->video().idempotency_key(), "k");
  auto camel = DecodeSubmitTask(R"({"image":{"negativePrompt":"x"}})");
  ASSERT_TRUE(camel.ok()) << camel.status();
  EXPECT_EQ(camel->image().negative_prompt(), "x");
}

TEST(RestCodecTest, RefusesWhatIsNotOneSubmit) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "request body is required"},
      {"{}", "one of 'image' or 'video' is required"},
      {R"({"image":{"prompt":"a"},"video":{"prompt":"b"}})", "invalid request body"},
      {R"({"image":{"prompt":"a","colour":1}})", "colour"},
      {R"({"image":{"width":"wide"}})", "invalid request body"},
      {"[1,2]", "invalid request body"},
      {"{\"image\":{\"prompt\":\"\xff\"}}", "not valid UTF-8"},
      {std::string(kMaxRestBodyBytes + 1, ' '), "larger than"},
  };
  for (const auto& [body, message] : cases) {
    SCOPED_TRACE(body.substr(0, 80));
    auto got = DecodeSubmitTask(body);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(got.status().message(), HasSubstr(message));
  }
}

TEST(RestCodecTest, ListQueryTakesSizeTokenAndStates) {
  auto q = DecodeListTasksQuery({{"page_size", "20"},
                                 {"page_token", "abc"},
                                 {"state", "succeeded,TASK_STATE_FAILED"},
                                 {"state", "Failed"}});
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->page_size(), 20);
  EXPECT_EQ(q->page_token(), "abc");
  ASSERT_EQ(q->states_size(), 2);
  EXPECT_EQ(q->states(0), v1::TASK_STATE_SUCCEEDED);
  EXPECT_EQ(q->states(1), v1::TASK_STATE_FAILED);

  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{
           {"page_size", "501"},
           {"page_size", "ten"},
           {"state", "done"},
           {"state", "unspecified"},
           {"limit", "3"}}) {
    SCOPED_TRACE(name + "=" + value);
    auto bad = DecodeListTasksQuery({{name, value}});
    ASSERT_FALSE(bad.ok());
    EXPECT_THAT(bad.status().message(), HasSubstr(name));
  }
}

TEST(RestCodecTest, LastEventIdIsAVersion) {
  EXPECT_EQ(*DecodeLastEventId(""), 0);
  EXPECT_EQ(*DecodeLastEventId("17"), 17);
  EXPECT_FALSE(DecodeLastEventId("-1").ok());
  EXPECT_FALSE(DecodeLastEventId("+1").ok());
  EXPECT_FALSE(DecodeLastEventId("abc").ok());
  EXPECT_FALSE(DecodeLastEventId("99999999999999999999").ok());
}

TEST(RestCodecTest, TaskJsonPrintsEveryFieldAndEventsCarryTheVersion) {
  v1::Task t;
  t.set_id("t-1");
  t.set_state(v1::TASK_STATE_RUNNING);
  t.set_version(7);
  const std::string json = EncodeTask(t);
  EXPECT_THAT(json, HasSubstr(R"("id":"t-1")"));
  EXPECT_THAT(json, HasSubstr(R"("state":"TASK_STATE_RUNNING")"));
  EXPECT_THAT(json, HasSubstr(R"("progress":0)"));
  EXPECT_THAT(json, HasSubstr(R"("version":"7")"));
  EXPECT_EQ(EncodeTaskEvent(t), "id: 7\ndata: " + json + "\n\n");
}

TEST(RestCodecTest, ErrorsUseGooglesShape) {
  EXPECT_EQ(EncodeRestError(absl::NotFoundError("task not found: x")),
            R"({"error":{"code":404,"message":"task not found: x","status":"NOT_FOUND"}})");
  EXPECT_EQ(EncodeRestError(405, "Method not allowed"),
            R"({"error":{"code":405,"message":"Method not allowed","status":"UNIMPLEMENTED"}})");
}

}  // namespace
}  // namespace mediagw::gateway

namespace mediagw::gateway {
namespace {

// The encoding is reused for the watchers of one change, and only for it.
TEST(EncodeTaskEventTest, ReusesAnEncodingOnlyForTheSameTaskAndVersion) {
  v1::Task a;
  a.set_id("t-1");
  a.set_version(3);
  a.set_state(v1::TASK_STATE_RUNNING);
  const std::string first = EncodeTaskEvent(a);
  EXPECT_EQ(EncodeTaskEvent(a), first);
  v1::Task next = a;
  next.set_version(4);
  next.set_state(v1::TASK_STATE_SUCCEEDED);
  EXPECT_NE(EncodeTaskEvent(next), first);
  EXPECT_NE(EncodeTaskEvent(next).find("id: 4\n"), std::string::npos);
  v1::Task other = a;
  other.set_id("t-2");
  EXPECT_NE(EncodeTaskEvent(other).find("t-2"), std::string::npos);
  EXPECT_EQ(EncodeTaskEvent(a), first);
}

}  // namespace
}  // namespace mediagw::gateway
