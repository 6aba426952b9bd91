// The header index of a received message: RFC 5322 §2.1 (header section, empty line, body),
// §2.2 (field = name ":" value CRLF), §2.2.3 (folding: continuation lines start with WSP),
// §4.5.3 (obsolete WSP before the colon). Lines end only at CRLF; bare CR/LF stay in a line.
#include "core/message.hpp"
#include "core/ascii.hpp"

namespace hikyaku::core {

namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

// field-name = 1*ftext; ftext = %d33-57 / %d59-126 (RFC 5322 §3.6.8).
bool is_ftext(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 33 && u <= 126 && u != ':';
}



// Bounds-clamped view into raw_, so that a HeaderField from elsewhere can never read past it.
std::string_view slice(const std::string& raw, size_t offset, size_t length) {
  if (offset > raw.size()) return {};
  return std::string_view(raw).substr(offset, length);
}

}  // namespace

Message::Message(std::string raw) : raw_(std::move(raw)) { index(); }

Message Message::prepend(std::string_view fields) && {
  raw_.insert(0, fields);
  fields_.clear();
  body_offset_ = 0;
  index();
  return std::move(*this);
}

// Walks the header section once. The section ends at the first empty line (the body follows
// it), or at the first line that is neither a field nor a continuation: that line starts the
// body, as Postfix does; a message with neither is all header.
void Message::index() {
  fields_.clear();
  const std::string_view s = raw_;
  const size_t n = s.size();
  size_t pos = 0;
  while (true) {
    if (pos >= n) {
      body_offset_ = n;
      return;
    }
    if (s.compare(pos, 2, "\r\n") == 0) {  // the empty line (RFC 5322 §2.1)
      body_offset_ = pos + 2;
      return;
    }
    size_t i = pos;
    while (i < n && is_ftext(s[i])) ++i;
    const size_t name_length = i - pos;
    while (i < n && is_wsp(s[i])) ++i;  // obs-optional (RFC 5322 §4.5.3)
    if (name_length == 0 || i >= n || s[i] != ':') {
      body_offset_ = pos;  // not a header field: the body starts here
      return;
    }
    // The field runs to the CRLF not followed by WSP (RFC 5322 §2.2.3 unfolding).
    size_t end = n;
    size_t search = i + 1;
    while (search < n) {
      const size_t crlf = s.find("\r\n", search);
      if (crlf == std::string_view::npos) break;
      if (crlf + 2 < n && is_wsp(s[crlf + 2])) {
        search = crlf + 2;
        continue;
      }
      end = crlf + 2;
      break;
    }
    fields_.push_back(HeaderField{pos, end - pos, name_length});
    pos = end;
  }
}

std::string_view Message::field_name(const HeaderField& f) const {
  return slice(raw_, f.offset, f.length < f.name_length ? f.length : f.name_length);
}

std::string_view Message::field_text(const HeaderField& f) const {
  std::string_view t = slice(raw_, f.offset, f.length);
  if (t.size() >= 2 && t.substr(t.size() - 2) == "\r\n") t.remove_suffix(2);
  return t;
}

std::string_view Message::field_value(const HeaderField& f) const {
  const std::string_view t = field_text(f);
  const size_t colon = t.find(':', f.name_length < t.size() ? f.name_length : t.size());
  if (colon == std::string_view::npos) return {};
  return t.substr(colon + 1);
}

std::string_view Message::body() const { return slice(raw_, body_offset_, std::string::npos); }

// The header fields, each with its CRLF, without the empty line that ends the section.
std::string_view Message::header_block() const {
  if (fields_.empty()) return {};
  const HeaderField& last = fields_.back();
  return slice(raw_, 0, last.offset + last.length);
}

std::vector<const HeaderField*> Message::find(std::string_view name) const {
  std::vector<const HeaderField*> out;
  for (const auto& f : fields_) {
    if (core::ascii_iequals(field_name(f), name)) out.push_back(&f);
  }
  return out;
}

}  // namespace hikyaku::core
