// deliver_to_domain under destination TLS policies, over zone-file DNS (answers for
// signed.example marked DNSSEC-secure, as a validating resolver would) and the loopback
// STARTTLS server: DANE-EE authenticates, a mismatch defers without plaintext, an MX without
// TLSA on a DANE domain is not used (RFC 7672 §2.2); MTA-STS enforce uses only listed hosts
// (RFC 8461 §4.1); and the MTA-STS cache's rules for ids, failures and expiry (§5.1).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "dns/zone_file_resolver.hpp"
#include "fake_smtp_server.hpp"
#include "loopback.hpp"
#include "relay/domain_delivery.hpp"
#include "relay/mta_sts_cache.hpp"
#include "scripted.hpp"

namespace hikyaku::relay {
namespace {

using namespace testing;

std::string hex(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// The zone's answers, with `secure` set for names under signed.example, but for the address
// records of the hosts in `insecure_addresses` (a host name in a delegation that is not signed).
class SignedZone final : public dns::Resolver {
 public:
  explicit SignedZone(dns::ZoneFileResolver zone) : zone_(std::move(zone)) {}
  asio::awaitable<dns::DnsAnswer> query(std::string name, dns::RecordType type) override {
    ++queries;
    dns::DnsAnswer a = co_await zone_.query(name, type);
    const std::string suffix = "signed.example";
    a.secure = a.name.size() >= suffix.size() &&
               a.name.compare(a.name.size() - suffix.size(), suffix.size(), suffix) == 0;
    const bool address = type == dns::RecordType::a || type == dns::RecordType::aaaa;
    if (address && insecure_addresses.count(a.name) != 0) a.secure = false;
    co_return a;
  }
  int queries = 0;
  std::set<std::string> insecure_addresses;

 private:
  dns::ZoneFileResolver zone_;
};

SignedZone zone_of(const std::string& text) {
  auto zone = dns::ZoneFileResolver::from_text(text, "tls.zone");
  EXPECT_TRUE(zone);
  return SignedZone(std::move(*zone));
}

std::string soa(const std::string& origin) {
  return "$ORIGIN " + origin + ".\n$TTL 60\n@ IN SOA ns h 1 1 1 1 60\n";
}

DomainDeliveryOptions options_for(const FakeSmtpServer& server) {
  DomainDeliveryOptions o;
  o.client = fast_options();
  o.port = server.endpoint().port();
  o.family = FamilyPolicy::ipv4_only;
  return o;
}

ServerBehavior with_starttls() {
  ServerBehavior b;
  b.starttls = true;
  return b;
}

TEST(TlsDelivery, DaneEeRecordDeliversOverAuthenticatedTls) {
  asio::io_context io;
  FakeSmtpServer server(io, "127.0.0.1", with_starttls());
  auto zone = zone_of(soa("signed.example") + "@ MX 10 mx\nmx A 127.0.0.1\n_25._tcp.mx TLSA 3 1 1 " +
                      hex(server.spki_sha256()) + "\n");
  auto out = complete(io, deliver_to_domain(io.get_executor(), zone, "signed.example",
                                            transaction({"bob"}), options_for(server)));
  ASSERT_FALSE(out.decided.failure) << out.decided.failure->reply.summary();
  EXPECT_EQ(out.tls_plan.policy_type, PolicyType::tlsa);
  EXPECT_TRUE(out.decided.tls);
  ASSERT_EQ(out.tls_sessions.size(), 1u);
  EXPECT_TRUE(out.tls_sessions[0].success);
  EXPECT_EQ(server.log().messages.size(), 1u);
}

TEST(TlsDelivery, DaneMismatchIsDeferredAndNothingGoesInTheClear) {
  asio::io_context io;
  FakeSmtpServer server(io, "127.0.0.1", with_starttls());
  auto zone = zone_of(soa("signed.example") + "@ MX 10 mx\nmx A 127.0.0.1\n_25._tcp.mx TLSA 3 1 1 " +
                      std::string(64, 'a') + "\n");
  auto out = complete(io, deliver_to_domain(io.get_executor(), zone, "signed.example",
                                            transaction({"bob"}), options_for(server)));
  ASSERT_TRUE(out.decided.failure);
  EXPECT_TRUE(out.decided.result.all_temporary());
  EXPECT_TRUE(server.log().messages.empty());
  EXPECT_EQ(server.log().connections, 1);  // no second, plaintext attempt
  ASSERT_EQ(out.tls_sessions.size(), 1u);
  EXPECT_EQ(out.tls_sessions[0].result_type, "tlsa-invalid");
}

TEST(TlsDelivery, MxWithoutTlsaOnADaneDomainIsNotUsed) {
  asio::io_context io;
  FakeSmtpServer server(io, "127.0.0.1", with_starttls());
  // mx1 (preferred) has no TLSA and would accept anything; mx2 has the right record.
  auto zone = zone_of(soa("signed.example") + "@ MX 10 mx1\n@ MX 20 mx2\nmx1 A 127.0.0.1\n"
                      "mx2 A 127.0.0.1\n_25._tcp.mx2 TLSA 3 1 1 " + hex(server.spki_sha256()) + "\n");
  auto out = complete(io, deliver_to_domain(io.get_executor(), zone, "signed.example",
                                            transaction({"bob"}), options_for(server)));
  ASSERT_FALSE(out.decided.failure) << out.decided.failure->reply.summary();
  EXPECT_EQ(out.decided.host, "mx2.signed.example");
  ASSERT_FALSE(out.tried.empty());
  EXPECT_NE(out.tried[0].find("mx1.signed.example: not used"), std::string::npos) << out.tried[0];
  EXPECT_EQ(server.log().connections, 1);
}

// RFC 7672 §2.2.2: a host whose address records are not secure has no DANE, whatever TLSA
// records its name has; with no other host, the domain has no DANE policy at all.
TEST(TlsDelivery, TlsaIsNotAskedForAHostWithInsecureAddresses) {
  asio::io_context io;
  FakeSmtpServer server(io, "127.0.0.1", with_starttls());
  auto zone = zone_of(soa("signed.example") + "@ MX 10 mx\nmx A 127.0.0.1\n_25._tcp.mx TLSA 3 1 1 " +
                      std::string(64, 'a') + "\n");
  zone.insecure_addresses = {"mx.signed.example"};
  auto out = complete(io, deliver_to_domain(io.get_executor(), zone, "signed.example",
                                            transaction({"bob"}), options_for(server)));
  ASSERT_FALSE(out.decided.failure) << out.decided.failure->reply.summary();
  EXPECT_EQ(out.tls_plan.policy_type, PolicyType::no_policy_found);
  EXPECT_EQ(server.log().messages.size(), 1u);
}

TEST(TlsDelivery, TlsaIsNotAskedBehindAnUnsignedMxRrset) {
  asio::io_context io;
  FakeSmtpServer server(io, "127.0.0.1", with_starttls());
  // plain.example is not under signed.example: insecure, so its TLSA record is never used.
  auto zone = zone_of(soa("plain.example") + "@ MX 10 mx\nmx A 127.0.0.1\n_25._tcp.mx TLSA 3 1 1 " +
                      std::string(64, 'a') + "\n");
  auto out = complete(io, deliver_to_domain(io.get_executor(), zone, "plain.example",
                                            transaction({"bob"}), options_for(server)));
  ASSERT_FALSE(out.decided.failure) << out.decided.failure->reply.summary();
  EXPECT_EQ(out.tls_plan.policy_type, PolicyType::no_policy_found);
  EXPECT_EQ(server.log().messages.size(), 1u);
}

// RFC 7672 §2.2.1 with RFC 5321 §5.1: a domain without MX records is its own implicit MX; behind
// a secure denial of MX and secure address records its TLSA records at _25._tcp.<domain> apply.
TEST(TlsDelivery, ImplicitMxWithTlsaForTheDomainDeliversOverDane) {
  asio::io_context io;
  FakeSmtpServer server(io, "127.0.0.1", with_starttls());
  auto zone = zone_of(soa("signed.example") + "@ A 127.0.0.1\n_25._tcp TLSA 3 1 1 " +
                      hex(server.spki_sha256()) + "\n");
  auto out = complete(io, deliver_to_domain(io.get_executor(), zone, "signed.example",
                                            transaction({"bob"}), options_for(server)));
  ASSERT_FALSE(out.decided.failure) << out.decided.failure->reply.summary();
  EXPECT_EQ(out.decided.host, "signed.example");
  EXPECT_EQ(out.tls_plan.policy_type, PolicyType::tlsa);
  EXPECT_NE(out.tls_plan.why.find("implicit MX"), std::string::npos) << out.tls_plan.why;
  ASSERT_EQ(out.tls_plan.hosts.size(), 1u);
  EXPECT_EQ(out.tls_plan.hosts[0].level, TlsLevel::dane);
  EXPECT_TRUE(out.decided.tls);
  ASSERT_EQ(out.tls_sessions.size(), 1u);
  EXPECT_TRUE(out.tls_sessions[0].success);
  EXPECT_EQ(server.log().messages.size(), 1u);
}

TEST(TlsDelivery, ImplicitMxWithAWrongTlsaIsDeferredNeverInTheClear) {
  asio::io_context io;
  FakeSmtpServer server(io, "127.0.0.1", with_starttls());
  auto zone = zone_of(soa("signed.example") + "@ A 127.0.0.1\n_25._tcp TLSA 3 1 1 " +
                      std::string(64, 'a') + "\n");
  auto out = complete(io, deliver_to_domain(io.get_executor(), zone, "signed.example",
                                            transaction({"bob"}), options_for(server)));
  ASSERT_TRUE(out.decided.failure);
  EXPECT_TRUE(out.decided.result.all_temporary());
  EXPECT_EQ(out.tls_plan.policy_type, PolicyType::tlsa);
  EXPECT_TRUE(server.log().messages.empty());
  EXPECT_EQ(server.log().connections, 1);
  ASSERT_EQ(out.tls_sessions.size(), 1u);
  EXPECT_EQ(out.tls_sessions[0].result_type, "tlsa-invalid");
}

TEST(TlsDelivery, ImplicitMxWithInsecureAddressesOrUnsignedHasNoDane) {
  for (const bool signed_zone : {true, false}) {
    SCOPED_TRACE(signed_zone ? "signed, insecure addresses" : "unsigned");
    asio::io_context io;
    FakeSmtpServer server(io, "127.0.0.1", with_starttls());
    const std::string domain = signed_zone ? "signed.example" : "plain.example";
    auto zone = zone_of(soa(domain) + "@ A 127.0.0.1\n_25._tcp TLSA 3 1 1 " + std::string(64, 'a') + "\n");
    if (signed_zone) zone.insecure_addresses = {domain};
    auto out = complete(io, deliver_to_domain(io.get_executor(), zone, domain, transaction({"bob"}),
                                              options_for(server)));
    ASSERT_FALSE(out.decided.failure) << out.decided.failure->reply.summary();
    EXPECT_EQ(out.tls_plan.policy_type, PolicyType::no_policy_found);
    EXPECT_EQ(server.log().messages.size(), 1u);
  }
}

class FixedPolicy final : public MtaStsSource {
 public:
  explicit FixedPolicy(MtaStsPolicy p) : policy_(std::move(p)) {}
  asio::awaitable<Result> policy_for(std::string) override { co_return Result{policy_, ""}; }

 private:
  MtaStsPolicy policy_;
};

TEST(TlsDelivery, MtaStsEnforceDefersWhenNoMxIsListed) {
  asio::io_context io;
  FakeSmtpServer server(io, "127.0.0.1", with_starttls());
  auto zone = zone_of(soa("sts.example") + "@ MX 10 mx\nmx A 127.0.0.1\n");
  auto policy = parse_mta_sts_policy("version: STSv1\nmode: enforce\nmx: other.sts.example\nmax_age: 600\n");
  ASSERT_TRUE(policy);
  auto o = options_for(server);
  o.mta_sts = std::make_shared<FixedPolicy>(*policy);
  auto out = complete(io, deliver_to_domain(io.get_executor(), zone, "sts.example",
                                            transaction({"bob"}), o));
  ASSERT_TRUE(out.decided.failure);
  EXPECT_EQ(out.decided.failure->reply.code, 451);
  EXPECT_EQ(out.decided.failure->reply.enhanced, "4.7.5");
  EXPECT_EQ(server.log().connections, 0);
}

TEST(TlsDelivery, OverrideNoneSendsWithoutStartTls) {
  asio::io_context io;
  FakeSmtpServer server(io, "127.0.0.1", with_starttls());
  auto zone = zone_of(soa("signed.example") + "@ MX 10 mx\nmx A 127.0.0.1\n_25._tcp.mx TLSA 3 1 1 " +
                      std::string(64, 'a') + "\n");
  auto o = options_for(server);
  o.tls_overrides = {{"signed.example", TlsPolicyOverride::none}};
  auto out = complete(io, deliver_to_domain(io.get_executor(), zone, "signed.example",
                                            transaction({"bob"}), o));
  ASSERT_FALSE(out.decided.failure) << out.decided.failure->reply.summary();
  EXPECT_FALSE(out.decided.tls);
  EXPECT_EQ(server.log().tls_sessions, 0);
}

// The cache over a TXT record that tests change, and a fetch that counts and can fail.
struct CacheFixture {
  std::string record = "v=STSv1; id=1";
  bool fetch_fails = false;
  int fetches = 0;
  MtaStsCache::Clock::time_point now = MtaStsCache::Clock::now();
  std::string body = "version: STSv1\nmode: enforce\nmx: mx.sts.example\nmax_age: 600\n";

  class Txt final : public dns::Resolver {
   public:
    explicit Txt(CacheFixture& f) : f_(f) {}
    asio::awaitable<dns::DnsAnswer> query(std::string name, dns::RecordType type) override {
      if (f_.record.empty()) co_return dns::DnsAnswer::failure(name, type, dns::DnsStatus::nxdomain);
      dns::DnsAnswer a;
      a.status = dns::DnsStatus::ok;
      a.name = name;
      a.type = type;
      a.texts = {f_.record};
      co_return a;
    }

   private:
    CacheFixture& f_;
  };

  MtaStsCache cache{std::make_shared<Txt>(*this),
                    [this](std::string) -> asio::awaitable<core::Expected<std::string, MtaStsFetchError>> {
                      return fetch();
                    },
                    [this] { return now; }};

  asio::awaitable<core::Expected<std::string, MtaStsFetchError>> fetch() {
    ++fetches;
    if (fetch_fails) co_return core::unexpected(MtaStsFetchError{"sts-policy-fetch-error", "refused"});
    co_return body;
  }

  MtaStsSource::Result ask() {
    asio::io_context io;
    return complete(io, cache.policy_for("sts.example"));
  }
};

TEST(MtaStsCacheRules, FetchedOnceThenCachedUntilTheIdChanges) {
  CacheFixture f;
  auto r = f.ask();
  ASSERT_TRUE(r.policy);
  EXPECT_EQ(r.policy->mode, MtaStsMode::enforce);
  EXPECT_EQ(f.ask().policy->mode, MtaStsMode::enforce);
  EXPECT_EQ(f.fetches, 1);
  f.record = "v=STSv1; id=2";
  f.body = "version: STSv1\nmode: testing\nmx: mx.sts.example\nmax_age: 600\n";
  EXPECT_EQ(f.ask().policy->mode, MtaStsMode::testing);
  EXPECT_EQ(f.fetches, 2);
}

TEST(MtaStsCacheRules, FailuresKeepAnUnexpiredPolicyAndExpiryEndsIt) {
  CacheFixture f;
  ASSERT_TRUE(f.ask().policy);
  f.record = "v=STSv1; id=2";
  f.fetch_fails = true;
  auto r = f.ask();
  ASSERT_TRUE(r.policy);  // a failed refresh keeps the cached policy
  EXPECT_NE(r.problem.find("sts-policy-fetch-error"), std::string::npos);
  f.record.clear();  // the record vanishes: the cached policy still holds
  EXPECT_TRUE(f.ask().policy);
  f.now += std::chrono::seconds(601);  // past max_age
  r = f.ask();
  EXPECT_FALSE(r.policy);
  EXPECT_TRUE(r.problem.empty());  // no record and nothing cached: simply no policy
}

TEST(MtaStsCacheRules, AnInvalidPolicyIsAProblemNotAPolicy) {
  CacheFixture f;
  f.body = "version: STSv1\nmode: enforce\nmax_age: 600\n";  // no mx
  auto r = f.ask();
  EXPECT_FALSE(r.policy);
  EXPECT_NE(r.problem.find("sts-policy-invalid"), std::string::npos) << r.problem;
}

}  // namespace
}  // namespace hikyaku::relay
