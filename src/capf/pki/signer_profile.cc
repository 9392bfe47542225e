#include "capf/pki/signer_profile.h"

#include <openssl/x509.h>

#include "capf/pki/profiles.h"
#include "capf/pki/spki.h"
#include "capf/pki/x509_build.h"

namespace capf::pki {

Result<Certificate> make_signer_certificate(const PrivateKey& key, const std::string& subject,
                                            int days, const Clock& clock) {
  const KeySpec spec = key.spec();
  if (spec.type != KeyType::kRsa || spec.bits < 2048) {
    return make_error(ErrorCode::kInvalidArgument,
                      "a trust-list signer must be an rsa key of at least 2048 bits (the file "
                      "format has no ec signature code)");
  }
  CAPF_ASSIGN_OR_RETURN(X509NamePtr name, parse_dn(subject));
  CAPF_ASSIGN_OR_RETURN(X509Ptr cert, detail::new_self_issued(name.get(), key, clock.now(), days,
                                                              "signer certificate"));
  CAPF_TRY(detail::add_basic_constraints(cert.get(), false, std::nullopt));
  CAPF_TRY(detail::add_key_usage(cert.get(), {detail::kDigitalSignature}));
  CAPF_TRY(detail::add_subject_key_id(cert.get(),
                                      detail::key_identifier(X509_get_X509_PUBKEY(cert.get()))));
  return detail::sign_certificate(cert.get(), key);
}

Bytes certificate_signature_bits(const Certificate& cert) {
  const ASN1_BIT_STRING* signature = nullptr;
  X509_get0_signature(&signature, nullptr, cert.get());
  if (signature == nullptr)
    return {};
  const unsigned char* data = ASN1_STRING_get0_data(signature);
  return Bytes(data, data + ASN1_STRING_length(signature));
}

Result<Bytes> public_key_bits(const PublicKey& key) {
  unsigned char* out = nullptr;
  const int size = i2d_PublicKey(key.get(), &out);
  if (size <= 0)
    return detail::ossl_error(ErrorCode::kCrypto, "cannot encode the public key");
  Bytes bits(out, out + size);
  OPENSSL_free(out);
  return bits;
}

}  // namespace capf::pki
