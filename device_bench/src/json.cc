#include "json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace device_bench {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is invalid.
size_t Utf8SequenceLength(const std::string& s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  size_t len = 0;
  uint32_t cp = 0;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  // Reject overlong forms, UTF-16 surrogates and code points above U+10FFFF.
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return len;
}

}  // namespace

std::string JsonString(const std::string& s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; ++i; continue;
      case '\\': out += "\\\\"; ++i; continue;
      case '\b': out += "\\b"; ++i; continue;
      case '\f': out += "\\f"; ++i; continue;
      case '\n': out += "\\n"; ++i; continue;
      case '\r': out += "\\r"; ++i; continue;
      case '\t': out += "\\t"; ++i; continue;
      default: break;
    }
    if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
      ++i;
      continue;
    }
    const size_t len = Utf8SequenceLength(s, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
      continue;
    }
    out.append(s, i, len);
    i += len;
  }
  out += '"';
  return out;
}

std::string JsonNumber(double v) {
  if (!std::isfinite(v)) return "null";
  if (v == 0) return "0";  // also turns -0 into 0
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

void JsonWriter::Newline(size_t depth) {
  if (indent_ <= 0) return;
  out_ += '\n';
  out_.append(depth * static_cast<size_t>(indent_), ' ');
}

void JsonWriter::BeforeValue() {
  if (stack_.empty()) {
    if (!out_.empty()) throw std::logic_error("JsonWriter: second top-level value");
    return;
  }
  Level& top = stack_.back();
  if (top.is_object) {
    if (!after_key_) throw std::logic_error("JsonWriter: value in an object without a key");
    after_key_ = false;
    return;
  }
  if (!top.empty) out_ += top.inline_items ? ", " : ",";
  if (!top.inline_items) Newline(stack_.size());
  top.empty = false;
}

JsonWriter& JsonWriter::Key(const std::string& key) {
  if (stack_.empty() || !stack_.back().is_object || after_key_) {
    throw std::logic_error("JsonWriter: key outside an object");
  }
  Level& top = stack_.back();
  if (top.inline_items) {
    if (!top.empty) out_ += ", ";
  } else {
    if (!top.empty) out_ += ',';
    Newline(stack_.size());
  }
  top.empty = false;
  out_ += JsonString(key);
  out_ += indent_ > 0 ? ": " : ":";
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::BeginObject(bool inline_items) {
  BeforeValue();
  out_ += '{';
  stack_.push_back({true, inline_items, true});
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  if (stack_.empty() || !stack_.back().is_object || after_key_) {
    throw std::logic_error("JsonWriter: unbalanced EndObject");
  }
  const Level top = stack_.back();
  stack_.pop_back();
  if (!top.empty && !top.inline_items) Newline(stack_.size());
  out_ += '}';
  return *this;
}

JsonWriter& JsonWriter::BeginArray(bool inline_items) {
  BeforeValue();
  out_ += '[';
  stack_.push_back({false, inline_items, true});
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  if (stack_.empty() || stack_.back().is_object) throw std::logic_error("JsonWriter: unbalanced EndArray");
  const Level top = stack_.back();
  stack_.pop_back();
  if (!top.empty && !top.inline_items) Newline(stack_.size());
  out_ += ']';
  return *this;
}

JsonWriter& JsonWriter::String(const std::string& v) {
  BeforeValue();
  out_ += JsonString(v);
  return *this;
}

JsonWriter& JsonWriter::Number(double v) {
  BeforeValue();
  out_ += JsonNumber(v);
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t v) {
  BeforeValue();
  out_ += std::to_string(v);
  return *this;
}

JsonWriter& JsonWriter::Bool(bool v) {
  BeforeValue();
  out_ += v ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::Null() {
  BeforeValue();
  out_ += "null";
  return *this;
}

}  // namespace device_bench
