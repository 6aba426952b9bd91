// build_report_message: the RFC 6522 §3 multipart/report layout (the human-readable part
// first, then the report), its header fields folded at spaces (RFC 5322 §2.2.3); gzip/gunzip
// over zlib's deflate with the gzip wrapper (windowBits 15 + 16, RFC 1952).
#include "reports/report_message.hpp"

#include <openssl/rand.h>
#include <zlib.h>

#include <ctime>

namespace hikyaku::reports {

namespace {

std::string one_line(std::string_view v) {
  std::string out(v);
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}

// "Name: value\r\n", folded before column 78 where the value has spaces.
std::string field(std::string_view name, std::string_view value) {
  std::string out(name);
  out += ":";
  std::size_t col = out.size();
  const std::string v = one_line(value);
  std::size_t pos = 0;
  while (pos <= v.size()) {
    std::size_t sp = v.find(' ', pos);
    if (sp == std::string::npos) sp = v.size();
    const std::string_view word(v.data() + pos, sp - pos);
    if (col > 1 + name.size() && col + 1 + word.size() > 76) {
      out += "\r\n";
      col = 0;
    }
    out += ' ';
    out += word;
    col += 1 + word.size();
    pos = sp + 1;
  }
  out += "\r\n";
  return out;
}

std::string random_hex(std::size_t n) {
  std::string raw(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(n)) != 1) {
    // Never expected; a time-based value still keeps the boundary distinct from base64 text.
    const auto t = static_cast<unsigned long long>(std::time(nullptr));
    for (std::size_t i = 0; i < n; ++i) raw[i] = static_cast<char>((t >> ((i % 8) * 8)) & 0xff);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : raw) {
    out += kHex[(static_cast<unsigned char>(c) >> 4) & 0xf];
    out += kHex[static_cast<unsigned char>(c) & 0xf];
  }
  return out;
}

// The filename parameter, quoted (RFC 2183 §2, RFC 2045 §5.1 quoted-string).
std::string quoted(std::string_view v) {
  std::string out = "\"";
  for (const char c : one_line(v)) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

std::string rfc5322_date(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return std::string(buf, n);
}

std::string base64_lines(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t col = 0;
  auto put = [&](char c) {
    out += c;
    if (++col == 76) {
      out += "\r\n";
      col = 0;
    }
  };
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    put(kAlphabet[(v >> 18) & 63]);
    put(kAlphabet[(v >> 12) & 63]);
    put(kAlphabet[(v >> 6) & 63]);
    put(kAlphabet[v & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    put(kAlphabet[(v >> 18) & 63]);
    put(kAlphabet[(v >> 12) & 63]);
    put(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    put('=');
  }
  if (col != 0) out += "\r\n";
  return out;
}

std::string gzip(std::string_view bytes) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return {};
  }
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  zs.avail_in = static_cast<uInt>(bytes.size());
  char buf[16384];
  int rc = Z_OK;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = deflate(&zs, Z_FINISH);
    out.append(buf, sizeof buf - zs.avail_out);
  } while (rc == Z_OK || (rc == Z_BUF_ERROR && zs.avail_out == 0));
  deflateEnd(&zs);
  return rc == Z_STREAM_END ? out : std::string();
}

bool gunzip(std::string_view bytes, std::string& out, std::size_t max_out) {
  out.clear();
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return false;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  zs.avail_in = static_cast<uInt>(bytes.size());
  char buf[16384];
  int rc = Z_OK;
  bool ok = false;
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    const std::size_t got = sizeof buf - zs.avail_out;
    if (out.size() + got > max_out) break;
    out.append(buf, got);
    if (rc == Z_STREAM_END) {
      ok = zs.avail_in == 0;
      break;
    }
    if (got == 0 && zs.avail_in == 0) break;  // truncated stream
  }
  inflateEnd(&zs);
  if (!ok) out.clear();
  return ok;
}

std::string build_report_message(const ReportMail& mail) {
  const std::string boundary = "=_report_" + random_hex(12);
  std::string out;
  out += field("From", "<" + mail.from + ">");
  out += field("To", "<" + mail.to + ">");
  out += field("Subject", mail.subject);
  out += field("Date", rfc5322_date(mail.date));
  out += field("Message-ID", "<" + random_hex(16) + "@" + mail.message_id_domain + ">");
  out += field("MIME-Version", "1.0");
  for (const auto& [name, value] : mail.extra_headers) out += field(one_line(name), value);
  out += field("Content-Type", "multipart/report; report-type=\"" + one_line(mail.report_type) +
                                   "\"; boundary=\"" + boundary + "\"");
  out += "\r\n";
  out += "This is a multipart message in MIME format.\r\n\r\n";
  out += "--" + boundary + "\r\n";
  out += "Content-Type: text/plain; charset=\"us-ascii\"\r\n";
  out += "Content-Transfer-Encoding: 7bit\r\n\r\n";
  // Text lines with CRLF ends, whatever the caller used.
  std::string text;
  for (std::size_t i = 0; i < mail.human_text.size(); ++i) {
    const char c = mail.human_text[i];
    if (c == '\r') continue;
    if (c == '\n') {
      text += "\r\n";
      continue;
    }
    text += c;
  }
  if (!text.ends_with("\r\n")) text += "\r\n";
  out += text;
  out += "\r\n--" + boundary + "\r\n";
  out += "Content-Type: " + one_line(mail.attachment_content_type) + "\r\n";
  out += "Content-Transfer-Encoding: base64\r\n";
  out += "Content-Disposition: attachment;\r\n filename=" + quoted(mail.attachment_filename) + "\r\n\r\n";
  out += base64_lines(mail.attachment_bytes);
  out += "\r\n--" + boundary + "--\r\n";
  return out;
}

}  // namespace hikyaku::reports
