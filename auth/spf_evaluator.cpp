// SPF evaluation over libspf2 with a callback DNS layer (spf_evaluator.hpp): RFC 7208 §2.3 and
// §2.4 identities, §2.6 results (libspf2's INVALID + SPF_E_DNS_ERROR is a §2.6.6 temperror),
// §4.6.4 lookup limits (the void-lookup limit is counted here: libspf2 predates it).
#include "auth/spf_evaluator.hpp"

#include "core/ip_address.hpp"

// libspf2's headers are not self-contained and have no extern "C" (research/deps.md S1).
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <netdb.h>
extern "C" {
#include <spf2/spf.h>
}

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace hikyaku::auth {
namespace {

// The server's explanation when the record has no exp= (RFC 7208 §6.2): never shown.
constexpr const char* kNoExplanation = "hikyaku-no-explanation";

// SPF_error_handler must not return (the library declares it noreturn and calls abort() after
// the default one). Ours says what happened and ends the process without a core dump: in the
// helper the relay sees EOF and answers temperror.
[[noreturn]] void spf_fatal(const char* file, int line, const char* message) {
  std::fprintf(stderr, "hikyaku spf: libspf2 internal error at %s:%d: %s\n", file ? file : "?", line,
               message ? message : "?");
  std::fflush(stderr);
  _exit(70);  // EX_SOFTWARE
}

void install_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    SPF_error_handler = spf_fatal;
    // Warnings (syntax problems in records) reach us through the response; not to stderr.
    SPF_warning_handler = nullptr;
    SPF_info_handler = nullptr;
    SPF_debug_handler = nullptr;
  });
}

std::optional<dns::RecordType> record_type(ns_type type) {
  switch (type) {
    case ns_t_a: return dns::RecordType::a;
    case ns_t_aaaa: return dns::RecordType::aaaa;
    case ns_t_txt: return dns::RecordType::txt;
    case ns_t_mx: return dns::RecordType::mx;
    case ns_t_ptr: return dns::RecordType::ptr;
    default: return std::nullopt;  // type SPF (99) and anything else: RFC 7208 §3.1, TXT only
  }
}

int herrno_of(SpfDnsStatus s) {
  switch (s) {
    case SpfDnsStatus::ok: return NETDB_SUCCESS;
    case SpfDnsStatus::nxdomain: return HOST_NOT_FOUND;
    case SpfDnsStatus::nodata: return NO_DATA;
    case SpfDnsStatus::temperror: return TRY_AGAIN;
  }
  return TRY_AGAIN;
}

// Never returns NULL: libspf2 calls SPF_error() (abort) on a NULL answer (research/deps.md A3).
SPF_dns_rr_t* layer_lookup(SPF_dns_server_t* server, const char* domain, ns_type type, int) {
  auto* self = static_cast<SpfEvaluator*>(server->hook);
  const std::string name = domain ? domain : "";
  const auto wanted = record_type(type);
  SpfDnsReply reply;
  if (wanted) {
    reply = self->lookup(name, *wanted);
  } else {
    reply.status = SpfDnsStatus::nodata;
  }
  SPF_dns_rr_t* rr = SPF_dns_rr_new_init(server, name.c_str(), type,
                                         static_cast<int>(std::min<uint32_t>(reply.ttl, 86400)),
                                         herrno_of(reply.status));
  if (rr == nullptr) spf_fatal(__FILE__, __LINE__, "out of memory for a DNS answer");
  if (reply.status != SpfDnsStatus::ok) return rr;
  int n = 0;
  for (const auto& record : reply.records) {
    if (type == ns_t_a) {
      in_addr a{};
      if (inet_pton(AF_INET, record.c_str(), &a) != 1) continue;
      if (SPF_dns_rr_buf_realloc(rr, n, sizeof a) != SPF_E_SUCCESS) break;
      rr->rr[n]->a = a;
    } else if (type == ns_t_aaaa) {
      in6_addr a{};
      if (inet_pton(AF_INET6, record.c_str(), &a) != 1) continue;
      if (SPF_dns_rr_buf_realloc(rr, n, sizeof a) != SPF_E_SUCCESS) break;
      rr->rr[n]->aaaa = a;
    } else {
      // TXT joined; MX "pref host" -> host; PTR host. NUL-terminated strings in the union.
      std::string text = record;
      if (type == ns_t_mx) {
        const auto space = text.rfind(' ');
        if (space != std::string::npos) text.erase(0, space + 1);
      }
      text = text.substr(0, text.find('\0'));
      if (SPF_dns_rr_buf_realloc(rr, n, text.size() + 1) != SPF_E_SUCCESS) break;
      std::memcpy(rr->rr[n]->txt, text.c_str(), text.size() + 1);
    }
    ++n;
  }
  rr->num_rr = n;
  if (n == 0) rr->herrno = NO_DATA;
  return rr;
}

void layer_destroy(SPF_dns_server_t* server) { std::free(server); }

SpfResult map_result(SPF_result_t r, SPF_errcode_t err) {
  switch (r) {
    case SPF_RESULT_PASS: return SpfResult::pass;
    case SPF_RESULT_FAIL: return SpfResult::fail;
    case SPF_RESULT_SOFTFAIL: return SpfResult::softfail;
    case SPF_RESULT_NEUTRAL: return SpfResult::neutral;
    case SPF_RESULT_NONE: return SpfResult::none;
    case SPF_RESULT_TEMPERROR: return SpfResult::temperror;
    case SPF_RESULT_PERMERROR: return SpfResult::permerror;
    case SPF_RESULT_INVALID:
    default:
      switch (err) {
        // A DNS failure on the top-level record comes back as INVALID + SPF_E_DNS_ERROR
        // (research/deps.md §4): RFC 7208 §4.4 makes it a temperror. So is a failure of ours:
        // the sender may retry.
        case SPF_E_DNS_ERROR:
        case SPF_E_NO_MEMORY:
        case SPF_E_INTERNAL_ERROR:
        case SPF_E_NOT_CONFIG:
        case SPF_E_UNINIT_VAR:
        case SPF_E_SUCCESS:
          return SpfResult::temperror;
        default:
          // The record could not be compiled (libspf2 says SPF_E_NOT_SPF then) or evaluated
          // (syntax, limits): RFC 7208 §4.6, §4.6.4.
          return SpfResult::permerror;
      }
  }
}

// For logs and the A-R header comment: printable ASCII only, bounded.
std::string clean(const char* text) {
  std::string out;
  if (text == nullptr) return out;
  for (const char* p = text; *p != '\0' && out.size() < 200; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    out.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  }
  return out;
}

std::string domain_of(const std::string& mailbox) {
  const auto at = mailbox.rfind('@');
  return at == std::string::npos ? mailbox : mailbox.substr(at + 1);
}

// RFC 7208 §2.3: the HELO identity is checked when it is a domain name, not an address
// literal or an empty string.
bool helo_is_domain(const std::string& helo) {
  return !helo.empty() && helo.front() != '[' && helo.find_first_of(" \t@") == std::string::npos;
}

}  // namespace

struct SpfEvaluator::Library {
  SPF_dns_server_t* layer = nullptr;
  SPF_server_t* server = nullptr;
  std::string rec_dom;
};

SpfEvaluator::SpfEvaluator(SpfLookup lookup, SpfEvaluatorOptions options)
    : lookup_(std::move(lookup)), options_(std::move(options)) {
  install_handlers();
  auto* layer = static_cast<SPF_dns_server_t*>(std::calloc(1, sizeof(SPF_dns_server_t)));
  if (layer == nullptr) return;
  layer->destroy = layer_destroy;
  layer->lookup = layer_lookup;
  layer->get_spf = nullptr;
  layer->get_exp = nullptr;
  layer->add_cache = nullptr;
  layer->layer_below = nullptr;
  layer->name = "hikyaku";
  layer->hook = this;
  SPF_server_t* server = SPF_server_new_dns(layer, 0);
  if (server == nullptr) {
    SPF_dns_free(layer);
    return;
  }
  SPF_server_set_max_dns_mech(server, options_.max_dns_mech);
  SPF_server_set_max_dns_mx(server, options_.max_dns_mx);
  SPF_server_set_max_dns_ptr(server, options_.max_dns_ptr);
  SPF_server_set_rec_dom(server, options_.rec_dom.c_str());  // the default is gethostname()
  // libspf2's own default explanation points at a defunct web site; ours is a marker that
  // evaluate() recognises and replaces by the header comment (RFC 7208 §6.2: exp= is optional).
  SPF_response_t* exp_response = nullptr;
  SPF_server_set_explanation(server, kNoExplanation, &exp_response);
  if (exp_response != nullptr) SPF_response_free(exp_response);
  lib_ = new Library{layer, server, options_.rec_dom};
}

SpfEvaluator::~SpfEvaluator() {
  if (lib_ == nullptr) return;
  SPF_server_free(lib_->server);
  SPF_dns_free(lib_->layer);  // SPF_server_new_dns does not own the layer
  delete lib_;
}

SpfDnsReply SpfEvaluator::lookup(const std::string& name, dns::RecordType type) {
  SpfDnsReply reply;
  if (++queries_ > options_.max_queries) {
    reply.status = SpfDnsStatus::temperror;
    return reply;
  }
  reply = lookup_(name, type);
  // RFC 7208 §4.6.4: a void lookup is NXDOMAIN or an answer with no records. The first query
  // is the record of the identity's own domain (§4.4), which is no mechanism's lookup.
  const bool is_void = reply.status == SpfDnsStatus::nxdomain || reply.status == SpfDnsStatus::nodata ||
                       (reply.status == SpfDnsStatus::ok && reply.records.empty());
  if (is_void && queries_ > 1 && ++void_lookups_ == options_.max_void_lookups + 1) {
    void_limit_query_ = queries_;
    void_limit_txt_ = type == dns::RecordType::txt;
  }
  return reply;
}

SpfVerdict SpfEvaluator::check(const SpfCheckRequest& request) {
  if (lib_ != nullptr && !request.rec_dom.empty() && request.rec_dom != lib_->rec_dom) {
    SPF_server_set_rec_dom(lib_->server, request.rec_dom.c_str());
    lib_->rec_dom = request.rec_dom;
  }
  SpfVerdict verdict;
  verdict.mail_from = check_mail_from(request.client_ip, request.helo, request.mail_from);
  verdict.helo = check_helo(request.client_ip, request.helo);
  return verdict;
}

SpfOutcome SpfEvaluator::check_mail_from(const std::string& client_ip, const std::string& helo,
                                         const std::string& mail_from) {
  SpfOutcome outcome;
  outcome.identity = mail_from.empty() ? "postmaster@" + helo : mail_from;  // RFC 7208 §2.4
  outcome.domain = mail_from.empty() ? helo : domain_of(mail_from);
  if (mail_from.empty() && !helo_is_domain(helo)) {
    outcome.reason = "null sender and no HELO domain to check";
    return outcome;
  }
  return evaluate(client_ip, helo, &mail_from, std::move(outcome));
}

SpfOutcome SpfEvaluator::check_helo(const std::string& client_ip, const std::string& helo) {
  SpfOutcome outcome;
  outcome.identity = helo;
  outcome.domain = helo;
  if (!helo_is_domain(helo)) {
    outcome.reason = "HELO is not a domain name";
    return outcome;
  }
  return evaluate(client_ip, helo, nullptr, std::move(outcome));
}

SpfOutcome SpfEvaluator::evaluate(const std::string& client_ip, const std::string& helo,
                                  const std::string* mail_from, SpfOutcome outcome) {
  if (lib_ == nullptr) {
    outcome.result = SpfResult::temperror;
    outcome.reason = "SPF library unavailable";
    return outcome;
  }
  // libspf2 answers pass for any loopback client before it reads a record
  // (SPF_REASON_LOCALHOST). A local client is this host or a proxy on it, never the sending
  // MTA, so nothing can be decided about the sender from its address: none, as pypolicyd-spf
  // does, so no pass is ever vouched for in our Authentication-Results, ARC seal or signature.
  const auto address = core::IpAddress::parse(client_ip);
  if (address && core::is_local_address(*address)) {
    outcome.result = SpfResult::none;
    outcome.reason = "client " + address->to_string() + " is a local address: SPF not checked";
    return outcome;
  }
  SPF_request_t* request = SPF_request_new(lib_->server);
  if (request == nullptr) {
    outcome.result = SpfResult::temperror;
    outcome.reason = "out of memory";
    return outcome;
  }
  // The client address; an IPv4-mapped IPv6 address is the IPv4 address (RFC 7208 §5).
  SPF_errcode_t err = SPF_E_INVALID_IP4;
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, client_ip.c_str(), &v4) == 1) {
    err = SPF_request_set_ipv4(request, v4);
  } else if (inet_pton(AF_INET6, client_ip.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
      std::memcpy(&v4, &v6.s6_addr[12], sizeof v4);
      err = SPF_request_set_ipv4(request, v4);
    } else {
      err = SPF_request_set_ipv6(request, v6);
    }
  }
  if (err != SPF_E_SUCCESS) {
    SPF_request_free(request);
    outcome.result = SpfResult::temperror;
    outcome.reason = "invalid client address";
    return outcome;
  }
  // The HELO name goes in before the sender: the null sender becomes postmaster@helo.
  if (!helo.empty()) SPF_request_set_helo_dom(request, helo.c_str());
  if (mail_from != nullptr && SPF_request_set_env_from(request, mail_from->c_str()) != 0) {
    SPF_request_free(request);
    outcome.reason = "no domain to check in the sender";
    return outcome;  // none: RFC 7208 §4.3, not a valid domain
  }
  queries_ = 0;
  void_lookups_ = 0;
  void_limit_query_ = 0;
  void_limit_txt_ = false;
  SPF_response_t* response = nullptr;
  err = SPF_request_query_mailfrom(request, &response);
  const SPF_result_t result = response ? SPF_response_result(response) : SPF_RESULT_INVALID;
  outcome.result = map_result(result, err);
  // The same rule, should the library find another address of its own to wave through: a pass
  // that no record gave is no pass.
  const SPF_reason_t reason = response ? SPF_response_reason(response) : SPF_REASON_NONE;
  if (outcome.result == SpfResult::pass &&
      (reason == SPF_REASON_LOCALHOST || reason == SPF_REASON_LOCAL_POLICY)) {
    if (response != nullptr) SPF_response_free(response);
    SPF_request_free(request);
    outcome.result = SpfResult::none;
    outcome.reason = "the SPF library passed a local client without a record: SPF not checked";
    return outcome;
  }
  // The void limit ends the evaluation when it is passed (RFC 7208 §4.6.4). libspf2 does not
  // count, so passing it decides here, unless the void lookup that passed it was the last
  // query, for TXT, of a fail: that is the exp= lookup made after the result (§6.2), which
  // does not count. (An include: or redirect= of a void name is a permerror anyway.)
  const bool exp_lookup = result == SPF_RESULT_FAIL && void_limit_txt_ && void_limit_query_ == queries_;
  if (void_lookups_ > options_.max_void_lookups && !exp_lookup && outcome.result != SpfResult::permerror) {
    outcome.result = SpfResult::permerror;
    outcome.reason = "more than " + std::to_string(options_.max_void_lookups) + " void lookups";
  } else if (outcome.result == SpfResult::temperror || outcome.result == SpfResult::permerror) {
    // The library's first message says most ("Unknown mechanism found near ..."); the record
    // is attacker-controlled, so clean() bounds it.
    if (response != nullptr && SPF_response_messages(response) > 0) {
      outcome.reason = clean(SPF_response_message(response, 0)->message);
    } else {
      outcome.reason = clean(SPF_strerror(err));
    }
  } else if (outcome.result == SpfResult::fail && response != nullptr &&
             SPF_response_get_explanation(response) != nullptr &&
             std::string_view(SPF_response_get_explanation(response)) != kNoExplanation) {
    outcome.reason = clean(SPF_response_get_explanation(response));  // exp= (RFC 7208 §6.2)
  } else if (response != nullptr) {
    outcome.reason = clean(SPF_response_get_header_comment(response));
  }
  if (response != nullptr) SPF_response_free(response);
  SPF_request_free(request);
  return outcome;
}

}  // namespace hikyaku::auth
