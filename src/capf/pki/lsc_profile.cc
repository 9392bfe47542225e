// The LSC profile (docs/architecture.md §4): issuing one and checking one.
#include <algorithm>
#include <string>
#include <vector>

#include "capf/pki/profiles.h"
#include "capf/pki/spki.h"
#include "capf/pki/x509_build.h"

namespace capf::pki {

namespace {

// Attributes of the issuer's subject an LSC subject repeats after its CN.
bool is_copied_attribute(int nid) {
  return nid == NID_organizationName || nid == NID_organizationalUnitName ||
         nid == NID_localityName || nid == NID_stateOrProvinceName || nid == NID_countryName;
}

Status check_device_name(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return make_error(ErrorCode::kInvalidArgument, "device name '{}' must be 1..64 characters long",
                      name);
  }
  for (char c : name) {
    if (c < 0x21 || c > 0x7e) {
      return make_error(ErrorCode::kInvalidArgument,
                        "device name '{}' has a character other than printable ascii", name);
    }
  }
  return ok();
}

std::string_view as_text(const ASN1_STRING* s) {
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
          static_cast<std::size_t>(ASN1_STRING_length(s))};
}

ByteView as_view(const ASN1_STRING* s) {
  return {ASN1_STRING_get0_data(s), static_cast<std::size_t>(ASN1_STRING_length(s))};
}

bool same_entry(const X509_NAME_ENTRY* a, const X509_NAME_ENTRY* b) {
  const ASN1_STRING* va = X509_NAME_ENTRY_get_data(a);
  const ASN1_STRING* vb = X509_NAME_ENTRY_get_data(b);
  return OBJ_cmp(X509_NAME_ENTRY_get_object(a), X509_NAME_ENTRY_get_object(b)) == 0 &&
         ASN1_STRING_type(va) == ASN1_STRING_type(vb) && ASN1_STRING_cmp(va, vb) == 0;
}

std::string extension_name(const X509_EXTENSION* ext) {
  const ASN1_OBJECT* object = X509_EXTENSION_get_object(const_cast<X509_EXTENSION*>(ext));
  int nid = OBJ_obj2nid(object);
  if (nid != NID_undef) {
    return OBJ_nid2sn(nid);
  }
  char oid[80] = {};
  OBJ_obj2txt(oid, sizeof(oid), object, 1);
  return oid;
}

void check_subject(const Certificate& lsc, const Certificate& issuer, std::string_view device,
                   std::vector<std::string>& problems) {
  const X509_NAME* subject = X509_get_subject_name(lsc.get());
  const X509_NAME* issuer_subject = X509_get_subject_name(issuer.get());
  std::vector<const X509_NAME_ENTRY*> expected;
  for (int i = 0; i < X509_NAME_entry_count(issuer_subject); ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(issuer_subject, i);
    if (is_copied_attribute(OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)))) {
      expected.push_back(e);
    }
  }
  const int count = X509_NAME_entry_count(subject);
  const X509_NAME_ENTRY* first = count > 0 ? X509_NAME_get_entry(subject, 0) : nullptr;
  if (first == nullptr || OBJ_obj2nid(X509_NAME_ENTRY_get_object(first)) != NID_commonName) {
    problems.push_back(
        fmt::format("subject '{}' does not start with CN=<device name>", lsc.subject()));
  } else {
    const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(first);
    if (as_text(cn) != device) {
      problems.push_back(
          fmt::format("subject CN is '{}', not the device name '{}'", as_text(cn), device));
    }
    if (ASN1_STRING_type(cn) != V_ASN1_UTF8STRING) {
      problems.push_back("subject CN is not a UTF8String");
    }
  }
  bool tail_matches = count == static_cast<int>(expected.size()) + 1;
  for (std::size_t i = 0; tail_matches && i < expected.size(); ++i) {
    tail_matches = same_entry(X509_NAME_get_entry(subject, static_cast<int>(i) + 1), expected[i]);
  }
  if (!tail_matches) {
    problems.push_back(fmt::format(
        "subject '{}' does not follow its CN with exactly the O, OU, L, ST and C entries of the "
        "capf subject '{}' in their order and encodings",
        lsc.subject(), issuer.subject()));
  }
}

void check_extensions(const Certificate& lsc, const Certificate& issuer, std::string_view device,
                      std::vector<std::string>& problems) {
  const X509* x = lsc.get();
  static constexpr int kOrder[] = {NID_basic_constraints,      NID_key_usage,
                                   NID_ext_key_usage,          NID_subject_alt_name,
                                   NID_subject_key_identifier, NID_authority_key_identifier};
  std::vector<std::string> present;
  bool in_order = X509_get_ext_count(x) == static_cast<int>(std::size(kOrder));
  for (int i = 0; i < X509_get_ext_count(x); ++i) {
    const X509_EXTENSION* ext = X509_get_ext(x, i);
    present.push_back(extension_name(ext));
    in_order =
        in_order &&
        OBJ_obj2nid(X509_EXTENSION_get_object(const_cast<X509_EXTENSION*>(ext))) == kOrder[i];
  }
  if (!in_order) {
    std::string list;
    for (const std::string& name : present) {
      list += (list.empty() ? "" : ", ") + name;
    }
    problems.push_back(fmt::format(
        "extensions are [{}]; the profile has basicConstraints, keyUsage, extendedKeyUsage, "
        "subjectAltName, subjectKeyIdentifier, authorityKeyIdentifier in that order",
        list));
  }

  int critical = -1;
  detail::BasicConstraintsPtr bc(static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(x, NID_basic_constraints, &critical, nullptr)));
  if (!bc || critical != 1 || bc->ca != 0 || bc->pathlen != nullptr) {
    problems.push_back("basicConstraints is not critical,CA:FALSE");
  }
  detail::Asn1BitStringPtr usage(
      static_cast<ASN1_BIT_STRING*>(X509_get_ext_d2i(x, NID_key_usage, &critical, nullptr)));
  const bool usage_ok =
      usage && critical == 1 &&
      ASN1_BIT_STRING_get_bit(usage.get(), detail::kDigitalSignature) == 1 &&
      ASN1_BIT_STRING_get_bit(usage.get(), detail::kKeyEncipherment) == 1 &&
      (X509_get_key_usage(const_cast<X509*>(x)) == (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
  if (!usage_ok) {
    problems.push_back("keyUsage is not critical,digitalSignature,keyEncipherment");
  }
  detail::EkuPtr eku(
      static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(x, NID_ext_key_usage, &critical, nullptr)));
  const int kEku[] = {NID_server_auth, NID_client_auth, NID_ipsecEndSystem};
  bool eku_ok = eku && critical == 0 && sk_ASN1_OBJECT_num(eku.get()) == 3;
  for (int i = 0; eku_ok && i < 3; ++i) {
    eku_ok = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), i)) == kEku[i];
  }
  if (!eku_ok) {
    problems.push_back(
        "extendedKeyUsage is not serverAuth, clientAuth, ipsecEndSystem (non-critical)");
  }
  detail::GeneralNamesPtr san(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, &critical, nullptr)));
  bool san_ok = san && critical == 0 && sk_GENERAL_NAME_num(san.get()) == 1;
  if (san_ok) {
    int type = -1;
    auto* value = static_cast<ASN1_STRING*>(
        GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(san.get(), 0), &type));
    san_ok = type == GEN_URI && as_text(value) == device;
  }
  if (!san_ok) {
    problems.push_back(fmt::format("subjectAltName is not exactly URI:{}", device));
  }
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(const_cast<X509*>(x));
  Bytes expected_ski = detail::key_identifier(X509_get_X509_PUBKEY(x));
  if (ski == nullptr || !std::ranges::equal(as_view(ski), expected_ski)) {
    problems.push_back("subjectKeyIdentifier is not the sha-1 of the subject public key");
  }
  const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(const_cast<X509*>(x));
  Bytes expected_aki = detail::issuer_key_id(issuer.get());
  if (aki == nullptr || !std::ranges::equal(as_view(aki), expected_aki)) {
    problems.push_back("authorityKeyIdentifier keyid is not the capf certificate's key identifier");
  }
  ERR_clear_error();
}

}  // namespace

Result<Certificate> issue_lsc(const LscParams& params, const Certificate& issuer_cert,
                              const PrivateKey& issuer_key, const Clock& clock) {
  CAPF_TRY(check_device_name(params.device_name));
  CAPF_ASSIGN_OR_RETURN(PKeyPtr phone_key, detail::parse_spki(params.subject_public_key_der));
  if (issuer_key.get() == nullptr ||
      X509_check_private_key(issuer_cert.get(), issuer_key.get()) != 1) {
    ERR_clear_error();
    return make_error(ErrorCode::kInvalidArgument,
                      "the capf key does not belong to the capf certificate '{}'",
                      issuer_cert.subject());
  }
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, "cannot allocate a certificate");
  }
  CAPF_TRY(detail::set_serial(cert.get(), params.serial));
  // Subject: CN=<device> (UTF8String), then the issuer's O/OU/L/ST/C entries copied as they are.
  X509_NAME* subject = X509_get_subject_name(cert.get());
  const X509_NAME* issuer_subject = X509_get_subject_name(issuer_cert.get());
  bool names_ok =
      X509_NAME_add_entry_by_NID(subject, NID_commonName, V_ASN1_UTF8STRING,
                                 reinterpret_cast<const unsigned char*>(params.device_name.data()),
                                 static_cast<int>(params.device_name.size()), -1, 0) == 1;
  for (int i = 0; names_ok && i < X509_NAME_entry_count(issuer_subject); ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(issuer_subject, i);
    if (is_copied_attribute(OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry)))) {
      names_ok = X509_NAME_add_entry(subject, entry, -1, 0) == 1;
    }
  }
  if (!names_ok || X509_set_issuer_name(cert.get(), issuer_subject) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, "cannot build the lsc names");
  }
  CAPF_TRY(detail::set_validity(cert.get(), clock.now(), params.days));
  if (X509_set_pubkey(cert.get(), phone_key.get()) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, "cannot set the lsc public key");
  }
  CAPF_TRY(
      detail::check_same_spki(X509_get_X509_PUBKEY(cert.get()), params.subject_public_key_der));
  CAPF_TRY(detail::add_basic_constraints(cert.get(), false, std::nullopt));
  CAPF_TRY(
      detail::add_key_usage(cert.get(), {detail::kDigitalSignature, detail::kKeyEncipherment}));
  CAPF_TRY(detail::add_extended_key_usage(cert.get(),
                                          {NID_server_auth, NID_client_auth, NID_ipsecEndSystem}));
  CAPF_TRY(detail::add_subject_alt_name(cert.get(), GEN_URI, params.device_name));
  CAPF_TRY(detail::add_subject_key_id(cert.get(),
                                      detail::key_identifier(X509_get_X509_PUBKEY(cert.get()))));
  CAPF_TRY(detail::add_authority_key_id(cert.get(), detail::issuer_key_id(issuer_cert.get())));
  return detail::sign_certificate(cert.get(), issuer_key);
}

std::vector<std::string> lsc_profile_problems(const Certificate& lsc, const Certificate& issuer,
                                              std::string_view device_name) {
  std::vector<std::string> problems;
  const X509* x = lsc.get();
  if (X509_get_version(x) != X509_VERSION_3) {
    problems.push_back("certificate is not x.509 v3");
  }
  check_subject(lsc, issuer, device_name, problems);
  if (X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(issuer.get())) != 0) {
    problems.push_back(fmt::format("issuer '{}' is not the capf certificate's subject '{}'",
                                   lsc.issuer(), issuer.subject()));
  }
  const ASN1_INTEGER* serial = X509_get0_serialNumber(x);
  if (ASN1_STRING_type(serial) != V_ASN1_INTEGER || ASN1_STRING_length(serial) <= 8) {
    problems.push_back(
        fmt::format("serial {} is not a positive integer of more than 64 bits: use 16 random bytes",
                    lsc.serial_hex()));
  }
  if (lsc.not_after() <= lsc.not_before()) {
    problems.push_back("notAfter is not later than notBefore");
  }
  auto key = detail::parse_spki(lsc.spki_der());
  if (!key) {
    problems.push_back(fmt::format("subject public key: {}", key.error().message));
  }
  check_extensions(lsc, issuer, device_name, problems);
  EVP_PKEY* issuer_key = X509_get0_pubkey(issuer.get());
  const int expected_sig = issuer_key != nullptr && EVP_PKEY_is_a(issuer_key, "EC")
                               ? NID_ecdsa_with_SHA256
                               : NID_sha256WithRSAEncryption;
  if (X509_get_signature_nid(x) != expected_sig) {
    problems.push_back(fmt::format("signature algorithm is {}, not {}",
                                   OBJ_nid2ln(X509_get_signature_nid(x)),
                                   OBJ_nid2ln(expected_sig)));
  }
  if (issuer_key == nullptr || X509_verify(const_cast<X509*>(x), issuer_key) != 1) {
    problems.push_back("signature does not verify with the capf certificate's key");
  }
  ERR_clear_error();
  return problems;
}

}  // namespace capf::pki
