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

size_t Runner::input_bytes_per_sample() const {
  size_t total = 0;
  for (const RunnerTensor& t : inputs_) total += t.bytes;
  return total;
}

bool Runner::Build(const void* model_data, size_t model_size, int threads, bool verbose, std::string* error) {
  auto context = std::make_shared<mindspore::Context>();
  context->SetThreadNum(threads);
  auto cpu = std::make_shared<mindspore::CPUDeviceInfo>();
  cpu->SetEnableFP16(false);
  context->MutableDeviceInfo().push_back(cpu);

  StderrCapture capture;
  if (!verbose) capture.Start();
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

  // Give dynamic dimensions (-1) the size 1, e.g. a batch exported as None.
  bool dynamic = false;
  std::vector<std::vector<int64_t>> shapes;
  for (const mindspore::MSTensor& t : impl_->inputs) {
    std::vector<int64_t> shape = t.Shape();
    for (int64_t& d : shape) {
      if (d < 0) {
        d = 1;
        dynamic = true;
      }
    }
    shapes.push_back(shape);
  }
  if (dynamic) {
    const mindspore::Status s = impl_->model.Resize(impl_->inputs, shapes);
    if (s != mindspore::kSuccess) {
      *error = "MindSpore Lite could not resize the dynamic inputs to 1: " + StatusText(s);
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
