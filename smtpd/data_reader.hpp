// Reads the DATA stream after the 354: lines end only at CRLF, the message ends only at
// CRLF "." CRLF, dot-unstuffing, and the limits. RFC 5321 §4.1.1.4 (DATA), §4.5.2 (transparency),
// §4.5.3.1.6 (text line length), RFC 1870 (SIZE); bare CR/LF refused (SMTP smuggling defence).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hikyaku::smtpd {

enum class DataOutcome {
  reading,        // the end-of-data line has not been seen yet
  ok,             // a good message: take_message()
  bare_cr_lf,     // a CR or LF not part of a CRLF pair somewhere in the data
  line_too_long,  // a line over max_text_line octets (CRLF included, a stuffing dot not)
  too_big,        // more than max_message_size octets after unstuffing
  over_budget,    // abandon()ed: the process had no memory left for it (a temporary failure)
};

struct DataLimits {
  size_t max_text_line = 1000;
  uint64_t max_message_size = 26214400;
};

class DataReader {
 public:
  explicit DataReader(DataLimits limits);

  // Consumes octets up to and including the final CRLF "." CRLF; returns how many were used.
  // Octets after the end belong to the next command (PIPELINING) and are left alone.
  // After an error the rest is read and discarded to the real end; memory stays bounded by
  // max_message_size.
  size_t feed(std::string_view bytes);

  bool done() const { return state_ == State::done; }
  // reading until done(); then ok or the first-ranked error (bare CR/LF, line, size).
  DataOutcome outcome() const;
  // The unstuffed message with CRLF line ends (only meaningful when outcome() is ok).
  std::string take_message() { return std::move(body_); }
  // Octets of the message after unstuffing, counted even when it is no longer kept.
  uint64_t size() const { return size_; }
  // The first line over max_text_line (1-based) and its length in octets, CRLF included and a
  // stuffing dot not (§4.5.3.1.6); 0 when there is none. For the log line of the refusal.
  uint64_t long_line_number() const { return long_line_number_; }
  uint64_t long_line_length() const { return long_line_length_; }
  // Memory the kept message takes now (its buffer's capacity); 0 once it is dropped.
  size_t held() const { return failed() ? 0 : body_.capacity(); }
  // Stops keeping the message: it is read to its end and discarded (outcome over_budget).
  void abandon();

 private:
  enum class State {
    line_start,  // after a CRLF (or the 354): a '.' here is special
    dot,         // the line began with '.'
    dot_cr,      // the line is ".\r" so far
    text,        // inside a line
    cr,          // a CR inside a line, waiting for its LF
    done,        // CRLF "." CRLF seen
  };
  void store(std::string_view octets);
  void store_crlf();
  void end_line();
  void count(size_t n);
  bool failed() const { return bare_ || too_long_ || too_big_ || abandoned_; }
  void drop_body();

  DataLimits limits_;
  State state_ = State::line_start;
  std::string body_;
  uint64_t size_ = 0;
  size_t line_length_ = 0;  // octets of the current line so far (a stuffing dot not counted)
  uint64_t lines_ = 0;      // lines ended so far
  uint64_t long_line_number_ = 0;
  uint64_t long_line_length_ = 0;
  bool bare_ = false;
  bool too_long_ = false;
  bool too_big_ = false;
  bool abandoned_ = false;
};

}  // namespace hikyaku::smtpd
