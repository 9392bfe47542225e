#include "capf/pki/crl.h"

#include <algorithm>
#include <array>
#include <ctime>

#include "capf/pki/ossl_util.h"
#include "capf/pki/x509_build.h"

namespace capf::pki {

namespace {

using detail::looks_like_pem;
using detail::ossl_error;
using detail::time_point;
using RevokedPtr = std::unique_ptr<X509_REVOKED, OsslDeleter<X509_REVOKED_free>>;
using Asn1EnumeratedPtr = std::unique_ptr<ASN1_ENUMERATED, OsslDeleter<ASN1_ENUMERATED_free>>;

// Each reason with its RFC 5280 name, in the order of their values.
struct ReasonName {
  RevocationReason reason;
  std::string_view name;
};
constexpr std::array kReasonNames = {
    ReasonName{RevocationReason::kUnspecified, "unspecified"},
    ReasonName{RevocationReason::kKeyCompromise, "keyCompromise"},
    ReasonName{RevocationReason::kCaCompromise, "cACompromise"},
    ReasonName{RevocationReason::kAffiliationChanged, "affiliationChanged"},
    ReasonName{RevocationReason::kSuperseded, "superseded"},
    ReasonName{RevocationReason::kCessationOfOperation, "cessationOfOperation"},
    ReasonName{RevocationReason::kCertificateHold, "certificateHold"},
    ReasonName{RevocationReason::kRemoveFromCrl, "removeFromCRL"},
    ReasonName{RevocationReason::kPrivilegeWithdrawn, "privilegeWithdrawn"},
    ReasonName{RevocationReason::kAaCompromise, "aACompromise"},
};

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

// The magnitude of a serial written in hex: leading zero bytes dropped, 1..20 bytes, not zero.
Result<Bytes> serial_from_hex(std::string_view text) {
  std::string hex(text);
  const bool plain = !hex.empty() && std::all_of(hex.begin(), hex.end(), [](char c) {
    return (c >= '0' && c <= '9') || (lower(c) >= 'a' && lower(c) <= 'f');
  });
  if (plain && hex.size() % 2 == 1) {
    hex.insert(hex.begin(), '0');
  }
  std::optional<Bytes> bytes = from_hex(hex);
  if (bytes) {
    auto first = std::find_if(bytes->begin(), bytes->end(), [](std::uint8_t b) { return b != 0; });
    bytes->erase(bytes->begin(), first);
  }
  if (!bytes || bytes->empty() || bytes->size() > 20) {
    return make_error(ErrorCode::kInvalidArgument,
                      "revoked serial '{}' is not a positive serial of 1..20 bytes in hex", text);
  }
  return *std::move(bytes);
}

Result<Asn1TimePtr> asn1_time(TimePoint t) {
  Asn1TimePtr time(ASN1_TIME_set(nullptr, static_cast<std::time_t>(to_unix(t))));
  if (!time) {
    return ossl_error(ErrorCode::kInvalidArgument,
                      fmt::format("cannot encode the time {}", format_utc(t)));
  }
  return time;
}

Result<X509CrlPtr> load_crl(ByteView bytes) {
  Bytes from_pem;
  if (looks_like_pem(bytes)) {
    CAPF_ASSIGN_OR_RETURN(from_pem, pem_decode("X509 CRL", to_string(bytes)));
    bytes = from_pem;
  }
  return detail::parse_der_checked<X509CrlPtr>(
      bytes, d2i_X509_CRL, "crl has trailing bytes after its der", "not a der x.509 crl");
}

struct SortedEntry {
  Bytes serial;
  const RevokedEntry* entry;
};

Status add_entry(X509_CRL* crl, const SortedEntry& sorted) {
  RevokedPtr revoked(X509_REVOKED_new());
  BnPtr bn(BN_bin2bn(sorted.serial.data(), static_cast<int>(sorted.serial.size()), nullptr));
  Asn1IntegerPtr serial(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  if (!revoked || !serial || X509_REVOKED_set_serialNumber(revoked.get(), serial.get()) != 1) {
    return ossl_error(ErrorCode::kInternal, "cannot build a crl entry");
  }
  CAPF_ASSIGN_OR_RETURN(Asn1TimePtr date, asn1_time(sorted.entry->revoked_at));
  if (X509_REVOKED_set_revocationDate(revoked.get(), date.get()) != 1) {
    return ossl_error(ErrorCode::kInternal, "cannot set a revocation date");
  }
  // RFC 5280 §5.3.1: the reasonCode is absent rather than "unspecified".
  if (sorted.entry->reason != RevocationReason::kUnspecified) {
    Asn1EnumeratedPtr reason(ASN1_ENUMERATED_new());
    if (!reason ||
        ASN1_ENUMERATED_set(reason.get(), static_cast<long>(sorted.entry->reason)) != 1 ||
        X509_REVOKED_add1_ext_i2d(revoked.get(), NID_crl_reason, reason.get(), 0,
                                  X509V3_ADD_APPEND) != 1) {
      return ossl_error(ErrorCode::kInternal, "cannot add a reasonCode");
    }
  }
  if (X509_CRL_add0_revoked(crl, revoked.get()) != 1) {
    return ossl_error(ErrorCode::kInternal, "cannot add a crl entry");
  }
  revoked.release();  // now owned by the crl
  return ok();
}

}  // namespace

std::string_view to_string(RevocationReason reason) {
  for (const ReasonName& row : kReasonNames) {
    if (row.reason == reason)
      return row.name;
  }
  return "unspecified";
}

Result<RevocationReason> parse_revocation_reason(std::string_view text) {
  std::string names;
  for (const ReasonName& row : kReasonNames) {
    if (equal_ignoring_case(text, row.name)) {
      return row.reason;
    }
    names += fmt::format("{}{}", names.empty() ? "" : ", ", row.name);
  }
  return make_error(ErrorCode::kInvalidArgument, "unknown revocation reason '{}': use one of {}",
                    text, names);
}

Result<Bytes> make_crl(const CrlParams& params, const Certificate& issuer,
                       const PrivateKey& issuer_key) {
  if (to_unix(params.next_update) <= to_unix(params.this_update)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "crl next update {} is not later than its this update {}",
                      format_utc(params.next_update), format_utc(params.this_update));
  }
  std::vector<SortedEntry> sorted;
  sorted.reserve(params.revoked.size());
  for (const RevokedEntry& entry : params.revoked) {
    CAPF_ASSIGN_OR_RETURN(Bytes serial, serial_from_hex(entry.serial_hex));
    if (entry.reason == RevocationReason::kRemoveFromCrl) {
      return make_error(ErrorCode::kInvalidArgument,
                        "revoked serial {} has reason removeFromCRL, which only a delta crl may "
                        "carry: drop the entry from the list instead",
                        entry.serial_hex);
    }
    sorted.push_back({std::move(serial), &entry});
  }
  // Numeric order of positive serials: shorter magnitudes first, then byte order.
  std::sort(sorted.begin(), sorted.end(), [](const SortedEntry& a, const SortedEntry& b) {
    return a.serial.size() != b.serial.size() ? a.serial.size() < b.serial.size()
                                              : a.serial < b.serial;
  });
  auto twice = std::adjacent_find(
      sorted.begin(), sorted.end(),
      [](const SortedEntry& a, const SortedEntry& b) { return a.serial == b.serial; });
  if (twice != sorted.end()) {
    return make_error(ErrorCode::kInvalidArgument, "revoked serial {} is listed more than once",
                      to_hex(twice->serial));
  }
  if (issuer_key.get() == nullptr || X509_check_private_key(issuer.get(), issuer_key.get()) != 1) {
    ERR_clear_error();
    return make_error(ErrorCode::kInvalidArgument,
                      "the crl signing key does not belong to the issuer certificate '{}'",
                      issuer.subject());
  }
  if ((X509_get_key_usage(issuer.get()) & KU_CRL_SIGN) == 0) {
    ERR_clear_error();
    return make_error(ErrorCode::kInvalidArgument,
                      "issuer certificate '{}' lacks cRLSign in keyUsage, so relying parties "
                      "would refuse its crls: reissue it with "
                      "keyUsage=critical,digitalSignature,keyCertSign,cRLSign",
                      issuer.subject());
  }

  X509CrlPtr crl(X509_CRL_new());
  if (!crl || X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer.get())) != 1) {
    return ossl_error(ErrorCode::kInternal, "cannot build the crl");
  }
  CAPF_ASSIGN_OR_RETURN(Asn1TimePtr this_update, asn1_time(params.this_update));
  CAPF_ASSIGN_OR_RETURN(Asn1TimePtr next_update, asn1_time(params.next_update));
  if (X509_CRL_set1_lastUpdate(crl.get(), this_update.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next_update.get()) != 1) {
    return ossl_error(ErrorCode::kInternal, "cannot set the crl update times");
  }
  for (const SortedEntry& entry : sorted) {
    CAPF_TRY(add_entry(crl.get(), entry));
  }
  if (X509_CRL_sort(crl.get()) != 1) {
    return ossl_error(ErrorCode::kInternal, "cannot sort the crl entries");
  }

  const Bytes key_id = detail::issuer_key_id(issuer.get());
  detail::AuthorityKeyIdPtr akid(AUTHORITY_KEYID_new());
  if (!akid || key_id.empty() || (akid->keyid = ASN1_OCTET_STRING_new()) == nullptr ||
      ASN1_OCTET_STRING_set(akid->keyid, key_id.data(), static_cast<int>(key_id.size())) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_authority_key_identifier, akid.get(), 0,
                            X509V3_ADD_APPEND) != 1) {
    return ossl_error(ErrorCode::kInternal, "cannot add the crl authorityKeyIdentifier");
  }
  Asn1IntegerPtr number(ASN1_INTEGER_new());
  if (!number || ASN1_INTEGER_set_uint64(number.get(), params.crl_number) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, X509V3_ADD_APPEND) != 1) {
    return ossl_error(ErrorCode::kInternal, "cannot add the cRLNumber");
  }

  if (X509_CRL_sign(crl.get(), issuer_key.get(), EVP_sha256()) <= 0) {
    return ossl_error(ErrorCode::kCrypto, "signing the crl failed");
  }
  Bytes der = detail::to_der(crl.get(), i2d_X509_CRL);
  if (der.empty()) {
    return ossl_error(ErrorCode::kInternal, "cannot encode the crl");
  }
  return der;
}

std::string crl_pem(ByteView der) {
  return pem_encode("X509 CRL", der);
}

Result<CrlInfo> parse_crl(ByteView der_or_pem) {
  CAPF_ASSIGN_OR_RETURN(X509CrlPtr crl, load_crl(der_or_pem));
  CrlInfo info;
  info.issuer = detail::name_one_line(X509_CRL_get_issuer(crl.get()));
  info.this_update = time_point(X509_CRL_get0_lastUpdate(crl.get()));
  if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get()); next != nullptr) {
    info.next_update = time_point(next);
  }

  int critical = -1;
  Asn1IntegerPtr number(static_cast<ASN1_INTEGER*>(
      X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, &critical, nullptr)));
  if (number) {
    std::uint64_t value = 0;
    if (ASN1_INTEGER_get_uint64(&value, number.get()) != 1) {
      ERR_clear_error();
      return make_error(ErrorCode::kMalformed, "crl number is negative or beyond 64 bits");
    }
    info.crl_number = value;
  } else if (critical != -1) {
    ERR_clear_error();
    return make_error(ErrorCode::kMalformed, "crl number is repeated or cannot be decoded");
  }

  detail::AuthorityKeyIdPtr akid(static_cast<AUTHORITY_KEYID*>(
      X509_CRL_get_ext_d2i(crl.get(), NID_authority_key_identifier, &critical, nullptr)));
  if (akid && akid->keyid != nullptr) {
    info.authority_key_id_hex =
        to_hex(ByteView(ASN1_STRING_get0_data(akid->keyid),
                        static_cast<std::size_t>(ASN1_STRING_length(akid->keyid))));
  }
  ERR_clear_error();

  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    const X509_REVOKED* entry = sk_X509_REVOKED_value(revoked, i);
    CrlEntryInfo out;
    out.serial_hex = detail::serial_hex(X509_REVOKED_get0_serialNumber(entry));
    out.revoked_at = time_point(X509_REVOKED_get0_revocationDate(entry));
    Asn1EnumeratedPtr reason(static_cast<ASN1_ENUMERATED*>(
        X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, &critical, nullptr)));
    if (reason) {
      const long code = ASN1_ENUMERATED_get(reason.get());
      auto known = std::find_if(kReasonNames.begin(), kReasonNames.end(), [code](ReasonName row) {
        return static_cast<long>(row.reason) == code;
      });
      if (known == kReasonNames.end()) {
        return make_error(ErrorCode::kMalformed, "crl entry {} has the unknown reason code {}",
                          out.serial_hex, code);
      }
      out.reason = known->reason;
    } else if (critical != -1) {
      ERR_clear_error();
      return make_error(ErrorCode::kMalformed,
                        "crl entry {} has a repeated or undecodable reasonCode", out.serial_hex);
    }
    info.entries.push_back(std::move(out));
  }
  return info;
}

Status verify_crl(ByteView der, const Certificate& issuer) {
  CAPF_ASSIGN_OR_RETURN(X509CrlPtr crl, load_crl(der));
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(issuer.get())) != 0) {
    return make_error(ErrorCode::kCrypto, "crl issuer '{}' is not the certificate subject '{}'",
                      detail::name_one_line(X509_CRL_get_issuer(crl.get())), issuer.subject());
  }
  EVP_PKEY* key = X509_get0_pubkey(issuer.get());
  if (key == nullptr || X509_CRL_verify(crl.get(), key) != 1) {
    return ossl_error(
        ErrorCode::kCrypto,
        fmt::format("crl signature does not verify with the key of '{}'", issuer.subject()));
  }
  return ok();
}

}  // namespace capf::pki
