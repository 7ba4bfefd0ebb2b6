#include "server/config_check.h"

#include <stdlib.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagw {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;

class ConfigCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/config_check_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    unsetenv("CONFIG_CHECK_TEST_KEY");
    unsetenv("CONFIG_CHECK_TEST_XAI");
  }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  // A ComfyUI channel with one templated workflow and an xAI channel.
  std::string Config(const std::string& template_file) {
    return R"({
      "storage": {"data_dir": "/nonexistent/mediagw-data"},
      "api_keys": [{"name": "backend", "key_env": "CONFIG_CHECK_TEST_KEY"}],
      "channels": [
        {"name": "comfy", "provider": "comfyui",
         "base_urls": ["http://gpu-1:8188"]},
        {"name": "xai", "provider": "xai", "base_urls": ["https://api.x.ai"],
         "api_key_env": "CONFIG_CHECK_TEST_XAI"}],
      "workflows": [
        {"name": "default", "channels": ["comfy"],
         "template_file": ")" +
           template_file + R"("},
        {"name": "grok", "channels": ["xai"]}]
    })";
  }

  std::string dir_;
};

TEST_F(ConfigCheckTest, MissingSecretsAreNotesNotErrors) {
  Write("tmpl.json", R"({"workflow": {"6": {"class_type": "CLIPTextEncode",
      "inputs": {"text": ""}}}, "slots": {"prompt": [["6", "text"]]}})");
  std::string path = Write("mediagw.json", Config("tmpl.json"));
  auto notes = CheckConfigFile(path);
  ASSERT_TRUE(notes.ok()) << notes.status();
  EXPECT_THAT(*notes, Contains(AllOf(HasSubstr("api_keys 'backend'"),
                                     HasSubstr("CONFIG_CHECK_TEST_KEY"))));
  EXPECT_THAT(*notes, Contains(AllOf(HasSubstr("channel 'xai'"),
                                     HasSubstr("CONFIG_CHECK_TEST_XAI"))));
}

TEST_F(ConfigCheckTest, SetSecretsLeaveNoNotes) {
  Write("tmpl.json", R"({"workflow": {"6": {"class_type": "CLIPTextEncode",
      "inputs": {"text": ""}}}, "slots": {"prompt": [["6", "text"]]}})");
  std::string path = Write("mediagw.json", Config("tmpl.json"));
  setenv("CONFIG_CHECK_TEST_KEY", "k", 1);
  setenv("CONFIG_CHECK_TEST_XAI", "x", 1);
  auto notes = CheckConfigFile(path);
  unsetenv("CONFIG_CHECK_TEST_KEY");
  unsetenv("CONFIG_CHECK_TEST_XAI");
  ASSERT_TRUE(notes.ok()) << notes.status();
  EXPECT_TRUE(notes->empty()) << (*notes)[0];
}

TEST_F(ConfigCheckTest, StructureErrorsFailNamingTheField) {
  std::string path = Write("mediagw.json", R"({"server": {"grpc_listen": 5}})");
  auto notes = CheckConfigFile(path);
  ASSERT_FALSE(notes.ok());
  EXPECT_EQ(notes.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(notes.status().message()), HasSubstr("grpc_listen"));

  path = Write("mediagw.json", R"({"api_keys": [{"name": "a"}]})");
  notes = CheckConfigFile(path);
  ASSERT_FALSE(notes.ok());
  EXPECT_THAT(std::string(notes.status().message()),
              HasSubstr("exactly one of sha256 and key_env"));
}

// Only building the providers reads the templates: proof the check does.
TEST_F(ConfigCheckTest, MissingTemplateFails) {
  std::string path = Write("mediagw.json", Config("missing/tmpl.json"));
  auto notes = CheckConfigFile(path);
  ASSERT_FALSE(notes.ok());
  EXPECT_THAT(std::string(notes.status().message()),
              AllOf(HasSubstr("workflow 'default'.template_file"),
                    HasSubstr("missing/tmpl.json")));
}

TEST_F(ConfigCheckTest, BadTemplateFails) {
  Write("tmpl.json", R"({"workflow": 1})");
  std::string path = Write("mediagw.json", Config("tmpl.json"));
  auto notes = CheckConfigFile(path);
  ASSERT_FALSE(notes.ok());
  EXPECT_THAT(std::string(notes.status().message()), HasSubstr("comfy"));
}

TEST_F(ConfigCheckTest, SecretThatIsNotUtf8Fails) {
  Write("tmpl.json", R"({"workflow": {"6": {"class_type": "CLIPTextEncode",
      "inputs": {"text": ""}}}, "slots": {"prompt": [["6", "text"]]}})");
  std::string path = Write("mediagw.json", Config("tmpl.json"));
  setenv("CONFIG_CHECK_TEST_KEY", "\xff\xfe", 1);
  auto notes = CheckConfigFile(path);
  unsetenv("CONFIG_CHECK_TEST_KEY");
  ASSERT_FALSE(notes.ok());
  EXPECT_THAT(std::string(notes.status().message()),
              AllOf(HasSubstr("CONFIG_CHECK_TEST_KEY"), HasSubstr("UTF-8")));
}

TEST_F(ConfigCheckTest, MissingFileFails) {
  auto notes = CheckConfigFile(dir_ + "/nothing.json");
  ASSERT_FALSE(notes.ok());
  EXPECT_THAT(std::string(notes.status().message()), HasSubstr("nothing.json"));
}

TEST_F(ConfigCheckTest, ExampleConfigPasses) {
  auto notes = CheckConfigFile(std::string(MEDIAGW_SOURCE_DIR) +
                               "/config/mediagw.example.json");
  ASSERT_TRUE(notes.ok()) << notes.status();
  EXPECT_THAT(*notes, Contains(HasSubstr("MEDIAGW_BACKEND_KEY")));
}

TEST_F(ConfigCheckTest, RunPrintsAndReturnsExitCode) {
  std::string path = Write("mediagw.json", Config("missing.json"));
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  EXPECT_EQ(RunConfigCheck(path, out, err), 1);
  std::rewind(err);
  char buf[512] = {0};
  size_t n = std::fread(buf, 1, sizeof(buf) - 1, err);
  EXPECT_THAT(std::string(buf, n), HasSubstr("template_file"));
  std::fclose(out);
  std::fclose(err);

  Write("missing.json", R"({"workflow": {"6": {"class_type": "CLIPTextEncode",
      "inputs": {"text": ""}}}, "slots": {"prompt": [["6", "text"]]}})");
  out = std::tmpfile();
  err = std::tmpfile();
  EXPECT_EQ(RunConfigCheck(path, out, err), 0);
  std::rewind(out);
  n = std::fread(buf, 1, sizeof(buf) - 1, out);
  EXPECT_THAT(std::string(buf, n), HasSubstr("config OK"));
  std::fclose(out);
  std::fclose(err);
}

}  // namespace
}  // namespace mediagw
