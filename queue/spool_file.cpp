// Spool file encoding and strict decoding (DESIGN §1 step 7). Layout: magic line, fixed-order
// "key: value" lines (values percent-escaped, so no raw CR/LF/space), "message-length: N", exactly
// N message octets, LF, then "end <sha256 hex of everything before 'end'>" LF and end of file.
// Version 2 has "smtputf8: yes|no" and "body: 7bit|8bitmime" after "last-error" (RFC 6531, 6152);
// version 3 adds "spf: WORD" after "body" and a fourth field, the original address, to "rcpt".
#include "queue/spool_file.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <limits>

namespace hikyaku::queue {
namespace {

constexpr std::string_view kHex = "0123456789ABCDEF";
constexpr std::size_t kDigestHex = 64;
constexpr std::size_t kTrailerSize = 4 + kDigestHex + 1;  // "end " hex "\n"

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr std::string_view lower = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(lower[md[i] >> 4]);
    out.push_back(lower[md[i] & 0xF]);
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // lower-case hex is not canonical and is refused
}

// Canonical number check: no leading zeros (except "0") and no "-0", so one value has one text.
template <class T>
bool canonical_number(std::string_view s, T) {
  const std::string_view digits = (s.front() == '-') ? s.substr(1) : s;
  if (digits.empty()) return false;
  if (digits.size() > 1 && digits.front() == '0') return false;
  return !(s.front() == '-' && digits == "0");
}

template <class T>
bool parse_number(std::string_view s, T& out) {
  if (s.empty() || s.size() > 20) return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc{} || p != s.data() + s.size()) return false;
  return canonical_number(s, out);
}

class Reader {
 public:
  Reader(std::string_view data) : data_(data) {}
  // The next line's value after "key: ", or an error naming the key.
  core::Expected<std::string_view, std::string> field(std::string_view key) {
    const auto nl = data_.find('\n', pos_);
    if (nl == std::string_view::npos) return core::unexpected("missing line '" + std::string(key) + "'");
    std::string_view line = data_.substr(pos_, nl - pos_);
    if (line.size() < key.size() + 2 || line.substr(0, key.size()) != key ||
        line.substr(key.size(), 2) != ": ") {
      return core::unexpected("expected '" + std::string(key) + ":' line");
    }
    pos_ = nl + 1;
    return line.substr(key.size() + 2);
  }
  std::size_t pos() const { return pos_; }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string_view to_string(RcptState s) {
  switch (s) {
    case RcptState::pending: return "pending";
    case RcptState::delivered: return "delivered";
    case RcptState::failed: return "failed";
  }
  return "pending";
}

std::string escape_value(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (const char ch : raw) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x21 && c <= 0x7E && c != '%') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

core::Expected<std::string, std::string> unescape_value(std::string_view escaped) {
  std::string out;
  out.reserve(escaped.size());
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    const auto c = static_cast<unsigned char>(escaped[i]);
    if (c == '%') {
      if (i + 2 >= escaped.size()) {
        return core::unexpected(std::string("truncated %-escape"));
      }
      const int hi = hex_value(escaped[i + 1]), lo = hex_value(escaped[i + 2]);
      if (hi < 0 || lo < 0) return core::unexpected(std::string("bad %-escape"));
      const auto v = static_cast<unsigned char>(hi * 16 + lo);
      if (v >= 0x21 && v <= 0x7E && v != '%') return core::unexpected(std::string("non-canonical %-escape"));
      out.push_back(static_cast<char>(v));
      i += 2;
    } else if (c >= 0x21 && c <= 0x7E) {
      out.push_back(static_cast<char>(c));
    } else {
      return core::unexpected(std::string("raw control, space or 8-bit octet in value"));
    }
  }
  return out;
}

std::string encode(const SpoolEntry& e) {
  std::string out;
  out.reserve(e.message.size() + 512);
  auto line = [&out](std::string_view key, std::string_view value) {
    out.append(key).append(": ").append(value).push_back('\n');
  };
  out.append(kSpoolMagic).push_back('\n');
  line("queue-id", escape_value(e.queue_id));
  line("arrival", std::to_string(e.arrival));
  line("mail-from", escape_value(e.mail_from));
  line("upstream-from", escape_value(e.upstream_from));
  line("attempts", std::to_string(e.attempts));
  line("next-try", std::to_string(e.next_try));
  line("last-error", escape_value(e.last_error));
  line("smtputf8", e.smtputf8 ? "yes" : "no");
  line("body", e.eight_bit ? "8bitmime" : "7bit");
  line("spf", escape_value(e.spf));
  line("rcpt-count", std::to_string(e.recipients.size()));
  for (const auto& r : e.recipients) {
    line("rcpt", std::string(to_string(r.state)) + ' ' + escape_value(r.address) + ' ' +
                     escape_value(r.last_error) + ' ' + escape_value(r.original));
  }
  line("message-length", std::to_string(e.message.size()));
  out.append(e.message).push_back('\n');
  const std::string digest = sha256_hex(out);
  out.append("end ").append(digest).push_back('\n');
  return out;
}

namespace {

// decode(), or with `header` only the lines up to "message-length" (no trailer or checksum
// check: the caller streams those through SpoolMetadataReader), their size put in `header`.
core::Expected<SpoolEntry, std::string> decode_impl(std::string_view data, SpoolHeaderSize* header) {
  using R = core::Expected<SpoolEntry, std::string>;
  auto fail = [](std::string why) -> R { return core::unexpected(std::move(why)); };
  const std::string magic_line = std::string(kSpoolMagic) + '\n';
  const std::string magic_v1_line = std::string(kSpoolMagicV1) + '\n';
  const std::string magic_v2_line = std::string(kSpoolMagicV2) + '\n';
  static_assert(kSpoolMagic.size() == kSpoolMagicV1.size() && kSpoolMagic.size() == kSpoolMagicV2.size());
  if (data.substr(0, 14) != "hikyaku-spool ") return fail("not a spool file (bad magic)");
  const bool v1 = data.substr(0, magic_v1_line.size()) == magic_v1_line;
  const bool v2 = data.substr(0, magic_v2_line.size()) == magic_v2_line;
  if (!v1 && !v2 && data.substr(0, magic_line.size()) != magic_line) return fail("unsupported spool version");
  std::string_view body = data;
  if (!header) {
    if (data.size() < magic_line.size() + kTrailerSize || data.back() != '\n' ||
        data.substr(data.size() - kTrailerSize, 4) != "end ") {
      return fail("truncated: no trailer line");
    }
    body = data.substr(0, data.size() - kTrailerSize);
    const std::string_view digest = data.substr(data.size() - kTrailerSize + 4, kDigestHex);
    if (digest != sha256_hex(body)) return fail("checksum mismatch (corrupt or truncated)");
  }

  SpoolEntry e;
  Reader r(body.substr(magic_line.size()));
  auto text = [&r](std::string_view key, std::string& out) -> std::string {
    auto v = r.field(key);
    if (!v) return v.error();
    auto u = unescape_value(*v);
    if (!u) return std::string(key) + ": " + u.error();
    out = std::move(*u);
    return {};
  };
  auto num = [&r](std::string_view key, auto& out) -> std::string {
    auto v = r.field(key);
    if (!v) return v.error();
    if (!parse_number(*v, out)) return std::string(key) + ": bad number";
    return {};
  };
  // One of exactly two spellings, so one entry has one text.
  auto flag = [&r](std::string_view key, std::string_view no, std::string_view yes,
                   bool& out) -> std::string {
    auto v = r.field(key);
    if (!v) return v.error();
    if (*v != no && *v != yes) {
      return std::string(key) + ": expected " + std::string(no) + " or " + std::string(yes);
    }
    out = *v == yes;
    return {};
  };
  std::uint64_t rcpt_count = 0, length = 0;
  for (const std::string& err :
       {text("queue-id", e.queue_id), num("arrival", e.arrival), text("mail-from", e.mail_from),
        text("upstream-from", e.upstream_from), num("attempts", e.attempts),
        num("next-try", e.next_try), text("last-error", e.last_error)}) {
    if (!err.empty()) return fail(err);
  }
  if (!v1) {
    for (const std::string& err : {flag("smtputf8", "no", "yes", e.smtputf8),
                                   flag("body", "7bit", "8bitmime", e.eight_bit)}) {
      if (!err.empty()) return fail(err);
    }
  }
  if (!v1 && !v2) {
    if (auto err = text("spf", e.spf); !err.empty()) return fail(err);
  }
  if (auto err = num("rcpt-count", rcpt_count); !err.empty()) return fail(err);
  for (std::uint64_t i = 0; i < rcpt_count; ++i) {
    auto v = r.field("rcpt");
    if (!v) return fail(v.error());
    const std::string_view s = *v;
    const auto sp1 = s.find(' ');
    const auto sp2 = sp1 == std::string_view::npos ? sp1 : s.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) return fail("rcpt: expected 'state address error'");
    // Version 3: "state address error original"; older: "state address error".
    const auto sp3 = (v1 || v2) ? std::string_view::npos : s.find(' ', sp2 + 1);
    if (!v1 && !v2 && sp3 == std::string_view::npos) {
      return fail("rcpt: expected 'state address error original'");
    }
    SpoolRecipient rc;
    const std::string_view st = s.substr(0, sp1);
    if (st == "pending") rc.state = RcptState::pending;
    else if (st == "delivered") rc.state = RcptState::delivered;
    else if (st == "failed") rc.state = RcptState::failed;
    else return fail("rcpt: unknown state");
    auto addr = unescape_value(s.substr(sp1 + 1, sp2 - sp1 - 1));
    auto err = unescape_value(s.substr(sp2 + 1, sp3 == std::string_view::npos ? sp3 : sp3 - sp2 - 1));
    if (!addr || !err) return fail("rcpt: " + (addr ? err.error() : addr.error()));
    if (sp3 != std::string_view::npos) {
      auto original = unescape_value(s.substr(sp3 + 1));
      if (!original) return fail("rcpt: " + original.error());
      rc.original = std::move(*original);
    }
    rc.address = std::move(*addr);
    rc.last_error = std::move(*err);
    e.recipients.push_back(std::move(rc));
  }
  if (auto err = num("message-length", length); !err.empty()) return fail(err);
  const std::size_t start = magic_line.size() + r.pos();
  if (header) {
    header->header = start;
    header->message_length = length;
    return e;
  }
  if (length > body.size() || start + length + 1 != body.size() || body.back() != '\n') {
    return fail("message-length does not match the file");
  }
  e.message = std::string(body.substr(start, length));
  return e;
}

}  // namespace

core::Expected<SpoolEntry, std::string> decode(std::string_view data) {
  return decode_impl(data, nullptr);
}

core::Expected<SpoolEntry, std::string> decode_header(std::string_view head, SpoolHeaderSize& size) {
  return decode_impl(head, &size);
}

SpoolMetadataReader::SpoolMetadataReader(std::uint64_t file_size)
    : size_(file_size), digest_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(digest_), EVP_sha256(), nullptr);
}

SpoolMetadataReader::~SpoolMetadataReader() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(digest_)); }

void SpoolMetadataReader::feed(std::string_view chunk) {
  if (first_.size() < kSpoolMagic.size() + 1) {
    first_.append(chunk.substr(0, kSpoolMagic.size() + 1 - first_.size()));
  }
  const std::uint64_t body_end = size_ >= kTrailerSize ? size_ - kTrailerSize : 0;
  if (offset_ < body_end) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), body_end - offset_));
    EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(digest_), chunk.data(), n);
    if (n > 0) last_body_octet_ = chunk[n - 1];
    if (!header_done_) {
      head_.append(chunk.substr(0, n));
      // The header ends with the first "message-length: N" line: escaped values hold no LF or
      // space, so no earlier line can look like it.
      const auto key = head_.find("\nmessage-length: ");
      const auto lf = key == std::string::npos ? key : head_.find('\n', key + 1);
      if (lf != std::string::npos) {
        head_.resize(lf + 1);
        header_done_ = true;
      } else if (head_.size() > kMaxSpoolHeader) {
        header_done_ = true;  // finish() refuses it
        head_too_long_ = true;
      }
    }
    offset_ += n;
    chunk.remove_prefix(n);
  }
  trailer_.append(chunk.substr(0, kTrailerSize + 1 - std::min(trailer_.size(), kTrailerSize + 1)));
  offset_ += chunk.size();
}

core::Expected<SpoolEntry, std::string> SpoolMetadataReader::finish() {
  using R = core::Expected<SpoolEntry, std::string>;
  auto fail = [](std::string why) -> R { return core::unexpected(std::move(why)); };
  if (offset_ != size_) return fail("file changed while being read");
  // The checks in decode()'s order, so both give the same reason.
  if (first_.substr(0, 14) != "hikyaku-spool ") return fail("not a spool file (bad magic)");
  if (first_ != std::string(kSpoolMagic) + '\n' && first_ != std::string(kSpoolMagicV2) + '\n' &&
      first_ != std::string(kSpoolMagicV1) + '\n') {
    return fail("unsupported spool version");
  }
  if (size_ < kSpoolMagic.size() + 1 + kTrailerSize || trailer_.size() != kTrailerSize ||
      trailer_.back() != '\n' || trailer_.substr(0, 4) != "end ") {
    return fail("truncated: no trailer line");
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(digest_), md, &len);
  static constexpr std::string_view lower = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(lower[md[i] >> 4]);
    hex.push_back(lower[md[i] & 0xF]);
  }
  if (trailer_.substr(4, kDigestHex) != hex) return fail("checksum mismatch (corrupt or truncated)");
  if (head_too_long_) return fail("header longer than " + std::to_string(kMaxSpoolHeader) + " octets");
  SpoolHeaderSize size;
  auto entry = decode_header(head_, size);
  if (!entry) return entry;
  const std::uint64_t body_end = size_ - kTrailerSize;
  if (size.message_length > body_end || size.header + size.message_length + 1 != body_end ||
      last_body_octet_ != '\n') {
    return fail("message-length does not match the file");
  }
  message_length_ = size.message_length;
  return entry;
}

}  // namespace hikyaku::queue
