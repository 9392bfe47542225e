// The pages of the stand-in AD CS web enrollment. What clients match on is reproduced exactly
// (docs/spec/adcs-web-enrollment.md: "Certificate Issued", the three certnew.cer link shapes, "Your
// Request Id is N.", `The disposition message is "..."`, the certnew.cer text block, `var
// nRenewals=K;`); the HTML around those strings is the stand-in's own, in the style of IIS's
// classic certsrv pages. Test support only.
#pragma once

#include <string>
#include <string_view>

namespace capf::testing::certsrv_html {

// certsrv/ (the welcome page, the credential check).
std::string home_page(std::string_view ca_name);
// certrqxt.asp: the advanced request form (what a browser would post to certfnsh.asp).
std::string request_form_page(std::string_view ca_name);

// certfnsh.asp answers.
// "Certificate Issued" with certnew.cer?ReqID=N&amp;Enc=bin and &amp;Enc=b64 links, a
// certnew.p7b chain link and the script line location="certnew.cer?ReqID=N&"+...
std::string issued_page(std::string_view ca_name, int request_id);
// "Certificate Pending": "... you must wait for an administrator ... Your Request Id is N."
std::string pending_page(std::string_view ca_name, int request_id);
// Mode=chkpnd for a request still held: "Your certificate request is still pending."
std::string still_pending_page(std::string_view ca_name, int request_id);
// "Certificate Request Denied": "Your certificate request was denied." and
// `The disposition message is "<disposition>".` (HTML-escaped, spacing kept).
std::string denied_page(std::string_view ca_name, int request_id, std::string_view disposition);

// certnew.cer for a request that has no certificate (text/html): the text block clients read
// with `Disposition message:[^\t]+\t\t([^\r\n]+)` and `LastStatus:[^\t]+\t\t([^\r\n]+)`. Each
// line is the label, one space, two tabs, the value and CRLF.
std::string certificate_status_page(std::string_view ca_name, std::string_view disposition,
                                    std::string_view last_status);

// certcarc.asp: the CA certificate page with `var nRenewals=K;`.
std::string ca_certificate_page(std::string_view ca_name, int renewals);

// IIS's own answers.
std::string
unauthorized_page();           // 401: "Unauthorized: Access is denied due to invalid credentials."
std::string not_found_page();  // 404
std::string error_page(std::string_view ca_name, std::string_view text);

std::string html_escape(std::string_view text);

}  // namespace capf::testing::certsrv_html
