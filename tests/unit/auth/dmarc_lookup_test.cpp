// DMARC policy discovery (RFC 7489 §6.6.3) against a zone: the From domain's record, the
// organizational domain's, v=DMARC1 filtering, several records, temporary errors.
#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include "auth/dmarc_lookup.hpp"
#include "dns/zone_file_resolver.hpp"

namespace hikyaku::auth {
namespace {

using Status = DmarcRecordLookup::Status;

// Answers from a zone, except names listed as failing temporarily.
class FlakyResolver final : public dns::Resolver {
 public:
  FlakyResolver(dns::ZoneFileResolver zone, std::vector<std::string> failing)
      : zone_(std::move(zone)), failing_(std::move(failing)) {}
  asio::awaitable<dns::DnsAnswer> query(std::string name, dns::RecordType type) override {
    for (const auto& f : failing_) {
      if (f == name) co_return dns::DnsAnswer::failure(name, type, dns::DnsStatus::timeout, "test");
    }
    co_return zone_.lookup(name, type);
  }

 private:
  dns::ZoneFileResolver zone_;
  std::vector<std::string> failing_;
};

const char* kZone =
    "$ORIGIN test.\n$TTL 60\n@ IN SOA ns h 1 1 1 1 60\n"
    "_dmarc.example IN TXT \"v=DMARC1; p=reject; sp=quarantine\"\n"
    "_dmarc.own.example IN TXT \"v=DMARC1; p=none\"\n"
    "_dmarc.own.example IN TXT \"some other text\"\n"
    "_dmarc.two.example IN TXT \"v=DMARC1; p=none\"\n"
    "_dmarc.two.example IN TXT \"v=DMARC1; p=reject\"\n"
    "_dmarc.bad.example IN TXT \"v=DMARC1; p=none; reject\"\n"
    "_dmarc.nop.example IN TXT \"v=DMARC1; sp=quarantine\"\n"
    "_dmarc.split.example IN TXT \"v=DMARC1; \" \"p=quarantine\"\n"
    "_dmarc.other.example IN TXT \"v=spf1 -all\"\n"
    "_dmarc.lonely IN TXT \"v=DMARC1; p=reject\"\n";

DmarcRecordLookup fetch(dns::Resolver& resolver, const std::string& from) {
  asio::io_context io;
  DmarcRecordLookup out;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    out = co_await fetch_dmarc_record(resolver, from);
  }, asio::detached);
  io.run();
  return out;
}

struct Row {
  const char* from;
  Status status;
  const char* record_domain;
  bool from_org;
};

TEST(DmarcLookup, Discovery) {
  auto zone = dns::ZoneFileResolver::from_text(kZone, "dmarc.zone");
  ASSERT_TRUE(zone);
  FlakyResolver resolver(std::move(*zone), {"_dmarc.flaky.example.test", "_dmarc.sub.gone.test"});
  const Row rows[] = {
      {"example.test", Status::found, "example.test", false},
      {"a.b.example.test", Status::found, "example.test", true},
      {"own.example.test", Status::found, "own.example.test", false},  // non-DMARC TXT ignored
      {"two.example.test", Status::none, "two.example.test", false},   // several -> none
      {"bad.example.test", Status::invalid, "bad.example.test", false},
      {"nop.example.test", Status::none, "nop.example.test", false},   // step 6
      {"split.example.test", Status::found, "split.example.test", false},
      {"other.example.test", Status::found, "example.test", true},     // step 3 then org
      {"nothing.test", Status::none, "", false},
      {"flaky.example.test", Status::temperror, "", false},
      {"sub.gone.test", Status::temperror, "", false},
      // ".test" is not in the PSL: the implicit "*" rule makes lonely.test the org domain
      {"x.lonely.test", Status::found, "lonely.test", true},
  };
  for (const auto& r : rows) {
    const auto got = fetch(resolver, r.from);
    EXPECT_EQ(got.status, r.status) << r.from << ": " << to_string(got.status) << " " << got.detail;
    EXPECT_EQ(got.record_domain, r.record_domain) << r.from;
    EXPECT_EQ(got.from_org_domain, r.from_org) << r.from;
    EXPECT_EQ(got.record.has_value(), got.status == Status::found) << r.from;
  }
  const auto split = fetch(resolver, "split.example.test");
  ASSERT_TRUE(split.record);
  EXPECT_EQ(split.record->p, DmarcPolicy::quarantine);
}

TEST(DmarcLookup, OrgDomainTemporaryFailure) {
  auto zone = dns::ZoneFileResolver::from_text(kZone, "dmarc.zone");
  ASSERT_TRUE(zone);
  FlakyResolver resolver(std::move(*zone), {"_dmarc.example.test"});
  EXPECT_EQ(fetch(resolver, "mail.example.test").status, Status::temperror);
}

}  // namespace
}  // namespace hikyaku::auth
