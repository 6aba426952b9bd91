// Per-session command statistics for the disconnect log line, as Postfix writes them
// ("ehlo=1 mail=1 rcpt=0/3 data=0/1 quit=1 commands=2/6"): for each verb seen, how many were
// accepted (a 2xx final reply, RFC 5321 §4.2.1) of how many were given.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "smtpd/command_parser.hpp"

namespace hikyaku::smtpd {

// "MAIL", "RCPT", ... ("unknown" for an unrecognised command).
std::string_view verb_name(Verb verb);

class CommandCounters {
 public:
  void issued(Verb verb) { ++counts_[index(verb)].total; }
  void accepted(Verb verb) { ++counts_[index(verb)].ok; }
  uint32_t given(Verb verb) const { return counts_[index(verb)].total; }
  // Verbs in the order of an ordinary session, then "commands=" for all of them; a verb with
  // every command accepted shows one number, else "accepted/given". Empty before any command.
  std::string render() const;

 private:
  struct Count {
    uint32_t ok = 0;
    uint32_t total = 0;
  };
  static size_t index(Verb verb) { return static_cast<size_t>(verb); }
  std::array<Count, static_cast<size_t>(Verb::unknown) + 1> counts_{};
};

}  // namespace hikyaku::smtpd
