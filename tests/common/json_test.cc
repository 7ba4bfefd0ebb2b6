#include "common/json.h"

#include <cstdint>
#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagw::json {
namespace {

using ::testing::HasSubstr;

constexpr char kDoc[] = R"({
  "s": "text", "i": 42, "neg": -7, "f": 7.0, "half": 7.5, "b": true,
  "n": null, "o": {"k": 1}, "a": [1, 2], "big": 18446744073709551615,
  "huge": 1e300
})";

rapidjson::Document ParseOk(absl::string_view text) {
  auto doc = ParseObject(text);
  EXPECT_TRUE(doc.ok()) << doc.status();
  return *std::move(doc);
}

TEST(JsonParseTest, MalformedJsonIsInvalidArgumentWithOffset) {
  for (absl::string_view bad : {"", "{", "{\"a\":}", "[1,", "nul", "{\"a\" 1}",
                                "\"unterminated", "{} trailing"}) {
    auto doc = Parse(bad);
    ASSERT_FALSE(doc.ok()) << bad;
    EXPECT_EQ(doc.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(doc.status().message(), HasSubstr("malformed JSON at offset"));
  }
}

TEST(JsonParseTest, ParseAcceptsAnyRootButParseObjectWantsObject) {
  EXPECT_TRUE(Parse("[1,2]").ok());
  EXPECT_TRUE(Parse("3").ok());
  for (absl::string_view not_object : {"[1,2]", "3", "\"s\"", "null", "true"}) {
    auto doc = ParseObject(not_object);
    ASSERT_FALSE(doc.ok()) << not_object;
    EXPECT_EQ(doc.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(doc.status().message(), HasSubstr("must be an object"));
  }
}

TEST(JsonParseTest, ParseHonoursLengthNotNulTerminator) {
  std::string text = "{\"a\":1}GARBAGE";
  auto doc = ParseObject(absl::string_view(text.data(), 7));
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(*GetInt(*doc, "a"), 1);
}

TEST(JsonGetterTest, RequiredGettersReturnValues) {
  auto doc = ParseOk(kDoc);
  EXPECT_EQ(*GetString(doc, "s"), "text");
  EXPECT_EQ(*GetInt(doc, "i"), 42);
  EXPECT_EQ(*GetInt(doc, "neg"), -7);
  EXPECT_EQ(*GetInt(doc, "f"), 7);  // integral float accepted
  EXPECT_DOUBLE_EQ(*GetDouble(doc, "half"), 7.5);
  EXPECT_DOUBLE_EQ(*GetDouble(doc, "i"), 42.0);
  auto o = GetObject(doc, "o");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(*GetInt(**o, "k"), 1);
  auto a = GetArray(doc, "a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)->Size(), 2u);
}

TEST(JsonGetterTest, RequiredGettersOnMissingFieldNameIt) {
  auto doc = ParseOk(kDoc);
  EXPECT_THAT(GetString(doc, "zz").status().message(), HasSubstr("'zz'"));
  EXPECT_THAT(GetInt(doc, "zz").status().message(), HasSubstr("missing"));
  EXPECT_FALSE(GetDouble(doc, "zz").ok());
  EXPECT_FALSE(GetObject(doc, "zz").ok());
  EXPECT_FALSE(GetArray(doc, "zz").ok());
}

// Each getter must report a type mismatch as INVALID_ARGUMENT naming the
// field; a raw RapidJSON getter would abort the process here.
TEST(JsonGetterTest, WrongTypesNeverAbort) {
  auto doc = ParseOk(kDoc);
  const char* fields[] = {"s", "i", "neg", "f", "half", "b", "n",
                          "o", "a", "big", "huge"};
  for (const char* f : fields) {
    SCOPED_TRACE(f);
    const rapidjson::Value& v = doc[f];
    if (!v.IsString()) {
      auto r = GetString(doc, f);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_THAT(r.status().message(), HasSubstr(std::string("'") + f + "'"));
      EXPECT_FALSE(GetOptString(doc, f).ok() && !v.IsNull());
    }
    if (!v.IsNumber()) {
      EXPECT_FALSE(GetDouble(doc, f).ok());
      EXPECT_FALSE(GetInt(doc, f).ok());
    }
    if (!v.IsObject()) {
      EXPECT_THAT(GetObject(doc, f).status().message(), HasSubstr("an object"));
    }
    if (!v.IsArray()) {
      EXPECT_THAT(GetArray(doc, f).status().message(), HasSubstr("an array"));
    }
    if (!v.IsBool() && !v.IsNull()) EXPECT_FALSE(GetOptBool(doc, f).ok());
  }
}

TEST(JsonGetterTest, IntRejectsFractionsAndOutOfRange) {
  auto doc = ParseOk(kDoc);
  EXPECT_THAT(GetInt(doc, "half").status().message(),
              HasSubstr("'half' must be an integer"));
  EXPECT_THAT(GetInt(doc, "big").status().message(), HasSubstr("in range"));
  EXPECT_FALSE(GetInt(doc, "huge").ok());
  EXPECT_FALSE(GetOptInt(doc, "half").ok());
}

TEST(JsonGetterTest, OptionalGettersTreatAbsentAndNullAsEmpty) {
  auto doc = ParseOk(kDoc);
  for (const char* f : {"n", "absent"}) {
    EXPECT_EQ(*GetOptString(doc, f), std::nullopt);
    EXPECT_EQ(*GetOptInt(doc, f), std::nullopt);
    EXPECT_EQ(*GetOptDouble(doc, f), std::nullopt);
    EXPECT_EQ(*GetOptBool(doc, f), std::nullopt);
  }
  EXPECT_EQ(*GetOptString(doc, "s"), "text");
  EXPECT_EQ(*GetOptInt(doc, "i"), 42);
  EXPECT_EQ(*GetOptDouble(doc, "half"), 7.5);
  EXPECT_EQ(*GetOptBool(doc, "b"), true);
  EXPECT_EQ(GetOptString(doc, "i").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(GetOptBool(doc, "s").status().message(),
              HasSubstr("'s' must be a boolean"));
  EXPECT_FALSE(GetOptDouble(doc, "s").ok());
}

TEST(JsonGetterTest, GettersOnNonObjectRootReportMissing) {
  auto arr = Parse("[1]");
  ASSERT_TRUE(arr.ok());
  EXPECT_EQ(Find(*arr, "x"), nullptr);
  EXPECT_FALSE(GetString(*arr, "x").ok());
  EXPECT_EQ(*GetOptInt(*arr, "x"), std::nullopt);
}

TEST(JsonTest, AsConversionsNameTheValue) {
  rapidjson::Value v(true);
  EXPECT_THAT(AsString(v, "thing").status().message(), HasSubstr("'thing'"));
  EXPECT_THAT(AsInt(v, "thing").status().message(), HasSubstr("'thing'"));
  EXPECT_THAT(AsDouble(v, "thing").status().message(), HasSubstr("'thing'"));
}

TEST(JsonTest, StringsMayContainNul) {
  auto doc = ParseOk(R"({"s":"a\u0000b"})");
  auto s = GetString(doc, "s");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, std::string("a\0b", 3));
}

TEST(JsonTest, SerializeIsCompactAndRoundTrips) {
  auto doc = ParseOk(R"({ "a" : [1, 2.5, "x"], "b": {"c": null} })");
  EXPECT_EQ(Serialize(doc), R"({"a":[1,2.5,"x"],"b":{"c":null}})");
}

TEST(JsonTest, QuoteEscapes) {
  EXPECT_EQ(Quote("plain"), "\"plain\"");
  EXPECT_EQ(Quote("a\"b\\c\n\t"), "\"a\\\"b\\\\c\\n\\t\"");
  EXPECT_EQ(Quote(absl::string_view("\x01", 1)), "\"\\u0001\"");
  EXPECT_EQ(Quote(""), "\"\"");
}

}  // namespace
}  // namespace mediagw::json
