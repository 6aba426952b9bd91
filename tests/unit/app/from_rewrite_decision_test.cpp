// The From rewrite decision table, row by row (app/from_rewrite_decision.hpp): every mode
// against every DMARC situation, header state and key availability.
#include <gtest/gtest.h>

#include "app/from_rewrite_decision.hpp"

namespace hikyaku::app {
namespace {

using auth::DmarcOutcome;
using auth::DmarcPolicy;
using auth::DmarcResult;
using config::FromRewriteMode;

DmarcOutcome dmarc(DmarcResult result, DmarcPolicy policy, bool spf_aligned, bool dkim_aligned,
                   bool testing = false) {
  DmarcOutcome d;
  d.result = result;
  d.policy = policy;
  d.spf_aligned = spf_aligned;
  d.dkim_aligned = dkim_aligned;
  d.testing = testing;
  return d;
}

struct Row {
  const char* name;
  FromRewriteMode mode;
  DmarcOutcome dmarc;
  AuthorHeader header;
  bool key;
  bool rewrite;
  const char* reason;
};

void PrintTo(const Row& r, std::ostream* os) { *os << r.name; }

class FromRewriteTable : public ::testing::TestWithParam<Row> {};

TEST_P(FromRewriteTable, Decides) {
  const Row& r = GetParam();
  const FromRewriteDecision d = decide_from_rewrite(FromRewriteFacts{r.mode, &r.dmarc, r.header, r.key});
  EXPECT_EQ(d.rewrite, r.rewrite);
  EXPECT_EQ(d.reason, r.reason);
}

constexpr auto W = FromRewriteMode::when_needed;
constexpr auto A = FromRewriteMode::always;
constexpr auto N = FromRewriteMode::never;
constexpr auto OK = AuthorHeader::rewritable;
const DmarcOutcome kSpfOnlyReject = dmarc(DmarcResult::pass, DmarcPolicy::reject, true, false);
const DmarcOutcome kSpfOnlyQuarantine = dmarc(DmarcResult::pass, DmarcPolicy::quarantine, true, false);
const DmarcOutcome kDkimReject = dmarc(DmarcResult::pass, DmarcPolicy::reject, false, true);
const DmarcOutcome kBothReject = dmarc(DmarcResult::pass, DmarcPolicy::reject, true, true);
const DmarcOutcome kSpfOnlyNone = dmarc(DmarcResult::pass, DmarcPolicy::none, true, false);
const DmarcOutcome kFailReject = dmarc(DmarcResult::fail, DmarcPolicy::reject, false, false);
const DmarcOutcome kNoRecord = dmarc(DmarcResult::none, DmarcPolicy::none, false, false);

const Row kRows[] = {
    // 1. never wins over everything.
    {"never_spf_only_reject", N, kSpfOnlyReject, OK, true, false, "never"},
    {"never_bad_header", N, kSpfOnlyReject, AuthorHeader::multiple_from, false, false, "never"},
    // 2. the header, in every mode but never.
    {"multiple_from", W, kSpfOnlyReject, AuthorHeader::multiple_from, true, false, "multiple-from"},
    {"multiple_authors", W, kSpfOnlyReject, AuthorHeader::multiple_authors, true, false, "multiple-authors"},
    {"group", A, kSpfOnlyReject, AuthorHeader::group, true, false, "group"},
    {"syntax", W, kSpfOnlyReject, AuthorHeader::bad_syntax, true, false, "from-syntax"},
    {"too_long", W, kSpfOnlyReject, AuthorHeader::too_long, true, false, "address-too-long"},
    {"unencodable", A, kSpfOnlyReject, AuthorHeader::unencodable, true, false, "address-unencodable"},
    // 3. no key for the reply domain.
    {"no_key_when_needed", W, kSpfOnlyReject, OK, false, false, "no-signing-key"},
    {"no_key_always", A, kDkimReject, OK, false, false, "no-signing-key"},
    // 4. always, whatever DMARC said.
    {"always_dkim_aligned", A, kDkimReject, OK, true, true, "always"},
    {"always_no_record", A, kNoRecord, OK, true, true, "always"},
    {"always_fail", A, kFailReject, OK, true, true, "always"},
    // 5. an aligned author DKIM signature carries DMARC downstream.
    {"dkim_aligned", W, kDkimReject, OK, true, false, "dkim-aligned"},
    {"dkim_and_spf_aligned", W, kBothReject, OK, true, false, "dkim-aligned"},
    // 6-7. no usable policy.
    {"temperror", W, dmarc(DmarcResult::temperror, DmarcPolicy::none, false, false), OK, true, false, "dmarc-error"},
    {"permerror", W, dmarc(DmarcResult::permerror, DmarcPolicy::none, false, false), OK, true, false, "dmarc-error"},
    {"no_record", W, kNoRecord, OK, true, false, "no-policy"},
    // 8. p=none, and t=y one level below.
    {"policy_none", W, kSpfOnlyNone, OK, true, false, "policy-none"},
    {"testing_quarantine_is_none", W, dmarc(DmarcResult::pass, DmarcPolicy::quarantine, true, false, true), OK, true,
     false, "policy-testing"},
    {"testing_reject_is_quarantine", W, dmarc(DmarcResult::pass, DmarcPolicy::reject, true, false, true), OK, true,
     true, "spf-only-aligned"},
    // 9. not authenticated here: our signature must not launder it.
    {"dmarc_fail_reject", W, kFailReject, OK, true, false, "dmarc-fail"},
    {"dmarc_fail_quarantine", W, dmarc(DmarcResult::fail, DmarcPolicy::quarantine, false, false), OK, true, false,
     "dmarc-fail"},
    {"dmarc_fail_none", W, dmarc(DmarcResult::fail, DmarcPolicy::none, false, false), OK, true, false, "policy-none"},
    // 10. SPF-only alignment under quarantine or reject: the destination would act.
    {"spf_only_reject", W, kSpfOnlyReject, OK, true, true, "spf-only-aligned"},
    {"spf_only_quarantine", W, kSpfOnlyQuarantine, OK, true, true, "spf-only-aligned"},
};

INSTANTIATE_TEST_SUITE_P(Rows, FromRewriteTable, ::testing::ValuesIn(kRows),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(FromRewriteDecision, WithoutADmarcVerdictNothingIsRewrittenUnlessAlways) {
  EXPECT_EQ(decide_from_rewrite(FromRewriteFacts{W, nullptr, OK, true}).reason, "dmarc-error");
  EXPECT_TRUE(decide_from_rewrite(FromRewriteFacts{A, nullptr, OK, true}).rewrite);
}

TEST(FromRewriteDecision, AnAlignedSignatureOurFieldsWouldBreakCarriesNothing) {
  // dkim_survives = false: the aligned author signature over-signs a field we prepend.
  const auto decide = [](const DmarcOutcome& d, FromRewriteMode mode = W) {
    return decide_from_rewrite(FromRewriteFacts{mode, &d, OK, true, false});
  };
  EXPECT_TRUE(decide(kDkimReject).rewrite);
  EXPECT_EQ(decide(kDkimReject).reason, "dkim-breaks");
  EXPECT_EQ(decide(kBothReject).reason, "dkim-breaks");
  EXPECT_EQ(decide(dmarc(DmarcResult::pass, DmarcPolicy::none, false, true)).reason, "policy-none");
  EXPECT_EQ(decide(kDkimReject, N).reason, "never");
  // A signature that survives keeps the From, as the table says.
  EXPECT_EQ(decide_from_rewrite(FromRewriteFacts{W, &kDkimReject, OK, true, true}).reason, "dkim-aligned");
}

TEST(FromRewriteDecision, CombinedModesRewriteLeast) {
  EXPECT_EQ(combine_modes(A, W), W);
  EXPECT_EQ(combine_modes(W, A), W);
  EXPECT_EQ(combine_modes(W, N), N);
  EXPECT_EQ(combine_modes(A, N), N);
  EXPECT_EQ(combine_modes(A, A), A);
}

}  // namespace
}  // namespace hikyaku::app
