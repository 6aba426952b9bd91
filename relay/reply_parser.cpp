// Reply parsing: RFC 5321 §4.2 ("Reply-code [ SP textstring ] CRLF", "Reply-code '-' text" on
// every line but the last, the same code on each), §4.2.1, RFC 2034 §4 / RFC 3463 §2.
#include "relay/reply_parser.hpp"

namespace hikyaku::relay {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Reads 1-3 digits at `i`; false when there are none or more than three.
bool take_digits(std::string_view s, size_t& i) {
  const size_t start = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  return i > start && i - start <= 3;
}

}  // namespace

std::string take_enhanced_code(std::string_view& text, char reply_class) {
  // status-code = class "." subject "." detail; class = "2" / "4" / "5" (RFC 3463 §2).
  if (text.size() < 5 || text[0] != reply_class || text[1] != '.') return {};
  if (reply_class != '2' && reply_class != '4' && reply_class != '5') return {};
  size_t i = 2;
  if (!take_digits(text, i) || i >= text.size() || text[i] != '.') return {};
  ++i;
  if (!take_digits(text, i)) return {};
  if (i < text.size() && text[i] != ' ') return {};
  std::string code(text.substr(0, i));
  text.remove_prefix(i < text.size() ? i + 1 : i);
  return code;
}

void ReplyParser::feed(std::string_view bytes) {
  if (error_) return;
  // Compact before growing, so the buffer holds at most one read plus a partial line.
  if (pos_ > 0 && pos_ >= buf_.size() / 2) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(bytes);
}

void ReplyParser::discard() {
  buf_.clear();
  pos_ = 0;
  partial_.reset();
}

std::optional<ParsedReply> ReplyParser::next() {
  if (error_) return ParsedReply(*error_);
  while (true) {
    const std::string_view rest = std::string_view(buf_).substr(pos_);
    const size_t lf = rest.find('\n');
    if (lf == std::string_view::npos) {
      // A line that fits would have shown its LF within max_line_ octets.
      if (rest.size() >= max_line_) {
        error_ = ReplyError{"reply line longer than " + std::to_string(max_line_) + " octets"};
        return ParsedReply(*error_);
      }
      return std::nullopt;
    }
    if (lf + 1 > max_line_) {
      error_ = ReplyError{"reply line longer than " + std::to_string(max_line_) + " octets"};
      return ParsedReply(*error_);
    }
    // A line ends at CRLF (RFC 5321 §2.3.8). A bare LF is tolerated from a server (Postfix's
    // client does the same); a CR anywhere else is not.
    std::string_view line = rest.substr(0, lf);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos_ += lf + 1;
    bool complete = false;
    if (auto err = add_line(line, complete)) {
      error_ = std::move(err);
      return ParsedReply(*error_);
    }
    if (complete) {
      core::SmtpReply reply = std::move(*partial_);
      partial_.reset();
      return ParsedReply(std::move(reply));
    }
  }
}

std::optional<ReplyError> ReplyParser::add_line(std::string_view line, bool& complete) {
  // Reply-code = %x32-35 %x30-35 %x30-39 (RFC 5321 §4.2).
  if (line.size() < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '5' ||
      !is_digit(line[2])) {
    return ReplyError{"reply line does not start with a reply code"};
  }
  if (line.size() > 3 && line[3] != ' ' && line[3] != '-') {
    return ReplyError{"reply code not followed by space or hyphen"};
  }
  for (char c : line) {
    if (c == '\r' || c == '\0') return ReplyError{"CR or NUL inside a reply line"};
  }
  const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  const bool more = line.size() > 3 && line[3] == '-';
  std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view{};

  if (!partial_) {
    partial_.emplace();
    partial_->code = code;
    partial_->lines.clear();
    partial_->enhanced = take_enhanced_code(text, line[0]);
  } else {
    // "the same reply code on every line" (RFC 5321 §4.2.1).
    if (code != partial_->code) return ReplyError{"reply code changes inside a multiline reply"};
    if (!partial_->enhanced.empty()) {
      std::string_view copy = text;
      if (take_enhanced_code(copy, line[0]) == partial_->enhanced) text = copy;
    }
  }
  if (partial_->lines.size() >= max_lines_) {
    return ReplyError{"reply longer than " + std::to_string(max_lines_) + " lines"};
  }
  partial_->lines.emplace_back(text);
  complete = !more;
  return std::nullopt;
}

}  // namespace hikyaku::relay
