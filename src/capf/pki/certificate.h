// Certificate: an immutable X.509 certificate with the accessors CAPF needs.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "capf/common/bytes.h"
#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/pki/key.h"
#include "capf/pki/openssl_ptr.h"

namespace capf::pki {

class Certificate {
 public:
  // kMalformed if the bytes are not exactly one DER certificate.
  static Result<Certificate> from_der(ByteView der);
  // The first certificate of a PEM text; kMalformed if there is none.
  static Result<Certificate> from_pem(std::string_view pem);
  // Every certificate of a PEM text, in order; kMalformed if there is none or one is broken.
  static Result<std::vector<Certificate>> all_from_pem(std::string_view pem);
  // PEM or DER, whichever the bytes are.
  static Result<Certificate> from_bytes(ByteView bytes);
  static Certificate adopt(X509Ptr cert);

  Bytes der() const;
  std::string pem() const;

  // One line in the certificate's own (DER) order, i.e. RFC 2253 order reversed to read
  // "CN=CAPF-1a2b3c4d, O=Example, C=NZ": short attribute names, ", " between attributes, " + "
  // inside a multi-valued RDN, values escaped as RFC 2253 asks ("\," "\+" "\\" ... and a
  // leading "#" or space) but UTF-8 text kept as UTF-8, unknown attributes as OID=#hex.
  std::string subject() const;
  std::string issuer() const;
  std::string common_name() const;  // first CN of the subject, "" if none
  std::string serial_hex() const;   // lower-case hex, no leading zeros beyond one byte
  TimePoint not_before() const;
  TimePoint not_after() const;
  std::string fingerprint_sha256() const;  // lower-case hex of SHA-256 over the DER
  bool is_self_issued() const;             // subject == issuer
  bool is_ca() const;                      // basicConstraints CA:TRUE
  PublicKey public_key() const;
  Bytes spki_der() const;

  X509* get() const { return cert_.get(); }
  friend bool operator==(const Certificate& a, const Certificate& b);

 private:
  explicit Certificate(std::shared_ptr<X509> cert) : cert_(std::move(cert)) {}
  std::shared_ptr<X509> cert_;
};

// The certificates of a file: a PEM chain (every certificate, in order) or one DER certificate.
// kInvalidArgument with one message for a missing, empty or garbled file: "cannot read PATH:
// REASON" (the system's reason, "the file is empty", or what is wrong with the PEM). Callers add
// which setting named the file and how to fix it.
Result<std::vector<Certificate>> read_certificates(const std::filesystem::path& path);

// A certificate fingerprint, or its start, as a person gives it (as `ca list` prints it, or as
// `openssl x509 -fingerprint -sha256` does: upper case with colons) in the form of
// Certificate::fingerprint_sha256(): lower-case hex without colons.
std::string fingerprint_prefix(std::string_view text);

// PEM text of DER bytes under a label ("CERTIFICATE REQUEST", "CERTIFICATE").
std::string pem_encode(std::string_view label, ByteView der);
// The DER bytes of the first PEM block with this label; kMalformed if there is none.
Result<Bytes> pem_decode(std::string_view label, std::string_view pem);

// Parses "CN=CAPF-1a2b3c4d,O=Example,OU=Voice,L=Town,ST=State,C=NZ" (also with "/" separators as
// in `openssl -subj`) into an X509_NAME in the order written; kInvalidArgument naming the bad part.
// Attributes: CN, O, OU, L, ST, C, emailAddress, serialNumber, DC (names case-insensitive). Values
// are UTF8String; C (two letters) and serialNumber PrintableString; emailAddress and DC IA5String
// (RFC 5280). A backslash escapes the next character ("CN=Doe\, John"); spaces around parts are
// trimmed; "+" is literal (no multi-valued RDNs).
Result<X509NamePtr> parse_dn(std::string_view dn);

}  // namespace capf::pki
