// The phone side of docs/protocol.md §6.10 for the ACME tests: a key and the request it signs.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "capf/issuer/issuer.h"
#include "capf/pki/csr.h"
#include "capf/pki/key.h"

namespace capf::testing {

constexpr char kDevice[] = "SEP001122334455";

struct Phone {
  pki::PrivateKey key;
  IssueRequest request;
};

// What the enrollment service does for an external CA (docs/protocol.md §6.10): the phone's key
// signs a request built from the issuer's template (or, for `dns_names`, from other names).
inline Phone make_phone(const Issuer& issuer, KeySpec spec, const std::string& device = kDevice,
                        std::optional<std::vector<std::string>> dns_names = std::nullopt) {
  auto key = pki::PrivateKey::generate(spec);
  EXPECT_TRUE(key) << key.error().message;
  RequestTemplate tmpl = issuer.request_template(device);
  pki::RequestInfoOptions options;
  options.dns_names = dns_names ? *dns_names : tmpl.dns_names;
  auto info = pki::build_request_info("CN=" + tmpl.common_name, key->spki_der(), options);
  EXPECT_TRUE(info) << info.error().message;
  auto signature = key->sign(pki::Hash::kSha256, *info);
  EXPECT_TRUE(signature) << signature.error().message;
  auto csr = pki::assemble_csr(*info, pki::Hash::kSha256, *signature);
  EXPECT_TRUE(csr) << csr.error().message;
  return Phone{*key, IssueRequest{device, key->spki_der(), spec, *csr, "test"}};
}

}  // namespace capf::testing
