// Master-file tokenizer: RFC 1035 §5.1 (entries, blanks, ';' comments, '(' ')' continuation,
// quoted <character-string>s, "\X" and "\DDD" escapes).
#include "dns/zone_lexer.hpp"

namespace hikyaku::dns {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
bool is_delimiter(char c) {
  return is_blank(c) || c == '\n' || c == ';' || c == '(' || c == ')' || c == '"';
}

class Lexer {
 public:
  Lexer(std::string_view text, std::string_view file) : text_(text), file_(file) {}

  LexedZone run() {
    while (pos_ < text_.size() && !out_.error) step();
    if (!out_.error && depth_ > 0) {
      fail(paren_line_, "'(' is never closed");
    }
    if (!out_.error) finish_entry();  // an entry cut by a syntax error is dropped
    return std::move(out_);
  }

 private:
  void step() {
    const char c = text_[pos_];
    if (c == '\n') {
      ++pos_;
      ++line_;
      if (depth_ == 0) {
        finish_entry();
        at_line_start_ = true;
      }
      return;
    }
    if (is_blank(c)) {
      if (at_line_start_ && depth_ == 0 && entry_.tokens.empty()) entry_.starts_with_blank = true;
      at_line_start_ = false;
      ++pos_;
      return;
    }
    at_line_start_ = false;
    if (c == ';') {
      while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      return;
    }
    if (c == '(') {
      if (depth_ == 0) paren_line_ = line_;
      ++depth_;
      ++pos_;
      return;
    }
    if (c == ')') {
      if (depth_ == 0) return fail(line_, "')' without '('");
      --depth_;
      ++pos_;
      return;
    }
    if (c == '"') return quoted();
    unquoted();
  }

  void quoted() {
    const int start_line = line_;
    ++pos_;
    std::string text;
    while (true) {
      if (pos_ >= text_.size() || text_[pos_] == '\n') {
        return fail(start_line, "quoted string is not closed on its line");
      }
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        break;
      }
      if (c == '\\' && pos_ + 1 < text_.size() && text_[pos_ + 1] != '\n') {
        text += c;
        text += text_[pos_ + 1];
        pos_ += 2;
        continue;
      }
      text += c;
      ++pos_;
    }
    add_token({std::move(text), start_line, true});
  }

  void unquoted() {
    std::string text;
    while (pos_ < text_.size() && !is_delimiter(text_[pos_])) {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size() && text_[pos_ + 1] != '\n') {
        text += text_[pos_];
        text += text_[pos_ + 1];
        pos_ += 2;
        continue;
      }
      text += text_[pos_++];
    }
    add_token({std::move(text), line_, false});
  }

  void add_token(ZoneToken t) {
    if (entry_.tokens.empty()) entry_.line = t.line;
    entry_.tokens.push_back(std::move(t));
  }

  void finish_entry() {
    if (!entry_.tokens.empty()) out_.entries.push_back(std::move(entry_));
    entry_ = ZoneEntry{};
  }

  void fail(int line, std::string message) {
    out_.error = ZoneError{std::string(file_), line, std::move(message)};
  }

  std::string_view text_;
  std::string_view file_;
  size_t pos_ = 0;
  int line_ = 1;
  int depth_ = 0;
  int paren_line_ = 0;
  bool at_line_start_ = true;
  ZoneEntry entry_;
  LexedZone out_;
};

}  // namespace

std::string ZoneError::text() const {
  if (line <= 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ": " + message;
}

LexedZone split_entries(std::string_view text, std::string_view file) {
  return Lexer(text, file).run();
}

std::optional<std::string> decode_escapes(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\\') {
      out += raw[i];
      continue;
    }
    if (i + 1 >= raw.size()) return std::nullopt;
    const char n = raw[i + 1];
    if (n >= '0' && n <= '9') {
      if (i + 3 >= raw.size()) return std::nullopt;
      int v = 0;
      for (size_t k = 1; k <= 3; ++k) {
        const char d = raw[i + k];
        if (d < '0' || d > '9') return std::nullopt;
        v = v * 10 + (d - '0');
      }
      if (v > 255) return std::nullopt;
      out += static_cast<char>(v);
      i += 3;
    } else {
      out += n;
      i += 1;
    }
  }
  return out;
}

}  // namespace hikyaku::dns
