#include "capf/issuer/online/adcs/certsrv_pkcs7.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>

#include "capf/pki/openssl_ptr.h"

namespace capf::adcs {

namespace {

using Pkcs7Ptr = std::unique_ptr<PKCS7, pki::OsslDeleter<PKCS7_free>>;

// The base64 inside the first PEM block, whatever its label.
Result<Bytes> pem_payload(std::string_view text) {
  pki::BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  if (!bio || PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) {
    return make_error(ErrorCode::kMalformed,
                      "the answer has pem markers but no readable base64 between them: {}",
                      pki::openssl_errors());
  }
  Bytes out(data, data + len);
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_free(data);
  return out;
}

}  // namespace

Result<std::vector<pki::Certificate>> read_certificate_bundle(std::string_view body) {
  Bytes der;
  if (body.find("-----BEGIN") != std::string_view::npos) {
    CAPF_ASSIGN_OR_RETURN(der, pem_payload(body));
  } else {
    der.assign(body.begin(), body.end());
  }
  if (der.empty() || der.size() > 0x7fffffff)
    return make_error(ErrorCode::kMalformed, "the answer is empty");
  const unsigned char* p = der.data();
  Pkcs7Ptr p7(d2i_PKCS7(nullptr, &p, static_cast<long>(der.size())));
  if (p7) {
    if (!PKCS7_type_is_signed(p7.get()) || p7->d.sign == nullptr) {
      return make_error(ErrorCode::kMalformed,
                        "the answer is a pkcs#7 of another type than signedData");
    }
    STACK_OF(X509)* certs = p7->d.sign->cert;
    std::vector<pki::Certificate> out;
    for (int i = 0; certs != nullptr && i < sk_X509_num(certs); ++i) {
      X509* x = sk_X509_value(certs, i);
      X509_up_ref(x);
      out.push_back(pki::Certificate::adopt(pki::X509Ptr(x)));
    }
    if (out.empty())
      return make_error(ErrorCode::kMalformed, "the pkcs#7 bundle holds no certificate");
    return out;
  }
  ERR_clear_error();
  auto single = pki::Certificate::from_der(der);
  if (single)
    return std::vector<pki::Certificate>{*single};
  return make_error(ErrorCode::kMalformed,
                    "the answer is neither a pkcs#7 certificate bundle nor a certificate");
}

std::vector<pki::Certificate> chain_order(std::vector<pki::Certificate> certificates) {
  const std::size_t n = certificates.size();
  if (n <= 1)
    return certificates;
  auto issued_by = [&](std::size_t child, std::size_t parent) {
    return child != parent && certificates[child].issuer() == certificates[parent].subject();
  };
  std::size_t start = n;
  for (std::size_t i = 0; i < n && start == n; ++i) {
    bool issues_another = false;
    for (std::size_t j = 0; j < n; ++j)
      issues_another = issues_another || (issued_by(j, i) && !certificates[j].is_self_issued());
    if (!issues_another)
      start = i;
  }
  if (start == n)
    return certificates;
  std::vector<bool> used(n, false);
  std::vector<pki::Certificate> out;
  for (std::size_t current = start; current < n;) {
    used[current] = true;
    out.push_back(certificates[current]);
    std::size_t next = n;
    if (!certificates[current].is_self_issued()) {
      for (std::size_t k = 0; k < n && next == n; ++k) {
        if (!used[k] && issued_by(current, k))
          next = k;
      }
    }
    current = next;
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!used[i])
      out.push_back(certificates[i]);
  }
  return out;
}

}  // namespace capf::adcs
