// make_bounce: a DSN spool entry from a failed entry's recipients, reporting each by the address
// the sender used (queue/target_privacy), sent with SMTPUTF8 when the original was.
#include "queue/bounce.hpp"

#include "queue/target_privacy.hpp"

namespace hikyaku::queue {

namespace {

bool has_8bit(std::string_view s) {
  for (const char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return false;
}

}  // namespace

std::string header_block(const std::string& message) {
  const auto end = message.find("\r\n\r\n");
  if (end == std::string::npos) return message;
  return message.substr(0, end + 2);
}

std::string dsn_status(int code, const std::string& enhanced) {
  const char cls = static_cast<char>('0' + code / 100);
  if (!enhanced.empty() && enhanced[0] == cls) return enhanced;
  return code >= 500 ? "5.0.0" : "4.0.0";
}

std::string_view no_bounce_reason(const SpoolEntry& original) {
  // RFC 5321 §4.5.5 / RFC 3464 §2: a message with the null sender gets no DSN.
  if (original.mail_from.empty()) return "the null sender";
  // RFC 7208 §8.4: "fail" is the sender domain's explicit statement that the client may not use
  // it; a DSN to it would be backscatter to a forged address. softfail (§8.5, "probably not")
  // is common for genuine mail arriving through another forwarder, so it still gets its DSN.
  if (original.spf == "fail") return "a sender whose SPF check failed";
  return {};
}

DsnRecipient reported_recipient(DsnRecipient d, const SpoolEntry& original) {
  if (d.original_recipient.empty()) {
    for (const auto& r : original.recipients) {
      if (r.address == d.final_recipient && !r.original.empty()) {
        d.original_recipient = r.original;
        break;
      }
    }
  }
  // Entries from before original addresses were kept: the target is still not shown.
  const std::string shown =
      d.original_recipient.empty() ? std::string(kConcealedTarget) : d.original_recipient;
  d.diagnostic = conceal_target(d.diagnostic, d.final_recipient, shown);
  d.final_recipient = shown;
  return d;
}

SpoolEntry make_bounce(const BounceInput& in) {
  DsnInput dsn;
  dsn.reporting_mta = in.hostname;
  dsn.queue_id = in.original->queue_id;
  dsn.arrival = in.original->arrival;
  dsn.original_sender = in.original->mail_from;
  for (const auto& d : in.failed) dsn.recipients.push_back(reported_recipient(d, *in.original));
  dsn.original_headers = header_block(in.original->message);
  dsn.now = in.now;
  // RFC 6533: a global DSN when there is UTF-8 to carry and the path allows it (SMTPUTF8).
  bool any_8bit = has_8bit(dsn.original_headers) || has_8bit(dsn.original_sender);
  for (const auto& d : dsn.recipients) {
    any_8bit = any_8bit || has_8bit(d.final_recipient) || has_8bit(d.original_recipient) ||
               has_8bit(d.diagnostic);
  }
  dsn.utf8 = in.original->smtputf8 && any_8bit;

  SpoolEntry out;
  out.queue_id = in.new_queue_id;
  out.arrival = in.now;
  out.mail_from = "";       // RFC 5321 §4.5.5: the null reverse-path
  out.upstream_from = "";
  out.recipients.push_back({in.original->mail_from, RcptState::pending, "", ""});
  out.next_try = in.now;
  // RFC 6531 §3.7.2 / RFC 6533 §4: the DSN of an SMTPUTF8 message goes back with SMTPUTF8 (its
  // recipient, the original sender, may need it), and a global DSN carries 8-bit parts.
  out.smtputf8 = in.original->smtputf8;
  out.eight_bit = dsn.utf8;
  out.message = render_dsn(dsn);
  return out;
}

}  // namespace hikyaku::queue
