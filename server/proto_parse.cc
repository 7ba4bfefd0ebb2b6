#include "server/proto_parse.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/utf8.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/wire_format_lite.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"

namespace mediagw {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::io::CodedInputStream;
using google::protobuf::internal::WireFormatLite;

// protobuf's own default nesting limit.
constexpr int kMaxDepth = 100;

enum class Walk { kClean, kFound, kMalformed };

// `wire` is the whole buffer `in` reads; positions index into it.
Walk WalkMessage(absl::string_view wire, CodedInputStream* in,
                 const Descriptor& descriptor, int depth, std::string* path) {
  if (depth > kMaxDepth) return Walk::kMalformed;
  while (true) {
    const uint32_t tag = in->ReadTag();
    if (tag == 0) {
      // End of the (sub)message, or a zero tag, which is never valid.
      return in->ConsumedEntireMessage() ? Walk::kClean : Walk::kMalformed;
    }
    const int number = WireFormatLite::GetTagFieldNumber(tag);
    if (WireFormatLite::GetTagWireType(tag) !=
        WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      // Groups are skipped whole (with protobuf's own depth limit); an
      // END_GROUP here has no START_GROUP and fails.
      if (!WireFormatLite::SkipField(in, tag)) return Walk::kMalformed;
      continue;
    }
    uint32_t length = 0;
    if (!in->ReadVarint32(&length)) return Walk::kMalformed;
    const int position = in->CurrentPosition();
    if (position < 0 || static_cast<size_t>(position) > wire.size() ||
        length > wire.size() - static_cast<size_t>(position) ||
        (in->BytesUntilLimit() >= 0 &&
         length > static_cast<uint32_t>(in->BytesUntilLimit()))) {
      return Walk::kMalformed;
    }
    const FieldDescriptor* field = descriptor.FindFieldByNumber(number);
    if (field != nullptr && field->type() == FieldDescriptor::TYPE_STRING) {
      if (!IsValidUtf8(wire.substr(static_cast<size_t>(position), length))) {
        *path = field->name();
        return Walk::kFound;
      }
    } else if (field != nullptr &&
               field->type() == FieldDescriptor::TYPE_MESSAGE) {
      const auto limit = in->PushLimit(static_cast<int>(length));
      std::string inner;
      const Walk w =
          WalkMessage(wire, in, *field->message_type(), depth + 1, &inner);
      if (w == Walk::kFound) {
        *path = absl::StrCat(field->name(), ".", inner);
        return w;
      }
      if (w == Walk::kMalformed) return w;
      in->PopLimit(limit);
      continue;
    }
    if (!in->Skip(static_cast<int>(length))) return Walk::kMalformed;
  }
}

absl::Status ParseFailure(absl::string_view wire,
                          const google::protobuf::Message& message) {
  auto field = FindInvalidUtf8Field(wire, *message.GetDescriptor());
  if (field.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(*field, ": not valid UTF-8"));
  }
  return absl::InvalidArgumentError("malformed request");
}

}  // namespace

std::optional<std::string> FindInvalidUtf8Field(
    absl::string_view wire, const Descriptor& descriptor) {
  // CodedInputStream counts positions in int.
  if (wire.size() > static_cast<size_t>(INT32_MAX)) return std::nullopt;
  CodedInputStream in(reinterpret_cast<const uint8_t*>(wire.data()),
                      static_cast<int>(wire.size()));
  std::string path;
  if (WalkMessage(wire, &in, descriptor, 0, &path) == Walk::kFound) {
    return path;
  }
  return std::nullopt;
}

absl::Status ParseRequest(absl::string_view wire,
                          google::protobuf::Message* message) {
  // protobuf logs every string with invalid UTF-8 it meets; the caller
  // gets the same fact as a status, and a log line per hostile request
  // would let anyone fill the log.
  google::protobuf::LogSilencer quiet;
  if (wire.size() <= static_cast<size_t>(INT32_MAX) &&
      message->ParseFromArray(wire.data(), static_cast<int>(wire.size()))) {
    return absl::OkStatus();
  }
  return ParseFailure(wire, *message);
}

absl::Status ParseRequest(const grpc::ByteBuffer& buffer,
                          google::protobuf::Message* message) {
  // The common case reads the slices in place; only a failure pays for a
  // flat copy to locate the bad field.
  if (!buffer.Valid() || buffer.Length() == 0) {
    return ParseRequest(absl::string_view(), message);
  }
  grpc::ByteBuffer shared(buffer);  // shares the slices, no copy
  {
    google::protobuf::LogSilencer quiet;  // as above
    grpc::ProtoBufferReader reader(&shared);
    if (reader.status().ok() && message->ParseFromZeroCopyStream(&reader)) {
      return absl::OkStatus();
    }
  }
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) {
    return absl::InvalidArgumentError("malformed request");
  }
  std::string wire;
  wire.reserve(buffer.Length());
  for (const auto& s : slices) {
    wire.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return ParseFailure(wire, *message);
}

absl::Status SerializeReply(const google::protobuf::Message& message,
                            grpc::ByteBuffer* buffer) {
  bool own = false;
  grpc::Status st = grpc::SerializationTraits<google::protobuf::Message>::
      Serialize(message, buffer, &own);
  if (!st.ok()) return absl::InternalError("cannot serialize the reply");
  return absl::OkStatus();
}

}  // namespace mediagw
