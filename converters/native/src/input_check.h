// Cheap checks of an input model before it is handed to the converter library,
// which may abort the process (glog FATAL, std::terminate) on malformed input.
// Pure code: no MindSpore dependency (tested by flags_test.cc).
#ifndef MINDEDGE_MSLITE_INPUT_CHECK_H_
#define MINDEDGE_MSLITE_INPUT_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "flags.h"

namespace mindedge {

// Regular, readable, non-empty file. Sets *error (one line) when not.
bool CheckReadableFile(const std::string &what, const std::string &path, std::string *error);

// Protobuf wire-format scan of one message in [data, data+size): every tag valid,
// every length inside the buffer. `depth` > 0 also scans the LEN fields whose numbers
// are listed in `nested` (only used internally). Returns false on the first problem.
bool ScanProtobufMessage(const uint8_t *data, size_t size, std::string *error);

// ONNX ModelProto: valid wire format at top level and inside `graph` (field 7),
// which must be present and contain at least one node. Detects truncated and
// non-ONNX files.
bool CheckOnnxBytes(const std::string &bytes, std::string *error);

// Format-specific check of a model file for --fmk (ONNX, TFLITE, MINDIR, TF).
// CAFFE/PYTORCH are only checked for readability.
bool CheckModelFile(Fmk fmk, const std::string &path, std::string *error);

}  // namespace mindedge

#endif  // MINDEDGE_MSLITE_INPUT_CHECK_H_
