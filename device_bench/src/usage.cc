// device_bench --help: every flag with its default (the parser is flags.cc).
#include <sstream>
#include <string>

#include "flags.h"

namespace device_bench {

std::string Usage(const std::string& program) {
  std::ostringstream os;
  os << "usage: " << program << " --modelFile=PATH [options]\n"
     << "\n"
     << "Benchmarks a MindSpore Lite .ms model and prints one JSON document (schema mindedge.bench/1).\n"
     << "\n"
     << "Model and runtime:\n"
     << "  --modelFile=PATH         the .ms model (required)\n"
     << "  --numThreads=N           CPU threads, 1.." << kMaxThreads << " (default 1)\n"
     << "  --cpuBindMode=N          thread affinity: 0 none, 1 big cores, 2 middle cores (default 0)\n"
     << "  --enableFp16[=BOOL]      let the CPU (and GPU/NPU) run in float16 where supported (default false)\n"
     << "  --device=NAME            CPU, GPU, NPU or Ascend310 (default CPU; others need an SDK built with\n"
     << "                           them; the CPU is kept as fallback)\n"
     << "  --inputShapes=SHAPES     resize inputs: 1,28,28,1 | 1,28,28,1:1,10 (by position) |\n"
     << "                           x:1,28,28,1;y:1,10 (by name) (default: the model's shapes, -1 -> 1)\n"
     << "Timing:\n"
     << "  --loopCount=N            timed runs (default 100; 0 = none); a minimum when --minSeconds needs more\n"
     << "  --warmUpLoopCount=N      untimed runs before timing (default 10)\n"
     << "  --minSeconds=S           keep timing until at least S seconds have passed (default 0 = off)\n"
     << "  --maxSeconds=S           stop timing after S seconds even before --loopCount runs (default 0 = off)\n"
     << "  --runDelayMs=N           sleep N ms between timed runs (default 0)\n"
     << "  --cooldownC=C            before timing, wait until the battery/SoC temperature is below C\n"
     << "                           (default: off)\n"
     << "  --cooldownTimeoutS=S     stop waiting for --cooldownC after S seconds and time anyway (default 300)\n"
     << "Data:\n"
     << "  --inDataFile=PATH        raw little-endian input: k whole samples (all inputs of the model, in\n"
     << "                           order); the first one is used for timing\n"
     << "                           (default: pseudo-random uniform [0,1) with a fixed seed)\n"
     << "  --outDataFile=PATH       run every sample of --inDataFile once and write all outputs\n"
     << "                           as raw float32, sample after sample\n"
     << "  --benchmarkDataFile=PATH reference outputs (raw float32, the layout of --outDataFile) of every\n"
     << "                           sample of --inDataFile: compare and report the errors\n"
     << "  --accuracyThreshold=P    fail (exit 3) when the mean relative error exceeds P percent (default 0.5)\n"
     << "Power and device state:\n"
     << "  --powerSource=SRC        auto, sysfs or none (default auto = sysfs battery readings when present)\n"
     << "  --powerIntervalMs=N      battery sampling interval (default 50)\n"
     << "  --powerIdleMs=N          idle baseline before timing, at least 10 intervals (default 1000)\n"
     << "  --sysfsRoot=DIR          prefix of every /sys and /proc read (default /)\n"
     << "Output and checks:\n"
     << "  --jsonOut=PATH           also write the JSON document to PATH (atomically)\n"
     << "  --hostVersion=V          refuse to run (exit 2) unless V equals this binary's version string\n"
     << "                           (<version>+<build id>, as --version prints it)\n"
     << "  --quiet                  do not print the JSON to stdout nor progress to stderr\n"
     << "  --verbose                show MindSpore Lite's own log\n"
     << "  --help, --version\n"
     << "\n"
     << "Both --flag=value and --flag value are accepted.\n"
     << "Exit codes: 0 success, 2 user error (flags, model, input data, version mismatch, device),\n"
     << "1 internal failure, 3 accuracy above --accuracyThreshold (the JSON is still written),\n"
     << "130/143 interrupted by SIGINT/SIGTERM (the JSON is still written, with \"interrupted\": true).\n";
  return os.str();
}

}  // namespace device_bench
