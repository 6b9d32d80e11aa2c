// Declaration of mindspore::Converter as exported by libmindspore_converter.so
// of MindSpore Lite 2.0.0. The PyPI wheel ships no header for it, so this file
// mirrors the exported symbols (`nm -D -C libmindspore_converter.so | grep
// 'mindspore::Converter::'`). Only the members this driver calls are declared;
// the data layout (a single std::shared_ptr<ConverterPara>) must match the
// library's, because the library's constructor initialises it in our storage.
#ifndef MINDEDGE_MSLITE_CONVERTER_API_H_
#define MINDEDGE_MSLITE_CONVERTER_API_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "include/api/data_type.h"
#include "include/api/format.h"
#include "include/api/status.h"
#include "include/api/types.h"
#include "include/registry/converter_context.h"

namespace mindspore {
struct ConverterPara;

class MS_API Converter {
 public:
  Converter();  // exported; allocates ConverterPara with the library defaults
  ~Converter() = default;
  Converter(const Converter &) = delete;
  Converter &operator=(const Converter &) = delete;

  void SetWeightFp16(bool weight_fp16);
  void SetInputFormat(Format format);
  void SetInputDataType(DataType data_type);
  void SetOutputDataType(DataType data_type);
  void SetSaveType(ModelType save_type);
  void SetNoFusion(bool no_fusion);
  void SetConfigFile(const std::vector<char> &config_file);
  void SetInputShape(const std::map<std::vector<char>, std::vector<int64_t>> &input_shape);

  // Converts `model_file` and writes `output_file` (+ ".ms" / ".mindir").
  Status Convert(converter::FmkType fmk_type, const std::vector<char> &model_file,
                 const std::vector<char> &output_file, const std::vector<char> &weight_file);

 private:
  std::shared_ptr<ConverterPara> data_;
};
}  // namespace mindspore

#endif  // MINDEDGE_MSLITE_CONVERTER_API_H_
