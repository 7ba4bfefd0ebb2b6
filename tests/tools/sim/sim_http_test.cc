// End-to-end tests of the simulator's ComfyUI HTTP and websocket surface
// over a real socket.
#include <gtest/gtest.h>

#include "tests/tools/sim/png_test_util.h"
#include "tests/tools/sim/sim_fixture.h"
#include "tools/sim/video_render.h"

namespace mediagw::sim::testing {
namespace {

constexpr char kId[] = "0b9e6e35-1f0c-4f5e-9d3a-3f2b1c9d8e7a";

using SimHttpTest = SimFixture;

TEST_F(SimHttpTest, SubmitQueueHistoryView) {
  HttpResult a = Submit(kId, 30, "", 96, 64, 2);
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(JsonString(a.body, "/prompt_id"), kId);
  EXPECT_EQ(JsonInt(a.body, "/number"), 0);
  EXPECT_EQ(JsonSize(a.body, "/node_errors"), 0u);
  HttpResult b = Submit("", 1);
  ASSERT_EQ(b.status, 200);
  const std::string b_id = *JsonString(b.body, "/prompt_id");
  EXPECT_EQ(b_id.size(), 36u);

  HttpResult q = Get("/queue");
  ASSERT_EQ(q.status, 200);
  EXPECT_EQ(JsonSize(q.body, "/queue_running").value_or(0) +
                JsonSize(q.body, "/queue_pending").value_or(0),
            2u)
      << q.body;
  EXPECT_TRUE(q.body.find(kId) != std::string::npos);
  EXPECT_EQ(Get(absl::StrCat("/history/", kId)).body, "{}");
  EXPECT_EQ(JsonInt(Get("/prompt").body, "/exec_info/queue_remaining"), 2);

  std::string h = WaitHistory(kId);
  ASSERT_FALSE(h.empty());
  const std::string root = absl::StrCat("/", kId);
  EXPECT_EQ(JsonString(h, root + "/status/status_str"), "success");
  EXPECT_EQ(JsonBool(h, root + "/status/completed"), true);
  EXPECT_EQ(JsonString(h, root + "/prompt/1"), kId);
  ASSERT_EQ(JsonSize(h, root + "/outputs/9/images"), 2u);
  const std::string file = *JsonString(h, root + "/outputs/9/images/0/filename");
  EXPECT_EQ(file, "ComfyUI_00001_.png");

  HttpResult view = Get(absl::StrCat("/view?filename=", file,
                                     "&subfolder=&type=output"));
  ASSERT_EQ(view.status, 200);
  EXPECT_EQ(view.content_type, "image/png");
  DecodedPng png = DecodePng(view.body);
  ASSERT_TRUE(png.ok);
  EXPECT_EQ(png.width, 96);
  EXPECT_EQ(png.height, 64);

  ASSERT_FALSE(WaitHistory(b_id).empty());
  EXPECT_EQ(JsonSize(Get("/history").body, ""), 2u);
  EXPECT_EQ(JsonKeys(Get("/history?max_items=1").body, ""),
            std::vector<std::string>{b_id});
  EXPECT_EQ(Get("/history/unknown-id").body, "{}");
  HttpResult q2 = Get("/queue");
  EXPECT_EQ(JsonSize(q2.body, "/queue_running"), 0u);
  EXPECT_EQ(JsonSize(q2.body, "/queue_pending"), 0u);
}

TEST_F(SimHttpTest, WebSocketProgressThenExecutingNull) {
  WsClient ws;
  ASSERT_TRUE(ws.Connect(sim_->port(), "/ws?clientId=client-7"));
  std::optional<std::string> hello = ws.Read();
  ASSERT_TRUE(hello.has_value());
  EXPECT_EQ(JsonString(*hello, "/type"), "status");
  EXPECT_EQ(JsonString(*hello, "/data/sid"), "client-7");
  EXPECT_EQ(JsonInt(*hello, "/data/status/exec_info/queue_remaining"), 0);

  ASSERT_EQ(Submit(kId, 5, "client-7").status, 200);
  std::vector<std::string> frames;
  std::optional<std::string> done;
  while (true) {
    done = ws.ReadUntilType("executing", absl::Seconds(10), &frames);
    ASSERT_TRUE(done.has_value());
    if (JsonIsNull(*done, "/data/node")) break;
  }
  EXPECT_EQ(JsonString(*done, "/data/prompt_id"), kId);
  int64_t last = 0;
  bool saw_start = false, saw_executed = false, saw_success = false;
  for (const std::string& f : frames) {
    const std::string type = JsonString(f, "/type").value_or("");
    if (type == "execution_start") saw_start = true;
    if (type == "executed") {
      saw_executed = true;
      EXPECT_EQ(JsonString(f, "/data/node"), "9");
      EXPECT_EQ(JsonSize(f, "/data/output/images"), 1u);
    }
    if (type == "execution_success") saw_success = true;
    if (type == "progress") {
      EXPECT_EQ(JsonInt(f, "/data/value"), last + 1);
      EXPECT_EQ(JsonInt(f, "/data/max"), 5);
      EXPECT_EQ(JsonString(f, "/data/prompt_id"), kId);
      EXPECT_EQ(JsonString(f, "/data/node"), "3");
      last = *JsonInt(f, "/data/value");
    }
  }
  EXPECT_TRUE(saw_start && saw_executed && saw_success);
  EXPECT_EQ(last, 5);
  // By the time the prompt is reported done, history has it.
  EXPECT_NE(Get(absl::StrCat("/history/", kId)).body, "{}");
}

TEST_F(SimHttpTest, ReconnectingClientIsToldTheCurrentNode) {
  ASSERT_EQ(Submit(kId, 2000, "again").status, 200);
  ASSERT_TRUE(WaitUntil([&] {
    return JsonSize(Get("/queue").body, "/queue_running") == 1u;
  }));
  absl::SleepFor(absl::Milliseconds(50));  // past the start delay
  WsClient ws;
  ASSERT_TRUE(ws.Connect(sim_->port(), "/ws?clientId=again"));
  std::optional<std::string> status = ws.Read();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(JsonString(*status, "/type"), "status");
  EXPECT_EQ(JsonInt(*status, "/data/status/exec_info/queue_remaining"), 1);
  std::optional<std::string> executing = ws.Read();
  ASSERT_TRUE(executing.has_value());
  EXPECT_EQ(JsonString(*executing, "/type"), "executing");
  EXPECT_EQ(JsonString(*executing, "/data/node"), "3");
  EXPECT_EQ(JsonString(*executing, "/data/prompt_id"), kId);
  ASSERT_EQ(Post("/interrupt", "").status, 200);
}

TEST_F(SimHttpTest, FrontQueuesAheadOfPending) {
  ASSERT_EQ(Submit("first", 2000).status, 200);
  ASSERT_TRUE(WaitUntil([&] {
    return JsonString(Get("/queue").body, "/queue_running/0/1") == "first";
  }));
  ASSERT_EQ(Submit("second", 1).status, 200);
  HttpResult front = Post(
      "/prompt",
      absl::StrCat(R"({"front": true, "prompt_id": "urgent", "prompt": )",
                   DefaultWorkflow(32, 32, 1, 1, 1, "x"), "}"));
  ASSERT_EQ(front.status, 200) << front.body;
  EXPECT_LT(*JsonInt(front.body, "/number"), 0);
  std::string q = Get("/queue").body;
  EXPECT_EQ(JsonString(q, "/queue_pending/0/1"), "urgent") << q;
  EXPECT_EQ(JsonString(q, "/queue_pending/1/1"), "second") << q;
  EXPECT_EQ(Post("/prompt", R"({"front": "yes", "prompt": {}})").status, 400);
  ASSERT_EQ(Post("/interrupt", "").status, 200);
}

TEST_F(SimHttpTest, OtherClientsGetOnlyStatus) {
  WsClient other;
  ASSERT_TRUE(other.Connect(sim_->port(), "/ws?clientId=other"));
  ASSERT_TRUE(other.Read().has_value());
  ASSERT_EQ(Submit(kId, 2, "someone-else").status, 200);
  ASSERT_FALSE(WaitHistory(kId).empty());
  for (int i = 0; i < 3; ++i) {
    std::optional<std::string> f = other.Read(absl::Milliseconds(300));
    if (!f.has_value()) break;
    EXPECT_EQ(JsonString(*f, "/type"), "status") << *f;
  }
}

TEST_F(SimHttpTest, DeletePendingAndInterruptRunning) {
  WsClient ws;
  ASSERT_TRUE(ws.Connect(sim_->port(), "/ws?clientId=c"));
  ASSERT_EQ(Submit("run", 2000, "c").status, 200);
  ASSERT_EQ(Submit("wait", 5, "c").status, 200);
  ASSERT_TRUE(WaitUntil([&] {
    return JsonString(Get("/queue").body, "/queue_running/0/1") == "run";
  }));
  EXPECT_EQ(JsonString(Get("/queue").body, "/queue_pending/0/1"), "wait");
  ASSERT_EQ(Post("/queue", R"({"delete": ["wait"]})").status, 200);
  EXPECT_EQ(JsonSize(Get("/queue").body, "/queue_pending"), 0u);

  ASSERT_EQ(Post("/interrupt", R"({"prompt_id": "run"})").status, 200);
  std::string h = WaitHistory("run");
  ASSERT_FALSE(h.empty());
  EXPECT_EQ(JsonString(h, "/run/status/status_str"), "error");
  EXPECT_EQ(JsonString(h, "/run/status/messages/2/0"),
            "execution_interrupted");
  std::optional<std::string> msg =
      ws.ReadUntilType("execution_interrupted", absl::Seconds(10));
  ASSERT_TRUE(msg.has_value());
  EXPECT_EQ(JsonString(*msg, "/data/prompt_id"), "run");
  EXPECT_EQ(Get("/history/wait").body, "{}");
}

TEST_F(SimHttpTest, ClearQueueAndInterruptWithoutBody) {
  ASSERT_EQ(Submit("long", 2000).status, 200);
  ASSERT_TRUE(WaitUntil([&] {
    return JsonSize(Get("/queue").body, "/queue_running") == 1u;
  }));
  ASSERT_EQ(Submit("p1", 5).status, 200);
  ASSERT_EQ(Submit("p2", 5).status, 200);
  EXPECT_EQ(JsonSize(Get("/queue").body, "/queue_pending"), 2u);
  ASSERT_EQ(Post("/queue", R"({"clear": true})").status, 200);
  EXPECT_EQ(JsonSize(Get("/queue").body, "/queue_pending"), 0u);
  EXPECT_EQ(JsonSize(Get("/queue").body, "/queue_running"), 1u);
  ASSERT_EQ(Post("/interrupt", "").status, 200);
  EXPECT_FALSE(WaitHistory("long").empty());
}

TEST_F(SimHttpTest, ViewRefusesTraversalAndUnknownFiles) {
  EXPECT_EQ(Get("/view?filename=..%2F..%2Fetc%2Fpasswd&type=output").status,
            400);
  EXPECT_EQ(Get("/view?filename=%2Fetc%2Fpasswd").status, 400);
  EXPECT_EQ(Get("/view?filename=x.png&subfolder=..%2F..").status, 403);
  EXPECT_EQ(Get("/view?filename=x.png&subfolder=%2Fetc").status, 403);
  EXPECT_EQ(Get("/view?filename=x.png&type=secrets").status, 400);
  EXPECT_EQ(Get("/view?filename=nope.png").status, 404);
  EXPECT_EQ(Get("/view").status, 404);
}

TEST_F(SimHttpTest, RejectsBadPromptsWithComfyErrorShape) {
  for (const std::string& body :
       {std::string("{oops"), std::string("[]"),
        std::string(R"({"prompt": {"1": {"inputs": {}}}})"),
        std::string(R"({"prompt": {"1": {"class_type": "Nope", "inputs": {}}}})"),
        std::string(R"({"prompt": {}})"), std::string(R"({"x": 1})")}) {
    HttpResult r = Post("/prompt", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_TRUE(JsonString(r.body, "/error/type").has_value()) << r.body;
    EXPECT_TRUE(JsonSize(r.body, "/node_errors").has_value()) << r.body;
  }
  EXPECT_EQ(Post("/queue", "nope").status, 400);
  EXPECT_EQ(Post("/queue", R"({"delete": 5})").status, 400);
  EXPECT_EQ(Post("/interrupt", "{").status, 400);
  EXPECT_EQ(JsonSize(Get("/queue").body, "/queue_pending"), 0u);
}

std::string Multipart(absl::string_view filename, absl::string_view bytes,
                      absl::string_view overwrite) {
  return absl::StrCat(
      "--BoUnDaRy\r\nContent-Disposition: form-data; name=\"image\"; "
      "filename=\"",
      filename, "\"\r\nContent-Type: image/png\r\n\r\n", bytes,
      "\r\n--BoUnDaRy\r\nContent-Disposition: form-data; "
      "name=\"overwrite\"\r\n\r\n",
      overwrite, "\r\n--BoUnDaRy--\r\n");
}

TEST_F(SimHttpTest, UploadImageThenLoadImageWorkflow) {
  const std::string ct = "multipart/form-data; boundary=BoUnDaRy";
  auto upload = [&](absl::string_view body) {
    return HttpCall("POST", base_ + "/upload/image", body, ct);
  };
  HttpResult up = upload(Multipart("in.png", "PNGDATA", "false"));
  ASSERT_EQ(up.status, 200) << up.body;
  EXPECT_EQ(JsonString(up.body, "/name"), "in.png");
  EXPECT_EQ(JsonString(up.body, "/type"), "input");
  EXPECT_EQ(JsonString(up.body, "/subfolder"), "");
  EXPECT_EQ(JsonString(upload(Multipart("in.png", "OTHER", "false")).body,
                       "/name"),
            "in (1).png");
  EXPECT_EQ(JsonString(upload(Multipart("in.png", "NEW", "true")).body,
                       "/name"),
            "in.png");
  EXPECT_EQ(Get("/view?filename=in.png&type=input").body, "NEW");
  EXPECT_EQ(upload(Multipart("../x.png", "A", "false")).status, 400);
  EXPECT_EQ(upload("garbage").status, 400);
  EXPECT_EQ(HttpCall("POST", base_ + "/upload/image", "x", "text/plain").status,
            400);

  auto workflow = [](absl::string_view image) {
    return absl::StrCat(
        R"({"1":{"class_type":"LoadImage","inputs":{"image":")", image,
        R"("}},"2":{"class_type":"SaveImage","inputs":{"images":["1",0],)",
        R"("filename_prefix":"img2img/out"}}})");
  };
  EXPECT_EQ(Post("/prompt", PromptBody(workflow("missing.png"))).status, 400);
  HttpResult ok = Post("/prompt", PromptBody(workflow("in.png"), "", "i2i"));
  ASSERT_EQ(ok.status, 200) << ok.body;
  std::string h = WaitHistory("i2i");
  EXPECT_EQ(JsonString(h, "/i2i/outputs/2/images/0/subfolder"), "img2img");
  EXPECT_EQ(Get("/view?filename=out_00001_.png&subfolder=img2img").status,
            200);
}

TEST_F(SimHttpTest, VideoWorkflowListsGifs) {
  const std::string wf =
      R"({"1":{"class_type":"ImageOnlyCheckpointLoader","inputs":{)"
      R"("ckpt_name":"svd.safetensors"}},)"
      R"("2":{"class_type":"EmptyLatentImage","inputs":{"width":80,)"
      R"("height":48,"batch_size":1}},)"
      R"("3":{"class_type":"KSampler","inputs":{"seed":1,"steps":2,"cfg":2,)"
      R"("sampler_name":"euler","scheduler":"karras","denoise":1,)"
      R"("model":["1",0],"positive":["4",0],"negative":["4",0],)"
      R"("latent_image":["2",0]}},)"
      R"("4":{"class_type":"CLIPTextEncode","inputs":{"text":"waves",)"
      R"("clip":["1",1]}},)"
      R"("5":{"class_type":"VAEDecode","inputs":{"samples":["3",0],)"
      R"("vae":["1",2]}},)"
      R"("6":{"class_type":"VHS_VideoCombine","inputs":{"images":["5",0],)"
      R"("frame_rate":8,"filename_prefix":"clip"}}})";
  ASSERT_EQ(Post("/prompt", PromptBody(wf, "", "vid")).status, 200);
  std::string h = WaitHistory("vid");
  EXPECT_EQ(JsonString(h, "/vid/outputs/6/gifs/0/filename"),
            "clip_00001.mp4");
  EXPECT_EQ(JsonString(h, "/vid/outputs/6/gifs/0/format"), "video/h264-mp4");
  HttpResult v = Get("/view?filename=clip_00001.mp4");
  EXPECT_EQ(v.content_type, "video/mp4");
  absl::StatusOr<VideoInfo> info = ProbeMp4(v.body);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->width, 80);
  EXPECT_EQ(info->height, 48);
  EXPECT_EQ(info->frames, 1);
}

TEST_F(SimHttpTest, ImageToVideoFromAnUploadedImage) {
  const std::string ct = "multipart/form-data; boundary=BoUnDaRy";
  const std::string wf =
      WanVideoWorkflow("start.png", 128, 96, 81, 3, "a calm lake");
  // Not uploaded yet: ComfyUI refuses the graph.
  HttpResult refused = Post("/prompt", PromptBody(wf));
  ASSERT_EQ(refused.status, 400);
  EXPECT_EQ(JsonString(refused.body, "/node_errors/52/errors/0/type"),
            "custom_validation_failed");

  HttpResult up = HttpCall("POST", base_ + "/upload/image",
                           Multipart("start.png", "PNGDATA", "true"), ct);
  ASSERT_EQ(up.status, 200) << up.body;
  ASSERT_EQ(Post("/prompt", PromptBody(wf, "", "i2v")).status, 200);
  std::string h = WaitHistory("i2v");
  EXPECT_EQ(JsonString(h, "/i2v/outputs/58/images/0/filename"),
            "wan_00001_.mp4");
  EXPECT_EQ(JsonString(h, "/i2v/outputs/58/images/0/subfolder"), "video");
  EXPECT_EQ(JsonBool(h, "/i2v/outputs/58/animated/0"), true);
  HttpResult v = Get("/view?filename=wan_00001_.mp4&subfolder=video");
  ASSERT_EQ(v.status, 200);
  EXPECT_EQ(v.content_type, "video/mp4");
  absl::StatusOr<VideoInfo> info = ProbeMp4(v.body);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->width, 128);
  EXPECT_EQ(info->height, 96);
  EXPECT_EQ(info->frames, 16);  // 81 asked, capped by the engine
}

TEST_F(SimHttpTest, ClientDiscoveryEndpoints) {
  EXPECT_EQ(JsonString(Get("/system_stats").body, "/system/os"), "posix");
  EXPECT_EQ(JsonString(Get("/object_info/KSampler").body, "/KSampler/name"),
            "KSampler");
  EXPECT_EQ(Get("/object_info/Crystools").body, "{}");
  EXPECT_TRUE(JsonHas(Get("/object_info").body, "/SaveImage"));
  EXPECT_EQ(JsonInt(Get("/api/prompt").body, "/exec_info/queue_remaining"), 0);
  EXPECT_EQ(Get("/features").status, 200);
  EXPECT_EQ(Get("/manager/version").status, 404);
  EXPECT_EQ(HttpCall("PUT", base_ + "/prompt").status, 405);
}

}  // namespace
}  // namespace mediagw::sim::testing
