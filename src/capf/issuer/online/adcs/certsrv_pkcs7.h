// The certificate bundles AD CS web enrollment hands out (certnew.p7b): a PKCS#7 certs-only
// SignedData, as DER (Enc=bin) or as base64 between PEM markers (Enc=b64), where AD CS writes
// "-----BEGIN CERTIFICATE-----" around the PKCS#7 (docs/spec/adcs-web-enrollment.md §5, the quirk
// certsrv's own test asserts).
//
// (A PKCS#7 certs-only reader belongs in pki/ once a second connector needs one; it lives here
// until then so that the adcs connector changes no shared module.)
#pragma once

#include <string_view>
#include <vector>

#include "capf/common/result.h"
#include "capf/pki/certificate.h"

namespace capf::adcs {

// The certificates of a certnew.p7b body: DER PKCS#7, or PEM-armoured PKCS#7 under any label
// (CERTIFICATE, PKCS7), or a single certificate (DER or PEM) for CAs that send one. kMalformed
// naming what the body is not.
Result<std::vector<pki::Certificate>> read_certificate_bundle(std::string_view body);

// The certificates in issuing order: the one that issued none of the others first, then its
// issuer, up to the self-signed root; those outside that path follow in their original order.
std::vector<pki::Certificate> chain_order(std::vector<pki::Certificate> certificates);

}  // namespace capf::adcs
