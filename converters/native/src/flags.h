// Command-line flags of mslite_convert: the same spelling as the vendor's
// converter_lite (`--name=value`), parsed into one typed struct. Pure code: no
// MindSpore dependency, so it is unit tested on its own (flags_test.cc).
#ifndef MINDEDGE_MSLITE_FLAGS_H_
#define MINDEDGE_MSLITE_FLAGS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mindedge {

enum class Fmk { kTf, kCaffe, kOnnx, kMindir, kTflite, kPytorch };
enum class SaveType { kMindirLite, kMindir };
enum class Layout { kDefault, kNhwc, kNchw };
// Tensor data types accepted by --inputDataType / --outputDataType.
enum class TensorType { kDefault, kFloat32, kFloat16, kInt8, kUint8 };

struct InputShape {
  std::string name;
  std::vector<int64_t> dims;
};

struct Flags {
  Fmk fmk = Fmk::kOnnx;
  std::string model_file;
  std::string output_file;  // without suffix; the converter appends .ms / .mindir
  std::string weight_file;
  std::string config_file;
  bool fp16 = false;
  Layout input_format = Layout::kDefault;  // converter default: NHWC
  std::vector<InputShape> input_shapes;
  SaveType save_type = SaveType::kMindirLite;
  TensorType input_data_type = TensorType::kDefault;
  TensorType output_data_type = TensorType::kDefault;
  bool no_fusion = false;  // --optimize=none or --noFusion=true
  bool verbose = false;
  bool help = false;
  bool version = false;
};

struct ParseResult {
  bool ok = false;
  Flags flags;
  std::string error;  // one line, set when !ok
};

// Parses argv[1..argc). Never throws.
ParseResult ParseFlags(int argc, const char *const *argv);

// "name:1,28,28,1;other:1,10" -> shapes. Returns false and sets *error on bad text.
bool ParseInputShapes(const std::string &text, std::vector<InputShape> *out, std::string *error);

// Suffix the converter appends to --outputFile for a save type.
const char *OutputSuffix(SaveType type);
const char *FmkName(Fmk fmk);

// The text printed by --help.
std::string UsageText(const std::string &program);

}  // namespace mindedge

#endif  // MINDEDGE_MSLITE_FLAGS_H_
