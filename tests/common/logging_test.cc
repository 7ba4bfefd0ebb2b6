#include "common/logging.h"

#include <cmath>
#include <cstdio>
#include <string>

#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagw {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

const absl::Time kTime = absl::FromUnixMillis(1714564800123);  // 2024-05-01

std::string Json(absl::string_view msg, std::initializer_list<LogField> f) {
  return FormatLogLine(LogFormat::kJson, LogLevel::kInfo, kTime,
                       "/src/core/dispatcher.cc", 42, msg, f);
}

std::string Text(absl::string_view msg, std::initializer_list<LogField> f) {
  return FormatLogLine(LogFormat::kText, LogLevel::kWarning, kTime,
                       "/src/core/dispatcher.cc", 42, msg, f);
}

TEST(LogFormatTest, JsonLineIsOneObjectWithTimeLevelMsgAndFields) {
  std::string line = Json("task finished", {{"task_id", "t-1"},
                                            {"attempts", 3},
                                            {"bytes", int64_t{1} << 40},
                                            {"progress", 0.5},
                                            {"final", true}});
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  auto doc = json::ParseObject(line);
  ASSERT_TRUE(doc.ok()) << doc.status() << " in " << line;
  EXPECT_EQ(*json::GetString(*doc, "time"), "2024-05-01T12:00:00.123Z");
  EXPECT_EQ(*json::GetString(*doc, "level"), "info");
  EXPECT_EQ(*json::GetString(*doc, "msg"), "task finished");
  EXPECT_EQ(*json::GetString(*doc, "src"), "dispatcher.cc:42");
  EXPECT_EQ(*json::GetString(*doc, "task_id"), "t-1");
  EXPECT_EQ(*json::GetInt(*doc, "attempts"), 3);
  EXPECT_EQ(*json::GetInt(*doc, "bytes"), int64_t{1} << 40);
  EXPECT_DOUBLE_EQ(*json::GetDouble(*doc, "progress"), 0.5);
  EXPECT_EQ(**json::GetOptBool(*doc, "final"), true);
}

TEST(LogFormatTest, JsonEscapesHostileValuesAndRepairsUtf8) {
  const std::string hostile =
      "a\"b\\c\nd\re\t\x01 \xff\xfe {\"forged\":1} \xe2\x80";
  std::string line = Json(hostile, {{"route", hostile}, {hostile, "v"}});
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  // Strict parse: a byte that is not UTF-8 would be refused.
  auto doc = json::ParseObject(line, json::Utf8Policy::kReject);
  ASSERT_TRUE(doc.ok()) << doc.status() << " in " << line;
  auto route = json::GetString(*doc, "route");
  ASSERT_TRUE(route.ok());
  EXPECT_THAT(*route, HasSubstr("a\"b\\c\nd\re\t\x01 "));
  EXPECT_THAT(*route, HasSubstr("\xef\xbf\xbd"));  // U+FFFD
  EXPECT_EQ(json::Find(*doc, "forged"), nullptr);
  EXPECT_TRUE(json::GetString(*doc, "msg").ok());
}

TEST(LogFormatTest, JsonWritesNonFiniteNumbersAsNull) {
  std::string line = Json("m", {{"x", std::nan("")}, {"y", HUGE_VAL}});
  EXPECT_THAT(line, HasSubstr("\"x\":null,\"y\":null"));
  EXPECT_TRUE(json::ParseObject(line).ok());
}

TEST(LogFormatTest, TextLineKeepsTheClassicPrefix) {
  std::string line = Text("upstream slow", {{"channel", "comfy-a"},
                                            {"attempts", 2}});
  EXPECT_EQ(line,
            "W 2024-05-01T12:00:00.123Z dispatcher.cc:42] upstream slow "
            "channel=comfy-a attempts=2\n");
}

TEST(LogFormatTest, TextQuotesAndEscapesValuesThatCouldForgeFields) {
  std::string line = Text("m\nforged line", {{"a", "x y=1\nI 2024 fake]"},
                                             {"b", ""},
                                             {"c", "caf\xc3\xa9"},
                                             {"d", "\xff"}});
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  EXPECT_THAT(line, HasSubstr("m\\nforged line"));
  EXPECT_THAT(line, HasSubstr("a=\"x y=1\\nI 2024 fake]\""));
  EXPECT_THAT(line, HasSubstr(" b=\"\""));
  EXPECT_THAT(line, HasSubstr(" c=\"caf\xc3\xa9\""));  // readable UTF-8
  EXPECT_THAT(line, HasSubstr(" d=\"\xef\xbf\xbd\""));
}

TEST(LogFormatTest, ParseLogFormat) {
  EXPECT_EQ(*ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(*ParseLogFormat("text"), LogFormat::kText);
  EXPECT_FALSE(ParseLogFormat("JSON ").ok());
  EXPECT_FALSE(ParseLogFormat("").ok());
}

class LogOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    out_ = std::tmpfile();
    ASSERT_NE(out_, nullptr);
    SetLogOutput(out_);
  }
  void TearDown() override {
    SetLogOutput(nullptr);
    SetLogFormat(LogFormat::kText);
    SetMinLogLevel(LogLevel::kInfo);
    std::fclose(out_);
  }
  std::string Written() {
    std::fflush(out_);
    std::rewind(out_);
    std::string s;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), out_)) > 0) s.append(buf, n);
    return s;
  }
  std::FILE* out_ = nullptr;
};

TEST_F(LogOutputTest, MacrosWriteInTheChosenFormatAboveTheLevel) {
  SetLogFormat(LogFormat::kJson);
  int evaluated = 0;
  auto count = [&evaluated] { return ++evaluated; };
  MG_LOGF(Debug, "hidden", {"n", count()});
  MG_LOGF(Info, "task submitted", {"task_id", "t-9"}, {"n", count()});
  MG_LOG(Warning, "plain ", 7);
  EXPECT_EQ(evaluated, 1);  // fields of a disabled level are not built
  std::vector<std::string> lines =
      absl::StrSplit(Written(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);
  auto first = json::ParseObject(lines[0]);
  ASSERT_TRUE(first.ok()) << lines[0];
  EXPECT_EQ(*json::GetString(*first, "msg"), "task submitted");
  EXPECT_EQ(*json::GetString(*first, "task_id"), "t-9");
  EXPECT_THAT(*json::GetString(*first, "src"),
              MatchesRegex("logging_test\\.cc:[0-9]+"));
  auto second = json::ParseObject(lines[1]);
  ASSERT_TRUE(second.ok()) << lines[1];
  EXPECT_EQ(*json::GetString(*second, "level"), "warning");
  EXPECT_EQ(*json::GetString(*second, "msg"), "plain 7");
}

TEST_F(LogOutputTest, TextIsTheDefault) {
  MG_LOGF(Info, "hello", {"k", "v"});
  std::string s = Written();
  EXPECT_THAT(s, MatchesRegex("I [0-9T:.-]+Z logging_test\\.cc:[0-9]+\\] "
                              "hello k=v\n"));
  EXPECT_THAT(s, Not(HasSubstr("{")));
}

}  // namespace
}  // namespace mediagw
