// conceal_target: a case-insensitive search and replace of one address in a reply or DSN text.
#include "queue/target_privacy.hpp"

#include "core/ascii.hpp"

namespace hikyaku::queue {

std::string conceal_target(std::string_view text, std::string_view target, std::string_view shown) {
  if (target.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.size() - i >= target.size() && core::ascii_iequals(text.substr(i, target.size()), target)) {
      out.append(shown);
      i += target.size();
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

}  // namespace hikyaku::queue
