// The DATA stream reader: CRLF-only line ends, CRLF.CRLF only as the end, dot-unstuffing, limits.
// RFC 5321 §4.1.1.4, §4.5.2, §4.5.3.1.6; RFC 1870 §6. A bare CR or LF never ends a line or the
// message (the 2023 SMTP smuggling attacks): the data is read to the real end and refused.
#include "smtpd/data_reader.hpp"

namespace hikyaku::smtpd {

DataReader::DataReader(DataLimits limits) : limits_(limits) {}

DataOutcome DataReader::outcome() const {
  if (state_ != State::done) return DataOutcome::reading;
  if (bare_) return DataOutcome::bare_cr_lf;
  if (too_long_) return DataOutcome::line_too_long;
  if (too_big_) return DataOutcome::too_big;
  if (abandoned_) return DataOutcome::over_budget;
  return DataOutcome::ok;
}

void DataReader::abandon() {
  abandoned_ = true;
  drop_body();
}

void DataReader::drop_body() {
  body_.clear();
  body_.shrink_to_fit();
}

void DataReader::count(size_t n) {
  line_length_ += n;
  if (line_length_ > limits_.max_text_line && !too_long_) {
    too_long_ = true;
    long_line_number_ = lines_ + 1;
    drop_body();
  }
}

void DataReader::end_line() {
  ++lines_;
  if (long_line_number_ == lines_) long_line_length_ = line_length_;
  line_length_ = 0;
  state_ = State::line_start;
}

void DataReader::store(std::string_view octets) {
  size_ += octets.size();
  if (size_ > limits_.max_message_size && !too_big_) {
    too_big_ = true;
    drop_body();
  }
  if (!failed()) body_.append(octets);
}

void DataReader::store_crlf() { store("\r\n"); }

size_t DataReader::feed(std::string_view bytes) {
  size_t i = 0;
  const auto flag_bare = [this] {
    if (!bare_) {
      bare_ = true;
      drop_body();
    }
  };
  while (i < bytes.size() && state_ != State::done) {
    const char c = bytes[i];
    switch (state_) {
      case State::line_start:
        ++i;
        if (c == '.') {
          // §4.5.3.1.6: the dot added for transparency (§4.5.2) is not part of the line's
          // length; it is counted below only if it turns out not to be one (".\r" + not LF).
          state_ = State::dot;
        } else {
          count(1);
          if (c == '\r') {
            state_ = State::cr;
          } else {
            if (c == '\n') flag_bare();
            store(std::string_view(&c, 1));
            state_ = State::text;
          }
        }
        break;
      case State::dot:
        // §4.5.2: a line starting with '.' and holding more has that first '.' removed.
        count(1);
        ++i;
        if (c == '\r') {
          state_ = State::dot_cr;
        } else {
          if (c == '\n') flag_bare();
          store(std::string_view(&c, 1));
          state_ = State::text;
        }
        break;
      case State::dot_cr:
        count(1);
        ++i;
        if (c == '\n') {
          state_ = State::done;  // CRLF "." CRLF: the end of the mail data
        } else {
          flag_bare();  // ".\r" then something other than LF
          store("\r");
          if (c == '\r') {
            state_ = State::cr;
          } else {
            store(std::string_view(&c, 1));
            state_ = State::text;
          }
        }
        break;
      case State::text: {
        // Fast path: copy the run up to the next CR or LF in one go.
        size_t end = bytes.find_first_of("\r\n", i);
        if (end == std::string_view::npos) end = bytes.size();
        if (end > i) {
          count(end - i);
          store(bytes.substr(i, end - i));
          i = end;
          break;
        }
        count(1);
        ++i;
        if (c == '\r') {
          state_ = State::cr;
        } else {
          flag_bare();  // LF without CR
          store("\n");
        }
        break;
      }
      case State::cr:
        count(1);
        ++i;
        if (c == '\n') {
          store_crlf();
          end_line();
        } else {
          flag_bare();  // the previous CR had no LF
          store("\r");
          if (c != '\r') {
            store(std::string_view(&c, 1));
            state_ = State::text;
          }
        }
        break;
      case State::done:
        break;
    }
  }
  return i;
}

}  // namespace hikyaku::smtpd
