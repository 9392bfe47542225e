// The SCEP challenge password out of stored requests. RFC 8894 carries the challenge only as the
// PKCS#9 challengePassword attribute of the PKCS#10, which the phone signs
// (docs/protocol.md §6.10): the phone must see it, but the request queue need not keep it. A
// request is stored with the password's characters overwritten (same length, so the rest of the
// DER and the phone's signature stay as they were) and the configured challenge is put back when
// the request is sent again.
#pragma once

#include <string_view>

#include "capf/common/bytes.h"
#include "capf/common/result.h"

namespace capf::scep {

// `csr_der` with the challengePassword's characters replaced by '?' (a character every string
// type of the attribute allows); unchanged when it has none. The result does not verify until
// restore_challenge. kMalformed when csr_der is not a DER PKCS#10.
Result<Bytes> redact_challenge(ByteView csr_der);

// The reverse: `csr_der` with a redacted challengePassword replaced by `challenge`, encoded as
// build_request_info encodes it; unchanged when it has no challengePassword or one that was not
// redacted. kInvalidArgument when `challenge` does not fit in the redacted one (the challenge
// changed since the phone signed: its next contact signs a new request); kMalformed as above.
Result<Bytes> restore_challenge(ByteView csr_der, std::string_view challenge);

}  // namespace capf::scep
