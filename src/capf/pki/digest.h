// One-shot hashing, randomness and comparison for secrets (API tokens): SHA-256, bytes from the
// system's CSPRNG, and a comparison whose time does not depend on where the inputs differ.
#pragma once

#include <cstddef>

#include "capf/common/bytes.h"
#include "capf/common/result.h"

namespace capf::pki {

// SHA-256 of `data` (32 bytes); kCrypto when OpenSSL has no SHA-256 (no default provider).
Result<Bytes> sha256(ByteView data);
// `count` bytes from OpenSSL's CSPRNG; kCrypto when it cannot be seeded.
Result<Bytes> random_bytes(std::size_t count);
// True when a and b are equal; for equal sizes, takes the same time wherever they differ.
bool constant_time_equal(ByteView a, ByteView b);

}  // namespace capf::pki
