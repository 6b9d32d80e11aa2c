// The JNI side of io.mindedge.core.LiteNative: a .ms model built and run by device_bench's own code
// (InspectMsModel's header checks, then Runner::Build and Runner::Predict over the MindSpore Lite C++ API).
// Errors become Java exceptions with one sentence: IllegalArgumentException for a bad model or a wrong
// tensor size (the caller's fault), IllegalStateException when the runtime fails.
//
// Built models are pooled for the life of the process, never destroyed: MindSpore Lite 2.0 (the x86-64
// wheel at least) keeps the fp16 -> fp32 weight copies of a freed model keyed by the address of its internal
// model copy, and when a later Build gets the same address it fails ("GetPackData: can not find tensor data in
// origin tensor data"). So close() returns the model to the pool and open() of the same bytes and threads takes
// it from there (a second one is built only while the first is in use). LiteNative.reused says which.
#include <jni.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "ms_model.h"
#include "runner.h"

namespace {

constexpr int kFloat32 = 43;  // MindSpore's type id of float32
constexpr char kVerboseHint[] = " (rerun with --verbose for MindSpore Lite's log)";  // device_bench's flag

struct Classifier {
  std::vector<uint8_t> model;  // kept alive for the runtime's whole life
  device_bench::Runner runner;
  bool outputs_known = false;  // RefreshOutputs after the first Predict (dynamic shapes settle then)
  bool in_use = false;
  bool reused = false;  // handed out from the pool rather than built by this open()
};

using Pool = std::multimap<std::string, std::unique_ptr<Classifier>>;  // sha256/threads -> built models
std::mutex g_pool_mutex;
// Never destroyed, not even at exit: the runtime's own singletons may be gone by then.
Pool& g_pool = *new Pool;

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

std::string WithoutSuffix(std::string text, const std::string& suffix) {
  if (text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0) {
    text.resize(text.size() - suffix.size());
  }
  return text;
}

// A pooled model for `key` that is not in use, marked in use; nullptr when there is none.
Classifier* TakeFromPool(const std::string& key) {
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  auto range = g_pool.equal_range(key);
  for (auto it = range.first; it != range.second; ++it) {
    if (!it->second->in_use) {
      it->second->in_use = true;
      it->second->reused = true;
      return it->second.get();
    }
  }
  return nullptr;
}

// Keeps a model that will not be handed out (its Build failed, or its tensors do not fit the app) alive too.
void Retire(const std::string& key, std::unique_ptr<Classifier> c) {
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  g_pool.emplace("retired/" + key, std::move(c));
}

}  // namespace

extern "C" {

JNIEXPORT jstring JNICALL Java_io_mindedge_core_LiteNative_version(JNIEnv* env, jclass) {
  return env->NewStringUTF(device_bench::Runner::LiteVersion().c_str());
}

// `sha256` is the model's, already checked by the caller (LiteClassifier.open): the pool's key.
JNIEXPORT jlong JNICALL Java_io_mindedge_core_LiteNative_open(JNIEnv* env, jclass, jbyteArray model, jint threads,
                                                            jstring sha256) {
  if (model == nullptr || sha256 == nullptr) {
    ThrowArgument(env, "no model bytes or checksum");
    return 0;
  }
  if (threads < 1) {
    ThrowArgument(env, "threads must be at least 1, got " + std::to_string(threads));
    return 0;
  }
  const char* sha = env->GetStringUTFChars(sha256, nullptr);
  if (sha == nullptr) return 0;  // OutOfMemoryError is pending
  const std::string key = std::string(sha) + "/" + std::to_string(threads);
  env->ReleaseStringUTFChars(sha256, sha);
  if (Classifier* pooled = TakeFromPool(key)) return reinterpret_cast<jlong>(pooled);
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
    ThrowState(env, WithoutSuffix(why, kVerboseHint));
    Retire(key, std::move(c));
    return 0;
  }
  const std::string wrong = TensorCheck(c->runner);
  if (!wrong.empty()) {
    ThrowArgument(env, wrong);
    Retire(key, std::move(c));
    return 0;
  }
  c->in_use = true;
  Classifier* built = c.get();
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  g_pool.emplace(key, std::move(c));
  return reinterpret_cast<jlong>(built);
}

JNIEXPORT jboolean JNICALL Java_io_mindedge_core_LiteNative_reused(JNIEnv* env, jclass, jlong handle) {
  Classifier* c = From(env, handle);
  return c != nullptr && c->reused ? JNI_TRUE : JNI_FALSE;
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
  if (handle == 0) return;
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  reinterpret_cast<Classifier*>(handle)->in_use = false;  // back to the pool (see the top of this file)
}

}  // extern "C"
