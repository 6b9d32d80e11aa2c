#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "harness.h"
#include "json.h"

using device_bench::JsonNumber;
using device_bench::JsonString;
using device_bench::JsonWriter;

TEST(json_string_escapes) {
  CHECK_EQ(JsonString(""), std::string("\"\""));
  CHECK_EQ(JsonString("plain"), std::string("\"plain\""));
  CHECK_EQ(JsonString("a\"b\\c"), std::string("\"a\\\"b\\\\c\""));
  CHECK_EQ(JsonString("\n\r\t\b\f"), std::string("\"\\n\\r\\t\\b\\f\""));
  CHECK_EQ(JsonString(std::string("\x01\x1f", 2)), std::string("\"\\u0001\\u001f\""));
  CHECK_EQ(JsonString(std::string("a\0b", 3)), std::string("\"a\\u0000b\""));
  CHECK_EQ(JsonString("/tmp/x y.ms"), std::string("\"/tmp/x y.ms\""));  // '/' needs no escape
  CHECK_EQ(JsonString("\x7f"), std::string("\"\x7f\""));
}

TEST(json_string_utf8) {
  CHECK_EQ(JsonString("caf\xc3\xa9 \xe6\xa8\xa1\xe5\x9e\x8b \xf0\x9f\x98\x80"),
           std::string("\"caf\xc3\xa9 \xe6\xa8\xa1\xe5\x9e\x8b \xf0\x9f\x98\x80\""));
  const std::string fffd = "\xef\xbf\xbd";
  CHECK_EQ(JsonString("\xff"), "\"" + fffd + "\"");                  // never valid
  CHECK_EQ(JsonString("a\xc3"), "\"a" + fffd + "\"");                // truncated sequence
  CHECK_EQ(JsonString("\xc0\xaf"), "\"" + fffd + fffd + "\"");       // overlong '/'
  CHECK_EQ(JsonString("\xed\xa0\x80"), "\"" + fffd + fffd + fffd + "\"");  // UTF-16 surrogate
  CHECK_EQ(JsonString("\xe6\xa8x"), "\"" + fffd + fffd + "x\"");
}

TEST(json_numbers) {
  CHECK_EQ(JsonNumber(0), std::string("0"));
  CHECK_EQ(JsonNumber(-0.0), std::string("0"));
  CHECK_EQ(JsonNumber(1), std::string("1"));
  CHECK_EQ(JsonNumber(0.1), std::string("0.1"));
  CHECK_EQ(JsonNumber(-2.5), std::string("-2.5"));
  CHECK_EQ(JsonNumber(0.052131), std::string("0.052131"));
  CHECK_EQ(JsonNumber(123456789.0), std::string("123456789"));
  CHECK_EQ(JsonNumber(1e300), std::string("1e+300"));
  CHECK_EQ(JsonNumber(std::numeric_limits<double>::quiet_NaN()), std::string("null"));
  CHECK_EQ(JsonNumber(std::numeric_limits<double>::infinity()), std::string("null"));
  CHECK_EQ(JsonNumber(-std::numeric_limits<double>::infinity()), std::string("null"));
  // Round trip of awkward values.
  for (double v : {1.0 / 3.0, 2.0 / 3.0, 1e-7, 5e-324, 1.7976931348623157e308, 0.30000000000000004}) {
    CHECK_EQ(std::strtod(JsonNumber(v).c_str(), nullptr), v);
  }
}

TEST(json_writer_document) {
  JsonWriter w(2);
  w.BeginObject();
  w.Field("s", "x\"y");
  w.Field("n", 1.5);
  w.Field("i", int64_t{-3});
  w.Field("b", true);
  w.Key("z").Null();
  w.Key("nan").Number(std::nan(""));
  w.Key("runs").BeginArray(true).Number(1).Number(2.25).EndArray();
  w.Key("empty_obj").BeginObject().EndObject();
  w.Key("empty_arr").BeginArray().EndArray();
  w.Key("list").BeginArray().BeginObject().Field("k", 1).EndObject().EndArray();
  w.EndObject();
  CHECK(w.complete());
  const std::string expected =
      "{\n"
      "  \"s\": \"x\\\"y\",\n"
      "  \"n\": 1.5,\n"
      "  \"i\": -3,\n"
      "  \"b\": true,\n"
      "  \"z\": null,\n"
      "  \"nan\": null,\n"
      "  \"runs\": [1, 2.25],\n"
      "  \"empty_obj\": {},\n"
      "  \"empty_arr\": [],\n"
      "  \"list\": [\n"
      "    {\n"
      "      \"k\": 1\n"
      "    }\n"
      "  ]\n"
      "}";
  CHECK_EQ(w.str(), expected);
}

TEST(json_writer_compact) {
  JsonWriter w(0);
  w.BeginObject().Field("a", 1).Key("b").BeginArray().Bool(false).String("c").EndArray().EndObject();
  CHECK_EQ(w.str(), std::string("{\"a\":1,\"b\":[false,\"c\"]}"));
}

TEST(json_writer_misuse_throws) {
  bool threw = false;
  try {
    JsonWriter w;
    w.BeginObject().Int(1);  // value without key
  } catch (const std::logic_error&) {
    threw = true;
  }
  CHECK(threw);
  threw = false;
  try {
    JsonWriter w;
    w.BeginArray().EndObject();
  } catch (const std::logic_error&) {
    threw = true;
  }
  CHECK(threw);
}
