// The RFC5322.From domain for DMARC (RFC 9989 §5.3.1, the Author Domain): a tokenizer for
// RFC 5322 §3.2 lexical tokens (FWS, nested comments, quoted strings, domain literals; RFC 6532
// UTF-8) and a recursive-descent parser of §3.4 address lists with the obsolete syntax of §4.4.
#include "auth/from_domain.hpp"

#include <optional>
#include <vector>

#include "core/address.hpp"
#include "core/ascii.hpp"

namespace hikyaku::auth {

namespace {

enum class Kind { atom, quoted, literal, special, end };

struct Token {
  Kind kind = Kind::end;
  std::string_view text;  // atom text, or the special character
};

// RFC 5322 §3.2.3 atext, plus RFC 6532 §3.2 UTF-8 octets.
bool is_atext(unsigned char c) {
  if (c >= 0x80) return true;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) !=
         std::string_view::npos;
}

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  // Every token up to the end; nullopt on a lexical error.
  std::optional<std::vector<Token>> run() {
    std::vector<Token> out;
    for (;;) {
      if (!skip_cfws()) return std::nullopt;
      if (i_ >= s_.size()) break;
      const unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        const size_t start = i_;
        if (!skip_quoted('"')) return std::nullopt;
        out.push_back({Kind::quoted, s_.substr(start, i_ - start)});
      } else if (c == '[') {
        const size_t start = i_;
        if (!skip_quoted(']')) return std::nullopt;
        out.push_back({Kind::literal, s_.substr(start, i_ - start)});
      } else if (std::string_view("<>@,:;.").find(static_cast<char>(c)) != std::string_view::npos) {
        out.push_back({Kind::special, s_.substr(i_, 1)});
        ++i_;
      } else if (is_atext(c)) {
        const size_t start = i_;
        while (i_ < s_.size() && is_atext(static_cast<unsigned char>(s_[i_]))) ++i_;
        out.push_back({Kind::atom, s_.substr(start, i_ - start)});
      } else {
        return std::nullopt;  // ')', '\\', a control character, ...
      }
    }
    out.push_back({Kind::end, {}});
    return out;
  }

 private:
  // RFC 5322 §3.2.2 FWS: WSP, or CRLF followed by WSP. A CR or LF anywhere else is an error.
  bool skip_fws_char(bool& ok) {
    if (i_ < s_.size() && is_wsp(s_[i_])) {
      ++i_;
      return true;
    }
    if (i_ + 2 < s_.size() && s_[i_] == '\r' && s_[i_ + 1] == '\n' && is_wsp(s_[i_ + 2])) {
      i_ += 3;
      return true;
    }
    if (i_ < s_.size() && (s_[i_] == '\r' || s_[i_] == '\n')) ok = false;
    return false;
  }

  bool skip_cfws() {
    bool ok = true;
    for (;;) {
      if (skip_fws_char(ok)) continue;
      if (!ok) return false;
      if (i_ < s_.size() && s_[i_] == '(') {
        if (!skip_comment()) return false;
        continue;
      }
      return true;
    }
  }

  // §3.2.2 comment, nested, with quoted-pairs.
  bool skip_comment() {
    int depth = 0;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '(') {
        ++depth;
        ++i_;
      } else if (c == ')') {
        ++i_;
        if (--depth == 0) return true;
      } else if (c == '\\') {
        if (i_ + 1 >= s_.size() || s_[i_ + 1] == '\r' || s_[i_ + 1] == '\n') return false;
        i_ += 2;
      } else if (c == '\r' || c == '\n') {
        bool ok = true;
        if (!skip_fws_char(ok)) return false;
      } else {
        ++i_;
      }
    }
    return false;  // unterminated
  }

  // §3.2.4 quoted-string and §3.4.1 domain-literal: open ... close, quoted-pairs, FWS inside.
  bool skip_quoted(char close) {
    ++i_;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == close) {
        ++i_;
        return true;
      }
      if (c == '\\') {
        if (i_ + 1 >= s_.size() || s_[i_ + 1] == '\r' || s_[i_ + 1] == '\n') return false;
        i_ += 2;
      } else if (c == '\r' || c == '\n') {
        bool ok = true;
        if (!skip_fws_char(ok)) return false;
      } else if (close == ']' && (c == '[' || c == '\\')) {
        return false;
      } else {
        ++i_;
      }
    }
    return false;
  }

  std::string_view s_;
  size_t i_ = 0;
};

struct Mailbox {
  std::optional<FromDomainError> error;  // no_domain / bad_domain
  std::string domain;
};

bool is_word(const Token& t) { return t.kind == Kind::atom || t.kind == Kind::quoted; }
bool is_special(const Token& t, char c) {
  return t.kind == Kind::special && t.text.size() == 1 && t.text[0] == c;
}


class Parser {
 public:
  explicit Parser(const std::vector<Token>& t) : t_(t) {}

  // §3.4 address-list (obs-addr-list: empty elements allowed). False on a syntax error.
  bool run() {
    for (;;) {
      while (is_special(peek(), ',')) ++p_;
      if (peek().kind == Kind::end) return true;
      if (!address()) return false;
      if (is_special(peek(), ',')) continue;
      if (peek().kind != Kind::end) return false;
    }
  }

  std::vector<Mailbox> mailboxes;

 private:
  const Token& peek(size_t ahead = 0) const {
    const size_t i = p_ + ahead;
    return i < t_.size() ? t_[i] : t_.back();
  }

  // §3.4 address = mailbox / group. A group's display name is followed by ':' before any
  // '<', '@' or ','.
  bool address() {
    for (size_t k = 0;; ++k) {
      const Token& t = peek(k);
      if (is_special(t, ':')) return group();
      if (t.kind == Kind::end || is_special(t, '<') || is_special(t, '@') || is_special(t, ',') ||
          is_special(t, ';') || is_special(t, '>')) {
        break;
      }
    }
    return mailbox();
  }

  // §3.4 group = display-name ":" [group-list] ";" (obs-group-list allows empty elements).
  bool group() {
    if (!phrase()) return false;
    if (!is_special(peek(), ':')) return false;
    ++p_;
    for (;;) {
      while (is_special(peek(), ',')) ++p_;
      if (is_special(peek(), ';')) {
        ++p_;
        return true;
      }
      if (!mailbox()) return false;
      if (!is_special(peek(), ',') && !is_special(peek(), ';')) return false;
    }
  }

  // §3.2.5 phrase = 1*word / obs-phrase (word *(word / "."))
  bool phrase() {
    if (!is_word(peek())) return false;
    ++p_;
    while (is_word(peek()) || is_special(peek(), '.')) ++p_;
    return true;
  }

  // §3.4 mailbox = name-addr / addr-spec
  bool mailbox() {
    if (is_special(peek(), '<')) return angle_addr();
    // A display name is a phrase followed by '<'; otherwise this is an addr-spec.
    size_t k = 0;
    while (is_word(peek(k)) || is_special(peek(k), '.')) ++k;
    if (k > 0 && is_special(peek(k), '<')) {
      if (!phrase()) return false;
      return angle_addr();
    }
    return addr_spec();
  }

  // §3.4 angle-addr with §4.4 obs-route ("<@a,@b:user@c>"); "<>" has no domain.
  bool angle_addr() {
    ++p_;  // '<'
    if (is_special(peek(), '>')) {
      ++p_;
      mailboxes.push_back({FromDomainError::no_domain, {}});
      return true;
    }
    if (is_special(peek(), '@') || is_special(peek(), ',')) {
      for (;;) {
        while (is_special(peek(), ',')) ++p_;
        if (is_special(peek(), ':')) {
          ++p_;
          break;
        }
        if (!is_special(peek(), '@')) return false;
        ++p_;
        std::string ignored;
        bool literal = false;
        if (!domain(ignored, literal)) return false;
      }
    }
    if (!addr_spec()) return false;
    if (!is_special(peek(), '>')) return false;
    ++p_;
    return true;
  }

  // §3.4.1 addr-spec = local-part "@" domain; local-part = word *("." word) (obs-local-part).
  bool addr_spec() {
    if (!is_word(peek())) return false;
    ++p_;
    while (is_special(peek(), '.')) {
      ++p_;
      if (!is_word(peek())) return false;
      ++p_;
    }
    if (!is_special(peek(), '@')) {
      const Token& t = peek();
      if (t.kind == Kind::end || is_special(t, ',') || is_special(t, '>') || is_special(t, ';')) {
        mailboxes.push_back({FromDomainError::no_domain, {}});
        return true;
      }
      return false;
    }
    ++p_;
    std::string d;
    bool literal = false;
    if (!domain(d, literal)) return false;
    Mailbox m;
    if (literal) {
      m.error = FromDomainError::bad_domain;
    } else {
      m.domain = std::move(d);
    }
    mailboxes.push_back(std::move(m));
    return true;
  }

  // §3.4.1 domain = dot-atom / domain-literal (obs-domain: atoms with CFWS around dots).
  bool domain(std::string& out, bool& literal) {
    if (peek().kind == Kind::literal) {
      ++p_;
      literal = true;
      return true;
    }
    if (peek().kind != Kind::atom) return false;
    out.assign(peek().text);
    ++p_;
    while (is_special(peek(), '.')) {
      ++p_;
      if (peek().kind != Kind::atom) return false;
      out.push_back('.');
      out.append(peek().text);
      ++p_;
    }
    return true;
  }

  const std::vector<Token>& t_;
  size_t p_ = 0;
};

// Lower-case A-labels for the domain as written: ASCII is lower-cased and kept (A-labels as
// is); a name with UTF-8 octets (RFC 6532) goes through IDNA 2008.
std::optional<std::string> normalise_domain(std::string_view written) {
  bool ascii = true;
  for (const unsigned char c : written) ascii = ascii && c < 0x80;
  std::string d;
  if (ascii) {
    d = core::ascii_lower(written);
  } else {
    auto converted = core::domain_to_ascii(written);
    if (!converted) return std::nullopt;
    d = std::move(*converted);
  }
  if (!core::is_lowercase_hostname(d)) return std::nullopt;
  return d;
}

}  // namespace

const char* describe(FromDomainError e) {
  switch (e) {
    case FromDomainError::no_from_field: return "no From field";
    case FromDomainError::several_from_fields: return "more than one From field";
    case FromDomainError::several_mailboxes: return "more than one mailbox in From";
    case FromDomainError::no_mailbox: return "no mailbox in From";
    case FromDomainError::syntax: return "From field syntax";
    case FromDomainError::no_domain: return "no domain in the From mailbox";
    case FromDomainError::bad_domain: return "the From domain is not a DNS name";
  }
  return "From field syntax";
}

core::Expected<std::string, FromDomainError> from_domain_of_value(std::string_view value) {
  Lexer lexer(value);
  const auto tokens = lexer.run();
  if (!tokens) return core::unexpected(FromDomainError::syntax);
  Parser parser(*tokens);
  if (!parser.run()) return core::unexpected(FromDomainError::syntax);
  if (parser.mailboxes.empty()) return core::unexpected(FromDomainError::no_mailbox);
  if (parser.mailboxes.size() > 1) return core::unexpected(FromDomainError::several_mailboxes);
  const Mailbox& m = parser.mailboxes.front();
  if (m.error) return core::unexpected(*m.error);
  auto d = normalise_domain(m.domain);
  if (!d) return core::unexpected(FromDomainError::bad_domain);
  return std::move(*d);
}

core::Expected<std::string, FromDomainError> from_domain(const core::Message& message) {
  const auto fields = message.find("From");
  if (fields.empty()) return core::unexpected(FromDomainError::no_from_field);
  if (fields.size() > 1) return core::unexpected(FromDomainError::several_from_fields);
  return from_domain_of_value(message.field_value(*fields.front()));
}

}  // namespace hikyaku::auth
