// SRS as Mail::SRS 0.31 (the Perl reference implementation, Debian libmail-srs-perl) writes it,
// byte for byte: testdata/mail_srs_vectors.tsv was produced by testdata/make_mail_srs_vectors.pl
// at fixed times. Forward results must be equal (the original domain's letter case kept, an
// address already in the SRS domain returned unchanged); reverse must recover the original.
// Two deliberate differences, each asserted below with its reason:
//  - the hash alphabet: base64url ("-", "_") as PostSRSd >= 2.0 writes it, where Mail::SRS and
//    libsrs2 write "+" and "/"; every reader (ours, PostSRSd, libsrs2's case-insensitive
//    compare aside) accepts both, and "+" is a subaddress separator at many destinations;
//  - a quoted local part: Mail::SRS pastes the quotes into the middle of the new local part
//    (SRS0=HHHH=TT=host="a b"@fwd), which is not an RFC 5321 §4.1.2 Local-part; ours quotes the
//    whole new local part ("SRS0=HHHH=TT=host=a b"@fwd), which is, and reverses.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/address.hpp"
#include "srs/srs.hpp"

namespace hikyaku::srs {
namespace {

constexpr const char* kVectors = HIKYAKU_SOURCE_DIR "/tests/unit/srs/testdata/mail_srs_vectors.tsv";

struct Vector {
  std::string op, secret;
  long long time = 0;
  std::string alias, input, output;
};

std::vector<Vector> load() {
  std::ifstream in(kVectors);
  std::vector<Vector> out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    Vector v;
    std::string time;
    std::getline(fields, v.op, '\t');
    std::getline(fields, v.secret, '\t');
    std::getline(fields, time, '\t');
    std::getline(fields, v.alias, '\t');
    std::getline(fields, v.input, '\t');
    std::getline(fields, v.output, '\t');
    v.time = std::stoll(time);
    out.push_back(std::move(v));
  }
  return out;
}

std::chrono::sys_days day_of(long long unix_time) {
  return std::chrono::sys_days{std::chrono::days{unix_time / 86400}};
}

// Mail::SRS's hash in our alphabet: '+' → '-', '/' → '_' in the four characters after the tag.
std::string in_our_alphabet(std::string address) {
  if (address.rfind("SRS0=", 0) == 0 || address.rfind("SRS1=", 0) == 0) {
    for (size_t i = 5; i < 9 && i < address.size(); ++i) {
      if (address[i] == '+') address[i] = '-';
      if (address[i] == '/') address[i] = '_';
    }
  }
  return address;
}

bool quoted(const std::string& address) { return !address.empty() && address.front() == '"'; }

TEST(MailSrsVectors, ForwardMatchesByteForByte) {
  const auto vectors = load();
  ASSERT_GE(vectors.size(), 100u) << kVectors;
  size_t checked = 0, alphabet = 0;
  for (const auto& v : vectors) {
    if (v.op != "forward" || quoted(v.input)) continue;
    const auto sender = core::parse_mailbox(v.input, true);
    ASSERT_TRUE(sender) << v.input;
    const auto ours = forward(*sender, SrsKeys{{v.secret}}, v.alias, day_of(v.time));
    ASSERT_TRUE(ours) << v.input << ": " << describe(ours.error());
    EXPECT_EQ(ours->str_as_sent(), in_our_alphabet(v.output)) << v.input << " at " << v.time;
    alphabet += in_our_alphabet(v.output) != v.output;
    ++checked;
  }
  EXPECT_GE(checked, 50u);
  EXPECT_GE(alphabet, 1u);  // the alphabet difference is exercised, not just assumed
}

TEST(MailSrsVectors, ReverseOfMailSrsAddressesGivesTheirOriginal) {
  size_t checked = 0;
  for (const auto& v : load()) {
    if (v.op != "reverse" || v.input.find('"') != std::string::npos) continue;
    const auto srs_address = core::parse_mailbox(v.input, true);
    ASSERT_TRUE(srs_address) << v.input;
    const auto back = reverse(*srs_address, SrsKeys{{v.secret}}, day_of(v.time));
    ASSERT_TRUE(back) << v.input << ": " << describe(back.error());
    EXPECT_EQ(back->str_as_sent(), v.output) << v.input;
    ++checked;
  }
  EXPECT_GE(checked, 40u);
}

TEST(MailSrsVectors, AddressInTheSrsDomainIsReturnedExactlyAsSent) {
  size_t checked = 0;
  for (const auto& v : load()) {
    if (v.op != "forward" || v.output != v.input) continue;
    const auto sender = core::parse_mailbox(v.input, true);
    ASSERT_TRUE(sender);
    const auto ours = forward(*sender, SrsKeys{{v.secret}}, v.alias, day_of(v.time));
    ASSERT_TRUE(ours);
    EXPECT_EQ(ours->str_as_sent(), v.input);
    ++checked;
  }
  EXPECT_GE(checked, 3u);  // bob@, BOB@FWD.Example.net, Bob@Fwd.Example.Net at each time
}

TEST(MailSrsVectors, QuotedLocalPartKeepsOurValidForm) {
  size_t checked = 0;
  for (const auto& v : load()) {
    if (v.op != "forward" || !quoted(v.input)) continue;
    // Mail::SRS's result is not an RFC 5321 Mailbox: quotes inside a Dot-string.
    EXPECT_NE(v.output.find("=\"a b\"@"), std::string::npos) << v.output;
    EXPECT_FALSE(core::parse_mailbox(v.output, true)) << v.output;
    // Ours is one quoted-string, a valid Mailbox, that reverses to the original.
    const auto sender = core::parse_mailbox(v.input, true);
    ASSERT_TRUE(sender);
    const auto ours = forward(*sender, SrsKeys{{v.secret}}, v.alias, day_of(v.time));
    ASSERT_TRUE(ours);
    const std::string text = ours->str_as_sent();
    EXPECT_EQ(text.front(), '"');
    EXPECT_NE(text.find("=a b\"@fwd.example.net"), std::string::npos) << text;
    const auto reparsed = core::parse_mailbox(text, true);
    ASSERT_TRUE(reparsed) << text;
    const auto back = reverse(*reparsed, SrsKeys{{v.secret}}, day_of(v.time));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->str_as_sent(), v.input);
    ++checked;
  }
  EXPECT_EQ(checked, 3u);
}

}  // namespace
}  // namespace hikyaku::srs
