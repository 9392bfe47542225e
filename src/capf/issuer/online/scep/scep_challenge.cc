#include "capf/issuer/online/scep/scep_challenge.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "capf/pki/openssl_ptr.h"

namespace capf::scep {

namespace {

constexpr unsigned char kRedacted = '?';
// The contents of the OID 1.2.840.113549.1.9.7 (pkcs-9 challengePassword).
constexpr unsigned char kChallengeOid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x07};

// One DER element: its tag and class, and where its contents lie in the whole encoding.
struct Element {
  std::size_t start = 0;
  std::size_t end = 0;
  int tag = 0;
  int cls = 0;
};

// The element that begins at `pos` and must end by `limit`; nullopt for anything but definite DER.
std::optional<Element> element_at(ByteView der, std::size_t pos, std::size_t limit) {
  if (pos >= limit)
    return std::nullopt;
  const unsigned char* p = der.data() + pos;
  long length = 0;
  int tag = 0;
  int cls = 0;
  int rc = ASN1_get_object(&p, &length, &tag, &cls, static_cast<long>(limit - pos));
  if ((rc & 0x80) != 0 || (rc & 0x01) != 0) {  // an error, or an indefinite length
    ERR_clear_error();
    return std::nullopt;
  }
  auto start = static_cast<std::size_t>(p - der.data());
  if (start + static_cast<std::size_t>(length) > limit)
    return std::nullopt;
  return Element{start, start + static_cast<std::size_t>(length), tag, cls};
}

Error not_a_request() {
  return make_error(ErrorCode::kMalformed, "the phone's request is not a der pkcs#10");
}

// The challengePassword value (the string inside the attribute's SET) of a DER PKCS#10:
// CertificationRequest { CertificationRequestInfo { version, subject, spki, [0] attributes },
// signatureAlgorithm, signature }. nullopt when the request has none.
Result<std::optional<Element>> find_challenge(ByteView der) {
  auto request = element_at(der, 0, der.size());
  if (!request || request->tag != V_ASN1_SEQUENCE || request->end != der.size())
    return not_a_request();
  auto info = element_at(der, request->start, request->end);
  if (!info || info->tag != V_ASN1_SEQUENCE)
    return not_a_request();
  std::size_t pos = info->start;
  for (int skipped = 0; skipped < 3; ++skipped) {  // version, subject, subjectPKInfo
    auto field = element_at(der, pos, info->end);
    if (!field)
      return not_a_request();
    pos = field->end;
  }
  auto attributes = element_at(der, pos, info->end);
  if (!attributes || attributes->cls != V_ASN1_CONTEXT_SPECIFIC || attributes->tag != 0)
    return std::optional<Element>();
  for (pos = attributes->start; pos < attributes->end;) {
    auto attribute = element_at(der, pos, attributes->end);
    if (!attribute)
      return not_a_request();
    pos = attribute->end;
    auto oid = element_at(der, attribute->start, attribute->end);
    if (!oid || oid->tag != V_ASN1_OBJECT)
      return not_a_request();
    if (!std::equal(der.begin() + oid->start, der.begin() + oid->end, std::begin(kChallengeOid),
                    std::end(kChallengeOid))) {
      continue;
    }
    auto values = element_at(der, oid->end, attribute->end);
    auto value = values ? element_at(der, values->start, values->end) : std::nullopt;
    if (!value)
      return not_a_request();
    return std::optional<Element>(value);
  }
  return std::optional<Element>();
}

}  // namespace

Result<Bytes> redact_challenge(ByteView csr_der) {
  CAPF_ASSIGN_OR_RETURN(std::optional<Element> challenge, find_challenge(csr_der));
  Bytes out(csr_der.begin(), csr_der.end());
  if (challenge)
    std::fill(out.begin() + challenge->start, out.begin() + challenge->end, kRedacted);
  return out;
}

Result<Bytes> restore_challenge(ByteView csr_der, std::string_view challenge) {
  CAPF_ASSIGN_OR_RETURN(std::optional<Element> found, find_challenge(csr_der));
  Bytes out(csr_der.begin(), csr_der.end());
  if (!found || !std::all_of(out.begin() + found->start, out.begin() + found->end,
                             [](unsigned char c) { return c == kRedacted; })) {
    return out;
  }
  // The string type OpenSSL picks for this attribute (PrintableString, UTF8String, BMPString...),
  // as it did when the request info was built.
  std::unique_ptr<ASN1_STRING, pki::OsslDeleter<ASN1_STRING_free>> encoded(ASN1_STRING_set_by_NID(
      nullptr, reinterpret_cast<const unsigned char*>(challenge.data()),
      static_cast<int>(challenge.size()), MBSTRING_UTF8, NID_pkcs9_challengePassword));
  ERR_clear_error();
  if (!encoded || ASN1_STRING_type(encoded.get()) != found->tag ||
      static_cast<std::size_t>(ASN1_STRING_length(encoded.get())) != found->end - found->start) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the scep challenge password changed since the phone signed this request: "
                      "the CA would refuse it; the phone signs a new one at its next contact");
  }
  std::copy_n(ASN1_STRING_get0_data(encoded.get()), found->end - found->start,
              out.begin() + found->start);
  return out;
}

}  // namespace capf::scep
