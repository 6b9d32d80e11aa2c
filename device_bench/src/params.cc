// Phases "check params" and "log params".
#include <algorithm>

#include "fileio.h"
#include "phases.h"

namespace device_bench {
namespace {

std::string VersionPart(const std::string& full) { return full.substr(0, full.find('+')); }

}  // namespace

std::string VersionMismatch(const std::string& host_version, const std::string& tool_version) {
  if (host_version == tool_version) return "";
  const std::string version = VersionPart(tool_version);
  const std::string what = VersionPart(host_version) == version
                               ? "same version " + version + ", but built from another commit/source"
                               : "a different mindedge version";
  return "version mismatch: the host tools are version " + host_version + " but this device_bench is version " +
         tool_version + " (" + what + "); run `mindedge sdk build`";
}

Status CheckParams(const Flags& flags, const std::string& tool_version, const std::vector<std::string>& devices,
                   CheckedFiles* files) {
  if (!flags.host_version.empty()) {
    const std::string mismatch = VersionMismatch(flags.host_version, tool_version);
    if (!mismatch.empty()) return Status::User(mismatch);
  }
  if (std::find(devices.begin(), devices.end(), flags.device) == devices.end()) {
    std::string list;
    for (const std::string& d : devices) list += (list.empty() ? "" : ", ") + d;
    return Status::User("device " + flags.device + " not available in this build (available: " + list +
                        "); build device_bench against a MindSpore Lite package with " + flags.device +
                        " support, or use --device=CPU");
  }
  std::string why;
  if (!StatReadableFile(flags.model_file, &files->model_bytes, &why)) {
    return Status::User("model file " + Quoted(flags.model_file) + " " + why);
  }
  if (!flags.in_data_file.empty() && !StatReadableFile(flags.in_data_file, &files->in_bytes, &why)) {
    return Status::User("input data file " + Quoted(flags.in_data_file) + " " + why);
  }
  if (!flags.benchmark_data_file.empty() && !StatReadableFile(flags.benchmark_data_file, &files->ref_bytes, &why)) {
    return Status::User("benchmark data file " + Quoted(flags.benchmark_data_file) + " " + why);
  }
  if (!flags.out_data_file.empty() && !CheckCreatable(flags.out_data_file, &why)) {
    return Status::User("output data file " + Quoted(flags.out_data_file) + " " + why);
  }
  if (!flags.json_out.empty() && !CheckCreatable(flags.json_out, &why)) {
    return Status::User("JSON output file " + Quoted(flags.json_out) + " " + why);
  }
  return Status::Ok();
}

void LogParams(const Flags& flags, const std::string& tool_version, const Log& log) {
  log.Info("version %s", tool_version.c_str());
  log.Info("modelFile=%s device=%s numThreads=%ld cpuBindMode=%ld enableFp16=%s inputShapes=%s",
           flags.model_file.c_str(), flags.device.c_str(), flags.num_threads, flags.cpu_bind_mode,
           flags.enable_fp16 ? "true" : "false", flags.input_shapes.empty() ? "-" : flags.input_shapes.c_str());
  log.Info("loopCount=%ld warmUpLoopCount=%ld minSeconds=%g maxSeconds=%g runDelayMs=%ld", flags.loop_count,
           flags.warmup_loop_count, flags.min_seconds, flags.max_seconds, flags.run_delay_ms);
  log.Info("inDataFile=%s outDataFile=%s benchmarkDataFile=%s jsonOut=%s",
           flags.in_data_file.empty() ? "(random)" : flags.in_data_file.c_str(),
           flags.out_data_file.empty() ? "-" : flags.out_data_file.c_str(),
           flags.benchmark_data_file.empty() ? "-" : flags.benchmark_data_file.c_str(),
           flags.json_out.empty() ? "-" : flags.json_out.c_str());
  log.Info("powerSource=%s powerIntervalMs=%ld sysfsRoot=%s", flags.power_source.c_str(), flags.power_interval_ms,
           flags.sysfs_root.c_str());
}

}  // namespace device_bench
