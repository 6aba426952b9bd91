// Every doctor check driven with DNS answers from zone text (no sockets): one scenario per
// finding, and a clean domain with none. docs/doctor-checks.md maps each check id to its test.
#include <gtest/gtest.h>

#include <memory>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "doctor/checks.hpp"
#include "doctor/render.hpp"
#include "doctor_test_support.hpp"

namespace hikyaku::doctor::test {
namespace {

TEST(DoctorClean, ACleanDomainHasNoErrorAndNoWarning) {
  const auto result = run(clean(), options_for("clean.test"));
  EXPECT_FALSE(has_error(result)) << dump(result);
  for (const auto& f : result.findings) EXPECT_NE(f.severity, Severity::warn) << dump(result);
  EXPECT_EQ(only(result, "mx.ok").severity, Severity::ok);
  EXPECT_EQ(only(result, "spf.ok").severity, Severity::ok);
  EXPECT_EQ(only(result, "dmarc.ok").severity, Severity::ok);
  EXPECT_EQ(with_id(result, "ptr.ok").size(), 4u);
  EXPECT_EQ(exit_code(result), 0);
  EXPECT_FALSE(result.required_unanswered);
  EXPECT_LE(result.rounds, 6);
}

// ---- MX

TEST(DoctorMx, NoMxNoAddressIsAnError) {
  const auto r = run(d(kOkAuth), options_for("d.test"));
  EXPECT_EQ(only(r, "mx.missing").severity, Severity::error);
  EXPECT_EQ(exit_code(r), 1);
}

TEST(DoctorMx, NoMxWithAnAddressIsImplicitMx) {
  const auto r = run(d(kOkAuth + "@ IN A 192.0.2.10\n"), options_for("d.test"));
  EXPECT_EQ(only(r, "mx.missing").severity, Severity::warn);
  EXPECT_NE(only(r, "mx.missing").problem.find("implicit MX"), std::string::npos);
}

TEST(DoctorMx, NonexistentDomain) {
  const auto r = run(d(kOkAuth), options_for("nothing.d.test"));
  EXPECT_EQ(only(r, "mx.missing").severity, Severity::error);
  EXPECT_NE(only(r, "mx.missing").problem.find("NXDOMAIN"), std::string::npos);
}

TEST(DoctorMx, NullMxAloneIsAcceptedForANoMailDomain) {
  const auto r = run(d("@ IN MX 0 .\n@ IN TXT \"v=spf1 -all\"\n_dmarc IN TXT \"v=DMARC1; p=reject\"\n"), options_for("d.test"));
  EXPECT_EQ(only(r, "mx.null").severity, Severity::info);
  EXPECT_FALSE(has_error(r)) << dump(r);
}

TEST(DoctorMx, NullMxBesideOtherMxIsAnError) {
  const auto r = run(d("@ IN MX 0 .\n" + kOkMail + kOkAuth), options_for("d.test"));
  EXPECT_EQ(only(r, "mx.null_mixed").severity, Severity::error);
}

TEST(DoctorMx, TargetIsACname) {
  const auto r = run(d("@ IN MX 10 alias\nalias IN CNAME mx1.clean.test.\n" + kOkAuth), options_for("d.test"));
  const auto& f = only(r, "mx.cname");
  EXPECT_EQ(f.severity, Severity::warn);
  EXPECT_EQ(f.subject, "alias.d.test");
  EXPECT_EQ(f.fix, "d.test. 3600 IN MX 10 mx1.clean.test.");
}

TEST(DoctorMx, TargetIsAnIpLiteral) {
  const auto r = run(d("@ IN MX 10 192.0.2.10.\n" + kOkMail + kOkAuth), options_for("d.test"));
  EXPECT_EQ(only(r, "mx.ip_literal").severity, Severity::error);
}

TEST(DoctorMx, TargetDoesNotExist) {
  const auto r = run(d("@ IN MX 10 gone\n@ IN MX 20 mx2.clean.test.\n" + kOkAuth), options_for("d.test"));
  const auto& f = only(r, "mx.nxdomain");
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_NE(f.problem.find("preferred host"), std::string::npos);
}

TEST(DoctorMx, PreferredTargetWithoutAddress) {
  const auto r = run(d("@ IN MX 10 bare\nbare IN TXT \"x\"\n@ IN MX 20 mx2.clean.test.\n" + kOkAuth), options_for("d.test"));
  const auto& f = only(r, "mx.no_address");
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_NE(f.problem.find("preferred host"), std::string::npos);
}

TEST(DoctorMx, SameHostTwice) {
  const auto r = run(d("@ IN MX 10 mx1.clean.test.\n@ IN MX 20 mx1.clean.test.\n" + kOkAuth), options_for("d.test"));
  EXPECT_EQ(only(r, "mx.duplicate").severity, Severity::warn);
  EXPECT_EQ(only(r, "mx.single").severity, Severity::info);  // one distinct host
}

TEST(DoctorMx, SingleEqualPreferenceAndNoIpv6AreInfo) {
  const auto r1 = run(d("@ IN MX 10 mx1.clean.test.\n" + kOkAuth), options_for("d.test"));
  EXPECT_EQ(only(r1, "mx.single").severity, Severity::info);
  const auto r2 = run(d("@ IN MX 10 a\n@ IN MX 10 b\na IN A 192.0.2.10\nb IN A 192.0.2.11\n" + kOkAuth), options_for("d.test"));
  EXPECT_EQ(only(r2, "mx.equal_preference").severity, Severity::info);
  EXPECT_EQ(only(r2, "mx.no_ipv6").severity, Severity::info);
  EXPECT_TRUE(with_id(run(clean(), options_for("clean.test")), "mx.no_ipv6").empty());
}

TEST(DoctorMx, TimeoutIsUnknownNeverMissing) {
  Scenario s = clean();
  s.timeouts.insert({"clean.test", dns::RecordType::mx});
  const auto r = run(s, options_for("clean.test"));
  EXPECT_EQ(only(r, "mx.unknown").severity, Severity::unknown);
  EXPECT_TRUE(with_id(r, "mx.missing").empty());
  EXPECT_TRUE(r.required_unanswered);
  EXPECT_EQ(exit_code(r), 3);
}

// ---- Proxied hosts

TEST(DoctorProxy, MxTargetInACdnRange) {
  const auto r = run(d("@ IN MX 10 mail\nmail IN A 104.16.1.1\n" + kOkAuth), options_for("d.test"));
  const auto& f = only(r, "proxy.mx");
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_NE(f.problem.find("104.16.0.0/13"), std::string::npos);
  EXPECT_NE(f.fix.find("DNS-only"), std::string::npos);
  EXPECT_NE(f.fix.find("real address"), std::string::npos);  // the caution about the origin
  // The proxied mail host is also the mail client host.
  EXPECT_EQ(only(r, "proxy.host").severity, Severity::error);
  EXPECT_TRUE(with_id(r, "ptr.missing").empty());  // the CDN's PTR is not judged
}

TEST(DoctorProxy, IpV6TargetInACdnRange) {
  const auto r = run(d("@ IN MX 10 mx\nmx IN AAAA 2606:4700::6810:1\n" + kOkAuth), options_for("d.test"));
  EXPECT_EQ(only(r, "proxy.mx").severity, Severity::error);
}

TEST(DoctorProxy, ClientHostsInACdnRange) {
  const auto r = run(d(kOkMail + kOkAuth + "imap IN A 172.64.1.1\nwebmail IN A 172.64.1.2\n"), options_for("d.test"));
  const auto hosts = with_id(r, "proxy.host");
  ASSERT_EQ(hosts.size(), 2u) << dump(r);
  EXPECT_EQ(hosts[0]->subject, "imap.d.test");
  EXPECT_EQ(hosts[0]->severity, Severity::error);
  EXPECT_EQ(hosts[1]->subject, "webmail.d.test");
  EXPECT_EQ(hosts[1]->severity, Severity::info);
}

TEST(DoctorProxy, AutoCreatedDcRecordInMx) {
  for (const char* target : {"dc-1a2b3c4d5e", "x._dc-mx.a1b2c3"}) {
    const auto r = run(d(std::string("@ IN MX 10 ") + target + "\n" + target + " IN A 192.0.2.10\n" + kOkAuth),
                       options_for("d.test"));
    const auto& f = only(r, "proxy.dc_record");
    EXPECT_EQ(f.severity, Severity::error);
    EXPECT_NE(f.fix.find("mail.d.test. 300 IN A"), std::string::npos);
    EXPECT_NE(f.fix.find("MX 10 mail.d.test."), std::string::npos);
  }
  const auto ok = run(d("@ IN MX 10 dc-zz\ndc-zz IN A 192.0.2.10\n" + kOkAuth), options_for("d.test"));
  EXPECT_TRUE(with_id(ok, "proxy.dc_record").empty());  // not hex
}

TEST(DoctorProxy, SpfTermsResolvingIntoACdnRange) {
  const auto r = run(d(kOkMail + "@ IN TXT \"v=spf1 a:www.d.test -all\"\nwww IN A 104.16.2.2\n_dmarc IN TXT \"v=DMARC1; p=reject\"\n"),
                     options_for("d.test"));
  EXPECT_EQ(only(r, "proxy.spf").severity, Severity::warn);
}

TEST(DoctorProxy, AMailProvidersOwnHostsAndRangesAreNotFlagged) {
  auto ranges = ProxyRanges::parse("proxy 104.16.0.0/13\nmail 104.17.0.0/16\nmail-host mx.provider.test\n", "t");
  ASSERT_TRUE(ranges);
  auto options = options_for("d.test");
  options.ranges = &*ranges;
  const auto r = run(d("@ IN MX 10 route1.mx.provider.test.\n@ IN MX 20 mx2\nmx2 IN A 104.17.1.1\n" + kOkAuth +
                       "mail IN A 104.16.9.9\n"),
                     options);
  EXPECT_TRUE(with_id(r, "proxy.mx").empty()) << dump(r);
  EXPECT_EQ(only(r, "proxy.host").subject, "mail.d.test");  // the owner's own host still is
}

// ---- DKIM

std::string rsa_public_b64(int bits) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(static_cast<unsigned>(bits)), &EVP_PKEY_free);
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key.get(), &der);
  std::string b64(static_cast<size_t>(4 * ((len + 2) / 3)), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), der, len);
  OPENSSL_free(der);
  return b64;
}

std::string key_zone(const std::string& selector, const std::string& record) {
  std::string split;
  for (size_t i = 0; i < record.size(); i += 200) split += "\"" + record.substr(i, 200) + "\" ";
  return selector + "._domainkey IN TXT ( " + split + ")\n";
}

Diagnosis dkim_run(const std::string& keys, std::vector<std::string> selectors) {
  auto options = options_for("d.test");
  options.selectors = std::move(selectors);
  return run(d(kOkMail + kOkAuth + keys), options);
}

TEST(DoctorDkim, GoodKeysAndMissingSelector) {
  const auto r = dkim_run(key_zone("good", "v=DKIM1; k=rsa; p=" + rsa_public_b64(2048)) +
                              key_zone("ed", "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="),
                          {"good", "ed", "none"});
  const auto ok = with_id(r, "dkim.ok");
  ASSERT_EQ(ok.size(), 2u) << dump(r);
  EXPECT_NE(ok[0]->problem.find("2048 bits"), std::string::npos);
  EXPECT_NE(ok[1]->problem.find("ed25519 key of 256 bits"), std::string::npos);
  EXPECT_EQ(only(r, "dkim.missing").subject, "none._domainkey.d.test");
  EXPECT_EQ(only(r, "dkim.missing").severity, Severity::error);
}

TEST(DoctorDkim, InvalidRevokedTesting) {
  const auto r = dkim_run(key_zone("bad", "v=DKIM1; k=rsa; p=AAAA") + key_zone("nop", "v=DKIM1; k=rsa") +
                              key_zone("rev", "v=DKIM1; p=") +
                              key_zone("test", "v=DKIM1; t=y; p=" + rsa_public_b64(2048)),
                          {"bad", "nop", "rev", "test"});
  EXPECT_EQ(with_id(r, "dkim.invalid").size(), 2u) << dump(r);
  EXPECT_EQ(only(r, "dkim.revoked").severity, Severity::warn);
  EXPECT_EQ(only(r, "dkim.testing").severity, Severity::warn);
}

TEST(DoctorDkim, KeySizesAtTheirBoundaries) {
  const auto r = dkim_run(key_zone("k512", "v=DKIM1; p=" + rsa_public_b64(512)) +
                              key_zone("k1024", "v=DKIM1; p=" + rsa_public_b64(1024)) +
                              key_zone("k2048", "v=DKIM1; p=" + rsa_public_b64(2048)),
                          {"k512", "k1024", "k2048"});
  const auto weak = with_id(r, "dkim.weak_key");
  ASSERT_EQ(weak.size(), 2u) << dump(r);
  EXPECT_EQ(weak[0]->severity, Severity::error);
  EXPECT_EQ(weak[0]->subject, "k512._domainkey.d.test");
  EXPECT_EQ(weak[1]->severity, Severity::warn);
  EXPECT_EQ(weak[1]->subject, "k1024._domainkey.d.test");
}

// ---- MTA-STS and TLS-RPT

TEST(DoctorMtaSts, RecordSyntax) {
  const auto good = run(d(kOkMail + kOkAuth + "_mta-sts IN TXT \"v=STSv1; id=20260101T000000\"\n"
                                              "_smtp._tls IN TXT \"v=TLSRPTv1; rua=mailto:tls@d.test\"\n"),
                        options_for("d.test"));
  EXPECT_EQ(only(good, "mta_sts.ok").severity, Severity::ok);
  EXPECT_EQ(only(good, "tls_rpt.ok").severity, Severity::ok);
  const auto bad = run(d(kOkMail + kOkAuth + "_mta-sts IN TXT \"v=STSv1; id=2026-01-01\"\n"
                                             "_smtp._tls IN TXT \"v=TLSRPTv1; rua=tls@d.test\"\n"),
                       options_for("d.test"));
  EXPECT_EQ(only(bad, "mta_sts.syntax").severity, Severity::error);
  EXPECT_EQ(only(bad, "tls_rpt.syntax").severity, Severity::error);
}

// ---- PTR of the MX hosts

TEST(DoctorPtr, MissingAndNotResolvingBack) {
  const auto r = run(d("@ IN MX 10 a\n@ IN MX 20 b\na IN A 192.0.2.20\nb IN A 192.0.2.10\n" + kOkAuth), options_for("d.test"));
  // 192.0.2.20 has no PTR; 192.0.2.10's PTR (mx1.clean.test) is not b.d.test but resolves back.
  EXPECT_EQ(only(r, "ptr.missing").subject, "a.d.test 192.0.2.20");
  EXPECT_EQ(only(r, "ptr.ok").subject, "b.d.test 192.0.2.10");
  const auto mismatch = run(domain("@ IN MX 10 a\na IN A 192.0.2.30\n" + kOkAuth,
                                   zone("clean.test", kCleanBody) + zone("30.2.0.192.in-addr.arpa", "@ IN PTR elsewhere.d.test.\n")),
                            options_for("d.test"));
  EXPECT_EQ(only(mismatch, "ptr.mismatch").severity, Severity::warn);
}

// ---- Propagation

TEST(DoctorPropagation, AgreeingServers) {
  Scenario s = clean();
  s.servers["127.0.0.1:53"] = AuthServer{zone("clean.test", kCleanBody), 7, false};
  auto options = options_for("clean.test");
  options.propagation = true;
  const auto r = run(s, options);
  const auto& f = only(r, "propagation.ok");
  EXPECT_NE(f.problem.find("serial 7"), std::string::npos) << f.problem;
  EXPECT_NE(f.problem.find("within 300 s"), std::string::npos) << f.problem;
}

TEST(DoctorPropagation, DifferentSerialsAndAnswers) {
  Scenario s = clean();
  s.servers["192.0.2.53:53"] = AuthServer{zone("clean.test", kCleanBody), 7, false};
  s.servers["192.0.2.54:53"] =
      AuthServer{zone("clean.test", "@ IN MX 10 mx1\nmx1 IN A 192.0.2.10\n@ IN TXT \"v=spf1 -all\"\n"), 6, false};
  auto options = options_for("clean.test");
  options.propagation = true;
  options.authoritative = {"192.0.2.53:53", "192.0.2.54:53"};
  const auto r = run(s, options);
  const auto& serial = only(r, "propagation.serial");
  EXPECT_NE(serial.problem.find("serial 6 at 192.0.2.54:53"), std::string::npos) << serial.problem;
  EXPECT_NE(serial.problem.find("serial 7 at 192.0.2.53:53"), std::string::npos);
  EXPECT_EQ(with_id(r, "propagation.disagree").size(), 3u) << dump(r);  // MX, TXT, _dmarc TXT
  EXPECT_TRUE(with_id(r, "propagation.ok").empty());
}

TEST(DoctorPropagation, AnUnreachableServerIsAFindingNotAFailedRun) {
  Scenario s = clean();
  s.servers["192.0.2.53:53"] = AuthServer{zone("clean.test", kCleanBody), 7, false};
  s.servers["192.0.2.54:53"] = AuthServer{{}, 0, true};
  s.servers["192.0.2.54:53"].zone_text = zone("clean.test", "");
  auto options = options_for("clean.test");
  options.propagation = true;
  options.authoritative = {"192.0.2.53:53", "192.0.2.54:53"};
  const auto r = run(s, options);
  EXPECT_EQ(only(r, "propagation.unreachable").subject, "192.0.2.54:53");
  EXPECT_EQ(only(r, "propagation.ok").severity, Severity::ok);
  EXPECT_EQ(exit_code(r), 0);
}

TEST(DoctorPropagation, ALameServerAndUnreadableNsRecords) {
  Scenario s = clean();
  s.servers["192.0.2.53:53"] = AuthServer{zone("clean.test", kCleanBody), 7, false, true};
  auto options = options_for("clean.test");
  options.propagation = true;
  options.authoritative = {"192.0.2.53:53"};
  EXPECT_EQ(only(run(s, options), "propagation.lame").severity, Severity::warn);
  Scenario t = clean();
  t.timeouts.insert({"clean.test", dns::RecordType::ns});
  options.authoritative.clear();
  EXPECT_EQ(only(run(t, options), "propagation.unknown").severity, Severity::unknown);
}

// ---- Timeouts are unknown, never "missing"

TEST(DoctorUnknown, EveryOptionalLookupThatTimesOutIsUnknown) {
  Scenario s = clean();
  s.timeouts = {{"k1._domainkey.clean.test", dns::RecordType::txt},
                {"_mta-sts.clean.test", dns::RecordType::txt},
                {"_smtp._tls.clean.test", dns::RecordType::txt},
                {"10.2.0.192.in-addr.arpa", dns::RecordType::ptr}};
  auto options = options_for("clean.test");
  options.selectors = {"k1"};
  const auto r = run(s, options);
  for (const char* id : {"dkim.unknown", "mta_sts.unknown", "tls_rpt.unknown", "ptr.unknown"}) {
    EXPECT_EQ(only(r, id).severity, Severity::unknown) << id;
  }
  EXPECT_TRUE(with_id(r, "dkim.missing").empty());
  EXPECT_TRUE(with_id(r, "ptr.missing").empty());
  EXPECT_EQ(exit_code(r), 0);  // MX, SPF and DMARC were answered
}

TEST(DoctorUnknown, QuestionsPastTheRoundLimitAreUnknown) {
  // Each include needs one more round; with 2 rounds the chain cannot be followed to its end.
  const auto r = run(d(kOkMail + "@ IN TXT \"v=spf1 include:i1.d.test -all\"\ni1 IN TXT \"v=spf1 include:i2.d.test -all\"\n"
                                 "i2 IN TXT \"v=spf1 include:i3.d.test -all\"\ni3 IN TXT \"v=spf1 -all\"\n"
                                 "_dmarc IN TXT \"v=DMARC1; p=reject\"\n"),
                     options_for("d.test"), 2);
  EXPECT_FALSE(with_id(r, "spf.unknown").empty()) << dump(r);
  const auto full = run(d(kOkMail + "@ IN TXT \"v=spf1 include:i1.d.test -all\"\ni1 IN TXT \"v=spf1 include:i2.d.test -all\"\n"
                                    "i2 IN TXT \"v=spf1 include:i3.d.test -all\"\ni3 IN TXT \"v=spf1 -all\"\n"
                                    "_dmarc IN TXT \"v=DMARC1; p=reject\"\n"),
                        options_for("d.test"));
  EXPECT_TRUE(with_id(full, "spf.unknown").empty()) << dump(full);
}

// ---- With -c: our side

OurSide ours_for(const std::string& dkim_record) {
  OurSide o;
  o.inbound_mx = {{10, "mx1.fwd.test"}, {20, "mx2.fwd.test"}};
  o.spf_include = "fwd.test";
  o.keys = {{"fwd.test", "k1", dkim_record, false}};
  o.egress = {"192.0.2.10"};
  o.egress_prefixes = {"192.0.2.10/32"};
  o.helo_name = "mx1.clean.test";
  o.srs_domain = "fwd.test";
  return o;
}

TEST(DoctorOurs, AServedDomainSetUpAsDnsRecordsSays) {
  const std::string key = "v=DKIM1; k=rsa; p=" + rsa_public_b64(2048);
  const std::string fwd = zone("fwd.test", "@ IN TXT \"v=spf1 ip4:192.0.2.10/32 -all\"\nmx1 IN A 192.0.2.10\nmx2 IN A 192.0.2.11\n" +
                                               key_zone("k1", key));
  auto options = options_for("d.test");
  options.ours = ours_for(key);
  const auto r = run(domain("@ IN MX 10 mx1.fwd.test.\n@ IN MX 20 mx2.fwd.test.\n@ IN TXT \"v=spf1 include:fwd.test ~all\"\n"
                            "_dmarc IN TXT \"v=DMARC1; p=reject\"\n",
                            zone("clean.test", kCleanBody) + fwd),
                     options);
  EXPECT_FALSE(has_error(r)) << dump(r);
  for (const char* id : {"ours.mx", "ours.spf", "ours.dkim", "ours.ptr", "ours.srs_spf"}) {
    EXPECT_EQ(only(r, id).severity, Severity::ok) << id << "\n" << dump(r);
  }
}

TEST(DoctorOurs, EveryWayOurSideCanBeWrong) {
  const std::string key = "v=DKIM1; k=rsa; p=" + rsa_public_b64(2048);
  const std::string other = "v=DKIM1; k=rsa; p=" + rsa_public_b64(2048);
  auto options = options_for("d.test");
  OurSide ours = ours_for(key);
  ours.keys.push_back({"fwd.test", "arc1", key, true});
  ours.egress.push_back("192.0.2.11");   // PTR mx2.clean.test: resolves back, not the HELO name
  ours.egress.push_back("192.0.2.99");   // no PTR
  options.ours = ours;
  const std::string fwd = zone("fwd.test", "@ IN TXT \"v=spf1 ip4:192.0.2.10/32 -all\"\n" + key_zone("k1", other));
  const auto r = run(domain(kOkMail + kOkAuth, zone("clean.test", kCleanBody) + fwd), options);
  EXPECT_EQ(only(r, "ours.mx").severity, Severity::error);
  EXPECT_EQ(only(r, "ours.spf").severity, Severity::warn);
  EXPECT_EQ(only(r, "ours.spf").fix, "d.test. 3600 IN TXT \"v=spf1 include:fwd.test ip4:192.0.2.0/24 -all\"");
  EXPECT_NE(only(r, "ours.dkim").problem.find("not the public half"), std::string::npos);
  EXPECT_NE(only(r, "ours.arc").problem.find("not published"), std::string::npos);
  EXPECT_EQ(only(r, "ours.helo").subject, "192.0.2.11");
  EXPECT_EQ(only(r, "ours.ptr").subject, "192.0.2.10");  // ok
  EXPECT_EQ(with_id(r, "ours.ptr").size(), 2u);
  EXPECT_EQ(with_id(r, "ours.ptr")[1]->severity, Severity::error);  // 192.0.2.99
  const auto& srs = only(r, "ours.srs_spf");
  EXPECT_EQ(srs.severity, Severity::error);
  EXPECT_NE(srs.problem.find("192.0.2.11, 192.0.2.99"), std::string::npos) << srs.problem;
}

TEST(DoctorOurs, DelegatedNamesMustStayCnamesAtEveryAuthoritativeServer) {
  const std::string fwd = zone("fwd.test", "mta-sts IN A 192.0.2.80\n_mta-sts IN TXT \"v=STSv1; id=1\"\n");
  const std::string base = kOkMail + kOkAuth;
  Scenario s = domain(base, zone("clean.test", kCleanBody) + fwd);
  // Server A serves the CNAMEs; server B flattens them; server C lacks one.
  s.servers["192.0.2.53:53"] = AuthServer{zone("d.test", base + "mta-sts IN CNAME mta-sts.fwd.test.\n"
                                                               "_mta-sts IN CNAME _mta-sts.fwd.test.\n"), 1};
  s.servers["192.0.2.54:53"] = AuthServer{zone("d.test", base + "mta-sts IN A 192.0.2.80\n"
                                                               "_mta-sts IN TXT \"v=STSv1; id=1\"\n"), 1};
  auto options = options_for("d.test");
  options.ours = ours_for("v=DKIM1; p=");
  options.ours->cnames = {{"mta-sts", "mta-sts.fwd.test"}, {"_mta-sts", "_mta-sts.fwd.test"}};
  options.authoritative = {"192.0.2.53:53"};
  const auto good = run(s, options);
  EXPECT_EQ(with_id(good, "cname.ok").size(), 2u) << dump(good);
  EXPECT_TRUE(with_id(good, "cname.flattened").empty());
  options.authoritative = {"192.0.2.53:53", "192.0.2.54:53"};
  const auto flat = run(s, options);
  const auto found = with_id(flat, "cname.flattened");
  ASSERT_EQ(found.size(), 2u) << dump(flat);
  EXPECT_EQ(found[0]->subject, "mta-sts.d.test");
  EXPECT_NE(found[0]->problem.find("192.0.2.54:53 (A 192.0.2.80)"), std::string::npos) << found[0]->problem;
  EXPECT_NE(found[1]->problem.find("192.0.2.54:53 (TXT)"), std::string::npos) << found[1]->problem;
  EXPECT_EQ(found[0]->fix, "mta-sts.d.test. 3600 IN CNAME mta-sts.fwd.test.  ; turn CNAME flattening off for this name");
  s.servers["192.0.2.55:53"] = AuthServer{zone("d.test", base), 1};
  options.authoritative = {"192.0.2.55:53"};
  const auto none = run(s, options);
  EXPECT_NE(only(none, "cname.flattened").problem.find("has no CNAME at 192.0.2.55:53"), std::string::npos);
}

// ---- Output

TEST(DoctorRender, JsonCarriesTheQueriesBehindEachFinding) {
  const auto r = run(d("@ IN MX 10 mail\nmail IN A 104.16.1.1\n" + kOkAuth), options_for("d.test"));
  const std::string json = render_json("d.test", r, exit_code(r));
  EXPECT_NE(json.find("\"check\":\"proxy.mx\""), std::string::npos);
  EXPECT_NE(json.find("{\"server\":\"test\",\"name\":\"mail.d.test\",\"type\":\"A\",\"rcode\":\"NOERROR\",\"status\":\"ok\",\"ttl\":300,\"answers\":[\"104.16.1.1\"]}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"exit\":1"), std::string::npos);
  EXPECT_EQ(json_string("a\"b\\c\n\x01\xff"), "\"a\\\"b\\\\c\\n\\u0001\\u00ff\"");
  const std::string text = render_text(r, false);
  EXPECT_NE(text.find("error   proxy.mx                 mail.d.test: the MX host resolves to 104.16.1.1"), std::string::npos) << text;
  EXPECT_EQ(text.find("ok "), std::string::npos);
}

TEST(DoctorHelpers, TxtValuesSplitAt255Octets) {
  EXPECT_EQ(quote_txt("v=spf1 -all"), "\"v=spf1 -all\"");
  EXPECT_EQ(quote_txt(std::string(255, 'a')), "\"" + std::string(255, 'a') + "\"");
  EXPECT_EQ(quote_txt(std::string(256, 'a')), "( \"" + std::string(255, 'a') + "\" \"a\" )");
  EXPECT_EQ(quote_txt("a\"b"), "\"a\\\"b\"");
}

}  // namespace
}  // namespace hikyaku::doctor::test
