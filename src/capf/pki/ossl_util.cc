#include "capf/pki/ossl_util.h"

#include <climits>
#include <ctime>

#include <openssl/bio.h>

#include "capf/common/enum_names.h"

namespace capf::pki::detail {

Error ossl_error(ErrorCode code, std::string_view what) {
  return Error{code, fmt::format("{}: {}", what, openssl_errors())};
}

TimePoint time_point(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    ERR_clear_error();
    return TimePoint{};
  }
  return from_unix(timegm(&tm));
}

std::string serial_hex(const ASN1_INTEGER* serial) {
  ByteView magnitude(ASN1_STRING_get0_data(serial),
                     static_cast<std::size_t>(ASN1_STRING_length(serial)));
  while (magnitude.size() > 1 && magnitude.front() == 0) {
    magnitude = magnitude.subspan(1);
  }
  std::string hex = magnitude.empty() ? "00" : to_hex(magnitude);
  return ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER ? "-" + hex : hex;
}

bool looks_like_pem(ByteView bytes) {
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return text.find("-----BEGIN") != std::string_view::npos;
}

const EVP_MD* evp_md(Hash hash) {
  switch (hash) {
    case Hash::kSha1:
      return EVP_sha1();
    case Hash::kSha256:
      return EVP_sha256();
    case Hash::kSha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

constexpr EnumName<Hash> kHashNames[] = {
    {Hash::kSha1, "sha1"},
    {Hash::kSha256, "sha256"},
    {Hash::kSha512, "sha512"},
};

std::string_view hash_name(Hash hash) {
  return name_in(kHashNames, hash, "unknown hash");
}

std::string name_one_line(const X509_NAME* name) {
  // RFC 2253 escaping of the values ("," "+" "\"" "\\" "<" ">" ";", a leading "#" or space) but
  // UTF-8 text kept as UTF-8, ", " between entries and " + " inside a multi-valued RDN, short
  // attribute names, unknown attributes as OID=#hex; no XN_FLAG_DN_REV, so the order is the DER
  // order.
  constexpr unsigned long kFlags = (ASN1_STRFLGS_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) |
                                   XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN |
                                   XN_FLAG_DUMP_UNKNOWN_FIELDS;
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, kFlags) < 0) {
    ERR_clear_error();
    return {};
  }
  return bio_text(bio.get());
}

BioPtr memory_bio(ByteView bytes) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    return BioPtr();
  }
  return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  if (len <= 0 || data == nullptr) {
    return {};
  }
  return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace capf::pki::detail
