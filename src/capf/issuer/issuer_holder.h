// IssuerHolder: the issuer in use, replaced as a whole when an administrator changes the mode or
// the CA (`opencapf issuer set` rewrites opencapf.toml; the daemon notices and swaps). A session
// takes one snapshot when it starts and keeps it to the end. Thread-safe.
#pragma once

#include <memory>
#include <mutex>

#include "capf/issuer/issuer.h"

namespace capf {

class IssuerHolder {
 public:
  explicit IssuerHolder(std::shared_ptr<Issuer> issuer) : issuer_(std::move(issuer)) {}
  std::shared_ptr<Issuer> current() const {
    std::lock_guard lock(mu_);
    return issuer_;
  }
  void replace(std::shared_ptr<Issuer> issuer) {
    std::lock_guard lock(mu_);
    issuer_ = std::move(issuer);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<Issuer> issuer_;
};

}  // namespace capf
