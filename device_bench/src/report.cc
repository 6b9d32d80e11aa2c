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

void WriteState(JsonWriter* w, const DeviceState& s) {
  if (!s.valid) {
    w->Null();
    return;
  }
  w->BeginObject();
  w->Key("cpu_freq_khz").BeginObject(true);
  for (const CpuFreq& f : s.cpu_freq) w->Field(f.cpu, static_cast<int64_t>(f.khz));
  w->EndObject();
  w->Key("thermal").BeginArray();
  for (const ThermalReading& t : s.thermal) {
    w->BeginObject(true).Field("zone", t.zone).Field("type", t.type).Field("temp_c", t.temp_c).EndObject();
  }
  w->EndArray();
  w->Key("battery_temp_c");
  if (s.has_battery_temp) {
    w->Number(s.battery_temp_c);
  } else {
    w->Null();
  }
  w->EndObject();
}

void WriteCooldown(JsonWriter* w, const CooldownResult& c) {
  if (!c.requested) {
    w->Null();
    return;
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  w->BeginObject();
  w->Field("target_c", c.target_c);
  w->Field("timeout_s", c.timeout_s);
  w->Field("waited_s", c.waited_s);
  w->Field("start_c", c.has_start ? c.start_c : nan);
  w->Field("end_c", c.has_start ? c.end_c : nan);
  StringOrNull(w, "sensor", c.sensor);
  w->Field("reached", c.reached);
  w->EndObject();
}

void WritePhase(JsonWriter* w, const PhaseSummary& p) {
  w->BeginObject(true);
  w->Field("samples", p.samples);
  w->Field("seconds", p.seconds);
  w->Field("mean_current_ma", p.mean_current_ma);
  w->Field("mean_voltage_v", p.mean_voltage_v);
  w->Field("mean_power_w", p.mean_power_w);
  w->EndObject();
}

void WritePower(JsonWriter* w, const PowerReport& p) {
  w->BeginObject();
  w->Field("source", "sysfs");
  w->Field("supply", p.supply);
  w->Field("current_unit", p.current_unit);
  w->Field("voltage_unit", p.voltage_unit);
  w->Field("sign_convention", p.sign_convention);
  w->Field("sign_basis", p.sign_basis);
  StringOrNull(w, "battery_status", p.battery_status);
  w->Field("charging", p.charging);
  w->Field("interval_ms", p.interval_ms);
  w->Field("idle_target_ms", p.idle_target_ms);
  w->Key("idle");
  WritePhase(w, p.idle);
  w->Key("load");
  WritePhase(w, p.load);
  w->Field("energy_per_inference_mj", p.energy_per_inference_mj);
  w->Field("read_errors", p.read_errors);
  w->Key("samples").BeginArray();
  for (const PowerSample& s : p.samples) {
    w->BeginObject(true);
    w->Field("t_ms", s.t_ms);
    w->Field("phase", s.phase == PowerPhase::kLoad ? "load" : "idle");
    w->Field("current_raw", static_cast<int64_t>(s.current_raw));
    w->Field("voltage_raw", static_cast<int64_t>(s.voltage_raw));
    w->Field("power_w", s.power_w);
    w->EndObject();
  }
  w->EndArray();
  w->EndObject();
}

void WriteAccuracy(JsonWriter* w, const AccuracyReport& a, const std::string& reference_file) {
  w->BeginObject();
  w->Field("reference_file", reference_file);
  w->Field("samples", a.samples);
  w->Field("elements", a.elements);
  w->Field("max_abs_error", a.max_abs_error);
  w->Field("mean_abs_error", a.mean_abs_error);
  w->Field("max_rel_error", a.max_rel_error);
  w->Field("mean_rel_error", a.mean_rel_error);
  w->Field("cosine_similarity", a.cosine_similarity);
  w->Field("min_cosine_similarity", a.min_cosine_similarity);
  w->Field("top1_agreement", a.top1_agreement);
  w->Field("top1_rows", a.top1_rows);
  w->Field("nonfinite_outputs", a.nonfinite);
  w->Field("metric", "mean_rel_error");
  w->Field("threshold", a.threshold_pct / 100.0);
  w->Field("threshold_pct", a.threshold_pct);
  w->Field("passed", a.passed);
  w->EndObject();
}

void WriteEffective(JsonWriter* w, const EffectiveReport& e) {
  w->BeginObject();
  w->Field("precision", e.precision);
  IntOrNull(w, "threads", e.threads);
  w->Field("cpu_binding", e.cpu_binding);
  w->Field("device", e.device);
  w->Key("runtime_threads").BeginArray();
  for (const TaskInfo& t : e.runtime_threads) {
    w->BeginObject(true).Field("name", t.name).Field("cpus", t.cpus).EndObject();
  }
  w->EndArray();
  w->Key("ignored").BeginArray(true);
  for (const std::string& k : e.ignored) w->String(k);
  w->EndArray();
  w->Key("basis").BeginObject();
  w->Field("precision", e.precision_basis);
  w->Field("threads", e.threads_basis);
  w->Field("cpu_binding", e.binding_basis);
  w->Field("device", e.device_basis);
  w->EndObject();
  w->EndObject();
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

  const Flags& c = r.config;
  w.Key("config").BeginObject();
  w.Field("threads", static_cast<int64_t>(c.num_threads));
  w.Field("loops", static_cast<int64_t>(c.loop_count));
  w.Field("warmup", static_cast<int64_t>(c.warmup_loop_count));
  StringOrNull(&w, "in_data_file", c.in_data_file);
  IntOrNull(&w, "samples", r.samples);
  StringOrNull(&w, "out_data_file", c.out_data_file);
  w.Field("cpu_bind_mode", static_cast<int64_t>(c.cpu_bind_mode));
  w.Field("enable_fp16", c.enable_fp16);
  w.Field("device", c.device);
  StringOrNull(&w, "input_shapes", c.input_shapes);
  StringOrNull(&w, "benchmark_data_file", c.benchmark_data_file);
  w.Field("accuracy_threshold", c.accuracy_threshold);  // percent
  w.Field("min_seconds", c.min_seconds);
  w.Field("max_seconds", c.max_seconds);
  w.Field("run_delay_ms", static_cast<int64_t>(c.run_delay_ms));
  w.Key("cooldown_c");
  if (c.has_cooldown) {
    w.Number(c.cooldown_c);
  } else {
    w.Null();
  }
  w.Field("cooldown_timeout_s", c.cooldown_timeout_s);
  w.Field("power_source", c.power_source);
  w.Field("power_interval_ms", static_cast<int64_t>(c.power_interval_ms));
  w.Field("power_idle_ms", static_cast<int64_t>(c.power_idle_ms));
  w.Field("sysfs_root", c.sysfs_root);
  StringOrNull(&w, "host_version", c.host_version);
  w.EndObject();

  w.Key("effective");
  if (r.has_effective) {
    WriteEffective(&w, r.effective);
  } else {
    w.Null();
  }

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
  w.Field("timed_seconds", r.timed_seconds < 0 ? std::numeric_limits<double>::quiet_NaN() : r.timed_seconds);

  w.Key("memory").BeginObject();
  IntOrNull(&w, "peak_rss_kb", r.memory.peak_rss_kb);
  IntOrNull(&w, "rss_kb", r.memory.rss_kb);
  w.EndObject();

  w.Key("device_state").BeginObject();
  w.Key("start");
  WriteState(&w, r.state_start);
  w.Key("end");
  WriteState(&w, r.state_end);
  w.EndObject();

  w.Key("cooldown");
  WriteCooldown(&w, r.cooldown);
  w.Key("power");
  if (r.has_power) {
    WritePower(&w, r.power);
  } else {
    w.Null();
  }
  w.Key("accuracy");
  if (r.has_accuracy) {
    WriteAccuracy(&w, r.accuracy, r.config.benchmark_data_file);
  } else {
    w.Null();
  }
  IntOrNull(&w, "outputs_written", r.outputs_written);
  w.Key("warnings").BeginArray();
  for (const std::string& s : r.warnings) w.String(s);
  w.EndArray();
  w.Field("interrupted", r.interrupted);
  w.Field("started_at", r.started_at);
  w.EndObject();
  return w.str() + "\n";
}

}  // namespace device_bench
