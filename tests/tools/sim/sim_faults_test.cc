// Each fault mode of the simulator, observed by a real client.
#include <gtest/gtest.h>

#include "tests/tools/sim/sim_fixture.h"

namespace mediagw::sim::testing {
namespace {

using SimFaultsTest = SimFixture;

TEST_F(SimFaultsTest, Http500OnMatchingPathThenRecovers) {
  ASSERT_EQ(
      Post("/_sim/faults", R"({"mode":"http_500","count":2,"path_prefix":"/queue"})")
          .status,
      200);
  EXPECT_EQ(Get("/history").status, 200);  // not matching
  HttpResult r = Get("/queue");
  EXPECT_EQ(r.status, 500);
  EXPECT_FALSE(r.body.empty());
  EXPECT_EQ(Get("/queue").status, 500);
  EXPECT_EQ(Get("/queue").status, 200);
}

TEST_F(SimFaultsTest, MalformedJson) {
  ASSERT_EQ(Post("/_sim/faults",
                 R"({"mode":"malformed_json","path_prefix":"/history"})")
                .status,
            200);
  ASSERT_EQ(Submit("m", 1).status, 200);
  // The first JSON answer under /history is cut short, then all is well.
  HttpResult bad = Get("/history");
  EXPECT_EQ(bad.status, 200);
  EXPECT_FALSE(IsValidJson(bad.body)) << bad.body;
  EXPECT_TRUE(IsValidJson(Get("/history").body));
  EXPECT_FALSE(WaitHistory("m").empty());
}

TEST_F(SimFaultsTest, SlowBody) {
  ASSERT_EQ(Post("/_sim/faults",
                 R"({"mode":"slow_body","slow_ms":600,"path_prefix":"/object_info"})")
                .status,
            200);
  HttpResult slow = Get("/object_info");
  EXPECT_EQ(slow.status, 200);
  EXPECT_GE(slow.elapsed, absl::Milliseconds(500));
  EXPECT_TRUE(JsonHas(slow.body, "/KSampler"));
  HttpResult fast = Get("/object_info");
  EXPECT_LT(fast.elapsed, absl::Milliseconds(500));
}

TEST_F(SimFaultsTest, DropConnection) {
  ASSERT_EQ(Post("/_sim/faults", R"({"mode":"drop_connection"})").status, 200);
  HttpResult dropped = Get("/queue");
  EXPECT_FALSE(dropped.transport_ok);
  EXPECT_EQ(dropped.status, 0);
  EXPECT_EQ(Get("/queue").status, 200);
}

TEST_F(SimFaultsTest, RejectPrompt) {
  ASSERT_EQ(Post("/_sim/faults", R"({"mode":"reject_prompt"})").status, 200);
  EXPECT_EQ(Get("/prompt").status, 200);  // only POST /prompt matches
  HttpResult r = Submit("r", 1);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(JsonString(r.body, "/error/type"), "invalid_prompt");
  EXPECT_EQ(Submit("r", 1).status, 200);
}

TEST_F(SimFaultsTest, ErrorStatusJob) {
  WsClient ws;
  ASSERT_TRUE(ws.Connect(sim_->port(), "/ws?clientId=e"));
  ASSERT_EQ(Post("/_sim/faults", R"({"mode":"error_status"})").status, 200);
  ASSERT_EQ(Submit("bad", 3, "e").status, 200);
  std::string h = WaitHistory("bad");
  ASSERT_FALSE(h.empty());
  EXPECT_EQ(JsonString(h, "/bad/status/status_str"), "error");
  EXPECT_EQ(JsonBool(h, "/bad/status/completed"), false);
  EXPECT_EQ(JsonString(h, "/bad/status/messages/2/0"), "execution_error");
  EXPECT_EQ(JsonSize(h, "/bad/outputs"), 0u);
  std::optional<std::string> err = ws.ReadUntilType("execution_error");
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(JsonString(*err, "/data/prompt_id"), "bad");
  EXPECT_EQ(JsonString(*err, "/data/node_type"), "KSampler");
  EXPECT_TRUE(JsonString(*err, "/data/exception_message").has_value());
}

TEST_F(SimFaultsTest, VanishedJob) {
  ASSERT_EQ(Post("/_sim/faults", R"({"mode":"vanish"})").status, 200);
  ASSERT_EQ(Submit("gone", 3).status, 200);
  ASSERT_EQ(Submit("kept", 1).status, 200);
  ASSERT_FALSE(WaitHistory("kept").empty());
  EXPECT_EQ(Get("/history/gone").body, "{}");
  EXPECT_EQ(Get("/queue").body.find("gone"), std::string::npos);
  std::string stats = Get("/_sim/stats").body;
  EXPECT_EQ(JsonString(stats, "/prompt_ids/0"), "gone");
  EXPECT_EQ(JsonInt(stats, "/jobs_submitted"), 2);
  EXPECT_EQ(JsonInt(stats, "/faults_fired/vanish"), 1);
}

TEST_F(SimFaultsTest, ControlEndpoints) {
  EXPECT_EQ(Post("/_sim/faults", "{").status, 400);
  EXPECT_EQ(Post("/_sim/faults", R"({"mode":"meteor"})").status, 400);
  EXPECT_EQ(Post("/_sim/faults", R"({"mode":"http_500","count":-1})").status,
            400);
  ASSERT_EQ(Post("/_sim/faults", R"({"mode":"http_500","count":5})").status,
            200);
  EXPECT_EQ(JsonInt(Get("/_sim/stats").body, "/faults_pending"), 5);
  EXPECT_EQ(HttpCall("DELETE", base_ + "/_sim/faults").status, 200);
  EXPECT_EQ(Get("/queue").status, 200);
  Get("/queue");
  std::string stats = Get("/_sim/stats").body;
  EXPECT_EQ(JsonInt(stats, "/requests/~1queue"), 2);
  EXPECT_EQ(JsonInt(stats, "/faults_pending"), 0);
}

TEST_F(SimFaultsTest, SubmitsCountedPerPromptText) {
  // The same job sent three times: twice under one prompt_id (the engine
  // keeps one job, a real ComfyUI would run it twice) and once under a new
  // prompt_id, as a client that lost the first id would.
  ASSERT_EQ(Submit("p-1", 1).status, 200);
  ASSERT_EQ(Submit("p-1", 1).status, 200);
  ASSERT_EQ(Submit("p-2", 1).status, 200);
  ASSERT_EQ(Post("/prompt",
                 PromptBody(DefaultWorkflow(64, 40, 1, 7, 1, "a ship"), "",
                            "p-3"))
                .status,
            200);
  EXPECT_EQ(Post("/_sim/faults", R"({"mode":"reject_prompt"})").status, 200);
  EXPECT_EQ(Post("/prompt", PromptBody(DefaultWorkflow(64, 40, 1, 7, 1,
                                                       "a refused one"),
                                       "", "p-4"))
                .status,
            400);
  HttpResult r = Get("/_sim/submits");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(JsonInt(r.body, "/comfyui:a lighthouse"), 3) << r.body;
  EXPECT_EQ(JsonInt(r.body, "/comfyui:a ship"), 1) << r.body;
  EXPECT_FALSE(JsonHas(r.body, "/comfyui:a refused one")) << r.body;
  EXPECT_EQ(Post("/_sim/submits", "{}").status, 405);
}

}  // namespace
}  // namespace mediagw::sim::testing
