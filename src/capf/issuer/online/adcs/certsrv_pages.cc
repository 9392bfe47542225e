#include "capf/issuer/online/adcs/certsrv_pages.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "capf/common/strings.h"
#include "capf/common/utf8.h"

namespace capf::adcs {

namespace {

constexpr std::string_view kCertLink = "certnew.cer?ReqID=";
constexpr std::string_view kRequestIdSentence = "Your Request Id is ";
constexpr std::string_view kDispositionSentence = "The disposition message is \"";

bool contains(std::string_view text, std::string_view what) {
  return text.find(what) != std::string_view::npos;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// The run of digits at `pos` ("" when there is none).
std::string digits_at(std::string_view text, std::size_t pos) {
  std::size_t end = pos;
  while (end < text.size() && is_digit(text[end]))
    ++end;
  return std::string(text.substr(pos, end - pos));
}

// N of "Your Request Id is N." ("" when the page has no such sentence).
std::string request_id_sentence(std::string_view html) {
  std::size_t pos = html.find(kRequestIdSentence);
  return pos == std::string_view::npos ? "" : digits_at(html, pos + kRequestIdSentence.size());
}

// The value of a "<label> ... \t\t<value>\r\n" line of certnew.cer's text block (what clients
// match with `<label>[^\t]+\t\t([^\r\n]+)`), read leniently: the text after the last run of tabs
// of the line, or the whole rest of the line when it has none.
std::string block_value(std::string_view html, std::string_view label) {
  std::size_t pos = html.find(label);
  if (pos == std::string_view::npos)
    return "";
  std::string_view line = html.substr(pos + label.size());
  line = line.substr(0, line.find_first_of("\r\n"));
  std::size_t tabs = line.find("\t\t");
  if (tabs != std::string_view::npos) {
    line.remove_prefix(tabs);
    while (!line.empty() && line.front() == '\t')
      line.remove_prefix(1);
  }
  // The block may sit inside HTML: a tag ends the value.
  line = line.substr(0, line.find('<'));
  return decode_entities(trim(line));
}

// The code point of a numeric reference body ("#39", "#x27"), or nullopt-like 0 when invalid.
std::uint32_t numeric_reference(std::string_view body) {
  if (body.size() < 2 || body.size() > 8 || body[0] != '#')
    return 0;
  bool hex = body[1] == 'x' || body[1] == 'X';
  std::string_view digits = body.substr(hex ? 2 : 1);
  if (digits.empty())
    return 0;
  std::uint32_t cp = 0;
  for (char c : digits) {
    int v = is_digit(c)                                           ? c - '0'
            : hex && std::isxdigit(static_cast<unsigned char>(c)) ? std::tolower(c) - 'a' + 10
                                                                  : -1;
    if (v < 0)
      return 0;
    cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(v);
  }
  return cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF) ? cp : 0;
}

// The page with its tags replaced by spaces; script and style elements dropped entirely.
std::string strip_tags(std::string_view html) {
  std::string out;
  std::size_t i = 0;
  while (i < html.size()) {
    if (html[i] != '<') {
      out.push_back(html[i++]);
      continue;
    }
    for (std::string_view element : {"script", "style"}) {
      if (starts_with_ci(html.substr(i + 1), element)) {
        std::size_t close = i + 1;
        while (close < html.size() &&
               !(html[close] == '<' && close + 1 < html.size() && html[close + 1] == '/' &&
                 starts_with_ci(html.substr(close + 2), element))) {
          ++close;
        }
        i = close;
        break;
      }
    }
    std::size_t end = html.find('>', i);
    i = end == std::string_view::npos ? html.size() : end + 1;
    out.push_back(' ');
  }
  return out;
}

}  // namespace

std::string decode_entities(std::string_view text) {
  static constexpr std::pair<std::string_view, std::string_view> kNamed[] = {
      {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}, {"nbsp", " "}};
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out.push_back(text[i]);
      continue;
    }
    std::size_t semi = text.find(';', i + 1);
    if (semi == std::string_view::npos || semi - i > 10) {
      out.push_back('&');
      continue;
    }
    std::string_view body = text.substr(i + 1, semi - i - 1);
    bool decoded = false;
    for (const auto& [name, value] : kNamed) {
      if (body == name) {
        out += value;
        decoded = true;
        break;
      }
    }
    if (!decoded) {
      if (std::uint32_t cp = numeric_reference(body); cp != 0) {
        append_utf8(out, cp);
        decoded = true;
      }
    }
    if (decoded) {
      i = semi;
    } else {
      out.push_back('&');
    }
  }
  return out;
}

CertsrvPage read_enrollment_page(std::string_view html) {
  CertsrvPage page;
  for (std::size_t pos = html.find(kCertLink); pos != std::string_view::npos;
       pos = html.find(kCertLink, pos + 1)) {
    std::size_t start = pos + kCertLink.size();
    std::string id = digits_at(html, start);
    if (!id.empty() && start + id.size() < html.size() && html[start + id.size()] == '&') {
      page.verdict = PageVerdict::kIssued;
      page.request_id = std::move(id);
      return page;
    }
  }
  page.request_id = request_id_sentence(html);
  std::size_t disposition = html.find(kDispositionSentence);
  if (contains(html, "Your certificate request was denied") ||
      contains(html, "Certificate Request Denied") || disposition != std::string_view::npos) {
    page.verdict = PageVerdict::kDenied;
    if (disposition != std::string_view::npos) {
      std::string_view rest = html.substr(disposition + kDispositionSentence.size());
      page.message = decode_entities(rest.substr(0, rest.find('"')));
    }
    return page;
  }
  if (!page.request_id.empty() &&
      (contains(html, "Certificate Pending") || contains(html, "still pending") ||
       contains(html, "Taken Under Submission"))) {
    page.verdict = PageVerdict::kPending;
    return page;
  }
  page.request_id.clear();
  return page;
}

CertsrvPage read_certificate_error(std::string_view html) {
  CertsrvPage page;
  page.request_id = request_id_sentence(html);
  if (contains(html, "The requested property value is empty")) {
    page.verdict = PageVerdict::kUnknownRequest;
    page.message = "The requested property value is empty";
    return page;
  }
  std::string disposition = block_value(html, "Disposition message:");
  if (contains(disposition, "Taken Under Submission") ||
      (disposition.empty() && contains(html, "Taken Under Submission"))) {
    page.verdict = PageVerdict::kPending;
    return page;
  }
  if (disposition.empty())
    return page;
  page.verdict = PageVerdict::kDenied;
  page.message = std::move(disposition);
  // A bare "Denied by Policy Module" says nothing: the status line carries the code.
  std::string last_status = block_value(html, "LastStatus:");
  if (!contains(page.message, "0x") && !last_status.empty())
    page.message += " (" + last_status + ")";
  return page;
}

int read_renewal_count(std::string_view html) {
  std::size_t pos = html.find("nRenewals");
  if (pos == std::string_view::npos)
    return 0;
  pos += std::string_view("nRenewals").size();
  while (pos < html.size() && (html[pos] == ' ' || html[pos] == '='))
    ++pos;
  std::string digits = digits_at(html, pos);
  if (digits.empty() || digits.size() > 4)
    return 0;
  return std::stoi(digits);
}

std::string page_excerpt(std::string_view html, std::size_t limit) {
  std::string text = decode_entities(strip_tags(html));
  std::string out;
  bool space = false;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space)
      out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  if (out.size() > limit) {
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80)
      --cut;
    out.resize(cut);
  }
  return out;
}

}  // namespace capf::adcs
