#include "runner.h"

#include <exception>
#include <string>

#include "include/api/context.h"
#include "include/api/model.h"
#include "include/api/status.h"
#include "include/api/types.h"
#include "lite_log.h"

namespace device_bench {

struct Runner::Impl {
  mindspore::Model model;
  std::vector<mindspore::MSTensor> inputs;
  std::vector<mindspore::MSTensor> outputs;
  bool built = false;
};

namespace {

RunnerTensor Describe(const mindspore::MSTensor& t) {
  RunnerTensor d;
  d.name = t.Name();
  d.shape = t.Shape();
  d.data_type = static_cast<int>(t.DataType());
  d.bytes = t.DataSize();
  const int64_t n = t.ElementNum();
  d.elements = n > 0 ? static_cast<size_t>(n) : 0;
  return d;
}

std::string StatusText(const mindspore::Status& s) {
  std::string text = s.ToString();
  return text.empty() ? "status " + std::to_string(static_cast<int>(s.StatusCode())) : text;
}

}  // namespace

Runner::Runner() : impl_(new Impl) {}
Runner::~Runner() = default;

std::string Runner::LiteVersion() { return mindspore::Version(); }

std::vector<std::string> Runner::AvailableDevices() {
  std::vector<std::string> devices{"CPU"};
#ifdef DEVICE_BENCH_HAVE_GPU
  devices.push_back("GPU");
#endif
#ifdef DEVICE_BENCH_HAVE_NPU
  devices.push_back("NPU");
#endif
#ifdef DEVICE_BENCH_HAVE_ASCEND310
  devices.push_back("Ascend310");
#endif
  return devices;
}

namespace {

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string NamesText(const std::vector<mindspore::MSTensor>& tensors) {
  std::string s;
  for (const mindspore::MSTensor& t : tensors) s += (s.empty() ? "'" : ", '") + t.Name() + "'";
  return s;
}

// The shape each input should have: --inputShapes where given, else the model's with -1 -> 1.
bool TargetShapes(const std::vector<mindspore::MSTensor>& inputs, const std::vector<InputShapeSpec>& specs,
                  std::vector<std::vector<int64_t>>* shapes, std::string* error) {
  shapes->clear();
  for (const mindspore::MSTensor& t : inputs) {
    std::vector<int64_t> shape = t.Shape();
    for (int64_t& d : shape) d = d < 0 ? 1 : d;
    shapes->push_back(shape);
  }
  if (specs.empty()) return true;
  const bool by_name = !specs.front().name.empty();
  if (!by_name && specs.size() != inputs.size()) {
    *error = "--inputShapes gives " + std::to_string(specs.size()) + " shape(s) but the model has " +
             std::to_string(inputs.size()) + " input(s) (" + NamesText(inputs) + ")";
    return false;
  }
  for (size_t k = 0; k < specs.size(); ++k) {
    size_t index = k;
    if (by_name) {
      index = inputs.size();
      for (size_t i = 0; i < inputs.size(); ++i) {
        if (inputs[i].Name() == specs[k].name) index = i;
      }
      if (index == inputs.size()) {
        *error = "--inputShapes names input '" + specs[k].name + "', which the model does not have (its inputs: " +
                 NamesText(inputs) + ")";
        return false;
      }
    }
    const std::vector<int64_t> model_shape = inputs[index].Shape();
    if (model_shape.size() != specs[k].dims.size()) {
      *error = "--inputShapes gives input '" + inputs[index].Name() + "' " + std::to_string(specs[k].dims.size()) +
               " dimensions " + ShapeText(specs[k].dims) + " but it has " + std::to_string(model_shape.size()) +
               " " + ShapeText(model_shape);
      return false;
    }
    (*shapes)[index] = specs[k].dims;
  }
  return true;
}

}  // namespace

bool Runner::Build(const void* model_data, size_t model_size, const RunnerOptions& options, std::string* error) {
  auto context = std::make_shared<mindspore::Context>();
  context->SetThreadNum(options.threads);
  context->SetThreadAffinity(options.cpu_bind_mode);
  auto& devices = context->MutableDeviceInfo();
  if (options.device == "GPU") {
    auto gpu = std::make_shared<mindspore::GPUDeviceInfo>();
    gpu->SetEnableFP16(options.enable_fp16);
    devices.push_back(gpu);
  } else if (options.device == "NPU") {
    auto npu = std::make_shared<mindspore::KirinNPUDeviceInfo>();
    npu->SetEnableFP16(options.enable_fp16);
    devices.push_back(npu);
  } else if (options.device == "Ascend310") {
    auto ascend = std::make_shared<mindspore::AscendDeviceInfo>();
    ascend->SetDeviceID(0);
    devices.push_back(ascend);
  }
  auto cpu = std::make_shared<mindspore::CPUDeviceInfo>();
  cpu->SetEnableFP16(options.enable_fp16);
  devices.push_back(cpu);
  const bool verbose = options.verbose;

  // The log is kept (with --verbose it is also shown as it comes): its warnings say which requests the
  // runtime ignored (see effective.h).
  StderrCapture capture;
  const bool captured = capture.Start(verbose);
  mindspore::Status status;
  std::string exception_text;
  try {
    status = impl_->model.Build(model_data, model_size, mindspore::ModelType::kMindIR_Lite, context);
  } catch (const std::exception& e) {
    exception_text = e.what();
  } catch (...) {
    exception_text = "unknown exception";
  }
  const std::string log = capture.Stop();
  build_log_ = log;
  build_log_complete_ = captured && LiteWarningsLogged();

  if (!exception_text.empty() || status != mindspore::kSuccess) {
    std::string cause = FirstLiteError(log);
    if (cause.empty()) cause = exception_text.empty() ? StatusText(status) : exception_text;
    *error = "MindSpore Lite could not build the model: " + cause +
             (verbose ? "" : " (rerun with --verbose for MindSpore Lite's log)");
    return false;
  }
  impl_->built = true;
  impl_->inputs = impl_->model.GetInputs();
  if (impl_->inputs.empty()) {
    *error = "the model has no inputs";
    return false;
  }

  // --inputShapes, and dynamic dimensions (-1) set to 1 (e.g. a batch exported as None).
  std::vector<std::vector<int64_t>> shapes;
  if (!TargetShapes(impl_->inputs, options.input_shapes, &shapes, error)) return false;
  bool resize = false;
  for (size_t i = 0; i < shapes.size(); ++i) resize = resize || shapes[i] != impl_->inputs[i].Shape();
  if (resize) {
    mindspore::Status s;
    if (!verbose) capture.Start();
    try {
      s = impl_->model.Resize(impl_->inputs, shapes);
    } catch (const std::exception& e) {
      s = mindspore::Status(mindspore::kLiteError, e.what());
    }
    const std::string resize_log = capture.Stop();
    if (s != mindspore::kSuccess) {
      std::string wanted;
      for (size_t i = 0; i < shapes.size(); ++i) {
        wanted += (i ? ", '" : "'") + impl_->inputs[i].Name() + "' " + ShapeText(shapes[i]);
      }
      std::string cause = FirstLiteError(resize_log);
      if (cause.empty()) cause = StatusText(s);
      *error = "MindSpore Lite could not resize the inputs to " + wanted + ": " + cause;
      return false;
    }
    impl_->inputs = impl_->model.GetInputs();
  }

  inputs_.clear();
  for (mindspore::MSTensor& t : impl_->inputs) {
    if (t.MutableData() == nullptr) {
      *error = "MindSpore Lite gave no buffer for input '" + t.Name() + "'";
      return false;
    }
    inputs_.push_back(Describe(t));
  }
  impl_->outputs = impl_->model.GetOutputs();
  outputs_.clear();
  for (const mindspore::MSTensor& t : impl_->outputs) outputs_.push_back(Describe(t));
  return true;
}

void* Runner::input_data(size_t i) { return impl_->inputs.at(i).MutableData(); }

const void* Runner::output_data(size_t i) { return impl_->outputs.at(i).MutableData(); }

void Runner::RefreshOutputs() {
  outputs_.clear();
  for (const mindspore::MSTensor& t : impl_->outputs) outputs_.push_back(Describe(t));
}

bool Runner::Predict(std::string* error) {
  if (!impl_->built) {
    *error = "the model is not built";
    return false;
  }
  mindspore::Status s;
  try {
    s = impl_->model.Predict(impl_->inputs, &impl_->outputs);
  } catch (const std::exception& e) {
    *error = std::string("inference threw an exception: ") + e.what();
    return false;
  }
  if (s != mindspore::kSuccess) {
    *error = "inference failed: " + StatusText(s);
    return false;
  }
  if (impl_->outputs.size() != outputs_.size()) {
    *error = "inference returned " + std::to_string(impl_->outputs.size()) + " outputs, expected " +
             std::to_string(outputs_.size());
    return false;
  }
  return true;
}

}  // namespace device_bench
