// Cheap checks of an input model before it is handed to the converter library,
// which may abort the process (glog FATAL, std::terminate) on malformed input.
// Pure code: no MindSpore dependency (tested by flags_test.cc).
#ifndef MINDEDGE_MSLITE_INPUT_CHECK_H_
#define MINDEDGE_MSLITE_INPUT_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "flags.h"

namespace mindedge {

// Regular, readable, non-empty file. Sets *error (one line) when not.
bool CheckReadableFile(const std::string &what, const std::string &path, std::string *error);

// Protobuf wire-format scan of one message in [data, data+size): every tag valid,
// every length inside the buffer. Returns false on the first problem.
bool ScanProtobufMessage(const uint8_t *data, size_t size, std::string *error);

// A graph input of an ONNX model; rank -1 when the model declares no shape.
struct ModelInput {
  std::string name;
  int rank = -1;
};

// ONNX ModelProto: valid wire format at top level and inside `graph` (field 7),
// which must be present and contain at least one node. Detects truncated and
// non-ONNX files. Fills *inputs (graph inputs that are not initializers) if given.
bool CheckOnnxBytes(const std::string &bytes, std::string *error, std::vector<ModelInput> *inputs = nullptr);

// Format-specific check of a model file for --fmk (ONNX, TFLITE, MINDIR, TF).
// CAFFE/PYTORCH are only checked for readability. For ONNX, *inputs (if given)
// receives the model's inputs; it stays empty for other formats.
bool CheckModelFile(Fmk fmk, const std::string &path, std::string *error,
                    std::vector<ModelInput> *inputs = nullptr);

// Checks --inputShape against the model's inputs (names exist, ranks agree when
// the model declares them). No-op when `inputs` is empty (unknown).
bool CheckInputShapes(const std::vector<InputShape> &shapes, const std::vector<ModelInput> &inputs,
                      std::string *error);

}  // namespace mindedge

#endif  // MINDEDGE_MSLITE_INPUT_CHECK_H_
