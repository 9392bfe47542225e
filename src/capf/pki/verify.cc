#include "capf/pki/verify.h"

#include "capf/pki/ossl_util.h"

namespace capf::pki {

Result<Certificate> verify_chain(const Certificate& leaf, const std::vector<Certificate>& anchors,
                                 const std::vector<Certificate>& intermediates,
                                 const VerifyOptions& options) {
  if (anchors.empty()) {
    return make_error(ErrorCode::kUntrusted, "no trust anchors to verify '{}' against",
                      leaf.subject());
  }
  X509StorePtr store(X509_STORE_new());
  detail::X509StackPtr untrusted(sk_X509_new_null());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !untrusted || !ctx) {
    return detail::ossl_error(ErrorCode::kInternal, "cannot set up chain verification");
  }
  for (const Certificate& anchor : anchors) {
    // X509_STORE_add_cert takes its own reference; adding the same certificate twice is fine.
    if (X509_STORE_add_cert(store.get(), anchor.get()) != 1) {
      return detail::ossl_error(ErrorCode::kInternal, "cannot add a trust anchor");
    }
  }
  for (const Certificate& cert : intermediates) {
    if (X509_up_ref(cert.get()) != 1) {
      return detail::ossl_error(ErrorCode::kInternal, "cannot add an intermediate");
    }
    if (sk_X509_push(untrusted.get(), cert.get()) <= 0) {
      X509_free(cert.get());
      return detail::ossl_error(ErrorCode::kInternal, "cannot add an intermediate");
    }
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), untrusted.get()) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, "cannot set up chain verification");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  // Anchors are trusted as given, self-signed or not, as CUCM trusts what is in a trust store.
  unsigned long flags = X509_V_FLAG_PARTIAL_CHAIN;
  if (options.at) {
    X509_VERIFY_PARAM_set_time(param, std::chrono::system_clock::to_time_t(*options.at));
  } else {
    flags |= X509_V_FLAG_NO_CHECK_TIME;
  }
  X509_VERIFY_PARAM_set_flags(param, flags);
  if (options.require_client_auth &&
      X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, "cannot require client authentication");
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    int error = X509_STORE_CTX_get_error(ctx.get());
    X509* failing = X509_STORE_CTX_get_current_cert(ctx.get());
    std::string subject =
        failing != nullptr ? detail::name_one_line(X509_get_subject_name(failing)) : leaf.subject();
    ERR_clear_error();
    return make_error(ErrorCode::kUntrusted, "{} (certificate '{}', depth {})",
                      X509_verify_cert_error_string(error), subject,
                      X509_STORE_CTX_get_error_depth(ctx.get()));
  }
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
  X509* top = sk_X509_value(chain, sk_X509_num(chain) - 1);
  for (const Certificate& anchor : anchors) {
    if (X509_cmp(anchor.get(), top) == 0) {
      return anchor;
    }
  }
  // Not reached: a verified chain ends at one of the store's certificates.
  if (X509_up_ref(top) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, "cannot return the anchor");
  }
  return Certificate::adopt(X509Ptr(top));
}

}  // namespace capf::pki
