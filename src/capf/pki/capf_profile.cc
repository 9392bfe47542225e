// The CAPF certificate profile (docs/architecture.md §4, docs/protocol.md §1.1): making one and
// checking one.
#include <string>
#include <vector>

#include "capf/pki/profiles.h"
#include "capf/pki/spki.h"
#include "capf/pki/x509_build.h"

namespace capf::pki {

namespace {

constexpr std::string_view kBasicConstraintsFix =
    "reissue with basicConstraints=critical,CA:TRUE,pathlen:0";
constexpr std::string_view kKeyUsageFix =
    "reissue with keyUsage=critical,digitalSignature,keyCertSign";

// Text of the first CN, lower-cased when it is a DNS name ("capf-1a2b.example"); "" otherwise.
std::string dns_name_from_cn(const X509_NAME* name) {
  int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) {
    return {};
  }
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  std::string cn(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                 static_cast<std::size_t>(ASN1_STRING_length(value)));
  if (cn.empty() || cn.size() > 253) {
    return {};
  }
  std::size_t label = 0;
  for (std::size_t i = 0; i <= cn.size(); ++i) {
    if (i == cn.size() || cn[i] == '.') {
      if (label == 0 || label > 63 || cn[i - 1] == '-' || cn[i - label] == '-') {
        return {};
      }
      label = 0;
      continue;
    }
    char& c = cn[i];
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return {};
    }
    ++label;
  }
  return cn;
}

// Why X509_get_ext_d2i found no extension, from the `critical` it set.
std::string_view why_absent(int critical) {
  if (critical == -1)
    return "missing";
  return critical == -2 ? "present more than once" : "not decodable";
}

void check_basic_constraints(const X509* cert, std::vector<std::string>& problems) {
  int critical = -1;
  detail::BasicConstraintsPtr bc(static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(cert, NID_basic_constraints, &critical, nullptr)));
  if (!bc) {
    ERR_clear_error();
    problems.push_back(
        fmt::format("basicConstraints is {}: {}", why_absent(critical), kBasicConstraintsFix));
    return;
  }
  if (critical != 1) {
    problems.push_back(fmt::format("basicConstraints is not critical: {}", kBasicConstraintsFix));
  }
  if (bc->ca == 0) {
    problems.push_back(fmt::format("basicConstraints has CA:FALSE: {}", kBasicConstraintsFix));
  }
  if (bc->pathlen == nullptr || ASN1_INTEGER_get(bc->pathlen) != 0) {
    problems.push_back(fmt::format("basicConstraints has no pathlen:0: {}", kBasicConstraintsFix));
  }
}

void check_key_usage(const X509* cert, std::vector<std::string>& problems) {
  int critical = -1;
  detail::Asn1BitStringPtr usage(
      static_cast<ASN1_BIT_STRING*>(X509_get_ext_d2i(cert, NID_key_usage, &critical, nullptr)));
  if (!usage) {
    ERR_clear_error();
    problems.push_back(fmt::format("keyUsage is {}: {}", why_absent(critical), kKeyUsageFix));
    return;
  }
  if (ASN1_BIT_STRING_get_bit(usage.get(), detail::kDigitalSignature) != 1) {
    problems.push_back(fmt::format("keyUsage lacks digitalSignature: {}", kKeyUsageFix));
  }
  if (ASN1_BIT_STRING_get_bit(usage.get(), detail::kKeyCertSign) != 1) {
    problems.push_back(fmt::format("keyUsage lacks keyCertSign: {}", kKeyUsageFix));
  }
}

void check_extended_key_usage(const X509* cert, std::vector<std::string>& problems) {
  int critical = -1;
  detail::EkuPtr eku(static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(cert, NID_ext_key_usage, &critical, nullptr)));
  if (!eku) {
    ERR_clear_error();
    if (critical != -1) {
      problems.push_back(
          "extendedKeyUsage cannot be decoded: reissue with extendedKeyUsage=serverAuth or "
          "without extendedKeyUsage");
    }
    return;
  }
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
    int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), i));
    if (nid == NID_server_auth || nid == NID_anyExtendedKeyUsage) {
      return;
    }
  }
  problems.push_back(
      "extendedKeyUsage lacks serverAuth (phones reach capf over tls): reissue with "
      "extendedKeyUsage=serverAuth or without extendedKeyUsage");
}

}  // namespace

Result<Certificate> make_capf_certificate(const PrivateKey& key,
                                          const CapfCertificateParams& params, const Clock& clock) {
  CAPF_TRY(detail::check_supported_key(key.get(), "capf key"));
  KeySpec spec = key.spec();
  if (spec.type == KeyType::kRsa && spec.bits < 2048) {
    return make_error(ErrorCode::kInvalidArgument,
                      "capf key is rsa-{}: use an rsa key of at least 2048 bits", spec.bits);
  }
  CAPF_ASSIGN_OR_RETURN(X509NamePtr name, parse_dn(params.subject));
  CAPF_ASSIGN_OR_RETURN(X509Ptr cert, detail::new_self_issued(name.get(), key, clock.now(),
                                                              params.days, "capf certificate"));
  Bytes key_id = detail::key_identifier(X509_get_X509_PUBKEY(cert.get()));
  CAPF_TRY(detail::add_basic_constraints(cert.get(), true, 0));
  CAPF_TRY(detail::add_key_usage(
      cert.get(), {detail::kDigitalSignature, detail::kKeyCertSign, detail::kCrlSign}));
  // serverAuth for the TLS port; clientAuth and ipsecEndSystem because OpenSSL (and others) apply
  // an issuer's EKU to the chain below it, so the LSCs this certificate signs could otherwise not
  // be used as client or VPN certificates. The same list as the usecallmanager mkcert helper.
  CAPF_TRY(detail::add_extended_key_usage(cert.get(),
                                          {NID_server_auth, NID_client_auth, NID_ipsecEndSystem}));
  CAPF_TRY(detail::add_subject_key_id(cert.get(), key_id));
  CAPF_TRY(detail::add_authority_key_id(cert.get(), key_id));
  if (std::string dns = dns_name_from_cn(name.get()); !dns.empty()) {
    CAPF_TRY(detail::add_subject_alt_name(cert.get(), GEN_DNS, dns));
  }
  return detail::sign_certificate(cert.get(), key);
}

std::vector<std::string> capf_profile_problems(const Certificate& cert) {
  std::vector<std::string> problems;
  const X509* x = cert.get();
  if (X509_get_version(x) != X509_VERSION_3) {
    problems.push_back(
        "certificate is not x.509 v3 and so has no extensions: reissue as v3 with "
        "basicConstraints=critical,CA:TRUE,pathlen:0 and "
        "keyUsage=critical,digitalSignature,keyCertSign");
  }
  check_basic_constraints(x, problems);
  check_key_usage(x, problems);
  check_extended_key_usage(x, problems);
  const EVP_PKEY* key = X509_get0_pubkey(x);
  KeySpec spec = detail::key_spec_of(key);
  if (key == nullptr || (!EVP_PKEY_is_a(key, "RSA") && !EVP_PKEY_is_a(key, "EC"))) {
    problems.push_back("certificate key is neither rsa nor ec: reissue with an rsa-2048 key");
  } else if (spec.type == KeyType::kRsa && spec.bits < 2048) {
    problems.push_back(fmt::format(
        "rsa key has {} bits: reissue with an rsa key of at least 2048 bits", spec.bits));
  }
  ERR_clear_error();
  return problems;
}

std::vector<std::string> capf_profile_warnings(const Certificate& cert) {
  std::vector<std::string> warnings;
  const X509* x = cert.get();
  detail::Asn1BitStringPtr usage(
      static_cast<ASN1_BIT_STRING*>(X509_get_ext_d2i(x, NID_key_usage, nullptr, nullptr)));
  if (usage && ASN1_BIT_STRING_get_bit(usage.get(), detail::kCrlSign) != 1) {
    warnings.push_back(
        "keyUsage lacks cRLSign, so `opencapf crl` cannot sign a CRL with this certificate: "
        "reissue with keyUsage=critical,digitalSignature,keyCertSign,cRLSign");
  }
  detail::EkuPtr eku(
      static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(x, NID_ext_key_usage, nullptr, nullptr)));
  if (eku) {
    bool client = false;
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
      int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), i));
      client = client || nid == NID_client_auth || nid == NID_anyExtendedKeyUsage;
    }
    if (!client) {
      warnings.push_back(
          "extendedKeyUsage lacks clientAuth, so OpenSSL-based call control may refuse the LSCs "
          "it signs as TLS client certificates: reissue with "
          "extendedKeyUsage=serverAuth,clientAuth,ipsecEndSystem or without extendedKeyUsage");
    }
  }
  ERR_clear_error();
  return warnings;
}

}  // namespace capf::pki
