// smtpd/command_counters: the rendering of the disconnect line's counters.
#include "smtpd/command_counters.hpp"

#include <iterator>

#include <fmt/format.h>

namespace hikyaku::smtpd {

namespace {

struct Named {
  Verb verb;
  const char* name;
};

// The order of an ordinary session, as Postfix prints them.
constexpr Named kOrder[] = {
    {Verb::helo, "helo"}, {Verb::ehlo, "ehlo"}, {Verb::starttls, "starttls"}, {Verb::mail, "mail"},
    {Verb::rcpt, "rcpt"}, {Verb::data, "data"}, {Verb::rset, "rset"},         {Verb::noop, "noop"},
    {Verb::vrfy, "vrfy"}, {Verb::expn, "expn"}, {Verb::help, "help"},         {Verb::quit, "quit"},
    {Verb::unknown, "unknown"},
};

std::string count_text(uint32_t ok, uint32_t total) {
  return ok == total ? fmt::format("{}", total) : fmt::format("{}/{}", ok, total);
}

}  // namespace

std::string_view verb_name(Verb verb) {
  static constexpr const char* kUpper[] = {"HELO", "EHLO", "MAIL", "RCPT", "DATA",     "RSET",   "NOOP",
                                           "QUIT", "VRFY", "EXPN", "HELP", "STARTTLS", "unknown"};
  static_assert(std::size(kUpper) == static_cast<size_t>(Verb::unknown) + 1);
  return kUpper[static_cast<size_t>(verb)];
}

std::string CommandCounters::render() const {
  std::string out;
  uint32_t ok = 0;
  uint32_t total = 0;
  for (const auto& [verb, name] : kOrder) {
    const Count& c = counts_[index(verb)];
    if (c.total == 0) continue;
    out += fmt::format("{}{}={}", out.empty() ? "" : " ", name, count_text(c.ok, c.total));
    ok += c.ok;
    total += c.total;
  }
  if (total == 0) return out;
  return out + " commands=" + count_text(ok, total);
}

}  // namespace hikyaku::smtpd
