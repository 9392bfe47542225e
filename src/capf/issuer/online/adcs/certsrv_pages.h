// What the AD CS web enrollment pages ("certsrv") say, read the way every known client reads them:
// by the English marker strings of docs/spec/adcs-web-enrollment.md, never by the HTML around them.
// Pure text functions: no I/O, no OpenSSL.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace capf::adcs {

enum class PageVerdict {
  kIssued,          // a certnew.cer?ReqID=N& link: the certificate is ready
  kPending,         // "Certificate Pending" / "still pending" / "Taken Under Submission"
  kDenied,          // "Your certificate request was denied." / a "Denied by ..." disposition
  kUnknownRequest,  // certnew.cer: "The requested property value is empty" (no such request)
  kUnrecognised,    // none of the above (another language, an error page, a proxy)
};

struct CertsrvPage {
  PageVerdict verdict = PageVerdict::kUnrecognised;
  std::string request_id;  // the digits of ReqID / "Your Request Id is N."; "" when absent
  std::string message;     // kDenied: the CA's disposition message, entities decoded, spacing kept
};

// A certfnsh.asp answer (Mode=newreq or Mode=chkpnd). Issued when the page links
// certnew.cer?ReqID=<digits>&; denied when it says so (message = the text of
// `The disposition message is "..."`, "" when the page gives none); pending when it says
// "Certificate Pending" or "still pending" and names its request id.
CertsrvPage read_enrollment_page(std::string_view html);

// A text/html answer of certnew.cer (the request is not issued): the "Disposition message:" and
// "LastStatus:" text block. Pending for "Taken Under Submission"; kUnknownRequest for "The
// requested property value is empty"; denied for any other disposition (message = the
// disposition message).
CertsrvPage read_certificate_error(std::string_view html);

// K of `var nRenewals=K;` in certcarc.asp; 0 when the page has none (what every client assumes).
int read_renewal_count(std::string_view html);

// The page's visible text (tags, scripts and styles removed, entities decoded, runs of white
// space collapsed), cut to at most `limit` bytes on a UTF-8 character boundary: for error messages.
std::string page_excerpt(std::string_view html, std::size_t limit = 200);

// &amp; &lt; &gt; &quot; &apos; &nbsp; and numeric references decoded; anything else kept as is.
std::string decode_entities(std::string_view text);

}  // namespace capf::adcs
