#include "capf/pki/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <climits>

namespace capf::pki {

Result<Bytes> sha256(ByteView data) {
  Bytes out(32);
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &size, EVP_sha256(), nullptr) != 1 ||
      size != out.size()) {
    return make_error(ErrorCode::kCrypto,
                      "OpenSSL could not compute a SHA-256: check its configuration (default "
                      "provider)");
  }
  return out;
}

Result<Bytes> random_bytes(std::size_t count) {
  Bytes out(count);
  if (count > static_cast<std::size_t>(INT_MAX) ||
      RAND_bytes(out.data(), static_cast<int>(count)) != 1) {
    return make_error(ErrorCode::kCrypto,
                      "the random generator failed to give {} bytes: check that OpenSSL can read "
                      "/dev/urandom",
                      count);
  }
  return out;
}

bool constant_time_equal(ByteView a, ByteView b) {
  if (a.size() != b.size()) {
    return false;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace capf::pki
