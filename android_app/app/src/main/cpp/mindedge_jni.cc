// The JNI side of io.mindedge.core.LiteNative: a .ms model built and run by device_bench's own code
// (InspectMsModel's header checks, then Runner::Build and Runner::Predict over the MindSpore Lite C++ API).
// Errors become Java exceptions with one sentence: IllegalArgumentException for a bad model or a wrong
// tensor size (the caller's fault), IllegalStateException when the runtime fails.
#include <jni.h>

#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "ms_model.h"
#include "runner.h"

namespace {

constexpr int kFloat32 = 43;  // MindSpore's type id of float32

struct Classifier {
  std::vector<uint8_t> model;  // kept alive for the runtime's whole life
  device_bench::Runner runner;
  bool outputs_known = false;  // RefreshOutputs after the first Predict (dynamic shapes settle then)
};

void Throw(JNIEnv* env, const char* cls, const std::string& message) {
  jclass c = env->FindClass(cls);
  if (c != nullptr) env->ThrowNew(c, message.c_str());
}

void ThrowArgument(JNIEnv* env, const std::string& message) {
  Throw(env, "java/lang/IllegalArgumentException", message);
}

void ThrowState(JNIEnv* env, const std::string& message) { Throw(env, "java/lang/IllegalStateException", message); }

Classifier* From(JNIEnv* env, jlong handle) {
  if (handle == 0) ThrowState(env, "the classifier is closed");
  return reinterpret_cast<Classifier*>(handle);
}

std::string TensorCheck(const device_bench::Runner& runner) {
  if (runner.inputs().size() != 1) {
    return "the model has " + std::to_string(runner.inputs().size()) + " inputs; the app feeds one image tensor";
  }
  if (runner.inputs()[0].data_type != kFloat32) return "the model's input is not float32";
  if (runner.outputs().empty() || runner.outputs()[0].data_type != kFloat32) {
    return "the model's first output is not float32 scores";
  }
  return "";
}

}  // namespace

extern "C" {

JNIEXPORT jstring JNICALL Java_io_mindedge_core_LiteNative_version(JNIEnv* env, jclass) {
  return env->NewStringUTF(device_bench::Runner::LiteVersion().c_str());
}

JNIEXPORT jlong JNICALL Java_io_mindedge_core_LiteNative_open(JNIEnv* env, jclass, jbyteArray model, jint threads) {
  if (model == nullptr) {
    ThrowArgument(env, "no model bytes");
    return 0;
  }
  if (threads < 1) {
    ThrowArgument(env, "threads must be at least 1, got " + std::to_string(threads));
    return 0;
  }
  std::unique_ptr<Classifier> c(new (std::nothrow) Classifier);
  if (!c) {
    ThrowState(env, "out of memory");
    return 0;
  }
  c->model.resize(static_cast<size_t>(env->GetArrayLength(model)));
  env->GetByteArrayRegion(model, 0, static_cast<jsize>(c->model.size()), reinterpret_cast<jbyte*>(c->model.data()));
  const device_bench::MsModelInfo info = device_bench::InspectMsModel(c->model.data(), c->model.size());
  if (!info.ok) {
    ThrowArgument(env, "the model " + info.error);
    return 0;
  }
  device_bench::RunnerOptions options;
  options.threads = threads;
  std::string why;
  if (!c->runner.Build(c->model.data(), c->model.size(), options, &why)) {
    ThrowState(env, "MindSpore Lite could not build the model: " + why);
    return 0;
  }
  const std::string wrong = TensorCheck(c->runner);
  if (!wrong.empty()) {
    ThrowArgument(env, wrong);
    return 0;
  }
  return reinterpret_cast<jlong>(c.release());
}

JNIEXPORT jlongArray JNICALL Java_io_mindedge_core_LiteNative_inputShape(JNIEnv* env, jclass, jlong handle) {
  Classifier* c = From(env, handle);
  if (c == nullptr) return nullptr;
  const std::vector<int64_t>& shape = c->runner.inputs()[0].shape;
  jlongArray out = env->NewLongArray(static_cast<jsize>(shape.size()));
  if (out == nullptr) return nullptr;
  std::vector<jlong> values(shape.begin(), shape.end());
  env->SetLongArrayRegion(out, 0, static_cast<jsize>(values.size()), values.data());
  return out;
}

JNIEXPORT jint JNICALL Java_io_mindedge_core_LiteNative_outputElements(JNIEnv* env, jclass, jlong handle) {
  Classifier* c = From(env, handle);
  return c == nullptr ? 0 : static_cast<jint>(c->runner.outputs()[0].elements);
}

JNIEXPORT void JNICALL Java_io_mindedge_core_LiteNative_run(JNIEnv* env, jclass, jlong handle, jfloatArray input,
                                                           jfloatArray output) {
  Classifier* c = From(env, handle);
  if (c == nullptr) return;
  const size_t in_n = c->runner.inputs()[0].elements;
  if (input == nullptr || static_cast<size_t>(env->GetArrayLength(input)) != in_n) {
    ThrowArgument(env, "the input has " + std::to_string(input ? env->GetArrayLength(input) : 0) +
                           " floats, the model takes " + std::to_string(in_n));
    return;
  }
  env->GetFloatArrayRegion(input, 0, static_cast<jsize>(in_n), static_cast<jfloat*>(c->runner.input_data(0)));
  std::string why;
  if (!c->runner.Predict(&why)) {
    ThrowState(env, "inference failed: " + why);
    return;
  }
  if (!c->outputs_known) {
    c->runner.RefreshOutputs();
    c->outputs_known = true;
  }
  const size_t out_n = c->runner.outputs()[0].elements;
  if (output == nullptr || static_cast<size_t>(env->GetArrayLength(output)) != out_n) {
    ThrowArgument(env, "the output array has " + std::to_string(output ? env->GetArrayLength(output) : 0) +
                           " floats, the model gives " + std::to_string(out_n));
    return;
  }
  env->SetFloatArrayRegion(output, 0, static_cast<jsize>(out_n), static_cast<const jfloat*>(c->runner.output_data(0)));
}

JNIEXPORT void JNICALL Java_io_mindedge_core_LiteNative_close(JNIEnv*, jclass, jlong handle) {
  delete reinterpret_cast<Classifier*>(handle);
}

}  // extern "C"
