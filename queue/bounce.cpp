// make_bounce: a DSN spool entry from a failed entry's recipients.
#include "queue/bounce.hpp"

namespace hikyaku::queue {

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

SpoolEntry make_bounce(const BounceInput& in) {
  DsnInput dsn;
  dsn.reporting_mta = in.hostname;
  dsn.queue_id = in.original->queue_id;
  dsn.arrival = in.original->arrival;
  dsn.original_sender = in.original->mail_from;
  dsn.recipients = in.failed;
  dsn.original_headers = header_block(in.original->message);
  dsn.now = in.now;

  SpoolEntry out;
  out.queue_id = in.new_queue_id;
  out.arrival = in.now;
  out.mail_from = "";       // RFC 5321 §4.5.5: the null reverse-path
  out.upstream_from = "";
  out.recipients.push_back({in.original->mail_from, RcptState::pending, "", ""});
  out.next_try = in.now;
  out.message = render_dsn(dsn);
  return out;
}

}  // namespace hikyaku::queue
