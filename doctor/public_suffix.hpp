// Registrable domains from the Public Suffix List through libpsl, for `hikyaku doctor`'s
// guesses at a domain's zone and DMARC fallback (RFC 7489 §3.2 style). The relay's DMARC uses
// the DNS Tree Walk of RFC 9989 §4.10 instead (auth/dmarc_tree_walk).
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace hikyaku::doctor {

// A loaded Public Suffix List. Immutable after loading, so safe to share between threads.
class PublicSuffixList {
 public:
  // The system list: psl_latest(NULL) (the newer of libpsl's built-in data and
  // /usr/share/publicsuffix), loaded once on first use (thread-safe static initialisation),
  // psl_builtin() if that fails. Never freed.
  static const PublicSuffixList& system();
  // A list in the PSL text format (tests: a fixed snapshot); nullopt when it cannot be read.
  static std::optional<PublicSuffixList> load_file(const std::string& path);

  // RFC 7489 §3.2: the public suffix that matches the most labels plus one more label of `name`
  // (psl_registrable_domain). `name` is lower-cased and a trailing dot dropped first. Decisions:
  // - a name that is itself a public suffix ("com", "co.uk", "github.io") has no label to add;
  //   it is its own organizational domain, so it aligns only with itself;
  // - a TLD missing from the list (".test", ".example") falls under the PSL's implicit "*" rule:
  //   "a.b.example.test" -> "example.test";
  // - "" for an empty or malformed name (empty labels), which then aligns with nothing.
  std::string organizational_domain(std::string_view name) const;

 private:
  // Takes a context that is never freed (the system list) or, via load_file, one that is.
  explicit PublicSuffixList(void* ctx) : ctx_(ctx, [](void*) {}) {}
  std::shared_ptr<void> ctx_;
};

// organizational_domain() with the system list.
std::string psl_organizational_domain(std::string_view name);

}  // namespace hikyaku::doctor
