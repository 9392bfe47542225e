#include "capf/pki/certificate.h"

#include <ctime>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "capf/common/file.h"
#include "capf/common/strings.h"
#include "capf/pki/ossl_util.h"

namespace capf::pki {

using detail::looks_like_pem;
using detail::ossl_error;
using detail::time_point;

Result<Certificate> Certificate::from_der(ByteView der) {
  CAPF_ASSIGN_OR_RETURN(X509Ptr cert,
                        detail::parse_der_checked<X509Ptr>(
                            der, d2i_X509, "certificate has trailing bytes after its der",
                            "not a der x.509 certificate"));
  return adopt(std::move(cert));
}

Result<Certificate> Certificate::from_pem(std::string_view pem) {
  BioPtr bio = detail::memory_bio(as_bytes(pem));
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) {
    return ossl_error(ErrorCode::kMalformed, "no pem certificate in the text");
  }
  return adopt(std::move(cert));
}

Result<std::vector<Certificate>> Certificate::all_from_pem(std::string_view pem) {
  BioPtr bio = detail::memory_bio(as_bytes(pem));
  if (!bio) {
    return ossl_error(ErrorCode::kMalformed, "cannot read the pem text");
  }
  std::vector<Certificate> out;
  for (;;) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
      unsigned long err = ERR_peek_last_error();
      if (!out.empty() && ERR_GET_LIB(err) == ERR_LIB_PEM &&
          ERR_GET_REASON(err) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
        return out;
      }
      if (out.empty()) {
        return ossl_error(ErrorCode::kMalformed, "no pem certificate in the text");
      }
      return ossl_error(ErrorCode::kMalformed,
                        fmt::format("pem certificate number {} is broken", out.size() + 1));
    }
    out.push_back(adopt(std::move(cert)));
  }
}

Result<Certificate> Certificate::from_bytes(ByteView bytes) {
  if (looks_like_pem(bytes)) {
    return from_pem(to_string(bytes));
  }
  return from_der(bytes);
}

Certificate Certificate::adopt(X509Ptr cert) {
  if (cert) {
    // Settle OpenSSL's lazily filled caches (encodings of edited names, extension flags) now, so
    // that later const use from several threads only reads.
    (void)i2d_X509(cert.get(), nullptr);
    (void)X509_check_purpose(cert.get(), -1, 0);
    ERR_clear_error();
  }
  return Certificate(std::shared_ptr<X509>(cert.release(), X509_free));
}

Bytes Certificate::der() const {
  return detail::to_der(cert_.get(), i2d_X509);
}

std::string Certificate::pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert_.get()) != 1) {
    ERR_clear_error();
    return {};
  }
  return detail::bio_text(bio.get());
}

std::string Certificate::subject() const {
  return detail::name_one_line(X509_get_subject_name(cert_.get()));
}

std::string Certificate::issuer() const {
  return detail::name_one_line(X509_get_issuer_name(cert_.get()));
}

std::string Certificate::common_name() const {
  const X509_NAME* name = X509_get_subject_name(cert_.get());
  int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) {
    return {};
  }
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, value);
  if (len < 0) {
    ERR_clear_error();
    return {};
  }
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

std::string Certificate::serial_hex() const {
  return detail::serial_hex(X509_get0_serialNumber(cert_.get()));
}

TimePoint Certificate::not_before() const {
  return time_point(X509_get0_notBefore(cert_.get()));
}

TimePoint Certificate::not_after() const {
  return time_point(X509_get0_notAfter(cert_.get()));
}

std::string Certificate::fingerprint_sha256() const {
  return to_hex(digest(Hash::kSha256, der()));
}

bool Certificate::is_self_issued() const {
  return X509_NAME_cmp(X509_get_subject_name(cert_.get()), X509_get_issuer_name(cert_.get())) == 0;
}

bool Certificate::is_ca() const {
  return (X509_get_extension_flags(cert_.get()) & EXFLAG_CA) != 0;
}

PublicKey Certificate::public_key() const {
  PKeyPtr key(X509_get_pubkey(cert_.get()));
  ERR_clear_error();
  return PublicKey::adopt(std::move(key));
}

Bytes Certificate::spki_der() const {
  return detail::to_der(X509_get_X509_PUBKEY(cert_.get()), i2d_X509_PUBKEY);
}

bool operator==(const Certificate& a, const Certificate& b) {
  if (a.cert_ == b.cert_) {
    return true;
  }
  if (!a.cert_ || !b.cert_) {
    return false;
  }
  return X509_cmp(a.cert_.get(), b.cert_.get()) == 0;
}

std::string fingerprint_prefix(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != ':')
      out.push_back(c);
  }
  return to_lower(out);
}

std::string pem_encode(std::string_view label, ByteView der) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  std::string name(label);
  if (!bio ||
      PEM_write_bio(bio.get(), name.c_str(), "", der.data(), static_cast<long>(der.size())) <= 0) {
    return "";
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

Result<Bytes> pem_decode(std::string_view label, std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  const std::string wanted(label);
  while (bio) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1)
      break;
    bool match = wanted == name;
    Bytes out;
    if (match)
      out.assign(data, data + len);
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    if (match)
      return out;
  }
  ERR_clear_error();
  return make_error(ErrorCode::kMalformed, "no PEM block \"{}\" in the text", label);
}

Result<std::vector<Certificate>> read_certificates(const std::filesystem::path& path) {
  auto text = read_file(path);
  if (!text)  // "cannot read PATH: REASON"
    return Error{ErrorCode::kInvalidArgument, text.error().message};
  auto refuse = [&path](std::string_view reason) {
    return make_error(ErrorCode::kInvalidArgument, "cannot read {}: {}", path.string(), reason);
  };
  if (text->empty())
    return refuse("the file is empty");
  if (looks_like_pem(as_bytes(*text))) {
    auto certs = Certificate::all_from_pem(*text);
    if (!certs)
      return refuse(certs.error().message);
    return certs;
  }
  auto der = Certificate::from_der(as_bytes(*text));
  if (!der)
    return refuse("neither PEM certificates nor one DER certificate");
  return std::vector<Certificate>{std::move(der).value()};
}

}  // namespace capf::pki
