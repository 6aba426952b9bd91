// Structured log events: parse the relay's Postfix-like lines ("<ID>: key=value ...") into
// fields, and render them as JSON (RFC 8259) or as native journal fields.
#include "app/log_event.hpp"

#include <cctype>
#include <charconv>

#include <nlohmann/json.hpp>

namespace hikyaku::app {

namespace {

bool is_hex_upper(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }

// Session ids are 12 upper-case hex digits, transaction ids "<session>.<n>", queue ids 21 hex
// digits (smtpd/session.cpp, queue/queue_runner.cpp). Nothing else is taken for an id, so a
// "queue: ..." or "SIGHUP: ..." line keeps its whole text.
bool looks_like_id(std::string_view s) {
  const auto dot = s.find('.');
  const std::string_view hex = s.substr(0, dot);
  if (hex.size() < 12 || hex.size() > 32) return false;
  for (char c : hex) {
    if (!is_hex_upper(c)) return false;
  }
  if (dot == std::string_view::npos) return true;
  const std::string_view n = s.substr(dot + 1);
  if (n.empty() || n.size() > 9) return false;
  for (char c : n) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

constexpr size_t kMaxKey = 32;

bool key_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'; }

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// One value from `s` at `i`: up to the next space outside <>, [] and "" (whose \-escapes are
// undone). Returns the raw token's end.
size_t read_value(std::string_view s, size_t i, std::string& out) {
  char close = 0;
  bool escaped = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (close == '"') {
      if (escaped) {
        escaped = false;
        out += c;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        close = 0;
      } else {
        out += c;
      }
      continue;
    }
    if (close != 0) {
      out += c;
      if (c == close) close = 0;
      continue;
    }
    if (c == ' ') break;
    if (c == '"') {
      close = '"';
      continue;
    }
    if (c == '<') close = '>';
    if (c == '[') close = ']';
    out += c;
  }
  return i;
}

std::string strip_enclosing(std::string v, char open, char close) {
  if (v.size() >= 2 && v.front() == open && v.back() == close &&
      v.find(close) == v.size() - 1) {
    return v.substr(1, v.size() - 2);
  }
  return v;
}

// The names every object has; a key=value in a line's text never takes their place.
bool reserved(std::string_view key) {
  return key == "time" || key == "level" || key == "pid" || key == "event" || key == "id" || key == "message";
}

void add(LogEvent& e, std::string key, std::string value) {
  if (!reserved(key) && e.find(key) == nullptr) e.fields.push_back({std::move(key), std::move(value)});
}

// Every " key=value" token (a key of lower-case letters, digits, '-' and '_').
void parse_pairs(std::string_view text, LogEvent& e) {
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    size_t k = i;
    while (k < text.size() && key_char(text[k])) ++k;
    // At most 32 characters: HIKYAKU_<KEY> stays within journald's 64 (found by fuzz_log_event).
    if (k > start && k - start <= kMaxKey && k < text.size() && text[k] == '=' &&
        (start == 0 || text[start - 1] == ' ')) {
      std::string key(text.substr(start, k - start));
      for (char& c : key) {
        if (c == '-') c = '_';
      }
      std::string value;
      i = read_value(text, k + 1, value);
      if (key != "to") value = strip_enclosing(strip_enclosing(std::move(value), '<', '>'), '[', ']');
      if (reserved(key)) continue;
      bool repeated = false;
      for (auto& f : e.fields) {  // "dkim=pass ... dkim=fail": one field, values in order
        if (f.key == key) {
          f.value += "," + value;
          repeated = true;
          break;
        }
      }
      if (!repeated) e.fields.push_back({std::move(key), std::move(value)});
      continue;
    }
    // A "(...)" comment is skipped whole: its "d=... s=..." belong to the value before it.
    if (text[i] == '(') {
      int depth = 0;
      for (; i < text.size(); ++i) {
        if (text[i] == '(') ++depth;
        if (text[i] == ')' && --depth == 0) break;
      }
      if (i < text.size()) ++i;
      continue;
    }
    // Skip to the next token.
    std::string ignored;
    i = read_value(text, i, ignored);
    while (i < text.size() && text[i] == ' ') ++i;
    if (i == start) ++i;
  }
}

// "... from [192.0.2.1]..." on connect, disconnect, reject and TLS lines.
void client_from_text(std::string_view text, LogEvent& e) {
  const auto at = text.find("from [");
  if (at == std::string_view::npos) return;
  const auto end = text.find(']', at);
  if (end == std::string_view::npos) return;
  add(e, "client", std::string(text.substr(at + 6, end - at - 6)));
}

// A reply summary "451 4.3.0 text" as reply_code and reply_enhanced (RFC 5321 §4.2, RFC 3463).
void reply_parts(LogEvent& e) {
  const std::string* reply = e.find("reply");
  if (reply == nullptr || reply->size() < 3) return;
  const std::string r = *reply;
  if (!std::isdigit(static_cast<unsigned char>(r[0])) || !std::isdigit(static_cast<unsigned char>(r[1])) ||
      !std::isdigit(static_cast<unsigned char>(r[2])) || (r.size() > 3 && r[3] != ' ' && r[3] != '-')) {
    return;
  }
  add(e, "reply_code", r.substr(0, 3));
  if (r.size() > 9 && r[4] >= '2' && r[4] <= '5' && r[5] == '.') {
    const auto end = r.find(' ', 4);
    add(e, "reply_enhanced", r.substr(4, end == std::string::npos ? std::string::npos : end - 4));
  }
}

std::string event_of(std::string_view text, const LogEvent& e) {
  if (starts_with(text, "connect from")) return "connect";
  if (starts_with(text, "disconnect from")) return "disconnect";
  if (starts_with(text, "reject")) return "reject";
  if (starts_with(text, "rcpt=")) return "rcpt";
  if (starts_with(text, "auth ")) return "auth";
  if (starts_with(text, "client=")) return "outcome";
  if (starts_with(text, "sender=")) return "delivery";
  if (starts_with(text, "to=") && e.find("status") != nullptr) return "delivery";
  if (starts_with(text, "domain=") && text.find(" tried ") != std::string_view::npos) return "attempt";
  if (starts_with(text, "TLS established")) return "tls";
  if (starts_with(text, "queue:") || (!e.id.empty() && (text.find(" the queue") != std::string_view::npos ||
                                                        starts_with(text, "DSN ")))) {
    return "queue";
  }
  return "log";
}

bool is_number(std::string_view s) {
  if (s.empty()) return false;
  bool dot = false;
  for (char c : s) {
    if (c == '.' && !dot) {
      dot = true;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return s.front() != '.' && s.back() != '.';
}

std::vector<std::string> split_recipients(const std::string& value) {
  std::vector<std::string> out;
  if (!value.empty() && value.front() == '<') {
    size_t i = 0;
    while (i < value.size()) {
      const auto close = value.find('>', i);
      if (value[i] != '<' || close == std::string::npos) break;
      out.push_back(value.substr(i + 1, close - i - 1));
      i = close + 1;
      if (i < value.size() && value[i] == ',') ++i;
    }
    return out;
  }
  size_t i = 0;
  while (i <= value.size()) {
    const auto comma = value.find(',', i);
    const auto end = comma == std::string::npos ? value.size() : comma;
    if (end > i) out.push_back(value.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

}  // namespace

const std::string* LogEvent::find(std::string_view key) const {
  for (const auto& f : fields) {
    if (f.key == key) return &f.value;
  }
  return nullptr;
}

LogEvent parse_log_line(std::string_view message) {
  LogEvent e;
  std::string_view text = message;
  if (const auto colon = message.find(": "); colon != std::string_view::npos && looks_like_id(message.substr(0, colon))) {
    e.id = std::string(message.substr(0, colon));
    text = message.substr(colon + 2);
  }
  parse_pairs(text, e);
  // Queue lines end in "(<reply>)": the upstream's reply (queue/queue_runner.cpp).
  if (starts_with(text, "to=") && text.size() > 2 && text.back() == ')') {
    const auto open = text.find(" (");
    if (open != std::string_view::npos) add(e, "reply", std::string(text.substr(open + 2, text.size() - open - 3)));
  }
  client_from_text(text, e);
  // "reject: RCPT from [ip]: <reply>; from=<...> ...": the reply we gave (smtpd/session.cpp).
  if (starts_with(text, "reject")) {
    if (const auto at = text.find("]: "); at != std::string_view::npos) {
      const std::string_view rest = text.substr(at + 3);
      add(e, "reply", std::string(rest.substr(0, rest.find("; "))));
    }
  }
  reply_parts(e);
  e.event = event_of(text, e);
  // On auth lines helo= is SPF's verdict for the HELO name (RFC 7208 §2.3), not the name.
  if (e.event == "auth") {
    for (auto& f : e.fields) {
      if (f.key == "helo") f.key = "spf_helo";
    }
  }
  return e;
}

std::string render_json(const LogEvent& event, std::string_view time, std::string_view level, long pid,
                        std::string_view message) {
  nlohmann::ordered_json j;
  j["time"] = time;
  j["level"] = level;
  j["pid"] = pid;
  j["event"] = event.event;
  if (!event.id.empty()) j["id"] = event.id;
  j["message"] = message;
  for (const auto& f : event.fields) {
    if (f.key == "to") {
      j["to"] = split_recipients(f.value);
    } else if ((f.key == "size" || f.key == "reply_code" || f.key == "attempts") && is_number(f.value) &&
               f.value.find('.') == std::string::npos && f.value.size() < 19) {
      j[f.key] = std::stoll(f.value);
    } else if (f.key == "delay" && f.value.size() > 1 && f.value.back() == 's' &&
               is_number(std::string_view(f.value).substr(0, f.value.size() - 1))) {
      j["delay"] = std::stod(f.value.substr(0, f.value.size() - 1));
    } else {
      j[f.key] = f.value;
    }
  }
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string_view journal_message_id(std::string_view event) {
  struct Known {
    std::string_view event;
    std::string_view id;
  };
  static constexpr Known kIds[] = {
      {"connect", "1420004af64544f2b5d81768f8806fba"},  {"disconnect", "bd82994703de4be3b8e4cfb2d192b15c"},
      {"reject", "8c24f019675d40f7836ac9fcec662bc5"},   {"rcpt", "d8734c8174c748ae83f6ee08a66ffed6"},
      {"outcome", "8429d196496148e588f23fc0a7494213"},  {"delivery", "7945660e1d5847938c650b7fdd8b6777"},
      {"attempt", "a93d374e0d674276ad5ffa150293ccf9"},  {"tls", "3b74bcd9679743529fcd36d4aef8bfd3"},
      {"queue", "3167014b52044121b6a55ddf6d12f5e3"},    {"auth", "3c2905008434426b94a5167106a6a98f"},
  };
  for (const auto& k : kIds) {
    if (k.event == event) return k.id;
  }
  return "21f411492e54466096a9024012551a96";  // "log": any other line
}

std::vector<std::string> journal_fields(const LogEvent& event, int priority, std::string_view message) {
  std::vector<std::string> out;
  out.push_back("MESSAGE=" + std::string(message));
  out.push_back("PRIORITY=" + std::to_string(priority));
  out.push_back("SYSLOG_IDENTIFIER=hikyaku");
  out.push_back("MESSAGE_ID=" + std::string(journal_message_id(event.event)));
  out.push_back("HIKYAKU_EVENT=" + event.event);
  if (!event.id.empty()) out.push_back("HIKYAKU_ID=" + event.id);
  for (const auto& f : event.fields) {
    // Journal field names: upper-case letters, digits and '_', not starting with '_' or a digit.
    std::string name = "HIKYAKU_";
    for (char c : f.key) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out.push_back(name + "=" + f.value);
  }
  return out;
}

}  // namespace hikyaku::app
