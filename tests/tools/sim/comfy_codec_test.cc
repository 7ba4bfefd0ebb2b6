#include "tools/sim/comfy_codec.h"

#include <gtest/gtest.h>

#include "tests/tools/sim/test_json_codec.h"

namespace mediagw::sim {
namespace {

using testing::IsValidJson;
using testing::JsonBool;
using testing::JsonHas;
using testing::JsonInt;
using testing::JsonIsNull;
using testing::JsonSize;
using testing::JsonString;

JobRecord FinishedJob(JobRecord::Outcome outcome) {
  JobRecord job;
  job.number = 3;
  job.prompt_id = "p-1";
  job.client_id = "c";
  job.prompt_json = R"({"9":{"class_type":"SaveImage","inputs":{}}})";
  job.extra_data_json = R"({"client_id":"c"})";
  job.output_node_ids = {"9"};
  job.outcome = outcome;
  job.start_ms = 1000;
  job.end_ms = 2000;
  if (outcome == JobRecord::Outcome::kSuccess) {
    NodeOutput out;
    out.node_id = "9";
    out.files.push_back({"ComfyUI_00001_.png", "", "output", "", 0});
    out.files.push_back({"ComfyUI_00002_.png", "", "output", "", 0});
    job.outputs.push_back(out);
  } else {
    job.failed_node_id = "3";
    job.failed_node_type = "KSampler";
    job.exception_message = "boom";
    job.exception_type = "RuntimeError";
  }
  return job;
}

TEST(ComfyCodecTest, HistorySuccess) {
  std::string h = HistoryJson({FinishedJob(JobRecord::Outcome::kSuccess)});
  ASSERT_TRUE(IsValidJson(h)) << h;
  EXPECT_EQ(JsonInt(h, "/p-1/prompt/0"), 3);
  EXPECT_EQ(JsonString(h, "/p-1/prompt/1"), "p-1");
  EXPECT_EQ(JsonString(h, "/p-1/prompt/2/9/class_type"), "SaveImage");
  EXPECT_EQ(JsonString(h, "/p-1/prompt/3/client_id"), "c");
  EXPECT_EQ(JsonString(h, "/p-1/prompt/4/0"), "9");
  EXPECT_EQ(JsonSize(h, "/p-1/outputs/9/images"), 2u);
  EXPECT_EQ(JsonString(h, "/p-1/outputs/9/images/1/filename"),
            "ComfyUI_00002_.png");
  EXPECT_EQ(JsonString(h, "/p-1/outputs/9/images/0/type"), "output");
  EXPECT_EQ(JsonString(h, "/p-1/status/status_str"), "success");
  EXPECT_EQ(JsonBool(h, "/p-1/status/completed"), true);
  EXPECT_EQ(JsonString(h, "/p-1/status/messages/0/0"), "execution_start");
  EXPECT_EQ(JsonString(h, "/p-1/status/messages/2/0"), "execution_success");
  EXPECT_EQ(JsonInt(h, "/p-1/status/messages/2/1/timestamp"), 2000);
  EXPECT_EQ(HistoryJson({}), "{}");
}

TEST(ComfyCodecTest, HistoryErrorAndInterrupted) {
  std::string e = HistoryJson({FinishedJob(JobRecord::Outcome::kError)});
  EXPECT_EQ(JsonString(e, "/p-1/status/status_str"), "error");
  EXPECT_EQ(JsonBool(e, "/p-1/status/completed"), false);
  EXPECT_EQ(JsonString(e, "/p-1/status/messages/2/0"), "execution_error");
  EXPECT_EQ(JsonString(e, "/p-1/status/messages/2/1/exception_message"),
            "boom");
  EXPECT_EQ(JsonString(e, "/p-1/status/messages/2/1/node_type"), "KSampler");
  std::string i = HistoryJson({FinishedJob(JobRecord::Outcome::kInterrupted)});
  EXPECT_EQ(JsonString(i, "/p-1/status/messages/2/0"),
            "execution_interrupted");
}

TEST(ComfyCodecTest, QueueItems) {
  JobRecord job = FinishedJob(JobRecord::Outcome::kSuccess);
  std::string q = QueueJson({job}, {job, job});
  EXPECT_EQ(JsonSize(q, "/queue_running"), 1u);
  EXPECT_EQ(JsonSize(q, "/queue_pending"), 2u);
  EXPECT_EQ(JsonString(q, "/queue_running/0/1"), "p-1");
  EXPECT_EQ(JsonSize(q, "/queue_running/0"), 5u);
}

TEST(ComfyCodecTest, WebsocketMessages) {
  std::string s = StatusMessage(2, "sid-1");
  EXPECT_EQ(JsonString(s, "/type"), "status");
  EXPECT_EQ(JsonInt(s, "/data/status/exec_info/queue_remaining"), 2);
  EXPECT_EQ(JsonString(s, "/data/sid"), "sid-1");
  std::string done = ExecutingMessage(std::nullopt, "p");
  EXPECT_TRUE(JsonIsNull(done, "/data/node"));
  EXPECT_EQ(JsonString(done, "/data/prompt_id"), "p");
  std::string node = ExecutingMessage("3", "p");
  EXPECT_EQ(JsonString(node, "/data/node"), "3");
  EXPECT_EQ(JsonString(node, "/data/display_node"), "3");
  std::string progress = ProgressMessage(2, 5, "p", "3");
  EXPECT_EQ(JsonInt(progress, "/data/value"), 2);
  EXPECT_EQ(JsonInt(progress, "/data/max"), 5);
  std::string cached = ExecutionCachedMessage("p", 1);
  EXPECT_EQ(JsonSize(cached, "/data/nodes"), 0u);
  NodeOutput video;
  video.node_id = "6";
  video.kind = OutputKind::kVideo;
  video.files.push_back({"clip_00001.mp4", "video", "output",
                         "video/h264-mp4", 8});
  std::string executed = ExecutedMessage(video, "p");
  EXPECT_EQ(JsonString(executed, "/data/output/gifs/0/format"),
            "video/h264-mp4");
  EXPECT_EQ(JsonBool(executed, "/data/output/animated/0"), true);
  NodeOutput saved;
  saved.node_id = "58";
  saved.kind = OutputKind::kSavedVideo;
  saved.files.push_back({"wan_00001_.mp4", "video", "output", "", 0});
  std::string core = ExecutedMessage(saved, "p");
  EXPECT_EQ(JsonString(core, "/data/output/images/0/filename"),
            "wan_00001_.mp4");
  EXPECT_FALSE(JsonHas(core, "/data/output/images/0/format"));
  EXPECT_FALSE(JsonHas(core, "/data/output/gifs"));
  EXPECT_EQ(JsonBool(core, "/data/output/animated/0"), true);
  std::string err = ExecutionErrorMessage(
      FinishedJob(JobRecord::Outcome::kError));
  EXPECT_EQ(JsonString(err, "/data/exception_type"), "RuntimeError");
  EXPECT_EQ(JsonSize(err, "/data/traceback"), 0u);
}

TEST(ComfyCodecTest, ParseQueueActionAndInterrupt) {
  auto a = ParseQueueAction(R"({"delete": ["a", "b"]})");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->delete_ids, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(a->clear);
  auto c = ParseQueueAction(R"({"clear": true})");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->clear);
  EXPECT_FALSE(ParseQueueAction("nope").ok());
  EXPECT_FALSE(ParseQueueAction(R"({"delete": "a"})").ok());
  EXPECT_FALSE(ParseQueueAction(R"({"delete": [1]})").ok());
  EXPECT_FALSE(ParseQueueAction(R"({"clear": "yes"})").ok());

  auto none = ParseInterrupt("");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto id = ParseInterrupt(R"({"prompt_id": "x"})");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "x");
  EXPECT_FALSE(ParseInterrupt("[").ok());
  EXPECT_FALSE(ParseInterrupt(R"({"prompt_id": 1})").ok());
}

TEST(ComfyCodecTest, ObjectInfo) {
  std::string all = ObjectInfoJson(std::nullopt);
  EXPECT_EQ(JsonString(all, "/KSampler/name"), "KSampler");
  EXPECT_EQ(JsonBool(all, "/SaveImage/output_node"), true);
  std::string one = ObjectInfoJson("CheckpointLoaderSimple");
  EXPECT_EQ(JsonSize(one, ""), 1u);
  EXPECT_EQ(JsonString(one,
                       "/CheckpointLoaderSimple/input/required/ckpt_name/0/0"),
            "sim_model.safetensors");
  EXPECT_EQ(ObjectInfoJson("Nope"), "{}");
  EXPECT_EQ(JsonString(SystemStatsJson(), "/system/os"), "posix");
}

}  // namespace
}  // namespace mediagw::sim
