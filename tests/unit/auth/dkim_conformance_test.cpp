// The DKIM vectors of shared/conformance/dkim (cases.yml: RFC 8463 Appendix A, RFC 6376
// Appendix A as a negative case, dkimpy, stalwart mail-auth, Mail::DKIM's modern-relevant
// corpus) verified by DkimVerifier. Expectations are transcribed from cases.yml, never edited;
// each case we answer differently is a named known deviation with its reason.
#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "auth/dkim_key_fetch.hpp"
#include "auth/dkim_verify.hpp"
#include "conformance_data.hpp"
#include "dns/zone_file_resolver.hpp"

namespace hikyaku::auth {
namespace {

const std::filesystem::path kDir = test::conformance_path("dkim");

// cases.yml's vocabulary: pass | fail | invalid (permerror) | temperror | not-pass.
bool matches(const std::string& want, DkimResult got) {
  if (want == "pass") return got == DkimResult::pass;
  if (want == "fail") return got == DkimResult::fail;
  if (want == "invalid") return got == DkimResult::permerror;
  if (want == "temperror") return got == DkimResult::temperror;
  if (want == "not-pass") return got != DkimResult::pass && got != DkimResult::none;
  ADD_FAILURE() << "unknown expectation " << want;
  return false;
}

// Every case (file#signature-index) DkimVerifier answers differently from cases.yml, and why.
const std::map<std::string, std::string> kKnownDeviations = {
    {"mail-auth/004.txt#0",
     "t=1667862801 is 5 h after verify_at=1667843664; we refuse a t= more than 300 s in the "
     "future (RFC 6376 §3.5 MAY; libopendkim's own default drift), mail-auth ignores it"},
    {"mail-dkim/corpus/badkey_14.txt#0",
     "a=rsa-sha1: we refuse it as fail before any key lookup (RFC 8301 §3.1), so the DNS "
     "timeout the row tests never happens; cases.yml expects the DNS outcome (temperror)"},
    {"mail-dkim/corpus/badkey_15.txt#0",
     "a=rsa-sha1: refused as fail before any key lookup (RFC 8301 §3.1), so the SERVFAIL the "
     "row tests never happens; cases.yml expects temperror"},
};

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string crlf(const std::string& s) {  // every line ending as CRLF (README: "fed as CRLF")
  std::string out;
  out.reserve(s.size() + s.size() / 20);
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) out += '\r';
    out += s[i];
  }
  return out;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// owner -> TXT text; "NXDOMAIN" and "~~...~~" (DNS error) are kept as written.
using Table = std::map<std::string, std::string>;

// "owner value" lines (Mail::DKIM's FAKE_DNS.dat, the head of mail-auth's files).
Table parse_owner_lines(const std::string& text) {
  Table t;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    const size_t sp = line.find_first_of(" \t");
    if (sp == std::string::npos) continue;
    std::string owner = line.substr(0, sp);
    for (char& c : owner) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(line.find_first_not_of(" \t", sp));
    if (value == "\"\"") value.clear();
    t[owner] = value;
  }
  return t;
}

// Key records for a message from a table: absent names are NXDOMAIN.
DkimKeyRecords records_for(const core::Message& m, const Table& table) {
  DkimKeyRecords keys;
  for (const auto& ref : dkim_signature_refs(m)) {
    if (ref.key_name.empty()) continue;
    const auto it = table.find(ref.key_name);
    DkimKeyRecord r;
    if (it == table.end() || it->second == "NXDOMAIN") {
      r.status = DkimKeyRecord::Status::absent;
      r.detail = "NXDOMAIN";
    } else if (it->second.rfind("~~", 0) == 0) {
      r.status = DkimKeyRecord::Status::temperror;
      r.detail = it->second;
    } else {
      r.status = DkimKeyRecord::Status::found;
      r.texts = {it->second};
      r.detail = "NOERROR";
    }
    keys[ref.key_name] = r;
  }
  return keys;
}

struct Expectation {
  int index;         // signature index; -1 = the last one
  std::string want;  // pass | fail | invalid | temperror | not-pass
};

struct Runner {
  DkimVerifier verifier;
  int total = 0;
  int passed = 0;
  std::set<std::string> deviations;
  bool verbose = std::getenv("HIKYAKU_DKIM_VERBOSE") != nullptr;

  void check(const std::string& id, const core::Message& m, const DkimKeyRecords& keys,
             int64_t now, const std::vector<Expectation>& wants) {
    const DkimVerdict v = verifier.verify(m, keys, now);
    for (const auto& w : wants) {
      const int index = w.index >= 0 ? w.index : static_cast<int>(v.size()) - 1;
      const std::string case_id = id + "#" + std::to_string(index);
      ++total;
      const bool ok = index >= 0 && index < static_cast<int>(v.size()) &&
                      matches(w.want, v[static_cast<size_t>(index)].result);
      if (verbose) {
        const bool have = index >= 0 && index < static_cast<int>(v.size());
        std::printf("%-44s want %-9s got %-9s %s\n", case_id.c_str(), w.want.c_str(),
                    have ? to_string(v[static_cast<size_t>(index)].result) : "(none)",
                    have ? v[static_cast<size_t>(index)].reason.c_str() : "");
      }
      if (ok) {
        ++passed;
      } else {
        deviations.insert(case_id);
      }
    }
  }
};

constexpr int64_t kDefaultNow = 1'700'000'000;  // after every t= in the data; no x= applies

TEST(DkimConformance, SharedVectors) {
  if (!std::filesystem::exists(kDir / "cases.yml")) {
    GTEST_SKIP() << test::conformance_absent(kDir / "cases.yml");
  }
  Runner run;

  {  // RFC 8463 Appendix A: both signatures pass; keys through the zone file and fetch.
    // The file is A.2 verbatim, without a $TTL; give it one.
    auto zone = dns::ZoneFileResolver::from_text(
        "$TTL 300\n" + read(kDir / "rfc8463/dns-txt-records.zone"), "dns-txt-records.zone");
    ASSERT_TRUE(zone) << zone.error().front().message;
    const core::Message m(read(kDir / "rfc8463/signed-message.eml"));
    asio::io_context io;
    DkimKeyRecords keys;
    dns::ZoneFileResolver& resolver = *zone;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      keys = co_await fetch_dkim_keys(resolver, m);
    }, asio::detached);
    io.run();
    run.check("rfc8463/signed-message.eml", m, keys, kDefaultNow,
              {{0, "pass"}, {1, "pass"}});
  }
  {  // RFC 6376 Appendix A: the known-broken example (bh= is the relaxed hash): fail.
    const Table dns = {{"brisbane._domainkey.example.com",
                        "v=DKIM1; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/"
                        "DkMoGeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/"
                        "RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToIMmPSPDdQPN"
                        "UYckcQ2QIDAQAB"}};
    for (const char* f : {"rfc6376/appendix-a2-signed.txt", "rfc6376/appendix-a3-verified.txt"}) {
      const core::Message m(crlf(read(kDir / f)));
      run.check(f, m, records_for(m, dns), kDefaultNow, {{0, "fail"}});
    }
  }
  {  // dkimpy data.
    const Table exim = {{"sed._domainkey.test.ex", trim(read(kDir / "dkimpy/data/eximtest.dns"))}};
    const core::Message m1(crlf(read(kDir / "dkimpy/data/ed25519test2.msg")));
    run.check("dkimpy/data/ed25519test2.msg", m1, records_for(m1, exim), kDefaultNow,
              {{0, "pass"}});
    const Table rfc = {
        {"brisbane._domainkey.football.example.com",
         "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="},
        {"test._domainkey.football.example.com", trim(read(kDir / "dkimpy/data/test.txt"))}};
    const core::Message m2(crlf(read(kDir / "dkimpy/data/rfc6376.signed.msg")));
    run.check("dkimpy/data/rfc6376.signed.msg", m2, records_for(m2, rfc), kDefaultNow,
              {{0, "pass"}, {1, "pass"}});
  }
  {  // stalwart mail-auth: DNS lines, a blank line, the message; the last signature passes.
    for (int i = 1; i <= 6; ++i) {
      const std::string f = "mail-auth/00" + std::to_string(i) + ".txt";
      const std::string text = read(kDir / f);
      const size_t blank = text.find("\n\n");
      ASSERT_NE(blank, std::string::npos) << f;
      const core::Message m(crlf(text.substr(blank + 2)));
      run.check(f, m, records_for(m, parse_owner_lines(text.substr(0, blank))), 1667843664,
                {{-1, "pass"}});
    }
  }
  {  // Mail::DKIM corpus, the rows of cases.yml that carry over to RFC 6376 + 8301 + 8463.
    const Table dns = parse_owner_lines(read(kDir / "mail-dkim/FAKE_DNS.dat"));
    const std::vector<std::pair<std::string, std::vector<Expectation>>> rows = {
        {"goodkey_ed25519.txt", {{0, "pass"}}},
        {"badkey1_ed25519.txt", {{0, "not-pass"}}},
        {"badkey2_ed25519.txt", {{0, "fail"}}},
        {"badkey3_ed25519.txt", {{0, "fail"}}},
        {"badkey4_ed25519.txt", {{0, "not-pass"}}},
        {"badkey5_ed25519.txt", {{0, "not-pass"}}},
        {"ignore_2.txt", {{0, "not-pass"}}},
        {"ignore_3.txt", {{0, "not-pass"}}},
        {"ignore_5.txt", {{0, "not-pass"}}},
        {"ignore_6.txt", {{0, "not-pass"}}},
        {"ignore_7.txt", {{0, "not-pass"}}},
        {"ignore_8.txt", {{0, "not-pass"}}},
        {"badkey_11.txt", {{0, "not-pass"}}},
        {"badkey_14.txt", {{0, "temperror"}}},
        {"badkey_15.txt", {{0, "temperror"}}},
        // modern: RFC 8301 makes rsa-sha1 not-pass, so all four are not-pass (index 2, a
        // tampered b=, must never pass).
        {"multiple_2.txt", {{0, "not-pass"}, {1, "not-pass"}, {2, "not-pass"}, {3, "not-pass"}}},
    };
    for (const auto& [file, wants] : rows) {
      const std::string f = "mail-dkim/corpus/" + file;
      const core::Message m(crlf(read(kDir / f)));
      run.check(f, m, records_for(m, dns), kDefaultNow, wants);
    }
  }

  std::printf("DKIM conformance: %d of %d passed (%zu known deviations)\n", run.passed, run.total,
              kKnownDeviations.size());
  std::set<std::string> known;
  for (const auto& [id, why] : kKnownDeviations) known.insert(id);
  for (const auto& id : run.deviations) {
    if (known.count(id) == 0) ADD_FAILURE() << "new deviation: " << id;
  }
  for (const auto& id : known) {
    if (run.deviations.count(id) == 0) ADD_FAILURE() << "listed as a deviation, now passes: " << id;
  }
  EXPECT_EQ(run.total, 32);  // every case of the suite was read and run
  EXPECT_EQ(run.deviations, known);
  EXPECT_EQ(run.passed, run.total - static_cast<int>(known.size()));
}

}  // namespace
}  // namespace hikyaku::auth
