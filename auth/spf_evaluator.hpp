// SPF evaluation with libspf2 (one SPF_server_t) over a DNS layer that asks a callback, so the
// answers come from dns/ (in the helper process: from the relay over the socketpair). Checks
// MAIL FROM (RFC 7208 §2.4, the null sender as postmaster@HELO) and HELO (§2.3), maps the
// library's outcome to the result words of §2.6, and enforces the limits of §4.6.4.
#pragma once
#include <functional>
#include <string>

#include "auth/results.hpp"
#include "auth/spf_wire.hpp"
#include "dns/types.hpp"

namespace hikyaku::auth {

// Answers one query of the evaluation; called synchronously, from inside libspf2.
using SpfLookup = std::function<SpfDnsReply(const std::string& name, dns::RecordType type)>;

struct SpfEvaluatorOptions {
  std::string rec_dom = "localhost";  // the receiving host, for %{r} (RFC 7208 §7.3)
  // RFC 7208 §4.6.4: at most 10 mechanisms or modifiers that query DNS, 10 MX or PTR names
  // looked at per lookup, and at most 2 void lookups (NXDOMAIN or no records).
  int max_dns_mech = 10;
  int max_dns_mx = 10;
  int max_dns_ptr = 10;
  int max_void_lookups = 2;
  // A backstop over the above, should the library miscount: queries per identity checked.
  // Past it every query answers temperror.
  int max_queries = 100;
};

class SpfEvaluator {
 public:
  explicit SpfEvaluator(SpfLookup lookup, SpfEvaluatorOptions options = {});
  ~SpfEvaluator();
  SpfEvaluator(const SpfEvaluator&) = delete;
  SpfEvaluator& operator=(const SpfEvaluator&) = delete;

  // Both identities of one SMTP transaction (request.rec_dom, when set, replaces the option).
  SpfVerdict check(const SpfCheckRequest& request);

  // RFC 7208 §2.4: the MAIL FROM identity; "" (the null sender) checks postmaster@helo.
  SpfOutcome check_mail_from(const std::string& client_ip, const std::string& helo,
                             const std::string& mail_from);
  // RFC 7208 §2.3: the HELO identity; none when the HELO is no domain name.
  SpfOutcome check_helo(const std::string& client_ip, const std::string& helo);

  // The lookup hook's entry point (called by libspf2 through a C function).
  SpfDnsReply lookup(const std::string& name, dns::RecordType type);

 private:
  SpfOutcome evaluate(const std::string& client_ip, const std::string& helo,
                      const std::string* mail_from, SpfOutcome outcome);

  SpfLookup lookup_;
  SpfEvaluatorOptions options_;
  struct Library;
  Library* lib_ = nullptr;  // the libspf2 server and DNS layer
  // Per identity checked (RFC 7208 §4.6.4).
  int queries_ = 0;
  int void_lookups_ = 0;
  int void_limit_query_ = 0;     // the query that passed the void limit
  bool void_limit_txt_ = false;  // ... was for TXT
};

}  // namespace hikyaku::auth
