// Request parsing for the raw (ByteBuffer) gRPC methods: protobuf parses the
// request as gRPC would, but a failure becomes INVALID_ARGUMENT naming the
// cause instead of gRPC's bare INTERNAL. Stateless and thread-safe.
#ifndef MEDIAGW_SERVER_PROTO_PARSE_H_
#define MEDIAGW_SERVER_PROTO_PARSE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/byte_buffer.h"

namespace mediagw {

// Parses `buffer` (or `wire`) into `message` (cleared first). On failure:
// INVALID_ARGUMENT "<field>: not valid UTF-8" when a proto3 string field
// holds invalid UTF-8 (the first such field in wire order, nested fields as
// "outer.inner"), otherwise INVALID_ARGUMENT "malformed request".
absl::Status ParseRequest(const grpc::ByteBuffer& buffer,
                          google::protobuf::Message* message);
absl::Status ParseRequest(absl::string_view wire,
                          google::protobuf::Message* message);

// Walks the wire-format `wire` against `descriptor` without parsing it and
// returns the dotted path of the first length-delimited field whose
// declared type is string and whose bytes are not valid UTF-8 (see
// common/utf8.h), looking into message-typed fields up to 100 levels deep.
// std::nullopt when there is none before the end or before the first
// malformed byte. Unknown fields are skipped.
std::optional<std::string> FindInvalidUtf8Field(
    absl::string_view wire, const google::protobuf::Descriptor& descriptor);

// Serializes a reply into `buffer`; INTERNAL if protobuf refuses.
absl::Status SerializeReply(const google::protobuf::Message& message,
                            grpc::ByteBuffer* buffer);

}  // namespace mediagw

#endif  // MEDIAGW_SERVER_PROTO_PARSE_H_
