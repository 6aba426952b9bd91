// Fuzz target: the DATA reader. Input: two octets choosing the limits, then the stream.
// Invariants: an accepted message is what a plain line-by-line unstuffing of the consumed
// octets gives; it is CRLF-clean and within both limits; feeding byte by byte gives the same result.
// RFC 5321 §4.5.2 (transparency), §4.5.3.1.6.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "smtpd/data_reader.hpp"

using namespace hikyaku::smtpd;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// A plain reference for a conforming stream: split at CRLF, drop one leading dot per line.
// Returns false when the stream is not CRLF lines ending with a "." line.
bool reference_unstuff(std::string_view wire, std::string& out) {
  out.clear();
  while (!wire.empty()) {
    const size_t eol = wire.find("\r\n");
    if (eol == std::string_view::npos) return false;
    std::string_view line = wire.substr(0, eol);
    wire.remove_prefix(eol + 2);
    if (line == ".") return wire.empty();
    if (!line.empty() && line.front() == '.') line.remove_prefix(1);
    out.append(line);
    out += "\r\n";
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  DataLimits limits;
  limits.max_text_line = 2 + data[0] % 128;
  limits.max_message_size = data[1] * 16u;
  const std::string_view in(reinterpret_cast<const char*>(data + 2), size - 2);

  DataReader whole(limits);
  const size_t consumed = whole.feed(in);
  check(consumed <= in.size());
  check(whole.done() || consumed == in.size());
  check(whole.done() == (whole.outcome() != DataOutcome::reading));

  DataReader bytewise(limits);
  size_t consumed_b = 0;
  for (char c : in) {
    if (bytewise.done()) break;
    const size_t n = bytewise.feed(std::string_view(&c, 1));
    check(n <= 1);
    consumed_b += n;
  }
  check(consumed_b == consumed);
  check(bytewise.outcome() == whole.outcome());
  check(bytewise.size() == whole.size());

  if (whole.outcome() == DataOutcome::ok) {
    const std::string m = whole.take_message();
    check(m == bytewise.take_message());
    check(m.size() <= limits.max_message_size);
    check(m.size() == whole.size());
    std::string expected;
    check(reference_unstuff(in.substr(0, consumed), expected));
    check(m == expected);
    size_t line = 0;
    for (size_t i = 0; i < m.size(); ++i) {
      if (m[i] == '\r') check(i + 1 < m.size() && m[i + 1] == '\n');
      if (m[i] == '\n') check(i > 0 && m[i - 1] == '\r');
      ++line;
      if (m[i] == '\n') {
        check(line <= limits.max_text_line);  // unstuffed is never longer than on the wire
        line = 0;
      }
    }
  }
  // Once done, nothing more is consumed.
  if (whole.done()) check(whole.feed("more\r\n.\r\n") == 0);
  return 0;
}
