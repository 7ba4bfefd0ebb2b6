#include "tools/sim/comfy_engine.h"

#include <gtest/gtest.h>

#include <functional>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "tests/tools/sim/png_test_util.h"
#include "tests/tools/sim/test_json_codec.h"
#include "tools/sim/comfy_prompt_codec.h"
#include "tools/sim/video_render.h"

namespace mediagw::sim {
namespace {

using testing::DefaultWorkflow;
using testing::JsonInt;
using testing::JsonIsNull;
using testing::JsonString;
using testing::PromptBody;

class RecordingListener : public EngineListener {
 public:
  void SendTo(const std::string& client_id, std::string message) override {
    absl::MutexLock l(&mu_);
    sent_.emplace_back(client_id, std::move(message));
  }
  void Broadcast(std::string message) override {
    absl::MutexLock l(&mu_);
    broadcasts_.push_back(std::move(message));
  }
  std::vector<std::string> TypesFor(const std::string& client) {
    absl::MutexLock l(&mu_);
    std::vector<std::string> out;
    for (const auto& [c, m] : sent_) {
      if (c == client) out.push_back(JsonString(m, "/type").value_or("?"));
    }
    return out;
  }
  std::vector<std::string> MessagesFor(const std::string& client) {
    absl::MutexLock l(&mu_);
    std::vector<std::string> out;
    for (const auto& [c, m] : sent_) {
      if (c == client) out.push_back(m);
    }
    return out;
  }
  size_t BroadcastCount() {
    absl::MutexLock l(&mu_);
    return broadcasts_.size();
  }

 private:
  absl::Mutex mu_;
  std::vector<std::pair<std::string, std::string>> sent_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> broadcasts_ ABSL_GUARDED_BY(mu_);
};

bool WaitFor(const std::function<bool()>& done,
             absl::Duration limit = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + limit;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return done();
}

ParsedPrompt Prompt(int steps, absl::string_view client,
                    absl::string_view id = "", int batch = 1,
                    int width = 64) {
  auto r = ParsePromptRequest(PromptBody(
      DefaultWorkflow(width, 48, batch, 99, steps, "sim"), client, id));
  return std::get<ParsedPrompt>(r);
}

class ComfyEngineTest : public ::testing::Test {
 protected:
  void Make(absl::Duration step) {
    EngineOptions options;
    options.step_time = step;
    engine_ = std::make_unique<ComfyEngine>(options, &files_, &faults_,
                                            &listener_);
  }
  void TearDown() override { engine_.reset(); }

  FileStore files_;
  FaultRegistry faults_;
  RecordingListener listener_;
  std::unique_ptr<ComfyEngine> engine_;
};

TEST_F(ComfyEngineTest, RunsJobToHistoryWithEventsAndFiles) {
  Make(absl::Milliseconds(2));
  auto s = engine_->Submit(Prompt(4, "c1", "my-id", 2));
  EXPECT_EQ(s.prompt_id, "my-id");
  EXPECT_EQ(s.number, 0);
  ASSERT_TRUE(WaitFor([&] { return engine_->History("my-id").has_value(); }));
  JobRecord job = *engine_->History("my-id");
  EXPECT_EQ(job.outcome, JobRecord::Outcome::kSuccess);
  ASSERT_EQ(job.outputs.size(), 1u);
  EXPECT_EQ(job.outputs[0].node_id, "9");
  ASSERT_EQ(job.outputs[0].files.size(), 2u);
  EXPECT_EQ(job.outputs[0].files[0].filename, "ComfyUI_00001_.png");
  EXPECT_EQ(job.outputs[0].files[1].filename, "ComfyUI_00002_.png");
  auto file = files_.Get("output", "", "ComfyUI_00002_.png");
  ASSERT_TRUE(file.has_value());
  auto png = testing::DecodePng(file->bytes);
  ASSERT_TRUE(png.ok);
  EXPECT_EQ(png.width, 64);
  EXPECT_EQ(png.height, 48);

  ASSERT_TRUE(WaitFor([&] {
    auto t = listener_.TypesFor("c1");
    return !t.empty() && t.back() == "executing";
  }));
  std::vector<std::string> types = listener_.TypesFor("c1");
  EXPECT_EQ(types.front(), "execution_start");
  EXPECT_EQ(types[1], "execution_cached");
  EXPECT_EQ(std::count(types.begin(), types.end(), "progress"), 4);
  EXPECT_EQ(std::count(types.begin(), types.end(), "executed"), 1);
  EXPECT_EQ(types[types.size() - 2], "execution_success");
  std::vector<std::string> msgs = listener_.MessagesFor("c1");
  EXPECT_TRUE(JsonIsNull(msgs.back(), "/data/node"));
  int64_t last = 0;
  for (const std::string& m : msgs) {
    if (JsonString(m, "/type") != "progress") continue;
    EXPECT_EQ(JsonInt(m, "/data/value"), last + 1);
    EXPECT_EQ(JsonInt(m, "/data/max"), 4);
    last = *JsonInt(m, "/data/value");
  }
  EXPECT_GE(listener_.BroadcastCount(), 2u);
  EXPECT_EQ(engine_->QueueRemaining(), 0);
}

TEST_F(ComfyEngineTest, NoClientIdMeansNoJobEvents) {
  Make(absl::Milliseconds(1));
  auto s = engine_->Submit(Prompt(2, ""));
  EXPECT_EQ(s.prompt_id.size(), 36u);
  ASSERT_TRUE(WaitFor([&] { return engine_->History(s.prompt_id).has_value(); }));
  EXPECT_TRUE(listener_.TypesFor("").empty());
}

TEST_F(ComfyEngineTest, DeletePendingAndInterruptRunning) {
  Make(absl::Milliseconds(50));
  auto a = engine_->Submit(Prompt(1000, "c", "a"));
  auto b = engine_->Submit(Prompt(1000, "c", "b"));
  EXPECT_EQ(b.number, a.number + 1);
  ASSERT_TRUE(WaitFor([&] { return engine_->Queue().running.size() == 1; }));
  EXPECT_EQ(engine_->Queue().running[0].prompt_id, "a");
  EXPECT_EQ(engine_->Queue().pending[0].prompt_id, "b");
  EXPECT_EQ(engine_->DeletePending({"b", "zzz"}), 1);
  EXPECT_TRUE(engine_->Queue().pending.empty());
  EXPECT_FALSE(engine_->Interrupt(std::string("b")));
  ASSERT_TRUE(WaitFor([&] {
    auto t = listener_.TypesFor("c");
    return std::find(t.begin(), t.end(), "progress") != t.end();
  }));
  EXPECT_TRUE(engine_->Interrupt(std::string("a")));
  ASSERT_TRUE(WaitFor([&] { return engine_->History("a").has_value(); }));
  EXPECT_EQ(engine_->History("a")->outcome, JobRecord::Outcome::kInterrupted);
  EXPECT_EQ(engine_->History("a")->failed_node_type, "KSampler");
  EXPECT_FALSE(engine_->History("b").has_value());
  auto types = listener_.TypesFor("c");
  EXPECT_NE(std::find(types.begin(), types.end(), "execution_interrupted"),
            types.end());
}

TEST_F(ComfyEngineTest, InterruptDuringStartDelay) {
  EngineOptions options;
  options.start_delay = absl::Seconds(30);
  engine_ = std::make_unique<ComfyEngine>(options, &files_, &faults_,
                                          &listener_);
  engine_->Submit(Prompt(5, "c", "early"));
  ASSERT_TRUE(WaitFor([&] { return engine_->Queue().running.size() == 1; }));
  EXPECT_TRUE(engine_->Interrupt(std::nullopt));
  ASSERT_TRUE(WaitFor([&] { return engine_->History("early").has_value(); },
                      absl::Seconds(5)));
  EXPECT_EQ(engine_->History("early")->outcome,
            JobRecord::Outcome::kInterrupted);
}

TEST_F(ComfyEngineTest, ClearPending) {
  Make(absl::Milliseconds(50));
  engine_->Submit(Prompt(1000, "c", "a"));
  engine_->Submit(Prompt(10, "c", "b"));
  engine_->Submit(Prompt(10, "c", "d"));
  ASSERT_TRUE(WaitFor([&] { return engine_->Queue().running.size() == 1; }));
  EXPECT_EQ(engine_->ClearPending(), 2);
  EXPECT_EQ(engine_->QueueRemaining(), 1);
  EXPECT_TRUE(engine_->Interrupt(std::nullopt));
}

TEST_F(ComfyEngineTest, DuplicatePromptIdIsNotRunTwice) {
  Make(absl::Milliseconds(1));
  auto first = engine_->Submit(Prompt(1, "c", "dup"));
  ASSERT_TRUE(WaitFor([&] { return engine_->History("dup").has_value(); }));
  auto again = engine_->Submit(Prompt(1, "c", "dup"));
  EXPECT_EQ(again.number, first.number);
  EXPECT_EQ(engine_->HistoryAll(std::nullopt).size(), 1u);
}

TEST_F(ComfyEngineTest, ErrorStatusFault) {
  Make(absl::Milliseconds(1));
  faults_.Add({FaultMode::kErrorStatus, 1, "", 0});
  engine_->Submit(Prompt(3, "c", "e"));
  ASSERT_TRUE(WaitFor([&] { return engine_->History("e").has_value(); }));
  JobRecord job = *engine_->History("e");
  EXPECT_EQ(job.outcome, JobRecord::Outcome::kError);
  EXPECT_EQ(job.failed_node_id, "3");
  EXPECT_TRUE(job.outputs.empty());
  auto types = listener_.TypesFor("c");
  EXPECT_NE(std::find(types.begin(), types.end(), "execution_error"),
            types.end());
  // Consumed: the next job succeeds.
  engine_->Submit(Prompt(1, "c", "f"));
  ASSERT_TRUE(WaitFor([&] { return engine_->History("f").has_value(); }));
  EXPECT_EQ(engine_->History("f")->outcome, JobRecord::Outcome::kSuccess);
}

TEST_F(ComfyEngineTest, VanishFault) {
  Make(absl::Milliseconds(1));
  faults_.Add({FaultMode::kVanish, 1, "", 0});
  engine_->Submit(Prompt(3, "c", "v"));
  engine_->Submit(Prompt(1, "c", "w"));
  ASSERT_TRUE(WaitFor([&] { return engine_->History("w").has_value(); }));
  EXPECT_FALSE(engine_->History("v").has_value());
  EXPECT_EQ(engine_->QueueRemaining(), 0);
}

TEST_F(ComfyEngineTest, OversizedJobFailsLikeOutOfMemory) {
  EngineOptions options;
  options.step_time = absl::Milliseconds(1);
  options.max_job_pixels = 64 * 48;
  engine_ = std::make_unique<ComfyEngine>(options, &files_, &faults_,
                                          &listener_);
  engine_->Submit(Prompt(1, "c", "big", 2));
  ASSERT_TRUE(WaitFor([&] { return engine_->History("big").has_value(); }));
  EXPECT_EQ(engine_->History("big")->exception_type, "torch.OutOfMemoryError");
}

ParsedPrompt VideoPrompt(int width, int height, int length,
                         absl::string_view id) {
  auto r = ParsePromptRequest(PromptBody(
      testing::WanVideoWorkflow("in.png", width, height, length, 5, "surf"),
      "c", id));
  return std::get<ParsedPrompt>(r);
}

TEST_F(ComfyEngineTest, VideoJobWritesARealMp4WithCappedFrames) {
  Make(absl::Milliseconds(1));
  engine_->Submit(VideoPrompt(96, 64, 33, "vid"));
  ASSERT_TRUE(WaitFor([&] { return engine_->History("vid").has_value(); }));
  JobRecord job = *engine_->History("vid");
  ASSERT_EQ(job.outcome, JobRecord::Outcome::kSuccess) << job.exception_message;
  ASSERT_EQ(job.outputs.size(), 1u);
  EXPECT_EQ(job.outputs[0].kind, OutputKind::kSavedVideo);
  ASSERT_EQ(job.outputs[0].files.size(), 1u);
  const FileRef& ref = job.outputs[0].files[0];
  EXPECT_EQ(ref.filename, "wan_00001_.mp4");
  EXPECT_EQ(ref.subfolder, "video");
  auto file = files_.Get("output", "video", ref.filename);
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->content_type, "video/mp4");
  absl::StatusOr<VideoInfo> info = ProbeMp4(file->bytes);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->width, 96);
  EXPECT_EQ(info->height, 64);
  EXPECT_EQ(info->frames, EngineOptions().max_video_frames);
  EXPECT_DOUBLE_EQ(info->fps, 16);

  engine_->Submit(VideoPrompt(96, 64, 5, "short"));
  ASSERT_TRUE(WaitFor([&] { return engine_->History("short").has_value(); }));
  job = *engine_->History("short");
  ASSERT_EQ(job.outcome, JobRecord::Outcome::kSuccess);
  file = files_.Get("output", "video", job.outputs[0].files[0].filename);
  ASSERT_TRUE(file.has_value());
  info = ProbeMp4(file->bytes);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->frames, 5);
}

TEST_F(ComfyEngineTest, VideoOfOddSizeFailsTheJob) {
  Make(absl::Milliseconds(1));
  engine_->Submit(VideoPrompt(95, 64, 4, "odd"));
  ASSERT_TRUE(WaitFor([&] { return engine_->History("odd").has_value(); }));
  JobRecord job = *engine_->History("odd");
  EXPECT_EQ(job.outcome, JobRecord::Outcome::kError);
  EXPECT_EQ(job.failed_node_id, "58");
  EXPECT_NE(job.exception_message.find("even"), std::string::npos)
      << job.exception_message;
}

TEST_F(ComfyEngineTest, HistoryMaxItemsAndDelete) {
  Make(absl::Milliseconds(1));
  for (const char* id : {"h1", "h2", "h3"}) engine_->Submit(Prompt(1, "c", id));
  ASSERT_TRUE(WaitFor([&] { return engine_->History("h3").has_value(); }));
  auto last2 = engine_->HistoryAll(2);
  ASSERT_EQ(last2.size(), 2u);
  EXPECT_EQ(last2[0].prompt_id, "h2");
  engine_->DeleteHistory({"h2"});
  EXPECT_EQ(engine_->HistoryAll(std::nullopt).size(), 2u);
  engine_->ClearHistory();
  EXPECT_TRUE(engine_->HistoryAll(std::nullopt).empty());
}

}  // namespace
}  // namespace mediagw::sim
