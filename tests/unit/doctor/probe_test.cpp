// --probe findings as a pure function of probe results, and the probe targets (MX preference
// order, every address) taken from the gathered answers.
#include <gtest/gtest.h>

#include "doctor/probe.hpp"
#include "doctor_test_support.hpp"

namespace hikyaku::doctor::test {
namespace {

ProbeResult taking(unsigned preference, const std::string& host) {
  ProbeResult r;
  r.target = {preference, host, "192.0.2.1"};
  r.connected = true;
  r.greeting_code = 220;
  r.ehlo_code = 250;
  r.starttls_offered = true;
  r.tls_ok = true;
  r.name_matches = true;
  r.chain_trusted = true;
  return r;
}

const Finding* find(const std::vector<Finding>& f, const std::string& id) {
  for (const auto& x : f) {
    if (x.check == id) return &x;
  }
  return nullptr;
}

TEST(DoctorProbe, ThePreferredHostTakesTheMail) {
  std::vector<Finding> out;
  probe_findings("d.test", {taking(10, "mx1.d.test"), taking(20, "mx2.d.test")}, out);
  ASSERT_TRUE(find(out, "probe.delivery"));
  EXPECT_EQ(find(out, "probe.delivery")->severity, Severity::ok);
  EXPECT_NE(find(out, "probe.delivery")->problem.find("mx1.d.test"), std::string::npos);
}

TEST(DoctorProbe, APreferredHostThatDoesNotAnswer) {
  ProbeResult down;
  down.target = {10, "mx1.d.test", "192.0.2.1"};
  down.error = "connect: Connection refused";
  std::vector<Finding> out;
  probe_findings("d.test", {down, taking(20, "mx2.d.test")}, out);
  EXPECT_EQ(find(out, "probe.connect")->severity, Severity::warn);
  EXPECT_EQ(find(out, "probe.delivery")->severity, Severity::warn);
  EXPECT_NE(find(out, "probe.delivery")->problem.find("mx2.d.test"), std::string::npos);
  std::vector<Finding> none;
  probe_findings("d.test", {down}, none);
  EXPECT_EQ(find(none, "probe.delivery")->severity, Severity::error);
}

TEST(DoctorProbe, GreetingStarttlsTlsAndCertificate) {
  ProbeResult busy = taking(10, "a.d.test");
  busy.greeting_code = 554;
  ProbeResult plain = taking(10, "b.d.test");
  plain.starttls_offered = false;
  ProbeResult broken = taking(10, "c.d.test");
  broken.tls_ok = false;
  broken.tls_error = "handshake: wrong version";
  ProbeResult other = taking(10, "d.d.test");
  other.name_matches = false;
  ProbeResult untrusted = taking(10, "e.d.test");
  untrusted.chain_trusted = false;
  std::vector<Finding> out;
  probe_findings("d.test", {busy, plain, broken, other, untrusted}, out);
  EXPECT_EQ(find(out, "probe.greeting")->severity, Severity::error);
  EXPECT_EQ(find(out, "probe.starttls")->subject, "b.d.test 192.0.2.1");
  EXPECT_NE(find(out, "probe.tls")->problem.find("wrong version"), std::string::npos);
  std::vector<const Finding*> certs;
  for (const auto& f : out) {
    if (f.check == "probe.certificate") certs.push_back(&f);
  }
  ASSERT_EQ(certs.size(), 2u);
  EXPECT_EQ(certs[0]->severity, Severity::warn);
  EXPECT_EQ(certs[1]->severity, Severity::info);
}

TEST(DoctorProbe, TargetsInPreferenceOrderWithEveryAddress) {
  Scenario s{zone("d.test", "@ IN MX 20 b\n@ IN MX 10 a\na IN A 192.0.2.1\na IN AAAA 2001:db8::1\nb IN A 192.0.2.2\n"), {}, {}};
  const auto options = options_for("d.test");
  const auto d = run(s, options);
  const auto targets = probe_targets(options, d.answers);
  ASSERT_EQ(targets.size(), 3u);
  EXPECT_EQ(targets[0].address, "2001:db8::1");
  EXPECT_EQ(targets[1].address, "192.0.2.1");
  EXPECT_EQ(targets[2].host, "b.d.test");
}

}  // namespace
}  // namespace hikyaku::doctor::test
