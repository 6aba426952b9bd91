// Parses a server's reply stream into SmtpReply values, sans I/O: multiline replies assembled,
// every line checked. RFC 5321 §4.2 (reply syntax), §4.2.1 (multiline), §4.5.3.1.5 (reply line
// length), RFC 2034 §4 / RFC 3463 §2 (enhanced status codes).
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/smtp_reply.hpp"

namespace hikyaku::relay {

// A reply that breaks the grammar; the connection cannot be trusted after it.
struct ReplyError {
  std::string reason;
};
using ParsedReply = std::variant<core::SmtpReply, ReplyError>;

// RFC 5321 §4.5.3.1.5 allows 512 octets per reply line including CRLF; real servers exceed it
// (long EHLO keywords, URLs in 5xx texts), so lines are accepted up to four times that, the
// limit Postfix's client uses (line_length_limit = 2048). It bounds memory per connection.
inline constexpr size_t kMaxReplyLine = 2048;
// No reply needs more lines than this (EHLO lists ~20 keywords); with kMaxReplyLine it bounds
// one reply to 200 KiB.
inline constexpr size_t kMaxReplyLines = 100;

class ReplyParser {
 public:
  explicit ReplyParser(size_t max_line = kMaxReplyLine, size_t max_lines = kMaxReplyLines)
      : max_line_(max_line), max_lines_(max_lines) {}

  // Appends bytes read from the server.
  void feed(std::string_view bytes);
  // The next complete reply, or an error (which then stays: every later call returns it), or
  // nothing when more input is needed.
  std::optional<ParsedReply> next();
  // Forgets everything buffered, including a partial reply (RFC 3207 §4.2: nothing read before
  // the TLS handshake may be used after it).
  void discard();
  // Octets buffered and not yet parsed into a reply.
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  std::optional<ReplyError> add_line(std::string_view line, bool& complete);

  size_t max_line_;
  size_t max_lines_;
  std::string buf_;
  size_t pos_ = 0;                          // start of unparsed input in buf_
  std::optional<core::SmtpReply> partial_;  // lines of a multiline reply so far
  std::optional<ReplyError> error_;
};

// Splits a leading enhanced status code ("5.1.1 text") off `text` when it is well-formed
// (class 2, 4 or 5, subject and detail of 1-3 digits, RFC 3463 §2) and its class matches the
// basic code's first digit (RFC 2034 §4). Returns the code, or empty; `text` keeps the rest.
std::string take_enhanced_code(std::string_view& text, char reply_class);

}  // namespace hikyaku::relay
