// RFC 6376 §3.4.1-§3.4.4 (simple/relaxed header and body), §3.4.5 (l=), §3.7 (hash inputs),
// §5.4.2 (repeated header names bottom-up). WSP is SP and HTAB only; a bare CR or LF inside a
// line is an ordinary octet (lines end only at CRLF).
#include "auth/dkim_canon.hpp"

#include "core/ascii.hpp"

namespace hikyaku::auth {

namespace {

bool is_canon_wsp(char c) { return c == ' ' || c == '\t'; }

// Relaxed body line: WSP runs become one SP, trailing WSP removed (RFC 6376 §3.4.4).
void relax_line(std::string_view line, std::string& out) {
  bool in_wsp = false;
  for (char c : line) {
    if (is_canon_wsp(c)) {
      in_wsp = true;
      continue;
    }
    if (in_wsp) out.push_back(' ');
    in_wsp = false;
    out.push_back(c);
  }
}

}  // namespace

std::optional<CanonPair> parse_canon(std::string_view c) {
  auto one = [](std::string_view s) -> std::optional<Canon> {
    if (s == "simple") return Canon::simple;
    if (s == "relaxed") return Canon::relaxed;
    return std::nullopt;
  };
  const size_t slash = c.find('/');
  const auto h = one(c.substr(0, slash));
  if (!h) return std::nullopt;
  if (slash == std::string_view::npos) return CanonPair{*h, Canon::simple};
  const auto b = one(c.substr(slash + 1));
  if (!b) return std::nullopt;
  return CanonPair{*h, *b};
}

std::string canon_header(Canon c, std::string_view text) {
  std::string out;
  if (c == Canon::simple) {
    out.reserve(text.size() + 2);
    out.append(text);
    out.append("\r\n");
    return out;
  }
  const size_t colon = text.find(':');
  std::string_view name = text.substr(0, colon);
  while (!name.empty() && is_canon_wsp(name.back())) name.remove_suffix(1);
  for (char ch : name) out.push_back(core::ascii_lower(ch));
  out.push_back(':');
  if (colon == std::string_view::npos) return out + "\r\n";
  // Unfold (drop CRLF), runs of WSP to one SP, no WSP at either end of the value.
  std::string_view value = text.substr(colon + 1);
  bool in_wsp = false;
  bool any = false;
  for (size_t i = 0; i < value.size(); ++i) {
    const char ch = value[i];
    if (ch == '\r' && i + 1 < value.size() && value[i + 1] == '\n') {
      ++i;
      continue;
    }
    if (is_canon_wsp(ch)) {
      in_wsp = true;
      continue;
    }
    if (in_wsp && any) out.push_back(' ');
    in_wsp = false;
    any = true;
    out.push_back(ch);
  }
  out.append("\r\n");
  return out;
}

void canon_body_pieces(Canon c, std::string_view body,
                       const std::function<void(std::string_view)>& piece) {
  static constexpr std::string_view kCrlf = "\r\n";
  std::string relaxed;
  size_t pos = 0;
  size_t pending_empty = 0;  // empty lines held back: trailing ones are dropped (§3.4.3, §3.4.4)
  bool any = false;
  while (pos < body.size()) {
    size_t eol = body.find("\r\n", pos);
    const bool has_crlf = eol != std::string_view::npos;
    if (!has_crlf) eol = body.size();
    std::string_view line = body.substr(pos, eol - pos);
    if (c == Canon::relaxed) {
      relaxed.clear();
      relax_line(line, relaxed);
      line = relaxed;
    }
    if (line.empty()) {
      ++pending_empty;
    } else {
      for (; pending_empty > 0; --pending_empty) piece(kCrlf);
      piece(line);
      piece(kCrlf);  // a last line without CRLF gets one
      any = true;
    }
    pos = has_crlf ? eol + 2 : body.size();
  }
  if (!any && c == Canon::simple) piece(kCrlf);  // simple: an empty body is one CRLF
}

std::string canon_body(Canon c, std::string_view body) {
  std::string out;
  out.reserve(body.size() + 2);
  canon_body_pieces(c, body, [&out](std::string_view p) { out.append(p); });
  return out;
}

std::optional<std::string> body_hash_input(Canon c, std::string_view body,
                                           std::optional<uint64_t> length) {
  std::string b = canon_body(c, body);
  if (length) {
    if (*length > b.size()) return std::nullopt;
    b.resize(static_cast<size_t>(*length));
  }
  return b;
}

std::vector<std::string> split_header_names(std::string_view h) {
  std::vector<std::string> names;
  std::string cur;
  for (size_t i = 0; i <= h.size(); ++i) {
    if (i == h.size() || h[i] == ':') {
      if (!cur.empty()) names.push_back(std::move(cur));
      cur.clear();
    } else if (!is_canon_wsp(h[i]) && h[i] != '\r' && h[i] != '\n') {
      cur.push_back(core::ascii_lower(h[i]));
    }
  }
  return names;
}

std::vector<const core::HeaderField*> select_headers(const core::Message& m,
                                                     const std::vector<std::string>& names) {
  const auto& fields = m.fields();
  std::vector<bool> used(fields.size(), false);
  std::vector<const core::HeaderField*> out;
  out.reserve(names.size());
  for (const auto& name : names) {
    const core::HeaderField* hit = nullptr;
    for (size_t i = fields.size(); i-- > 0;) {
      if (!used[i] && core::ascii_iequals(m.field_name(fields[i]), name)) {
        used[i] = true;
        hit = &fields[i];
        break;
      }
    }
    out.push_back(hit);
  }
  return out;
}

std::string without_b_value(std::string_view text) {
  std::string out;
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return std::string(text);
  out.append(text.substr(0, colon + 1));
  size_t pos = colon + 1;
  while (pos <= text.size()) {
    size_t semi = text.find(';', pos);
    if (semi == std::string_view::npos) semi = text.size();
    std::string_view spec = text.substr(pos, semi - pos);
    // Is this tag-spec "b"? Skip leading FWS, the name, FWS, "=".
    size_t k = 0;
    while (k < spec.size() && (is_canon_wsp(spec[k]) || spec[k] == '\r' || spec[k] == '\n')) ++k;
    size_t eq = spec.find('=', k);
    bool is_b = false;
    if (eq != std::string_view::npos && k < spec.size() && spec[k] == 'b') {
      size_t j = k + 1;
      while (j < eq && (is_canon_wsp(spec[j]) || spec[j] == '\r' || spec[j] == '\n')) ++j;
      is_b = j == eq;
    }
    if (is_b) {
      out.append(spec.substr(0, eq + 1));
    } else {
      out.append(spec);
    }
    if (semi == text.size()) break;
    out.push_back(';');
    pos = semi + 1;
  }
  return out;
}

std::string signed_header_data(const core::Message& m, Canon c,
                               const std::vector<std::string>& names,
                               std::string_view signature_field_text) {
  std::string out;
  for (const core::HeaderField* f : select_headers(m, names)) {
    if (f != nullptr) out.append(canon_header(c, m.field_text(*f)));
  }
  std::string sig = canon_header(c, without_b_value(signature_field_text));
  sig.resize(sig.size() - 2);  // no CRLF after the signature field (RFC 6376 §3.7)
  out.append(sig);
  return out;
}

}  // namespace hikyaku::auth
