#include "capf/issuer/online/scep/scep_ca.h"

#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>

#include "capf/common/strings.h"
#include "capf/pki/openssl_ptr.h"
#include "capf/pki/verify.h"

namespace capf::scep {

namespace {

using Pkcs7Ptr = std::unique_ptr<PKCS7, pki::OsslDeleter<PKCS7_free>>;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The certificates of a degenerate (certificates-only) PKCS#7 SignedData; empty if it is not one.
std::vector<pki::Certificate> pkcs7_certificates(ByteView der) {
  std::vector<pki::Certificate> out;
  if (der.empty() || der.size() > 0x7fffffff)
    return out;
  const unsigned char* p = der.data();
  Pkcs7Ptr p7(d2i_PKCS7(nullptr, &p, static_cast<long>(der.size())));
  ERR_clear_error();
  if (!p7 || p != der.data() + der.size() || !PKCS7_type_is_signed(p7.get()))
    return out;
  STACK_OF(X509)* certs = p7->d.sign->cert;
  for (int i = 0; certs != nullptr && i < sk_X509_num(certs); ++i) {
    X509* cert = sk_X509_value(certs, i);
    X509_up_ref(cert);
    out.push_back(pki::Certificate::adopt(pki::X509Ptr(cert)));
  }
  return out;
}

bool allows(const pki::Certificate& cert, std::uint32_t usage) {
  std::uint32_t key_usage = X509_get_key_usage(cert.get());  // UINT32_MAX without the extension
  return (key_usage & usage) != 0;
}

// Whether `issuer` issued `other` (and is not merely `other` itself).
bool issued(const pki::Certificate& issuer, const pki::Certificate& other) {
  bool result = !(issuer == other) && X509_check_issued(issuer.get(), other.get()) == X509_V_OK;
  ERR_clear_error();
  return result;
}

std::string describe(const pki::Certificate& cert) {
  return fmt::format("'{}' (sha256 {})", cert.subject(), cert.fingerprint_sha256());
}

}  // namespace

ContentCipher Capabilities::cipher() const {
  return aes || standard ? ContentCipher::kAes128Cbc : ContentCipher::kDes3Cbc;
}

pki::Hash Capabilities::hash() const {
  return sha256 || standard ? pki::Hash::kSha256 : pki::Hash::kSha1;
}

std::string Capabilities::summary() const {
  std::string out;
  for (const auto& keyword : keywords) {
    if (!out.empty())
      out += ' ';
    out += keyword;
  }
  return out.empty() ? "(none)" : out;
}

Capabilities parse_capabilities(std::string_view body) {
  Capabilities caps;
  while (!body.empty()) {
    std::size_t end = body.find('\n');
    std::string_view line = trim(body.substr(0, end));
    body = end == std::string_view::npos ? std::string_view() : body.substr(end + 1);
    if (line.empty() || caps.keywords.size() >= 64)
      continue;
    caps.keywords.emplace_back(line);
    std::string keyword = lower(line);
    if (keyword == "aes") {
      caps.aes = true;
    } else if (keyword == "des3") {
      caps.des3 = true;
    } else if (keyword == "sha-256") {
      caps.sha256 = true;
    } else if (keyword == "sha-512") {
      caps.sha512 = true;
    } else if (keyword == "postpkioperation") {
      caps.post_pki_operation = true;
    } else if (keyword == "scepstandard") {
      caps.standard = true;
    }
  }
  return caps;
}

Result<CaCertificates> parse_ca_certificates(ByteView body, const pki::Certificate* configured_ca) {
  std::vector<pki::Certificate> all;
  if (auto single = pki::Certificate::from_der(body)) {
    all.push_back(*single);
  } else if (all = pkcs7_certificates(body); all.empty()) {
    if (auto pem = pki::Certificate::all_from_pem(to_string(body)))
      all = *pem;
  }
  if (all.empty()) {
    return make_error(ErrorCode::kMalformed,
                      "the GetCACert answer is neither a der certificate nor a pkcs#7 of "
                      "certificates ({} bytes)",
                      body.size());
  }
  // A lone certificate is the CA whatever its extensions say (old CAs lack basicConstraints).
  std::vector<pki::Certificate> cas;
  std::vector<pki::Certificate> ras;
  for (const auto& cert : all) {
    (all.size() == 1 || cert.is_ca() ? cas : ras).push_back(cert);
  }
  if (cas.empty()) {
    return make_error(ErrorCode::kMalformed,
                      "the GetCACert answer holds {} certificates and none of them is a CA",
                      all.size());
  }
  auto ca = cas.end();
  if (configured_ca != nullptr)
    ca = std::find(cas.begin(), cas.end(), *configured_ca);
  if (ca == cas.end()) {
    ca = std::find_if(cas.begin(), cas.end(), [&](const pki::Certificate& candidate) {
      return std::none_of(cas.begin(), cas.end(),
                          [&](const pki::Certificate& other) { return issued(candidate, other); });
    });
  }
  if (ca == cas.end())
    ca = cas.begin();  // a loop of cross-certificates: take the first

  CaCertificates out{*ca, *ca, {*ca}, ras, {}};
  for (const auto& cert : cas) {
    if (!(cert == *ca))
      out.ca_others.push_back(cert);
  }
  for (const auto& ra : ras) {
    if (allows(ra, KU_DIGITAL_SIGNATURE))
      out.signers.push_back(ra);
  }
  auto encryption = std::find_if(ras.begin(), ras.end(), [](const pki::Certificate& ra) {
    return allows(ra, KU_KEY_ENCIPHERMENT);
  });
  if (encryption != ras.end())
    out.recipient = *encryption;
  return out;
}

Status check_against_chain(const CaCertificates& certificates,
                           const std::vector<pki::Certificate>& ca_chain, TimePoint now) {
  if (ca_chain.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "no CA chain is configured for the scep CA: set the issuer's CA chain to "
                      "the CA certificate and its issuers");
  }
  pki::VerifyOptions options;
  options.at = now;
  if (!(certificates.ca == ca_chain.front())) {
    auto anchor = pki::verify_chain(certificates.ca, ca_chain, certificates.ca_others, options);
    if (!anchor) {
      return make_error(ErrorCode::kPermissionDenied,
                        "the CA's certificate {} is not the configured CA certificate {} and "
                        "does not chain to the configured CA chain ({}): set the issuer's CA chain "
                        "to the certificate this CA presents and its issuers",
                        describe(certificates.ca), describe(ca_chain.front()),
                        anchor.error().message);
    }
  }
  std::vector<pki::Certificate> anchors = ca_chain;
  anchors.push_back(certificates.ca);
  for (const auto& ra : certificates.ra) {
    auto anchor = pki::verify_chain(ra, anchors, certificates.ca_others, options);
    if (!anchor) {
      return make_error(ErrorCode::kPermissionDenied,
                        "the scep RA certificate {} does not chain to the CA {} ({}): renew the "
                        "RA certificate from this CA or fix the CA chain",
                        describe(ra), describe(certificates.ca), anchor.error().message);
    }
  }
  return ok();
}

}  // namespace capf::scep
