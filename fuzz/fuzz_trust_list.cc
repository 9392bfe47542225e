// libFuzzer driver for the trust-list readers (trustlist/): ITLFile.tlv and CTLFile.tlv from a
// CUCM, a TFTP server or an admin (`opencapf itl show`), and .sgn files (`opencapf sgn show`).
// Whatever the bytes, the readers return a value or an error naming an offset inside the file;
// a parsed file's records lie inside it and its signature lies inside the header.

#include "capf/trustlist/sgn_file.h"
#include "capf/trustlist/trust_list_file.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using capf::fuzz::require;
  const capf::ByteView bytes(data, size);
  auto list = capf::trustlist::parse_trust_list(bytes);
  if (list) {
    const auto& h = list->header;
    require(h.length <= size, "the header lies inside the file");
    require(h.signature_offset + 3 + h.signature.size() <= h.length,
            "the signature lies inside the header");
    for (const auto& r : list->records)
      require(r.offset >= h.length && r.offset < size, "a record lies after the header");
    require(list->verification.verified || !list->verification.problem.empty(),
            "an unverified file says why");
  } else {
    require(list.error().message.rfind("offset ", 0) == 0, "a parse error names the offset");
  }
  auto sgn = capf::trustlist::parse_signed_file(bytes, {});
  if (sgn)
    require(sgn->content.size() == size - sgn->header.length, "the content follows the header");
  return 0;
}
