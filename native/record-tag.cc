// The record tag of protocol.h: SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input
// PRF", 2012) over a record's header, with its tag field zero, and then its payload. A PRF keyed
// per run is what the channel needs: a plan that reaches the pipe can write bytes but cannot make
// a tag the parent accepts without the key. No allocation, no library: the child computes it.
#include <cstdint>
#include <cstring>

#include "protocol.h"

namespace vfsemu {
namespace {

inline uint64_t rotl(uint64_t x, int b) noexcept { return (x << b) | (x >> (64 - b)); }

// SipHash's state, fed in pieces: 8-byte little-endian words, with a partial word carried over.
class SipHash24 {
 public:
  SipHash24(uint64_t k0, uint64_t k1) noexcept
      : v0_(k0 ^ 0x736f6d6570736575ULL), v1_(k1 ^ 0x646f72616e646f6dULL),
        v2_(k0 ^ 0x6c7967656e657261ULL), v3_(k1 ^ 0x7465646279746573ULL) {}

  void update(const void* data, size_t len) noexcept {
    const unsigned char* p = static_cast<const unsigned char*>(data);
    total_ += len;
    while (len > 0) {
      tail_ |= static_cast<uint64_t>(*p++) << (8 * tailLen_);
      len--;
      if (++tailLen_ == 8) {
        compress(tail_);
        tail_ = 0;
        tailLen_ = 0;
      }
    }
  }

  uint64_t finish() noexcept {
    // The last word carries the message length's low byte in its top byte.
    uint64_t b = tail_ | (static_cast<uint64_t>(total_ & 0xff) << 56);
    compress(b);
    v2_ ^= 0xff;
    for (int i = 0; i < 4; i++) round();
    return v0_ ^ v1_ ^ v2_ ^ v3_;
  }

 private:
  void round() noexcept {
    v0_ += v1_; v1_ = rotl(v1_, 13); v1_ ^= v0_; v0_ = rotl(v0_, 32);
    v2_ += v3_; v3_ = rotl(v3_, 16); v3_ ^= v2_;
    v0_ += v3_; v3_ = rotl(v3_, 21); v3_ ^= v0_;
    v2_ += v1_; v1_ = rotl(v1_, 17); v1_ ^= v2_; v2_ = rotl(v2_, 32);
  }

  // Two compression rounds a word: the "2" of SipHash-2-4.
  void compress(uint64_t m) noexcept {
    v3_ ^= m;
    round();
    round();
    v0_ ^= m;
  }

  uint64_t v0_, v1_, v2_, v3_;
  uint64_t tail_ = 0;
  unsigned tailLen_ = 0;
  uint64_t total_ = 0;
};

}  // namespace

uint64_t sipHash24(const RecordKey& key, const void* data, size_t len) noexcept {
  SipHash24 h(key.k0, key.k1);
  h.update(data, len);
  return h.finish();
}

uint64_t recordTag(const RecordKey& key, const RecordHeader& header, const void* payload, size_t len) noexcept {
  RecordHeader h = header;
  h.tag = 0;
  SipHash24 s(key.k0, key.k1);
  s.update(&h, sizeof h);
  if (len) s.update(payload, len);
  return s.finish();
}

}  // namespace vfsemu
