#include "common/ids.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace mediagw {
namespace {

void RandomBytes(unsigned char* out, int n) {
  if (RAND_bytes(out, n) != 1) {
    std::fprintf(stderr, "mediagw: RAND_bytes failed, cannot make an id\n");
    std::abort();
  }
}

uint64_t RandomU64() {
  unsigned char b[8];
  RandomBytes(b, sizeof(b));
  uint64_t v = 0;
  for (unsigned char c : b) v = (v << 8) | c;
  return v;
}

}  // namespace

std::string NewUuid() {
  uint64_t hi = RandomU64();
  uint64_t lo = RandomU64();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant
  char buf[37];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff),
                static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

std::string NewNumericId() {
  // 10^18 + [0, 9 * 10^18): exactly 19 digits. The modulo bias over 64
  // bits is below 2^-63 per value and irrelevant here.
  constexpr uint64_t kLow = 1000000000000000000ULL;
  return absl::StrCat(kLow + RandomU64() % (9 * kLow));
}

std::string NewPrefixedHexId(absl::string_view prefix) {
  static constexpr char kHex[] = "0123456789abcdef";
  unsigned char b[16];
  RandomBytes(b, sizeof(b));
  std::string out(prefix);
  out.reserve(prefix.size() + 32);
  for (unsigned char c : b) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

bool LooksLikeUuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                 (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

int64_t RandomSeed() {
  return static_cast<int64_t>(RandomU64() & 0xffffffffULL);
}

}  // namespace mediagw
