// Unit tests of the pure parts of mslite_convert: flags, input checks, log
// parsing. No SDK needed; run with `ctest` in the build directory.
#include <cstdio>
#include <string>
#include <vector>

#include "flags.h"
#include "input_check.h"
#include "log_parse.h"
#include "onnx_writer.h"

namespace {
int g_failures = 0;

void Expect(bool cond, const std::string &what) {
  if (!cond) {
    std::fprintf(stderr, "FAIL: %s\n", what.c_str());
    ++g_failures;
  }
}

mindedge::ParseResult Parse(std::vector<const char *> args) {
  args.insert(args.begin(), "mslite_convert");
  return mindedge::ParseFlags(static_cast<int>(args.size()), args.data());
}

using onnx_writer::Int;
using onnx_writer::Len;

std::string OnnxBytes() { return onnx_writer::SingleNodeModel("Relu", {1, 4}); }

void TestFlags() {
  using namespace mindedge;
  auto r = Parse({"--fmk=ONNX", "--modelFile=a.onnx", "--outputFile=out/a"});
  Expect(r.ok, "minimal flags parse: " + r.error);
  Expect(r.flags.fmk == Fmk::kOnnx && r.flags.model_file == "a.onnx" && r.flags.output_file == "out/a",
         "minimal flags values");
  Expect(r.flags.save_type == SaveType::kMindirLite, "default save type is MINDIR_LITE");
  Expect(!r.flags.fp16 && r.flags.input_format == Layout::kDefault, "defaults fp16/layout");

  r = Parse({"--fmk=TFLITE", "--modelFile=a", "--outputFile=b", "--fp16=on", "--inputDataFormat=NCHW",
             "--saveType=MINDIR", "--configFile=q.cfg", "--inputShape=input:0:1,28,28,1;y:1,10", "--verbose",
             "--optimize=none", "--inputDataType=INT8"});
  Expect(r.ok, "full flags parse: " + r.error);
  Expect(r.flags.fp16 && r.flags.input_format == Layout::kNchw && r.flags.save_type == SaveType::kMindir,
         "full flags values");
  Expect(r.flags.config_file == "q.cfg" && r.flags.verbose && r.flags.no_fusion, "config/verbose/optimize");
  Expect(r.flags.input_data_type == TensorType::kInt8, "inputDataType");
  Expect(r.flags.input_shapes.size() == 2 && r.flags.input_shapes[0].name == "input:0" &&
             r.flags.input_shapes[0].dims == std::vector<int64_t>({1, 28, 28, 1}) &&
             r.flags.input_shapes[1].name == "y",
         "inputShape with ':' in the name");

  Expect(Parse({"--help"}).ok && Parse({"--help"}).flags.help, "--help alone");
  Expect(Parse({"--version"}).ok && Parse({"--version"}).flags.version, "--version alone");

  Expect(!Parse({"--modelFile=a", "--outputFile=b"}).ok, "missing --fmk");
  Expect(!Parse({"--fmk=ONNX", "--outputFile=b"}).ok, "missing --modelFile");
  Expect(!Parse({"--fmk=ONNX", "--modelFile=a"}).ok, "missing --outputFile");
  Expect(!Parse({"--fmk=ONNX", "--modelFile=a", "--outputFile=out/"}).ok, "directory as --outputFile");
  Expect(!Parse({"--fmk=KERAS", "--modelFile=a", "--outputFile=b"}).ok, "bad --fmk");
  Expect(!Parse({"--fmk=ONNX", "--modelFile=a", "--outputFile=b", "--fp16=yes"}).ok, "bad --fp16");
  Expect(!Parse({"--fmk=ONNX", "--modelFile=a", "--outputFile=b", "--inputDataFormat=NC"}).ok, "bad layout");
  Expect(!Parse({"--fmk=ONNX", "--modelFile=a", "--outputFile=b", "--saveType=OM"}).ok, "bad saveType");
  Expect(!Parse({"--fmk=ONNX", "--modelFile=a", "--outputFile=b", "--bogus=1"}).ok, "unknown flag");
  Expect(!Parse({"--fmk=ONNX", "--modelFile=a", "--outputFile=b", "stray"}).ok, "positional arg");
  Expect(!Parse({"--fmk=ONNX", "--fmk=ONNX", "--modelFile=a", "--outputFile=b"}).ok, "duplicate flag");
  Expect(!Parse({"--fmk=ONNX", "--modelFile", "--outputFile=b"}).ok, "flag without value");
  Expect(!Parse({"--fmk=CAFFE", "--modelFile=a.prototxt", "--outputFile=b"}).ok, "CAFFE needs weightFile");

  std::vector<InputShape> shapes;
  std::string err;
  Expect(!ParseInputShapes("x:1,0,3", &shapes, &err), "zero dim rejected");
  Expect(!ParseInputShapes("x:1,a", &shapes, &err), "non-numeric dim rejected");
  Expect(!ParseInputShapes("x", &shapes, &err), "missing dims rejected");
  Expect(ParseInputShapes("x:-1,3", &shapes, &err) && shapes[0].dims[0] == -1, "-1 dim accepted");

  Expect(std::string(OutputSuffix(SaveType::kMindirLite)) == ".ms", "suffix .ms");
  Expect(std::string(OutputSuffix(SaveType::kMindir)) == ".mindir", "suffix .mindir");
  Expect(UsageText("x").find("--inputDataFormat") != std::string::npos, "usage mentions flags");
}

void TestOnnxCheck() {
  using namespace mindedge;
  std::string err;
  std::vector<ModelInput> inputs;
  const std::string good = OnnxBytes();
  Expect(CheckOnnxBytes(good, &err, &inputs), "synthetic ONNX accepted: " + err);
  Expect(inputs.size() == 1 && inputs[0].name == "x" && inputs[0].rank == 2,
         "graph inputs exclude initializers, rank read");
  for (size_t cut : {size_t(1), size_t(5), good.size() / 2, good.size() - 1}) {
    Expect(!CheckOnnxBytes(good.substr(0, cut), &err), "truncated at " + std::to_string(cut) + " rejected");
  }
  Expect(!CheckOnnxBytes("hello world, not a model\n", &err), "text rejected");
  Expect(!CheckOnnxBytes(Int(1, 7), &err), "ModelProto without graph rejected");
  Expect(!CheckOnnxBytes(Int(1, 7) + Len(7, Len(2, "g")), &err), "graph without nodes rejected");
  Expect(!CheckOnnxBytes(std::string("\x08\x07\x3a\xff\xff\xff\xff\x0f", 8), &err), "huge length rejected");

  std::vector<InputShape> shapes{{"x", {1, 4}}};
  Expect(CheckInputShapes(shapes, inputs, &err), "matching inputShape accepted");
  shapes[0].name = "nope";
  Expect(!CheckInputShapes(shapes, inputs, &err) && err.find("x") != std::string::npos, "unknown input name");
  shapes[0] = {"x", {1, 4, 4}};
  Expect(!CheckInputShapes(shapes, inputs, &err), "rank mismatch rejected");
  Expect(CheckInputShapes(shapes, {}, &err), "unknown inputs: no check");
}

void TestLogParse() {
  using namespace mindedge;
  LogLine l;
  Expect(ParseLogLine("[ERROR] LITE(6246,7f2ead98ef40,probe):2026-11-23-18:24:54.634.035 "
                      "[mindspore/lite/tools/converter/parser/onnx/onnx_op_parser.cc:3797] InitOriginModel] "
                      "Read onnx model file failed, model path: a.onnx",
                      &l),
         "parse error line");
  Expect(l.level == "ERROR" && l.module == "LITE" && l.function == "InitOriginModel" &&
             l.message == "Read onnx model file failed, model path: a.onnx" &&
             l.location == "mindspore/lite/tools/converter/parser/onnx/onnx_op_parser.cc:3797",
         "error line fields");
  Expect(!ParseLogLine("CONVERT RESULT SUCCESS:0", &l), "non-log line");

  const std::string log =
      "[ERROR] LITE(1,2,p):t [a/gllo_utils.cc:672] IsConvNode] prim is nullptr\n"
      "[WARNING] LITE(1,2,p):t [a/b.cc:1] F] just a warning\n"
      "[ERROR] LITE(1,2,p):t [a/onnx_op_parser.cc:3940] ConvertNodes] not support onnx data type FooBar\n"
      "[ERROR] LITE(1,2,p):t [a/converter.cc:947] Convert] Handle graph failed: -1 Common error code.\n"
      "[ERROR] LITE(1,2,p):t [a/converter_context.h:61] PrintOps] UNSUPPORTED OP LIST:\n"
      "[ERROR] LITE(1,2,p):t [a/converter_context.h:63] PrintOps] FMKTYPE: ONNX, OP TYPE: FooBar\n";
  const auto s = SummariseLibraryErrors(log);
  Expect(s.first_error == "not support onnx data type FooBar", "first meaningful error: " + s.first_error);
  Expect(s.unsupported == std::vector<std::string>{"FooBar"}, "unsupported op list");
  Expect(s.error_lines == 5, "error line count");
  Expect(DescribeLibraryErrors(s).find("FooBar") != std::string::npos, "description names the op");
  Expect(DescribeLibraryErrors(SummariseLibraryErrors("")).empty(), "empty log, empty description");
  Expect(FirstLine("\n  first  \nsecond\n") == "first", "FirstLine");
  Expect(SanitizeLine("a\nb\tc") == "a b c", "control characters become spaces");
  Expect(SanitizeLine("caf\xc3\xa9 \xa2x\xe2\x82") == "caf\xc3\xa9 ?x??", "invalid UTF-8 becomes ?");
}
}  // namespace

int main() {
  TestFlags();
  TestOnnxCheck();
  TestLogParse();
  if (g_failures == 0) std::printf("all unit tests passed\n");
  return g_failures == 0 ? 0 : 1;
}
