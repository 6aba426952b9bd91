// Frames SMTP command lines: a line ends only at CRLF (RFC 5321 §2.3.8) and is at most
// `max_line` octets including the CRLF (§4.5.3.1.4). A longer line is discarded up to its CRLF
// without ever buffering more than the limit; the caller then answers it once.
#pragma once
#include <cstddef>
#include <string_view>

namespace hikyaku::smtpd {

struct LineEvent {
  enum class Kind {
    need_more,  // no complete line yet; `consumed` bytes may still have been swallowed
    line,       // `line` is one command line without its CRLF
    too_long,   // a line over the limit has just ended at its CRLF (its bytes are gone)
  };
  Kind kind = Kind::need_more;
  size_t consumed = 0;    // octets of the input used up by this call
  std::string_view line;  // points into the input passed to next()
};

class LineReader {
 public:
  explicit LineReader(size_t max_line) : max_line_(max_line < 2 ? 2 : max_line) {}

  // Looks at `input` (the unconsumed bytes) and returns the next event. Bytes of an over-long
  // line are consumed as they arrive, so the caller buffers at most max_line octets.
  LineEvent next(std::string_view input);
  // Forgets a partial over-long line (after STARTTLS, all earlier input is void).
  void reset() { discarding_ = false; discard_cr_ = false; }

 private:
  size_t max_line_;
  bool discarding_ = false;  // inside an over-long line, waiting for its CRLF
  bool discard_cr_ = false;  // the last discarded octet was CR
};

}  // namespace hikyaku::smtpd
