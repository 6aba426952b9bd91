// Domain-name text handling: RFC 1035 §5.1 presentation format and escapes, §2.3.4 limits,
// RFC 4343 case folding, RFC 1035 §3.5 / RFC 3596 §2.5 reverse names.
#include "dns/names.hpp"

#include <boost/system/error_code.hpp>

namespace hikyaku::dns {

namespace {

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

core::Expected<ParsedName, std::string> parse_name(std::string_view text) {
  ParsedName out;
  if (text.empty()) return core::unexpected(std::string("empty name"));
  if (text == ".") {
    out.absolute = true;
    return out;
  }
  std::string label;
  bool label_open = false;  // something (even an escaped dot) was added since the last '.'
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.') {
      if (!label_open) return core::unexpected(std::string("empty label in \"") + std::string(text) + "\"");
      out.labels.push_back(std::move(label));
      label.clear();
      label_open = false;
      if (i + 1 == text.size()) out.absolute = true;
      continue;
    }
    if (c == '\\') {
      if (i + 1 >= text.size()) return core::unexpected(std::string("name ends with a lone '\\'"));
      if (is_digit(text[i + 1])) {
        if (i + 3 >= text.size() || !is_digit(text[i + 2]) || !is_digit(text[i + 3])) {
          return core::unexpected(std::string("\\DDD escape needs three digits"));
        }
        int v = (text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
        if (v > 255) return core::unexpected(std::string("\\DDD escape over 255"));
        label += static_cast<char>(v);
        i += 3;
      } else {
        label += text[i + 1];
        i += 1;
      }
      label_open = true;
      continue;
    }
    label += c;
    label_open = true;
  }
  if (label_open) out.labels.push_back(std::move(label));
  for (const auto& l : out.labels) {
    if (l.size() > kMaxLabelLength) {
      return core::unexpected("label longer than 63 octets in \"" + std::string(text) + "\"");
    }
  }
  if (wire_length(out.labels) > kMaxNameLength) {
    return core::unexpected("name longer than 255 octets: \"" + std::string(text.substr(0, 64)) + "...\"");
  }
  return out;
}

void append_presentation_octet(std::string& out, unsigned char c, std::string_view specials,
                               unsigned char lowest_plain) {
  if (specials.find(static_cast<char>(c)) != std::string_view::npos) {
    out += '\\';
    out += static_cast<char>(c);
  } else if (c < lowest_plain || c > 0x7e) {
    out += '\\';
    out += static_cast<char>('0' + c / 100);
    out += static_cast<char>('0' + c / 10 % 10);
    out += static_cast<char>('0' + c % 10);
  } else {
    out += static_cast<char>(c);
  }
}

std::string labels_to_name(const Labels& labels) {
  if (labels.empty()) return ".";
  std::string out;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += '.';
    for (char ch : labels[i]) {
      append_presentation_octet(out, static_cast<unsigned char>(ascii_lower(ch)), ".\\", 0x21);
    }
  }
  return out;
}

size_t wire_length(const Labels& labels) {
  size_t n = 1;
  for (const auto& l : labels) n += 1 + l.size();
  return n;
}

std::optional<std::string> normalise_name(std::string_view name) {
  auto parsed = parse_name(name);
  if (!parsed) return std::nullopt;
  return labels_to_name(parsed->labels);
}

Labels split_name(std::string_view name) {
  auto parsed = parse_name(name);
  if (!parsed) return {};
  return std::move(parsed->labels);
}

bool is_at_or_below(std::string_view name, std::string_view ancestor) {
  if (ancestor == ".") return true;
  const Labels n = split_name(name);
  const Labels a = split_name(ancestor);
  if (a.empty() || a.size() > n.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string& x = n[n.size() - a.size() + i];
    const std::string& y = a[i];
    if (x.size() != y.size()) return false;
    for (size_t k = 0; k < x.size(); ++k) {
      if (ascii_lower(x[k]) != ascii_lower(y[k])) return false;
    }
  }
  return true;
}

std::string reverse_name(const asio::ip::address& ip) {
  std::string out;
  if (ip.is_v4()) {
    const auto b = ip.to_v4().to_bytes();
    for (int i = 3; i >= 0; --i) out += std::to_string(b[static_cast<size_t>(i)]) + ".";
    return out + "in-addr.arpa";
  }
  static constexpr char kHex[] = "0123456789abcdef";
  const auto b = ip.to_v6().to_bytes();
  for (int i = 15; i >= 0; --i) {
    const auto byte = b[static_cast<size_t>(i)];
    out += kHex[byte & 0x0f];
    out += '.';
    out += kHex[byte >> 4];
    out += '.';
  }
  return out + "ip6.arpa";
}

std::optional<std::string> reverse_name(std::string_view ip_text) {
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(std::string(ip_text), ec);
  if (ec) return std::nullopt;
  return reverse_name(ip);
}

}  // namespace hikyaku::dns
