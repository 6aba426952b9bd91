// From rewriting: an RFC 5322 §3.2 tokenizer for one From field (FWS, nested comments,
// quoted-strings with quoted-pairs, domain literals; RFC 6532 UTF-8 octets as atext), a reader
// of one §3.4 mailbox (name-addr or addr-spec; groups and lists refused), and the rewritten
// fields with §2.1.1 line lengths and §2.2.3 folding.
#include "app/from_rewrite.hpp"

#include <algorithm>
#include <optional>

#include "auth/tag_list.hpp"
#include "core/ascii.hpp"
#include "srs/reply_address.hpp"

namespace hikyaku::app {

namespace {

enum class Kind { atom, quoted, literal, special };

struct Token {
  Kind kind = Kind::atom;
  std::string_view text;
};

bool is_atext(unsigned char c) {
  if (c >= 0x80) return true;  // RFC 6532 §3.2
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  std::optional<std::vector<Token>> run() {
    std::vector<Token> out;
    for (;;) {
      if (!skip_cfws()) return std::nullopt;
      if (i_ >= s_.size()) return out;
      const unsigned char c = static_cast<unsigned char>(s_[i_]);
      const size_t start = i_;
      if (c == '"' || c == '[') {
        if (!skip_quoted(c == '"' ? '"' : ']')) return std::nullopt;
        out.push_back({c == '"' ? Kind::quoted : Kind::literal, s_.substr(start, i_ - start)});
      } else if (std::string_view("<>@,:;.").find(static_cast<char>(c)) != std::string_view::npos) {
        ++i_;
        out.push_back({Kind::special, s_.substr(start, 1)});
      } else if (is_atext(c)) {
        while (i_ < s_.size() && is_atext(static_cast<unsigned char>(s_[i_]))) ++i_;
        out.push_back({Kind::atom, s_.substr(start, i_ - start)});
      } else {
        return std::nullopt;
      }
    }
  }

 private:
  // RFC 5322 §3.2.2 FWS; a CR or LF that is not CRLF WSP is an error.
  bool fws(bool& bad) {
    if (i_ < s_.size() && is_wsp(s_[i_])) {
      ++i_;
      return true;
    }
    if (i_ + 2 < s_.size() && s_[i_] == '\r' && s_[i_ + 1] == '\n' && is_wsp(s_[i_ + 2])) {
      i_ += 3;
      return true;
    }
    if (i_ < s_.size() && (s_[i_] == '\r' || s_[i_] == '\n')) bad = true;
    return false;
  }

  bool skip_cfws() {
    for (;;) {
      bool bad = false;
      if (fws(bad)) continue;
      if (bad) return false;
      if (i_ < s_.size() && s_[i_] == '(') {
        int depth = 0;
        for (;;) {
          if (i_ >= s_.size()) return false;
          const char c = s_[i_];
          if (c == '\\') {
            if (i_ + 1 >= s_.size() || s_[i_ + 1] == '\r' || s_[i_ + 1] == '\n') return false;
            i_ += 2;
          } else if (c == '\r' || c == '\n') {
            if (!fws(bad)) return false;
          } else {
            ++i_;
            if (c == '(') ++depth;
            if (c == ')' && --depth == 0) break;
          }
        }
        continue;
      }
      return true;
    }
  }

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
        bool bad = false;
        if (!fws(bad)) return false;
      } else if (close == ']' && c == '[') {
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

bool is_special(const Token& t, char c) { return t.kind == Kind::special && t.text[0] == c; }

bool is_encoded_word(std::string_view atom) {
  return atom.size() >= 8 && atom.substr(0, 2) == "=?" && atom.substr(atom.size() - 2) == "?=";
}

// A quoted-string's content: quotes removed, quoted-pairs resolved, folding CRLFs dropped
// (RFC 5322 §3.2.4: the FWS's WSP stays).
std::string unquote(std::string_view q) {
  std::string out;
  for (size_t i = 1; i + 1 < q.size(); ++i) {
    if (q[i] == '\\' && i + 2 < q.size()) {
      out += q[++i];
    } else if (q[i] != '\r' && q[i] != '\n') {
      out += q[i];
    }
  }
  return out;
}

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

core::Expected<AuthorMailbox, AuthorHeader> parse_author(const core::Message& message) {
  const auto& fields = message.fields();
  std::optional<size_t> index;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (!core::ascii_iequals(message.field_name(fields[i]), "From")) continue;
    if (index) return core::unexpected(AuthorHeader::multiple_from);  // RFC 5322 §3.6: one From
    index = i;
  }
  if (!index) return core::unexpected(AuthorHeader::multiple_from);
  auto tokens = Lexer(message.field_value(fields[*index])).run();
  if (!tokens) return core::unexpected(AuthorHeader::bad_syntax);
  // obs-mbox-list (RFC 5322 §4.4) allows empty elements; more than one mailbox is several authors.
  std::vector<Token> t;
  size_t elements = 0;
  bool in_element = false;
  for (const auto& tok : *tokens) {
    if (is_special(tok, ':') || is_special(tok, ';')) return core::unexpected(AuthorHeader::group);
    if (is_special(tok, ',')) {
      in_element = false;
      continue;
    }
    if (!in_element) {
      ++elements;
      in_element = true;
    }
    t.push_back(tok);
  }
  if (elements > 1) return core::unexpected(AuthorHeader::multiple_authors);
  if (elements == 0) return core::unexpected(AuthorHeader::bad_syntax);

  AuthorMailbox out;
  out.field_index = *index;
  size_t begin = 0, end = t.size();
  size_t open = t.size();
  for (size_t i = 0; i < t.size(); ++i) {
    if (is_special(t[i], '<')) {
      open = i;
      break;
    }
  }
  if (open != t.size()) {
    // name-addr = [display-name] angle-addr; display-name = phrase (obs-phrase allows '.').
    if (!is_special(t.back(), '>')) return core::unexpected(AuthorHeader::bad_syntax);
    for (size_t i = 0; i < open; ++i) {
      DisplayWord w;
      w.text = std::string(t[i].text);
      if (t[i].kind == Kind::quoted) {
        w.kind = DisplayWord::Kind::quoted;
      } else if (t[i].kind == Kind::atom) {
        w.kind = is_encoded_word(t[i].text) ? DisplayWord::Kind::encoded : DisplayWord::Kind::atom;
      } else if (is_special(t[i], '.') && i > 0) {
        w.kind = DisplayWord::Kind::dot;
      } else {
        return core::unexpected(AuthorHeader::bad_syntax);
      }
      out.display.push_back(std::move(w));
    }
    begin = open + 1;
    end = t.size() - 1;
    // obs-route ("<@a,@b:x@y>") was refused above as a group-like ':'.
  }
  std::string spec;
  for (size_t i = begin; i < end; ++i) {
    if (t[i].kind == Kind::special && !is_special(t[i], '.') && !is_special(t[i], '@')) {
      return core::unexpected(AuthorHeader::bad_syntax);
    }
    spec += t[i].text;
  }
  if (spec.empty()) return core::unexpected(AuthorHeader::bad_syntax);
  auto address = core::parse_mailbox(spec, /*allow_utf8=*/true);
  if (!address) {
    return core::unexpected(address.error() == core::AddressError::too_long ? AuthorHeader::too_long
                                                                           : AuthorHeader::bad_syntax);
  }
  out.address = std::move(*address);
  return out;
}

std::string rewritten_display(const AuthorMailbox& author, std::string_view via_domain) {
  const std::string via = "via " + std::string(via_domain);
  if (author.display.empty()) {
    return quote(author.address.local + " at " + author.address.domain + " " + via);
  }
  bool encoded = false;
  for (const auto& w : author.display) encoded = encoded || w.kind == DisplayWord::Kind::encoded;
  std::string out;
  if (encoded) {
    // RFC 2047 §5 (3): encoded words stay words of the phrase, as written; what we add is a
    // quoted-string after them (white space between an encoded word and a quoted-string is
    // displayed, §6.2).
    for (const auto& w : author.display) {
      if (!out.empty() && w.kind != DisplayWord::Kind::dot) out += ' ';
      out += w.text;
    }
    return out + " " + quote(via);
  }
  for (const auto& w : author.display) {
    if (!out.empty() && w.kind != DisplayWord::Kind::dot) out += ' ';
    out += w.kind == DisplayWord::Kind::quoted ? unquote(w.text) : w.text;
  }
  return quote(out + " " + via);
}

std::string fold_field(std::string_view line) {
  constexpr size_t kFoldAt = 78;  // RFC 5322 §2.1.1 SHOULD
  std::string out;
  size_t start = 0;  // of the current output line within `line`
  const size_t colon = line.find(':');
  while (line.size() - start > kFoldAt) {
    // The last fold point (a space not escaped by a quoted-pair, after the field name) that
    // keeps this line within the limit; else the first one after it.
    size_t best = std::string_view::npos;
    for (size_t i = start + 1; i < line.size(); ++i) {
      if (!is_wsp(line[i]) || line[i - 1] == '\\' || (colon != std::string_view::npos && i <= colon + 1)) continue;
      if (i - start <= kFoldAt) {
        best = i;
        continue;
      }
      if (best == std::string_view::npos) best = i;
      break;
    }
    if (best == std::string_view::npos) break;
    out += line.substr(start, best - start);
    out += "\r\n";
    start = best;  // the space begins the continuation line
  }
  out += line.substr(start);
  return out + "\r\n";
}

std::string rewrite_from(const core::Message& message, const AuthorMailbox& author,
                         const core::Address& reply_address, std::string_view via_domain) {
  const auto& field = message.fields()[author.field_index];
  const std::string_view original = message.field_value(field);
  std::string fields = fold_field("From: " + rewritten_display(author, via_domain) + " <" + reply_address.str() + ">");
  // RFC 5322 §3.6.2: replies go to Reply-To when present; the author's own choice stands.
  if (message.find("Reply-To").empty()) fields += "Reply-To:" + std::string(original) + "\r\n";
  fields += "X-Original-From:" + std::string(original) + "\r\n";
  const std::string& raw = message.raw();
  std::string out;
  out.reserve(raw.size() + fields.size() + 64);
  out.append(raw, 0, field.offset);
  out += fields;
  out.append(raw, field.offset + field.length, std::string::npos);
  return out;
}

bool signs_for(const std::vector<std::string>& key_domains, std::string_view domain) {
  const std::string d = core::ascii_lower(domain);
  for (const auto& k : key_domains) {
    const std::string key = core::ascii_lower(k);
    if (key.empty()) continue;
    if (d == key || (d.size() > key.size() && d.compare(d.size() - key.size(), key.size(), key) == 0 &&
                     d[d.size() - key.size() - 1] == '.')) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> prepended_field_names(bool arc, bool signs) {
  std::vector<std::string> names = {"Authentication-Results", "Received"};
  if (arc) {
    for (const char* n : {"ARC-Authentication-Results", "ARC-Message-Signature", "ARC-Seal"}) names.emplace_back(n);
  }
  if (signs) names.emplace_back("DKIM-Signature");
  return names;
}

bool survives_prepended(const core::Message& message, size_t index, const std::vector<std::string>& prepended) {
  const auto signatures = message.find("DKIM-Signature");
  if (index >= signatures.size()) return false;
  auto tags = auth::parse_tag_list(message.field_value(*signatures[index]));
  if (!tags) return false;
  const std::string* h = tags->find("h");
  if (h == nullptr) return false;
  const std::string list = auth::strip_fws(*h);
  for (const auto& name : prepended) {
    size_t signed_count = 0;
    for (size_t start = 0; start <= list.size();) {
      const size_t colon = std::min(list.find(':', start), list.size());
      if (core::ascii_iequals(std::string_view(list).substr(start, colon - start), name)) ++signed_count;
      start = colon + 1;
    }
    if (signed_count > message.find(name).size()) return false;
  }
  return true;
}

FromRewritePlan plan_from_rewrite(const core::Message& message, const auth::AuthResults& results,
                                  config::FromRewriteMode mode, const std::optional<routing::ReplyRouting>& reply,
                                  const std::vector<std::string>& key_domains, std::chrono::sys_days today,
                                  const std::vector<std::string>& prepended) {
  const auth::DmarcOutcome& dmarc = results.dmarc;
  FromRewritePlan plan;
  FromRewriteFacts facts;
  facts.mode = mode;
  facts.dmarc = &dmarc;
  if (dmarc.dkim_aligned) {
    // The candidates: passing signatures of the author domain or of its organizational domain
    // (relaxed alignment; a strict record's subdomain signature is counted too, which can only
    // keep a From that would have been kept before this check).
    const std::string from = core::ascii_lower(dmarc.from_domain);
    const std::string org = core::ascii_lower(dmarc.org_domain.empty() ? dmarc.from_domain : dmarc.org_domain);
    const auto related = [&](std::string d) {
      d = core::ascii_lower(d);
      return d == from || d == org ||
             (d.size() > org.size() && d.compare(d.size() - org.size(), org.size(), org) == 0 &&
              d[d.size() - org.size() - 1] == '.');
    };
    facts.dkim_survives = false;
    for (size_t i = 0; i < results.dkim.size(); ++i) {
      const auto& s = results.dkim[i];
      if (s.result == auth::DkimResult::pass && related(s.domain) && survives_prepended(message, i, prepended)) {
        facts.dkim_survives = true;
        break;
      }
    }
  }
  facts.has_signing_key = reply && signs_for(key_domains, reply->domain);
  if (mode != config::FromRewriteMode::never) {
    auto author = parse_author(message);
    if (!author) {
      facts.header = author.error();
    } else {
      plan.author = std::move(*author);
      if (reply) {
        auto address = srs::make_reply_address(plan.author->address, reply->secrets, reply->domain, today);
        if (address) {
          plan.reply_address = std::move(*address);
        } else {
          facts.header = address.error() == srs::ReplyError::too_long ? AuthorHeader::too_long
                                                                      : AuthorHeader::unencodable;
        }
      }
    }
  }
  plan.decision = decide_from_rewrite(facts);
  if (plan.decision.rewrite) {
    plan.rewritten = rewrite_from(message, *plan.author, plan.reply_address, reply->domain);
  }
  return plan;
}

}  // namespace hikyaku::app
