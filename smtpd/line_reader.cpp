// Command-line framing with a bounded buffer. RFC 5321 §2.3.8 (CRLF only), §4.5.3.1.4 (512 octets).
#include "smtpd/line_reader.hpp"

namespace hikyaku::smtpd {

LineEvent LineReader::next(std::string_view input) {
  LineEvent ev;
  if (discarding_) {
    if (discard_cr_ && !input.empty() && input.front() == '\n') {
      discarding_ = discard_cr_ = false;
      ev.kind = LineEvent::Kind::too_long;
      ev.consumed = 1;
      return ev;
    }
    const size_t crlf = input.find("\r\n");
    if (crlf != std::string_view::npos) {
      discarding_ = discard_cr_ = false;
      ev.kind = LineEvent::Kind::too_long;
      ev.consumed = crlf + 2;
      return ev;
    }
    discard_cr_ = !input.empty() ? input.back() == '\r' : discard_cr_;
    ev.consumed = input.size();
    return ev;
  }
  const size_t crlf = input.find("\r\n");
  if (crlf != std::string_view::npos) {
    ev.consumed = crlf + 2;
    if (crlf + 2 > max_line_) {
      ev.kind = LineEvent::Kind::too_long;
    } else {
      ev.kind = LineEvent::Kind::line;
      ev.line = input.substr(0, crlf);
    }
    return ev;
  }
  // No CRLF yet. The line will be at least this long once it ends: one more octet when the
  // buffer ends in CR (the LF), else two. Over the limit already: start discarding.
  const bool ends_cr = !input.empty() && input.back() == '\r';
  const size_t at_least = input.size() + (ends_cr ? 1 : 2);
  if (at_least > max_line_) {
    discarding_ = true;
    discard_cr_ = ends_cr;
    ev.consumed = input.size();
  }
  return ev;
}

}  // namespace hikyaku::smtpd
