// SmtpReply rendering. RFC 5321 §4.2.1 (multiline replies), RFC 2034 §4 (enhanced codes).
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
}  // namespace

SmtpReply SmtpReply::make(int code, std::string_view enhanced, std::string_view text) {
  SmtpReply r;
  r.code = code;
  r.enhanced = std::string(enhanced);
  r.lines.push_back(sanitize(text));
  return r;
}

std::string SmtpReply::render() const {
  std::string out;
  const std::vector<std::string> fallback{""};
  const auto& ls = lines.empty() ? fallback : lines;
  for (size_t i = 0; i < ls.size(); ++i) {
    const char sep = (i + 1 == ls.size()) ? ' ' : '-';
    out += fmt::format("{}{}", code, sep);
    if (!enhanced.empty()) out += enhanced + (ls[i].empty() ? "" : " ");
    out += sanitize(ls[i]);
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
