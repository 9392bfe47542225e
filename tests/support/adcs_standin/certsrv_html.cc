#include "certsrv_html.h"

#include <fmt/format.h>

namespace capf::testing::certsrv_html {

namespace {

// The frame every certsrv page shares: title, the teal banner with the CA name, a body.
std::string page(std::string_view ca_name, std::string_view body) {
  return fmt::format(
      "<HTML>\r\n<Head>\r\n"
      "<Meta HTTP-Equiv=\"Content-Type\" Content=\"text/html; charset=UTF-8\">\r\n"
      "<Title>Microsoft Active Directory Certificate Services</Title>\r\n"
      "</Head>\r\n<Body BgColor=#FFFFFF>\r\n<Font ID=locPageFont Face=\"Arial\">\r\n"
      "<Table Border=0 CellSpacing=0 CellPadding=4 Width=100% BgColor=#008080>\r\n"
      "<TR><TD><Font Color=#FFFFFF><Font Face=\"Arial\" Size=-1><B><I>Microsoft</I></B> "
      "Active Directory Certificate Services &nbsp;--&nbsp; {}</Font></Font></TD>\r\n"
      "<TD ID=locHomeAlign Align=Right><A Href=\"/certsrv\"><Font Color=#FFFFFF>"
      "<Font Face=\"Arial\" Size=-1><B>Home</B></Font></Font></A></TD></TR>\r\n"
      "</Table>\r\n{}\r\n</Font>\r\n</Body>\r\n</HTML>\r\n",
      html_escape(ca_name), body);
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string home_page(std::string_view ca_name) {
  return page(ca_name,
              "<P ID=locPageTitle><Font Color=#336699><B>Welcome</B></Font>\r\n"
              "<P>Use this Web site to request a certificate for your Web browser, e-mail "
              "client, or other program.\r\n"
              "<P><B>Select a task:</B><Br>\r\n"
              "<LocID ID=locLinks><A Href=\"certrqus.asp\">Request a certificate</A><Br>\r\n"
              "<A Href=\"certckpn.asp\">View the status of a pending certificate request</A>"
              "<Br>\r\n<A Href=\"certcarc.asp\">Download a CA certificate, certificate chain, "
              "or CRL</A></LocID>\r\n");
}

std::string request_form_page(std::string_view ca_name) {
  return page(ca_name,
              "<P ID=locPageTitle><Font Color=#336699><B>Submit a Certificate Request or "
              "Renewal Request</B></Font>\r\n"
              "<Form Name=SubmittedData Action=\"certfnsh.asp\" Method=Post>\r\n"
              "<Input Type=Hidden Name=Mode Value=\"newreq\">\r\n"
              "<TextArea Name=CertRequest Rows=10 Cols=64></TextArea>\r\n"
              "<Select Name=lbCertTemplate ID=lbCertTemplateID></Select>\r\n"
              "<TextArea Name=CertAttrib Rows=2 Cols=64></TextArea>\r\n"
              "<Input Type=Hidden Name=TargetStoreFlags Value=\"0\">\r\n"
              "<Input Type=Hidden Name=SaveCert Value=\"yes\">\r\n"
              "<Input Type=Submit ID=btnSubmit Value=\"Submit &gt;\">\r\n</Form>\r\n");
}

std::string issued_page(std::string_view ca_name, int id) {
  return page(
      ca_name,
      fmt::format(
          "<P ID=locPageTitle><Font Color=#336699><B>Certificate Issued</B></Font>\r\n"
          "<P ID=locSuccess>The certificate you requested was issued to you.\r\n"
          "<P><Input Type=Radio Name=rbEncoding ID=rbDerEnc Value=\"bin\">"
          "<Label For=rbDerEnc>DER encoded</Label> or\r\n"
          "<Input Type=Radio Name=rbEncoding ID=rbB64Enc Value=\"b64\" Checked>"
          "<Label For=rbB64Enc>Base 64 encoded</Label>\r\n"
          "<P><A Href=\"certnew.cer?ReqID={0}&amp;Enc=bin\">Download certificate (DER)</A>\r\n"
          "<Br><A Href=\"certnew.cer?ReqID={0}&amp;Enc=b64\">Download certificate "
          "(Base 64)</A>\r\n"
          "<Br><A Href=\"certnew.p7b?ReqID={0}&amp;Enc=b64\">Download certificate "
          "chain</A>\r\n"
          "<Script Language=\"JavaScript\">\r\n"
          "  function getEncoding() {{ return document.all.rbB64Enc.checked ? \"Enc=b64\" : "
          "\"Enc=bin\"; }}\r\n"
          "  function handleGetCert() {{ location=\"certnew.cer?ReqID={0}&\"+getEncoding(); "
          "}}\r\n"
          "  function handleGetChain() {{ location=\"certnew.p7b?ReqID={0}&\"+getEncoding(); "
          "}}\r\n"
          "</Script>\r\n",
          id));
}

std::string pending_page(std::string_view ca_name, int id) {
  return page(ca_name,
              fmt::format("<P ID=locPageTitle><Font Color=#336699><B>Certificate Pending</B>"
                          "</Font>\r\n"
                          "<P ID=locPending>Your certificate request has been received. However, "
                          "you must wait for an administrator to issue the certificate you "
                          "requested.\r\n"
                          "<P>Your Request Id is {}.\r\n"
                          "<P>Please return to this web site in a day or two to retrieve your "
                          "certificate.\r\n",
                          id));
}

std::string still_pending_page(std::string_view ca_name, int id) {
  return page(ca_name,
              fmt::format("<P ID=locPageTitle><Font Color=#336699><B>Certificate Pending</B>"
                          "</Font>\r\n"
                          "<P ID=locStillPending>Your certificate request is still pending. You "
                          "must wait for an administrator to issue the certificate you "
                          "requested.\r\n"
                          "<P>Your Request Id is {}.\r\n",
                          id));
}

std::string denied_page(std::string_view ca_name, int id, std::string_view disposition) {
  return page(ca_name,
              fmt::format("<P ID=locPageTitle><Font Color=#336699><B>Certificate Request "
                          "Denied</B></Font>\r\n"
                          "<P ID=locDenied>Your certificate request was denied.\r\n"
                          "<P>Your Request Id is {}. The disposition message is \"{}\".\r\n"
                          "<P>Contact your administrator for further information.\r\n",
                          id, html_escape(disposition)));
}

std::string certificate_status_page(std::string_view ca_name, std::string_view disposition,
                                    std::string_view last_status) {
  return page(ca_name, fmt::format("<P ID=locPageTitle><Font Color=#336699><B>Certificate Services "
                                   "</B></Font>\r\n"
                                   "<P>The certificate you asked for is not available.\r\n<Pre>\r\n"
                                   "Disposition message: \t\t{}\r\n"
                                   "LastStatus: \t\t{}\r\n"
                                   "</Pre>\r\n",
                                   html_escape(disposition), html_escape(last_status)));
}

std::string ca_certificate_page(std::string_view ca_name, int renewals) {
  return page(ca_name,
              fmt::format("<P ID=locPageTitle><Font Color=#336699><B>Download a CA Certificate, "
                          "Certificate Chain, or CRL</B></Font>\r\n"
                          "<Script Language=\"JavaScript\">\r\n"
                          "  var nRenewals={};\r\n"
                          "  var sCAName=\"{}\";\r\n"
                          "</Script>\r\n"
                          "<P><A Href=\"certnew.cer?ReqID=CACert&amp;Renewal={}&amp;Enc=b64\">"
                          "Download CA certificate</A>\r\n"
                          "<Br><A Href=\"certnew.p7b?ReqID=CACert&amp;Renewal={}&amp;Enc=b64\">"
                          "Download CA certificate chain</A>\r\n",
                          renewals, html_escape(ca_name), renewals, renewals));
}

std::string unauthorized_page() {
  return "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\">\r\n"
         "<html><head><title>401 - Unauthorized: Access is denied due to invalid "
         "credentials.</title></head>\r\n"
         "<body><div id=\"header\"><h1>Server Error</h1></div>\r\n"
         "<div id=\"content\"><fieldset><h2>401 - Unauthorized: Access is denied due to "
         "invalid credentials.</h2>\r\n"
         "<h3>You do not have permission to view this directory or page using the credentials "
         "that you supplied.</h3></fieldset></div>\r\n</body></html>\r\n";
}

std::string not_found_page() {
  return "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\">\r\n"
         "<html><head><title>404 - File or directory not found.</title></head>\r\n"
         "<body><div id=\"header\"><h1>Server Error</h1></div>\r\n"
         "<div id=\"content\"><fieldset><h2>404 - File or directory not found.</h2>\r\n"
         "<h3>The resource you are looking for might have been removed, had its name changed, "
         "or is temporarily unavailable.</h3></fieldset></div>\r\n</body></html>\r\n";
}

std::string error_page(std::string_view ca_name, std::string_view text) {
  return page(ca_name, fmt::format("<P ID=locPageTitle><Font Color=#336699><B>Certificate Services "
                                   "Error</B></Font>\r\n<P>{}\r\n",
                                   html_escape(text)));
}

}  // namespace capf::testing::certsrv_html
