// The http_async codec: template splitting, compiling and rendering (types,
// escaping, URL-encoding, missing values), JSON pointer reads of replies,
// and provider_state.
#include "providers/http_async/http_async_codec.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagw::http_async {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

SlotValues FullValues() {
  SlotValues v;
  v.emplace("prompt", SlotValue::Text("a \"quoted\" cat \\ \xe7\x8c\xab\n"));
  v.emplace("negative_prompt", SlotValue::Text("blurry"));
  v.emplace("width", SlotValue::Int(768));
  v.emplace("height", SlotValue::Int(1024));
  v.emplace("seed", SlotValue::Int(4294967297));
  v.emplace("cfg", SlotValue::Real(6.5));
  v.emplace("task_id", SlotValue::Text("t-1"));
  v.emplace("id", SlotValue::Text("a b/c?d&e=\xe7\x8c\xab"));
  v.emplace("api_key", SlotValue::Text("k-123"));
  return v;
}

CallTemplate MustCompile(const CallTemplate::Source& source,
                         bool allow_id = true) {
  auto t = CallTemplate::Compile("submit", source, "POST", allow_id);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : CallTemplate();
}

CallTemplate::Source Body(std::string json) {
  CallTemplate::Source s;
  s.path = "/gen";
  s.body_json = std::move(json);
  return s;
}

// --- SplitTemplate -----------------------------------------------------------

TEST(SplitTemplateTest, SplitsLiteralsAndSlots) {
  auto pieces = SplitTemplate("Bearer {{api_key}}/{{ id }}!", true);
  ASSERT_TRUE(pieces.ok()) << pieces.status();
  ASSERT_EQ(pieces->size(), 5u);
  EXPECT_FALSE((*pieces)[0].is_slot);
  EXPECT_EQ((*pieces)[0].text, "Bearer ");
  EXPECT_TRUE((*pieces)[1].is_slot);
  EXPECT_EQ((*pieces)[1].text, "api_key");
  EXPECT_EQ((*pieces)[2].text, "/");
  EXPECT_TRUE((*pieces)[3].is_slot);
  EXPECT_EQ((*pieces)[3].text, "id");
  EXPECT_FALSE((*pieces)[4].is_slot);
  EXPECT_EQ((*pieces)[4].text, "!");
}

TEST(SplitTemplateTest, RejectsBadSlots) {
  EXPECT_THAT(SplitTemplate("a {{prompt", false).status().message(),
              HasSubstr("unterminated {{ at offset 2"));
  EXPECT_THAT(SplitTemplate("{{ }}", false).status().message(),
              HasSubstr("empty slot"));
  EXPECT_THAT(SplitTemplate("{{colour}}", false).status().message(),
              HasSubstr("unknown slot {{colour}}"));
  EXPECT_THAT(SplitTemplate("/task/{{id}}", false).status().message(),
              HasSubstr("{{id}} exists only in poll and cancel"));
  EXPECT_TRUE(SplitTemplate("/task/{{id}}", true).ok());
  EXPECT_TRUE(SplitTemplate("no slots } here {", false).ok());
}

// --- Compile -----------------------------------------------------------------

TEST(CallTemplateTest, CompileRejectsBadParts) {
  CallTemplate::Source s;
  s.method = "FETCH";
  EXPECT_THAT(CallTemplate::Compile("poll", s, "GET", true).status().message(),
              HasSubstr("poll.method: 'FETCH' is not GET, POST"));
  s = {};
  s.path = "task/{{id}}";
  EXPECT_THAT(CallTemplate::Compile("poll", s, "GET", true).status().message(),
              HasSubstr("poll.path: must be empty or start with '/'"));
  s.path = "/task /{{id}}";
  EXPECT_THAT(CallTemplate::Compile("poll", s, "GET", true).status().message(),
              HasSubstr("poll.path: must not hold spaces"));
  s = {};
  s.headers = {{"Bad Name", "x"}};
  EXPECT_THAT(CallTemplate::Compile("poll", s, "GET", true).status().message(),
              HasSubstr("poll.headers[Bad Name]: not a valid header name"));
  s.headers = {{"X-Key", "a\r\nInjected: 1"}};
  EXPECT_THAT(CallTemplate::Compile("poll", s, "GET", true).status().message(),
              HasSubstr("poll.headers[X-Key]: value holds CR, LF or NUL"));
  s.headers = {{"X-Key", "{{secret}}"}};
  EXPECT_THAT(CallTemplate::Compile("poll", s, "GET", true).status().message(),
              HasSubstr("poll.headers[X-Key]: unknown slot {{secret}}"));
  s = {};
  s.body_json = R"({"a": {"b": ["{{prompt}}", "{{colour}}"]}})";
  EXPECT_THAT(
      CallTemplate::Compile("submit", s, "POST", false).status().message(),
      HasSubstr("submit.body: unknown slot {{colour}}"));
  s.body_json = R"({"a": )";
  EXPECT_THAT(
      CallTemplate::Compile("submit", s, "POST", false).status().message(),
      HasSubstr("submit.body: malformed JSON"));
  s.body_json = R"({"task": "{{id}}"})";
  EXPECT_THAT(
      CallTemplate::Compile("submit", s, "POST", false).status().message(),
      HasSubstr("submit.body: slot {{id}} exists only"));
}

TEST(CallTemplateTest, DefaultMethodAndUses) {
  CallTemplate::Source s;
  s.method = "put";
  s.path = "/x/{{id}}";
  s.headers = {{"X-Api-Key", "{{api_key}}"}};
  s.body_json = R"({"p": "{{prompt}}"})";
  CallTemplate t = MustCompile(s);
  EXPECT_TRUE(t.Uses("id"));
  EXPECT_TRUE(t.Uses("api_key"));
  EXPECT_TRUE(t.Uses("prompt"));
  EXPECT_FALSE(t.Uses("seed"));
  auto r = t.Render(FullValues());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->method, "PUT");
  CallTemplate::Source plain;
  auto get = CallTemplate::Compile("poll", plain, "GET", true);
  ASSERT_TRUE(get.ok());
  auto rendered = get->Render({});
  ASSERT_TRUE(rendered.ok());
  EXPECT_EQ(rendered->method, "GET");
  EXPECT_FALSE(rendered->has_body);
}

// --- Render ------------------------------------------------------------------

TEST(CallTemplateTest, ExactSlotsKeepTheirJsonType) {
  CallTemplate t = MustCompile(
      Body(R"({"prompt":"{{prompt}}","w":"{{width}}","seed":"{{seed}}",)"
           R"("cfg":"{{cfg}}","list":["{{height}}", 1, null, true],"k":"x"})"));
  auto r = t.Render(FullValues());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->has_body);
  EXPECT_EQ(r->body, R"({"prompt":"a \"quoted\" cat \\ )"
                     "\xe7\x8c\xab"
                     R"(\n","w":768,"seed":4294967297,"cfg":6.5,)"
                     R"("list":[1024,1,null,true],"k":"x"})");
}

TEST(CallTemplateTest, SlotsInsideLongerStringsAreText) {
  CallTemplate t = MustCompile(
      Body(R"({"ref":"mediagw-{{task_id}}","size":"{{width}}x{{height}}",)"
           R"("cfg":"cfg={{cfg}}","p":"<{{prompt}}>"})"));
  auto r = t.Render(FullValues());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body,
            R"({"ref":"mediagw-t-1","size":"768x1024","cfg":"cfg=6.5",)"
            R"("p":"<a \"quoted\" cat \\ )"
            "\xe7\x8c\xab"
            R"(\n>"})");
}

TEST(CallTemplateTest, ValuesAreNeverScannedForSlots) {
  SlotValues v = FullValues();
  v["prompt"] = SlotValue::Text("{{api_key}} and {{id}}");
  CallTemplate t = MustCompile(Body(R"({"p":"{{prompt}}","q":"x{{prompt}}"})"));
  auto r = t.Render(v);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body,
            R"({"p":"{{api_key}} and {{id}}","q":"x{{api_key}} and {{id}}"})");
}

TEST(CallTemplateTest, PathValuesAreUrlEncodedHeadersAreNot) {
  CallTemplate::Source s;
  s.path = "/v1/get_result?id={{id}}&w={{width}}";
  s.headers = {{"Authorization", "Bearer {{api_key}}"}};
  CallTemplate t = MustCompile(s);
  auto r = t.Render(FullValues());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->path, "/v1/get_result?id=a%20b%2Fc%3Fd%26e%3D%E7%8C%AB&w=768");
  EXPECT_THAT(r->headers,
              ElementsAre(std::make_pair(std::string("Authorization"),
                                         std::string("Bearer k-123"))));
}

TEST(CallTemplateTest, MissingExactSlotsAreLeftOut) {
  SlotValues v = FullValues();
  v.erase("negative_prompt");
  v.erase("seed");
  CallTemplate t = MustCompile(
      Body(R"({"prompt":"{{prompt}}","negative_prompt":"{{negative_prompt}}",)"
           R"("seeds":["{{seed}}","{{width}}","{{seed}}"],)"
           R"("nested":{"s":"{{seed}}"}})"));
  auto r = t.Render(v);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->body, HasSubstr(R"("seeds":[768],"nested":{}})"));
  EXPECT_THAT(r->body, Not(HasSubstr("negative_prompt")));
}

TEST(CallTemplateTest, MissingValuesElsewhereFailNamingTheSlot) {
  SlotValues v = FullValues();
  v.erase("id");
  v.erase("seed");
  v.erase("api_key");
  CallTemplate::Source s;
  s.path = "/task/{{id}}";
  auto r = MustCompile(s).Render(v);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(),
              HasSubstr("submit.path: {{id}} has no value for this task"));

  CallTemplate::Source h;
  h.headers = {{"X-Api-Key", "{{api_key}}"}};
  EXPECT_THAT(MustCompile(h).Render(v).status().message(),
              HasSubstr("submit.headers[X-Api-Key]: {{api_key}} has no value"));

  EXPECT_THAT(MustCompile(Body(R"({"s":"seed {{seed}}"})"))
                  .Render(v)
                  .status()
                  .message(),
              HasSubstr("submit.body: {{seed}} has no value"));
  EXPECT_THAT(MustCompile(Body(R"("{{seed}}")")).Render(v).status().message(),
              HasSubstr("the whole body is a slot without a value"));
}

TEST(CallTemplateTest, HeaderValuesWithLineBreaksAreRefused) {
  SlotValues v = FullValues();
  v["api_key"] = SlotValue::Text("k\r\nX-Evil: 1");
  CallTemplate::Source h;
  h.headers = {{"X-Api-Key", "{{api_key}}"}};
  EXPECT_THAT(MustCompile(h).Render(v).status().message(),
              HasSubstr("value holds CR, LF or NUL"));
}

TEST(SlotValueTest, TextForms) {
  EXPECT_EQ(SlotValue::Int(-42).AsText(), "-42");
  EXPECT_EQ(SlotValue::Real(7).AsText(), "7");
  EXPECT_EQ(SlotValue::Real(6.5).AsText(), "6.5");
  EXPECT_EQ(SlotValue::Real(0.1).AsText(), "0.1");
  EXPECT_EQ(SlotValue::Text("x y").AsText(), "x y");
  EXPECT_EQ(FormatReal(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(UrlEncode("AZaz09-._~ /%"), "AZaz09-._~%20%2F%25");
}

// --- JSON pointers -----------------------------------------------------------

TEST(ValidatePointerTest, AcceptsRfc6901AndFragments) {
  EXPECT_TRUE(ValidatePointer("").ok());
  EXPECT_TRUE(ValidatePointer("/data/task_id").ok());
  EXPECT_TRUE(ValidatePointer("/a~1b/~0c/0").ok());
  EXPECT_TRUE(ValidatePointer("#/data/images").ok());
  EXPECT_THAT(
      ValidatePointer("data/id").message(),
      HasSubstr("'data/id' is not a JSON pointer: must start with '/'"));
  EXPECT_THAT(ValidatePointer("/a~2").message(),
              HasSubstr("'~' must be followed by 0 or 1"));
}

// Found by fuzzing: a fragment whose percent-escape starts a multi-byte
// UTF-8 sequence and then ends made RapidJSON read past its input.
TEST(ValidatePointerTest, FragmentCutInsideAPercentEscapeIsRefusedSafely) {
  for (const char* text : {"#/rF-%DA", "#/%C3", "#/%E2%82", "#/a%"}) {
    const std::string exact(text);  // no slack after the last byte
    EXPECT_FALSE(
        ValidatePointer(absl::string_view(exact.data(), exact.size())).ok())
        << text;
  }
  EXPECT_TRUE(ValidatePointer("#/caf%C3%A9").ok());
}

constexpr absl::string_view kReply = R"({
  "code": 0, "msg": "ok",
  "data": {"task_id": 1234567890, "big": 18446744073709551615, "neg": -5,
           "ratio": 0.25, "sid": "abc", "flag": true, "none": null,
           "images": ["http://h/1.png", "", "http://h/2.png"],
           "mixed": ["http://h/1.png", 3], "progress": "42.5",
           "details": {"Moderation Reasons": ["Sexual"]}, "empty": ""}})";

TEST(JsonReplyTest, ScalarKeepsTheTextualForm) {
  auto r = JsonReply::Parse(kReply);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(*r->Scalar("/data/task_id"), Optional(std::string("1234567890")));
  EXPECT_THAT(*r->Scalar("/data/big"),
              Optional(std::string("18446744073709551615")));
  EXPECT_THAT(*r->Scalar("/data/neg"), Optional(std::string("-5")));
  EXPECT_THAT(*r->Scalar("/data/ratio"), Optional(std::string("0.25")));
  EXPECT_THAT(*r->Scalar("/data/sid"), Optional(std::string("abc")));
  EXPECT_THAT(*r->Scalar("/data/flag"), Optional(std::string("true")));
  EXPECT_THAT(*r->Scalar("/code"), Optional(std::string("0")));
  EXPECT_THAT(*r->Scalar("/data/images/2"),
              Optional(std::string("http://h/2.png")));
  EXPECT_EQ(*r->Scalar("/data/none"), std::nullopt);
  EXPECT_EQ(*r->Scalar("/data/absent"), std::nullopt);
  EXPECT_EQ(*r->Scalar("/data/images/9"), std::nullopt);
  EXPECT_THAT(r->Scalar("/data").status().message(),
              HasSubstr("value at '/data' is not a string or a number"));
  EXPECT_EQ(r->Scalar("data").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(JsonReplyTest, NumbersAndNumericStrings) {
  auto r = JsonReply::Parse(kReply);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(*r->Number("/data/ratio"), Optional(0.25));
  EXPECT_THAT(*r->Number("/data/progress"), Optional(42.5));
  EXPECT_EQ(*r->Number("/data/none"), std::nullopt);
  EXPECT_FALSE(r->Number("/data/sid").ok());
  EXPECT_FALSE(r->Number("/data/images").ok());
}

TEST(JsonReplyTest, StringsFromAStringOrAnArray) {
  auto r = JsonReply::Parse(kReply);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(*r->Strings("/data/images"),
              ElementsAre("http://h/1.png", "http://h/2.png"));
  EXPECT_THAT(*r->Strings("/data/sid"), ElementsAre("abc"));
  EXPECT_TRUE(r->Strings("/data/none")->empty());
  EXPECT_TRUE(r->Strings("/data/absent")->empty());
  EXPECT_THAT(r->Strings("/data/mixed").status().message(),
              HasSubstr("holds a non-string"));
  EXPECT_THAT(r->Strings("/data/task_id").status().message(),
              HasSubstr("not a string or an array of strings"));
}

TEST(JsonReplyTest, MessagesOfAnyType) {
  auto r = JsonReply::Parse(kReply);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->Message("/msg"), Optional(std::string("ok")));
  EXPECT_THAT(r->Message("/data/details"),
              Optional(std::string(R"({"Moderation Reasons":["Sexual"]})")));
  EXPECT_THAT(r->Message("/data/task_id"), Optional(std::string("1234567890")));
  EXPECT_EQ(r->Message("/data/empty"), std::nullopt);
  EXPECT_EQ(r->Message("/data/none"), std::nullopt);
  EXPECT_EQ(r->Message("not a pointer"), std::nullopt);
}

TEST(JsonReplyTest, MalformedBodiesAreInvalidArgument) {
  for (absl::string_view body :
       {absl::string_view(""), absl::string_view("{\"a\":"),
        absl::string_view("<html>502</html>"),
        absl::string_view("\xEF\xBB\xBF{}"), absl::string_view("{}\0{}", 5),
        absl::string_view("[1e999]")}) {
    auto r = JsonReply::Parse(body);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << body;
  }
  // A scalar document is fine; the root pointer reads it.
  auto scalar = JsonReply::Parse("\"job-1\"");
  ASSERT_TRUE(scalar.ok());
  EXPECT_THAT(*scalar->Scalar(""), Optional(std::string("job-1")));
}

// --- provider_state ----------------------------------------------------------

TEST(ProviderStateTest, RoundTripsAndRejectsForeignState) {
  const std::string state = BuildProviderState("http://h:1/rr3");
  EXPECT_EQ(state, R"({"base_url":"http://h:1/rr3"})");
  EXPECT_EQ(*ParseProviderState(state), "http://h:1/rr3");
  EXPECT_EQ(*ParseProviderState(""), "");
  EXPECT_FALSE(ParseProviderState(R"({"server":"x"})").ok());
  EXPECT_FALSE(ParseProviderState("not json").ok());
}

}  // namespace
}  // namespace mediagw::http_async
