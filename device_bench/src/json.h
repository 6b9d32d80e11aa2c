// A minimal JSON writer: correct string escaping (UTF-8 checked), finite numbers only.
#ifndef DEVICE_BENCH_JSON_H_
#define DEVICE_BENCH_JSON_H_

#include <cstdint>
#include <string>
#include <vector>

namespace device_bench {

// The JSON string literal (with quotes) for `s`. Escapes '"', '\\' and control characters;
// invalid UTF-8 bytes become U+FFFD so the output is always valid UTF-8.
std::string JsonString(const std::string& s);

// The JSON literal for a double: the shortest decimal that reads back to the same value,
// or `null` for NaN and infinities (JSON has no literal for them).
std::string JsonNumber(double v);

// Streaming writer. Objects and arrays are pretty-printed with `indent` spaces per level, except
// those opened with BeginObject/BeginArray(/*inline_items=*/true), which stay on one line (hold
// only scalars in them).
class JsonWriter {
 public:
  explicit JsonWriter(int indent = 2) : indent_(indent) {}

  JsonWriter& BeginObject(bool inline_items = false);
  JsonWriter& EndObject();
  JsonWriter& BeginArray(bool inline_items = false);
  JsonWriter& EndArray();
  JsonWriter& Key(const std::string& key);

  JsonWriter& String(const std::string& v);
  JsonWriter& Number(double v);
  JsonWriter& Int(int64_t v);
  JsonWriter& Bool(bool v);
  JsonWriter& Null();

  // Convenience: Key(k) followed by the value.
  JsonWriter& Field(const std::string& k, const std::string& v) { return Key(k).String(v); }
  JsonWriter& Field(const std::string& k, const char* v) { return Key(k).String(v); }
  JsonWriter& Field(const std::string& k, double v) { return Key(k).Number(v); }
  JsonWriter& Field(const std::string& k, int64_t v) { return Key(k).Int(v); }
  JsonWriter& Field(const std::string& k, int v) { return Key(k).Int(v); }
  JsonWriter& Field(const std::string& k, bool v) { return Key(k).Bool(v); }

  // The document so far; complete once every container is closed.
  const std::string& str() const { return out_; }
  bool complete() const { return stack_.empty() && !out_.empty(); }

 private:
  struct Level {
    bool is_object;
    bool inline_items;
    bool empty;
  };
  void BeforeValue();
  void Newline(size_t depth);

  int indent_;
  std::string out_;
  std::vector<Level> stack_;
  bool after_key_ = false;
};

}  // namespace device_bench

#endif  // DEVICE_BENCH_JSON_H_
