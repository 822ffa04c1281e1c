#pragma once
// Reading JSON input so that every complaint names where the input is wrong,
// as a JSON path: $.layers[3].options[1].costs.latency_us. Objects keep their
// keys in file order, and a key given twice is an error, not a silent
// overwrite.

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"

namespace mixq_tool {

using json = nlohmann::ordered_json;

inline bool is_identifier(std::string_view key) {
  if (key.empty() || (key[0] >= '0' && key[0] <= '9')) return false;
  for (const char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

/// path.key, or path["key"] when the key is not an identifier.
inline std::string member_path(const std::string& path, std::string_view key) {
  if (is_identifier(key)) return fmt::format("{}.{}", path, key);
  return fmt::format("{}[{}]", path, json(std::string(key)).dump());
}

inline std::string element_path(const std::string& path, std::size_t i) { return fmt::format("{}[{}]", path, i); }

/// A short rendition of a value for messages.
inline std::string shown(const json& v) {
  std::string s = v.dump();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

inline const char* kind(const json& v) {
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_null()) return "null";
  return "a number";
}

/// How deeply arrays and objects may nest. The tool's documents need 5
/// levels; a limit keeps a hostile file from exhausting the stack of the
/// code that walks the parsed value.
inline constexpr std::size_t max_json_depth = 64;

/// Parses `text`. Syntax errors, duplicate keys and nesting deeper than
/// max_json_depth are reported with the path where they occur.
inline json parse_json(const std::string& text, std::string_view source) {
  struct frame {
    bool array = false;
    std::size_t next = 0;  ///< arrays: index of the element being read
    std::string key;       ///< objects: the key being read
    std::unordered_set<std::string> keys;
  };
  std::vector<frame> stack;
  auto path = [&](std::size_t depth) {
    std::string p = "$";
    for (std::size_t i = 0; i < depth && i < stack.size(); ++i) {
      p = stack[i].array ? element_path(p, stack[i].next) : member_path(p, stack[i].key);
    }
    return p;
  };
  const auto open = [&](bool array) {
    if (stack.size() == max_json_depth) {
      throw input_error(fmt::format("{}: {} nests arrays and objects deeper than {} levels; expected at most {}",
                                    path(stack.size()), source, max_json_depth, max_json_depth));
    }
    stack.push_back(frame{array, 0, {}, {}});
  };
  const json::parser_callback_t track = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start: open(false); break;
      case json::parse_event_t::array_start: open(true); break;
      case json::parse_event_t::key: {
        frame& top = stack.back();
        std::string key = parsed.get<std::string>();
        if (!top.keys.insert(key).second) {
          throw input_error(fmt::format("{}: {} appears twice in the same object; expected each key once",
                                        member_path(path(stack.size() - 1), key), json(key).dump()));
        }
        top.key = std::move(key);
        break;
      }
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        stack.pop_back();
        if (!stack.empty() && stack.back().array) ++stack.back().next;
        break;
      case json::parse_event_t::value:
        if (!stack.empty() && stack.back().array) ++stack.back().next;
        break;
    }
    return true;
  };
  try {
    return json::parse(text, track);
  } catch (const json::exception& e) {
    // parse_error for syntax, out_of_range for a number no double holds (1e400).
    std::string what = e.what();
    if (const auto at = what.find("] "); at != std::string::npos) what = what.substr(at + 2);
    throw input_error(fmt::format("{}: {} is not valid JSON: {}", path(stack.size()), source, what));
  }
}

inline void expect(const json& v, bool ok, const std::string& path, std::string_view expected) {
  if (!ok) throw input_error(fmt::format("{}: {} is {}; expected {}", path, shown(v), kind(v), expected));
}

/// The member `key` of `object`, which must be there.
inline const json& member(const json& object, std::string_view key, const std::string& path,
                          std::string_view expected) {
  const auto it = object.find(std::string(key));
  if (it == object.end()) throw input_error(fmt::format("{}: missing; expected {}", member_path(path, key), expected));
  return *it;
}

/// Rejects keys outside `allowed`: a misspelt key would otherwise be ignored.
inline void only_keys(const json& object, const std::string& path, std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (const auto a : allowed) known = known || key == a;
    if (!known) {
      std::string list;
      for (const auto a : allowed) list += fmt::format("{}{}", list.empty() ? "" : ", ", a);
      throw input_error(fmt::format("{}: unknown key; expected one of {}", member_path(path, key), list));
    }
  }
}

inline double number(const json& v, const std::string& path, std::string_view expected) {
  expect(v, v.is_number(), path, expected);
  return v.get<double>();
}

inline int integer(const json& v, const std::string& path, int lo, int hi) {
  const std::string expected = fmt::format("an integer in {}..{}", lo, hi);
  expect(v, v.is_number_integer(), path, expected);
  const auto i = v.get<long long>();
  if (i < lo || i > hi) throw input_error(fmt::format("{}: {} is out of range; expected {}", path, i, expected));
  return static_cast<int>(i);
}

/// JSON text for people and programs: an object or array whose members are
/// all scalars stays on one line ({"layer": "conv1", "option": 0}), larger
/// ones take a line per member.
inline std::string render(const json& v, std::size_t indent = 0) {
  auto flat = [](const json& x) {
    if (!x.is_structured()) return true;
    for (const auto& m : x) {
      if (m.is_structured()) return false;
    }
    return true;
  };
  if (!v.is_structured()) return v.dump();
  const std::string pad(indent + 2, ' '), close(indent, ' ');
  std::string out = v.is_object() ? "{" : "[";
  const bool one_line = flat(v);
  bool first = true;
  for (auto it = v.begin(); it != v.end(); ++it) {
    out += first ? "" : ",";
    out += one_line ? (first ? "" : " ") : "\n" + pad;
    if (v.is_object()) out += json(it.key()).dump() + ": ";
    out += render(*it, indent + 2);
    first = false;
  }
  if (!one_line && !first) out += "\n" + close;
  out += v.is_object() ? "}" : "]";
  return out;
}

}  // namespace mixq_tool
