#include "capf/trustlist/record.h"

#include <array>
#include <utility>

#include "capf/common/strings.h"
#include "capf/pki/signer_profile.h"
#include "capf/trustlist/signed_header.h"
#include "capf/trustlist/tlv.h"

namespace capf::trustlist {

namespace {

namespace tag = record_tag;

constexpr std::array<std::pair<Role, std::string_view>, 7> kRoleNames{{
    {Role::kSast, "SAST"},
    {Role::kCcm, "CCM"},
    {Role::kCcmTftp, "CCM+TFTP"},
    {Role::kTftp, "TFTP"},
    {Role::kCapf, "CAPF"},
    {Role::kHttps, "HTTPS"},
    {Role::kTvs, "TVS"},
}};

// The elements a record keeps as they come: text (without its NUL) and raw bytes.
constexpr std::array<std::pair<std::uint8_t, std::string Record::*>, 3> kTextFields{{
    {tag::kDnsName, &Record::dns_name},
    {tag::kSubjectName, &Record::subject_name},
    {tag::kIssuerName, &Record::issuer_name},
}};
constexpr std::array<std::pair<std::uint8_t, Bytes Record::*>, 7> kByteFields{{
    {tag::kSerialNumber, &Record::serial},
    {tag::kPublicKey, &Record::public_key},
    {tag::kSignature, &Record::signature},
    {tag::kCertificate, &Record::certificate},
    {tag::kIpAddress, &Record::ip_address},
    {tag::kCertificateHash, &Record::certificate_hash},
    {tag::kHashAlgorithm, &Record::hash_algorithm},
}};

Status read_element(const Element& e, Record& record) {
  if (e.tag == tag::kRole) {
    CAPF_ASSIGN_OR_RETURN(record.role, u16_value(e, "ROLE"));
    record.has_role = true;
    return ok();
  }
  for (const auto& [field_tag, field] : kTextFields) {
    if (e.tag == field_tag) {
      record.*field = text_value(e);
      return ok();
    }
  }
  for (const auto& [field_tag, field] : kByteFields) {
    if (e.tag == field_tag) {
      (record.*field).assign(e.value.begin(), e.value.end());
      return ok();
    }
  }
  return malformed_at(e.offset, "unknown record tag {}", e.tag);
}

}  // namespace

std::string role_name(std::uint16_t role) {
  for (const auto& [r, name] : kRoleNames) {
    if (static_cast<std::uint16_t>(r) == role)
      return std::string(name);
  }
  return fmt::format("ROLE {}", role);
}

Result<Role> parse_role(std::string_view name) {
  for (const auto& [r, n] : kRoleNames) {
    if (name.size() == n.size() && starts_with_ci(name, n))
      return r;
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown function '{}': use sast, ccm, ccm+tftp, tftp, capf, https or tvs",
                    name);
}

Result<Bytes> encode_record(Role role, const pki::Certificate& cert) {
  CAPF_ASSIGN_OR_RETURN(Bytes key, pki::public_key_bits(cert.public_key()));
  Bytes r;
  put_u16_element(r, tag::kRecordLength, 0);  // filled in below
  CAPF_TRY(put_text(r, tag::kSubjectName, cert.subject(), "the subject"));
  put_u16_element(r, tag::kRole, static_cast<std::uint16_t>(role));
  CAPF_TRY(put_text(r, tag::kIssuerName, cert.issuer(), "the issuer"));
  CAPF_TRY(put_element(r, tag::kSerialNumber, serial_bytes(cert), "the serial"));
  CAPF_TRY(put_element(r, tag::kPublicKey, key, "the public key"));
  CAPF_TRY(put_element(r, tag::kSignature, pki::certificate_signature_bits(cert),
                       "the certificate's signature"));
  CAPF_TRY(put_element(r, tag::kCertificate, cert.der(), "the certificate"));
  if (r.size() > 0xffff) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the record for {} is {} bytes: a record holds at most 65535", cert.subject(),
                      r.size());
  }
  r[3] = static_cast<std::uint8_t>(r.size() >> 8);
  r[4] = static_cast<std::uint8_t>(r.size());
  return r;
}

Result<std::vector<Record>> parse_records(ByteView file, std::size_t begin) {
  std::vector<Record> records;
  std::size_t at = begin;
  while (at < file.size()) {
    const std::string where = fmt::format("record {}", records.size() + 1);
    ElementReader head(file, at, file.size(), where);
    CAPF_ASSIGN_OR_RETURN(Element length, head.next());
    if (length.tag != tag::kRecordLength) {
      return malformed_at(at, "{} starts with tag {}, not RECORD_LENGTH (1)", where, length.tag);
    }
    CAPF_ASSIGN_OR_RETURN(std::uint16_t size, u16_value(length, "RECORD_LENGTH"));
    if (size < 5)
      return malformed_at(at, "{} has RECORD_LENGTH {}, less than its own 5 bytes", where, size);
    if (size > file.size() - at) {
      return malformed_at(at, "{} is truncated: RECORD_LENGTH says {} bytes, {} remain", where,
                          size, file.size() - at);
    }
    Record record;
    record.offset = at;
    ElementReader r(file, head.offset(), at + size, where);
    while (!r.done()) {
      CAPF_ASSIGN_OR_RETURN(Element e, r.next());
      CAPF_TRY(read_element(e, record));
    }
    if (!record.has_role)
      return malformed_at(at, "{} has no ROLE element (tag 4)", where);
    records.push_back(std::move(record));
    at += size;
  }
  return records;
}

}  // namespace capf::trustlist
