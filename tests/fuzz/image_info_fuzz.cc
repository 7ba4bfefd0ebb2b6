// Fuzzes core/image_info SniffMedia on arbitrary fetched bytes.
// Properties: an extension is always set, sizes are never negative, and a
// known MIME type comes with a matching non-"bin" extension.
#include <cstddef>
#include <cstdint>

#include "core/image_info.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  const MediaInfo info = SniffMedia(fuzz::AsView(data, size));
  FUZZ_CHECK(!info.extension.empty());
  FUZZ_CHECK(info.width >= 0 && info.height >= 0);
  FUZZ_CHECK(info.mime_type.empty() == (info.extension == "bin"));
  return 0;
}
