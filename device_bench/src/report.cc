#include "report.h"

#include <limits>

#include "json.h"
#include "stats.h"

namespace device_bench {
namespace {

void WriteTensors(JsonWriter* w, const std::vector<TensorDesc>& tensors) {
  w->BeginArray();
  for (const TensorDesc& t : tensors) {
    w->BeginObject().Field("name", t.name).Key("shape").BeginArray(true);
    for (int64_t d : t.shape) w->Int(d);
    w->EndArray().Field("dtype", t.dtype).Field("format", t.format).EndObject();
  }
  w->EndArray();
}

void StringOrNull(JsonWriter* w, const std::string& key, const std::string& v) {
  w->Key(key);
  if (v.empty()) {
    w->Null();
  } else {
    w->String(v);
  }
}

void IntOrNull(JsonWriter* w, const std::string& key, int64_t v) {
  w->Key(key);
  if (v < 0) {
    w->Null();
  } else {
    w->Int(v);
  }
}

}  // namespace

double ThroughputIps(const BenchResult& r) {
  double total_ms = 0;
  for (double v : r.runs_ms) total_ms += v;
  if (r.runs_ms.empty() || !(total_ms > 0)) return std::numeric_limits<double>::quiet_NaN();
  return static_cast<double>(r.batch) * static_cast<double>(r.runs_ms.size()) / (total_ms / 1000.0);
}

std::string ToJson(const BenchResult& r) {
  JsonWriter w(2);
  w.BeginObject();
  w.Field("schema", kSchema);
  w.Field("tool_version", r.tool_version);

  w.Key("target").BeginObject();
  w.Field("kind", "local");
  w.Field("arch", r.target.arch);
  w.Field("os", r.target.os);
  w.Field("hostname", r.target.hostname);
  w.Field("cpu_model", r.target.cpu_model);
  w.Field("cores", static_cast<int64_t>(r.target.cores));
  w.EndObject();

  w.Key("model").BeginObject();
  w.Field("path", r.model_path);
  w.Field("sha256", r.model_sha256);
  w.Field("bytes", static_cast<int64_t>(r.model_bytes));
  w.Key("inputs");
  WriteTensors(&w, r.inputs);
  w.Key("outputs");
  WriteTensors(&w, r.outputs);
  w.EndObject();

  w.Key("config").BeginObject();
  w.Field("threads", r.threads);
  w.Field("loops", r.loops);
  w.Field("warmup", r.warmup);
  StringOrNull(&w, "in_data_file", r.in_data_file);
  IntOrNull(&w, "samples", r.samples);
  StringOrNull(&w, "out_data_file", r.out_data_file);
  w.EndObject();

  w.Field("init_ms", r.init_ms);
  w.Field("first_ms", r.first_ms);

  const Summary s = Summarize(r.runs_ms);
  w.Key("latency_ms").BeginObject();
  w.Key("runs").BeginArray(true);
  for (double v : r.runs_ms) w.Number(v);
  w.EndArray();
  w.Field("min", s.min);
  w.Field("p50", s.p50);
  w.Field("p90", s.p90);
  w.Field("p99", s.p99);
  w.Field("mean", s.mean);
  w.Field("std", s.std);
  w.Field("max", s.max);
  w.EndObject();

  w.Field("throughput_ips", ThroughputIps(r));

  w.Key("memory").BeginObject();
  IntOrNull(&w, "peak_rss_kb", r.memory.peak_rss_kb);
  IntOrNull(&w, "rss_kb", r.memory.rss_kb);
  w.EndObject();

  w.Key("power").Null();
  w.Key("accuracy").Null();
  IntOrNull(&w, "outputs_written", r.outputs_written);
  w.Field("interrupted", r.interrupted);
  w.Field("started_at", r.started_at);
  w.EndObject();
  return w.str() + "\n";
}

}  // namespace device_bench
