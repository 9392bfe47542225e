// Signed files (FILE.sgn, docs/trust-lists.md §6): the trust-list header over a file's bytes, as
// phones expect for signed configuration files, so a PBX's TFTP files can be signed by the
// signer the phones' ITL lists.
#pragma once

#include <vector>

#include "capf/common/bytes.h"
#include "capf/common/result.h"
#include "capf/pki/certificate.h"
#include "capf/pki/key.h"
#include "capf/trustlist/signed_header.h"
#include "capf/trustlist/trust_list_file.h"

namespace capf::trustlist {

// The header (FILENAME = options.filename, the signed file's own name without ".sgn") and then
// `content` unchanged.
Result<Bytes> sign_file(const pki::Certificate& signer, const pki::PrivateKey& key,
                        const SigningOptions& options, ByteView content);

struct SignedFile {
  SignedHeader header;
  ByteView content;  // the signed file's bytes, a view into the parsed buffer
  Verification verification;
};

// Parses `file` and checks its signature with the one of `signers` whose serial is the header's
// (a .sgn file carries no certificate). kMalformed "offset N: ..." when the header does not parse.
Result<SignedFile> parse_signed_file(ByteView file, const std::vector<pki::Certificate>& signers);

}  // namespace capf::trustlist
