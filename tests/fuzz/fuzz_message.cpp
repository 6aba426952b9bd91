// Fuzz target for core/message: the RFC 5322 §2.1-2.2 header index must describe contiguous,
// in-bounds fields followed by the body, for any octets at all.
// Any broken invariant aborts, which libFuzzer and the sanitized replay both report.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/message.hpp"

namespace {

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_message invariant failed: %s\n", what);
  std::abort();
}

// A view returned by the message must lie inside raw().
bool inside(const hikyaku::core::Message& m, std::string_view v) {
  if (v.empty()) return true;
  const char* begin = m.raw().data();
  return v.data() >= begin && v.data() + v.size() <= begin + m.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using hikyaku::core::Message;
  const Message m(std::string(reinterpret_cast<const char*>(data), size));
  check(m.size() == size, "size");
  const std::string_view raw = m.raw();
  size_t expected_offset = 0;
  const auto& fields = m.fields();
  for (size_t i = 0; i < fields.size(); ++i) {
    const auto& f = fields[i];
    check(f.offset == expected_offset, "fields contiguous from 0");
    check(f.length <= size && f.offset <= size - f.length, "field within bounds");
    check(f.name_length > 0 && f.name_length < f.length, "name length");
    const std::string_view name = m.field_name(f);
    check(name.size() == f.name_length && inside(m, name), "field_name");
    for (const char c : name) {
      const auto u = static_cast<unsigned char>(c);
      check(u >= 33 && u <= 126 && c != ':', "field name is ftext");
    }
    const std::string_view text = m.field_text(f);
    const std::string_view value = m.field_value(f);
    check(inside(m, text) && inside(m, value), "views inside raw()");
    check(text.size() + 2 == f.length || (i + 1 == fields.size() && text.size() == f.length),
          "only the last field may lack its CRLF");
    check(value.size() < text.size(), "value shorter than text");
    check(raw.substr(f.offset + f.length - value.size() - (f.length - text.size()), value.size()) ==
              value,
          "value at the end of the field");
    bool listed = false;
    for (const auto* g : m.find(name)) listed = listed || g == &f;
    check(listed, "find() lists the field");
    expected_offset = f.offset + f.length;
  }
  check(m.body_offset() <= size, "body offset within bounds");
  check(m.header_block().size() == expected_offset, "header block covers the fields");
  check(m.body_offset() >= expected_offset, "body after header");
  const std::string_view gap = raw.substr(expected_offset, m.body_offset() - expected_offset);
  check(gap.empty() || gap == "\r\n", "only the empty line between header and body");
  check(m.body().size() == size - m.body_offset() && inside(m, m.body()), "body view");
  return 0;
}
