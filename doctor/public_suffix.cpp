// Registrable domains with libpsl (the RFC 7489 §3.2 organizational domain), for doctor's
// checks. libpsl lookups only read the loaded list, so one list serves every thread.
#include "doctor/public_suffix.hpp"

#include <libpsl.h>

#include "core/ascii.hpp"

namespace hikyaku::doctor {

namespace {

// Lower-case, one trailing dot dropped; "" when a label is empty or the name is too long.
std::string normalise(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return {};
  std::string out;
  out.reserve(name.size());
  char prev = '.';
  for (const char c : name) {
    if (c == '.' && prev == '.') return {};
    if (c == '\0') return {};
    out.push_back(core::ascii_lower(c));
    prev = c;
  }
  return out;
}

}  // namespace

const PublicSuffixList& PublicSuffixList::system() {
  static const PublicSuffixList list = [] {
    psl_ctx_t* ctx = psl_latest(nullptr);
    if (ctx == nullptr) ctx = const_cast<psl_ctx_t*>(psl_builtin());
    // psl_builtin() is static data and must not be freed; psl_latest()'s result is kept for
    // the life of the process.
    return PublicSuffixList(ctx);
  }();
  return list;
}

std::optional<PublicSuffixList> PublicSuffixList::load_file(const std::string& path) {
  psl_ctx_t* ctx = psl_load_file(path.c_str());
  if (ctx == nullptr) return std::nullopt;
  PublicSuffixList list(nullptr);
  list.ctx_ = std::shared_ptr<void>(ctx, [](void* p) { psl_free(static_cast<psl_ctx_t*>(p)); });
  return list;
}

std::string PublicSuffixList::organizational_domain(std::string_view name) const {
  const std::string n = normalise(name);
  if (n.empty()) return {};
  const auto* ctx = static_cast<const psl_ctx_t*>(ctx_.get());
  if (ctx == nullptr) return n;  // no list at all: every name is its own organization (strict)
  const char* reg = psl_registrable_domain(ctx, n.c_str());
  // NULL: the name is itself a public suffix (or the implicit "*" rule's TLD) - see the header.
  return reg != nullptr ? std::string(reg) : n;
}

std::string psl_organizational_domain(std::string_view name) {
  return PublicSuffixList::system().organizational_domain(name);
}

}  // namespace hikyaku::doctor
