// An SMTP reply as a value: basic code, enhanced status code and text lines.
// RFC 5321 §4.2 (reply syntax, multiline replies), RFC 3463/2034 (enhanced status codes).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace hikyaku::core {

// RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets, code and CRLF included.
inline constexpr size_t kMaxReplyLine = 512;

struct SmtpReply {
  int code = 250;
  std::string enhanced;            // "2.1.5"; empty when the reply carries none (220, 354, ...)
  std::vector<std::string> lines;  // at least one; never contain CR or LF

  static SmtpReply make(int code, std::string_view enhanced, std::string_view text);

  bool positive() const { return code >= 200 && code < 400; }
  bool transient() const { return code >= 400 && code < 500; }
  bool permanent() const { return code >= 500; }

  // The wire form: "250-first\r\n250 last\r\n", the enhanced code repeated on every line
  // (RFC 2034 §4). CR, LF and NUL in text are replaced so a reply can never inject a line. A
  // line that would pass kMaxReplyLine octets is continued on more lines (RFC 5321 §4.2.1).
  std::string render() const;
  // One line for logs: "250 2.0.0 text / more".
  std::string summary() const;
};

}  // namespace hikyaku::core
