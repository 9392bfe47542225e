// PKCS#10 pieces for the phone-signed request of docs/protocol.md §6.10 and for `ca csr`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "capf/common/bytes.h"
#include "capf/common/result.h"
#include "capf/pki/key.h"
#include "capf/pki/openssl_ptr.h"

namespace capf::pki {

// DER CertificationRequestInfo (version 0, subject, the given SPKI, no attributes).
Result<Bytes> build_request_info(std::string_view subject_dn, ByteView spki_der);
// What an external CA may need inside the request beyond subject and key.
struct RequestInfoOptions {
  std::vector<std::string> dns_names;             // extensionRequest: subjectAltName dNSName (ACME)
  std::optional<std::string> challenge_password;  // PKCS#9 challengePassword (SCEP)
};
Result<Bytes> build_request_info(std::string_view subject_dn, ByteView spki_der,
                                 const RequestInfoOptions& options);
// Assembles a PKCS#10 from the request info DER, the hash the signer used and its signature
// (RSA PKCS#1 v1.5 with DigestInfo, or DER ECDSA), and checks the signature against the SPKI inside
// the request info. kCrypto if it does not verify. Returns the DER CSR.
Result<Bytes> assemble_csr(ByteView request_info_der, Hash hash, ByteView signature);
// The CAPF certificate's own request for an external CA (`opencapf ca csr`): signed by `key`
// (SHA-256), asking for basicConstraints critical CA:TRUE,pathlen:0, keyUsage critical
// digitalSignature,keyCertSign,cRLSign, extendedKeyUsage serverAuth,clientAuth,ipsecEndSystem (the
// self-signed CAPF certificate's profile). Returns DER.
Result<Bytes> make_capf_csr(const PrivateKey& key, std::string_view subject_dn);

// Parses a DER or PEM CSR, checks its self-signature; returns its SPKI DER.
Result<Bytes> csr_public_key(ByteView csr);

}  // namespace capf::pki
