// The on-disk format of one queued message (DESIGN §1 step 7): envelope, per-recipient state
// and the outgoing message bytes. A versioned text header with percent-escaped values, an exact
// message length and a SHA-256 trailer, so truncation or corruption is refused, never half-read.
// Version 2 adds the envelope's SMTPUTF8 (RFC 6531 §3.4) and BODY (RFC 6152) parameters;
// version 3 the session's SPF result (RFC 7208 §2.6) and each recipient's original address
// (RFC 3461 §4.2 ORCPT: the RCPT TO the sender used). Versions 1 and 2 are still read (their
// missing fields empty/false).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace hikyaku::queue {

enum class RcptState { pending, delivered, failed };

struct SpoolRecipient {
  std::string address;     // RFC 5321 forward-path, without angle brackets
  RcptState state = RcptState::pending;
  std::string last_error;  // the upstream's last reply for this recipient ("" when none)
  // The address the sender gave in RCPT TO, before the forwarding rule rewrote it (the DSN's
  // Original-Recipient and Final-Recipient); "" when unknown (version 1/2 files, DSN entries).
  std::string original;
  bool operator==(const SpoolRecipient&) const = default;
};

struct SpoolEntry {
  std::string queue_id;
  std::int64_t arrival = 0;     // Unix seconds
  std::string mail_from;        // original MAIL FROM; "" is the null sender <>
  std::string upstream_from;    // sender used upstream (SRS-rewritten); "" is <>
  std::vector<SpoolRecipient> recipients;
  std::uint32_t attempts = 0;
  std::int64_t next_try = 0;    // Unix seconds
  std::string last_error;
  bool smtputf8 = false;        // MAIL FROM had SMTPUTF8: ask for it upstream too (RFC 6531 §3.4)
  bool eight_bit = false;       // MAIL FROM had BODY=8BITMIME (RFC 6152 §3)
  // The session's SPF result for MAIL FROM as an RFC 7208 §2.6 word ("pass", "fail", ...);
  // "" when unknown (version 1/2 files, DSN entries). Decides whether a DSN may go back.
  std::string spf;
  std::string message;          // the message exactly as it leaves (opaque bytes)
  bool operator==(const SpoolEntry&) const = default;
};

inline constexpr std::string_view kSpoolMagic = "hikyaku-spool 3";    // what encode() writes
inline constexpr std::string_view kSpoolMagicV2 = "hikyaku-spool 2";  // still accepted by decode()
inline constexpr std::string_view kSpoolMagicV1 = "hikyaku-spool 1";  // still accepted by decode()

std::string_view to_string(RcptState s);

// Serialises an entry; decode(encode(e)) == e for any bytes in any field.
std::string encode(const SpoolEntry& entry);

// Parses a whole file, version 3, 2 or 1. Any deviation (magic, version, checksum, length,
// escaping, field order) is an error whose text says why; a partial entry is never returned. A
// version 3 file re-encodes to the same bytes; older versions re-encode as version 3.
core::Expected<SpoolEntry, std::string> decode(std::string_view bytes);

// Where a file's message starts: the header (magic to the "message-length" line) and length.
struct SpoolHeaderSize {
  std::size_t header = 0;
  std::uint64_t message_length = 0;
};
inline constexpr std::size_t kMaxSpoolHeader = 16 * 1024 * 1024;  // recipients and errors

// The entry without its message (message empty) from the start of a file, at least up to its
// "message-length" line: the same field checks as decode(), no trailer or checksum check.
core::Expected<SpoolEntry, std::string> decode_header(std::string_view head, SpoolHeaderSize& size);

// decode() of a whole file given in pieces, keeping only its header in memory: the same
// checks (magic, checksum, length, fields), the entry returned without its message. Start-up
// reads the spool with it, so the bodies are never all in memory at once.
class SpoolMetadataReader {
 public:
  explicit SpoolMetadataReader(std::uint64_t file_size);
  ~SpoolMetadataReader();
  SpoolMetadataReader(const SpoolMetadataReader&) = delete;
  SpoolMetadataReader& operator=(const SpoolMetadataReader&) = delete;
  void feed(std::string_view chunk);
  core::Expected<SpoolEntry, std::string> finish();
  // The message's length in octets (its "message-length"), once finish() has succeeded.
  std::uint64_t message_length() const { return message_length_; }

 private:
  std::uint64_t size_;
  std::uint64_t offset_ = 0;
  void* digest_;  // EVP_MD_CTX
  std::string first_;  // the magic line's octets
  std::string head_;
  bool header_done_ = false;
  bool head_too_long_ = false;
  char last_body_octet_ = 0;
  std::string trailer_;
  std::uint64_t message_length_ = 0;
};

// Percent-escaping used for header values: every octet outside 0x21..0x7E, and '%', becomes %XX.
std::string escape_value(std::string_view raw);
core::Expected<std::string, std::string> unescape_value(std::string_view escaped);

}  // namespace hikyaku::queue
