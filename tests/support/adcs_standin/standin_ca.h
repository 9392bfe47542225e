// The stand-in's certification authority: a self-signed root (RSA-2048) that signs what
// certfnsh.asp receives the way an enterprise CA signs with a certificate template — subject from
// the request, keyUsage digitalSignature + keyEncipherment, EKU clientAuth + serverAuth, the
// template's validity, the template name extension — and the web server's certificate (EC P-256,
// DNS:localhost and IP:127.0.0.1, issued by the root) that HTTPS is served with. Test support.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "capf/common/bytes.h"
#include "capf/common/result.h"
#include "capf/pki/certificate.h"
#include "capf/pki/key.h"

namespace capf::testing {

class StandinCa {
 public:
  // "DC=net, DC=example, CN=<ca_name>" (in DER order), valid for ten years from an hour ago.
  static Result<std::unique_ptr<StandinCa>> create(const std::string& ca_name);

  const pki::Certificate& root() const { return root_; }
  const pki::Certificate& tls_certificate() const { return tls_; }
  const pki::PrivateKey& tls_key() const { return tls_key_; }

  // The DER PKCS#10 of a certfnsh.asp CertRequest value: PEM under any BEGIN line, or the bare
  // base64 body (white space ignored). kMalformed when it does not decode or parse (AD CS: "Error
  // Parsing Request"), kCrypto when its signature does not verify.
  static Result<Bytes> read_request(std::string_view text);

  // A certificate for the request (already read by read_request), valid from ten minutes ago (AD
  // CS's clock-skew allowance) for `days` days. Thread-safe.
  Result<pki::Certificate> sign(ByteView csr_der, std::string_view template_name, int days) const;

  // A PKCS#7 certs-only SignedData (DER) holding the certificates in the given order.
  static Result<Bytes> pkcs7(const std::vector<pki::Certificate>& certificates);

 private:
  StandinCa(pki::PrivateKey root_key, pki::Certificate root, pki::PrivateKey tls_key,
            pki::Certificate tls)
      : root_key_(std::move(root_key)),
        root_(std::move(root)),
        tls_key_(std::move(tls_key)),
        tls_(std::move(tls)) {}

  pki::PrivateKey root_key_;
  pki::Certificate root_;
  pki::PrivateKey tls_key_;
  pki::Certificate tls_;
};

}  // namespace capf::testing
