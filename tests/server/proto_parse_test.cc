#include "server/proto_parse.h"

#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "mediagw/v1/media.pb.h"

namespace mediagw {
namespace {

// Wire bytes written by hand: protobuf's serializer would refuse invalid
// UTF-8 in a string field, as a hostile client's would not.
class Wire {
 public:
  Wire& Bytes(int field, const std::string& value) {
    Tag(field, 2);
    Varint(value.size());
    out_ += value;
    return *this;
  }
  Wire& Int(int field, uint64_t value) {
    Tag(field, 0);
    Varint(value);
    return *this;
  }
  Wire& Raw(const std::string& bytes) {
    out_ += bytes;
    return *this;
  }
  const std::string& str() const { return out_; }

 private:
  void Tag(int field, int type) { Varint((uint64_t(field) << 3) | type); }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  std::string out_;
};

const std::string kBad = "caf\xC3";          // truncated sequence
const std::string kSurrogate = "\xED\xA0\x80";  // U+D800

grpc::ByteBuffer Split(const std::string& wire, size_t cut) {
  std::vector<grpc::Slice> slices = {grpc::Slice(wire.substr(0, cut)),
                                     grpc::Slice(wire.substr(cut))};
  return grpc::ByteBuffer(slices.data(), slices.size());
}

TEST(ProtoParseTest, ParsesAValidRequest) {
  v1::SubmitImageRequest req;
  req.set_prompt("caf\xC3\xA9 \xF0\x9F\x98\x80");
  req.set_width(640);
  req.set_workflow("anime");
  const std::string wire = req.SerializeAsString();
  v1::SubmitImageRequest out;
  ASSERT_TRUE(ParseRequest(wire, &out).ok());
  EXPECT_EQ(out.prompt(), req.prompt());
  EXPECT_EQ(out.width(), 640);
  for (size_t cut : {size_t{0}, size_t{1}, wire.size() / 2, wire.size()}) {
    v1::SubmitImageRequest from_buffer;
    ASSERT_TRUE(ParseRequest(Split(wire, cut), &from_buffer).ok()) << cut;
    EXPECT_EQ(from_buffer.SerializeAsString(), wire);
  }
}

TEST(ProtoParseTest, EmptyBufferIsAnEmptyMessage) {
  v1::GetTaskRequest out;
  out.set_id("stale");
  EXPECT_TRUE(ParseRequest(grpc::ByteBuffer(), &out).ok());
  EXPECT_EQ(out.id(), "");
}

TEST(ProtoParseTest, NamesTheStringFieldWithInvalidUtf8) {
  const std::string wire =
      Wire().Int(3, 512).Bytes(8, "default").Bytes(1, kBad).str();
  v1::SubmitImageRequest out;
  absl::Status st = ParseRequest(wire, &out);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "prompt: not valid UTF-8");
  st = ParseRequest(Split(wire, 5), &out);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "prompt: not valid UTF-8");
}

TEST(ProtoParseTest, NamesTheFirstBadFieldInWireOrder) {
  const std::string wire =
      Wire().Bytes(2, "fine").Bytes(11, kSurrogate).Bytes(1, kBad).str();
  v1::SubmitImageRequest out;
  EXPECT_EQ(ParseRequest(wire, &out).message(),
            "idempotency_key: not valid UTF-8");
}

TEST(ProtoParseTest, NamesNestedAndRepeatedFields) {
  // Task.outputs (7) is a repeated Output whose uri (1) is a string.
  const std::string output_ok = Wire().Bytes(1, "/uploads/a.png").str();
  const std::string output_bad =
      Wire().Bytes(2, "image/png").Bytes(1, kSurrogate).str();
  const std::string task = Wire()
                               .Bytes(1, "id")
                               .Bytes(7, output_ok)
                               .Bytes(7, output_bad)
                               .str();
  v1::Task out;
  EXPECT_EQ(ParseRequest(task, &out).message(),
            "outputs.uri: not valid UTF-8");
  // TaskEvent.task (1) -> Task.
  v1::TaskEvent event;
  EXPECT_EQ(ParseRequest(Wire().Bytes(1, task).str(), &event).message(),
            "task.outputs.uri: not valid UTF-8");
}

TEST(ProtoParseTest, BytesInUnknownFieldsAndWrongWireTypesAreNotStrings) {
  // Field 99 is unknown, field 1 sent as a varint is an unknown field to
  // protobuf too: both parse, and nothing is named.
  const std::string wire = Wire().Bytes(99, kBad).Int(1, 7).str();
  v1::SubmitImageRequest out;
  EXPECT_TRUE(ParseRequest(wire, &out).ok());
  EXPECT_EQ(FindInvalidUtf8Field(wire, *out.GetDescriptor()), std::nullopt);
}

TEST(ProtoParseTest, MalformedWireIsMalformedRequest) {
  v1::SubmitImageRequest out;
  const std::vector<std::string> cases = {
      Wire().Raw("\x0a\x05" "ab").str(),          // length past the end
      Wire().Raw("\x0a").str(),                    // tag without length
      Wire().Raw(std::string("\x00", 1)).str(),    // tag 0
      Wire().Raw("\x0c").str(),                    // END_GROUP alone
      Wire().Raw("\x0f").str(),                    // wire type 7
      Wire().Raw("\x18\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01").str(),
  };
  for (const auto& wire : cases) {
    absl::Status st = ParseRequest(wire, &out);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(st.message(), "malformed request");
  }
}

TEST(ProtoParseTest, MalformedAfterABadStringStillNamesTheString) {
  // protobuf stops at the first error as we do: the string comes first.
  const std::string wire = Wire().Bytes(1, kBad).Raw("\x0a\x09").str();
  v1::SubmitImageRequest out;
  EXPECT_EQ(ParseRequest(wire, &out).message(), "prompt: not valid UTF-8");
  // A nested message cut short is malformed before its string is reached.
  const std::string cut = Wire().Raw("\x0a\x20").Bytes(1, kBad).str();
  v1::TaskEvent event;
  EXPECT_EQ(ParseRequest(cut, &event).message(), "malformed request");
}

// message Node { Node child = 1; string text = 2; }, built at run time.
const google::protobuf::Descriptor* NodeDescriptor(
    google::protobuf::DescriptorPool* pool) {
  google::protobuf::FileDescriptorProto file;
  file.set_name("node.proto");
  file.set_syntax("proto3");
  auto* node = file.add_message_type();
  node->set_name("Node");
  auto* child = node->add_field();
  child->set_name("child");
  child->set_number(1);
  child->set_type(google::protobuf::FieldDescriptorProto::TYPE_MESSAGE);
  child->set_type_name(".Node");
  auto* text = node->add_field();
  text->set_name("text");
  text->set_number(2);
  text->set_type(google::protobuf::FieldDescriptorProto::TYPE_STRING);
  const auto* fd = pool->BuildFile(file);
  return fd == nullptr ? nullptr : fd->FindMessageTypeByName("Node");
}

std::string Nested(int levels) {
  std::string wire = Wire().Bytes(2, kBad).str();
  for (int i = 0; i < levels; ++i) wire = Wire().Bytes(1, wire).str();
  return wire;
}

TEST(ProtoParseTest, NestingIsFollowedUpToTheLimitOnly) {
  google::protobuf::DescriptorPool pool;
  const auto* node = NodeDescriptor(&pool);
  ASSERT_NE(node, nullptr);
  std::string path;
  for (int i = 0; i < 3; ++i) path += "child.";
  EXPECT_EQ(FindInvalidUtf8Field(Nested(3), *node), path + "text");
  EXPECT_TRUE(FindInvalidUtf8Field(Nested(100), *node).has_value());
  EXPECT_EQ(FindInvalidUtf8Field(Nested(101), *node), std::nullopt);
  EXPECT_EQ(FindInvalidUtf8Field(Nested(5000), *node), std::nullopt);
}

TEST(ProtoParseTest, SerializeReplyRoundTrips) {
  v1::Task task;
  task.set_id("t1");
  task.set_progress(0.5);
  grpc::ByteBuffer buffer;
  ASSERT_TRUE(SerializeReply(task, &buffer).ok());
  v1::Task back;
  ASSERT_TRUE(ParseRequest(buffer, &back).ok());
  EXPECT_EQ(back.id(), "t1");
  EXPECT_EQ(back.progress(), 0.5);
}

}  // namespace
}  // namespace mediagw
