// SmtpReply rendering. RFC 5321 §4.2.1 (multiline replies), §4.5.3.1.5 (512-octet reply lines),
// RFC 2034 §4 (enhanced codes).
#include "core/smtp_reply.hpp"

#include <fmt/format.h>

namespace hikyaku::core {

namespace {
std::string sanitize(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c == '\r' || c == '\n' || c == '\0') c = ' ';
  }
  return out;
}

// RFC 5321 §4.5.3.1.5: "The maximum total length of a reply line including the reply code and
// the <CRLF> is 512 octets." A longer text is continued on further lines of the same reply
// (§4.2.1 "250-"), broken at a space when there is one in the second half of the room.
std::vector<std::string> wrap_text(std::string_view text, size_t room) {
  std::vector<std::string> out;
  if (room < 2) room = 2;
  while (text.size() > room) {
    size_t cut = text.rfind(' ', room);
    if (cut == std::string_view::npos || cut < room / 2) {
      out.emplace_back(text.substr(0, room));
      text.remove_prefix(room);
      continue;
    }
    out.emplace_back(text.substr(0, cut));
    text.remove_prefix(cut + 1);  // the space becomes the line break
  }
  out.emplace_back(text);
  return out;
}

}  // namespace

SmtpReply SmtpReply::make(int code, std::string_view enhanced, std::string_view text) {
  SmtpReply r;
  r.code = code;
  r.enhanced = std::string(enhanced);
  r.lines.push_back(sanitize(text));
  return r;
}

std::string SmtpReply::render() const {
  const std::vector<std::string> fallback{""};
  const auto& given = lines.empty() ? fallback : lines;
  // "250-" and, when there is one, the enhanced code and its space (RFC 2034 §4: on every line).
  const size_t prefix = 4 + (enhanced.empty() ? 0 : enhanced.size() + 1);
  const size_t room = kMaxReplyLine > prefix + 2 ? kMaxReplyLine - prefix - 2 : 2;
  std::vector<std::string> ls;
  for (const auto& line : given) {
    for (auto& piece : wrap_text(sanitize(line), room)) ls.push_back(std::move(piece));
  }
  std::string out;
  for (size_t i = 0; i < ls.size(); ++i) {
    const char sep = (i + 1 == ls.size()) ? ' ' : '-';
    out += fmt::format("{}{}", code, sep);
    if (!enhanced.empty()) out += enhanced + (ls[i].empty() ? "" : " ");
    out += ls[i];
    out += "\r\n";
  }
  return out;
}

std::string SmtpReply::summary() const {
  std::string out = std::to_string(code);
  if (!enhanced.empty()) out += " " + enhanced;
  for (size_t i = 0; i < lines.size(); ++i) out += (i ? " / " : " ") + sanitize(lines[i]);
  return out;
}

}  // namespace hikyaku::core
