#!/usr/bin/env bash
# End-to-end checks of mslite_convert against the real converter library.
# Usage: driver_test.sh PATH/TO/mslite_convert PATH/TO/make_onnx
# Needs no model files: make_onnx writes tiny ONNX models.
set -u
BIN=$1
MAKE_ONNX=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fails=0

check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fails=$((fails + 1)); fi
}

# run ARGS... -> sets RC, OUT (stdout), ERR (stderr)
run() {
  "$BIN" "$@" >"$WORK/out.txt" 2>"$WORK/err.txt"
  RC=$?
  OUT=$(cat "$WORK/out.txt")
  ERR=$(cat "$WORK/err.txt")
}
one_line() { [ "$(wc -l <"$WORK/out.txt")" -eq 1 ]; }
no_tmp() { ! ls "$WORK/o" 2>/dev/null | grep -q '\.tmp-'; }

mkdir -p "$WORK/o"
"$MAKE_ONNX" Relu "$WORK/relu.onnx"
"$MAKE_ONNX" FooBar "$WORK/unknown_op.onnx"
"$MAKE_ONNX" Relu "$WORK/truncated.onnx" 60
echo "this is not a model" >"$WORK/text.onnx"
: >"$WORK/empty.onnx"

run --help
check "--help exits 0" [ $RC -eq 0 ]
check "--help lists flags" grep -q -- "--inputDataFormat" "$WORK/out.txt"
run --version
check "--version names the library" grep -q "MindSpore Lite" "$WORK/out.txt"

run --fmk=ONNX --modelFile="$WORK/relu.onnx" --outputFile="$WORK/o/relu"
check "valid model: exit 0" [ $RC -eq 0 ]
check "valid model: success line" [ "$OUT" = "CONVERT RESULT SUCCESS:0" ]
check "valid model: quiet stderr" [ -z "$ERR" ]
check "valid model: .ms written" [ -s "$WORK/o/relu.ms" ]
check "valid model: no temp file" no_tmp

run --fmk=ONNX --modelFile="$WORK/relu.onnx" --outputFile="$WORK/o/relu2.ms"
check "outputFile with .ms: not doubled" [ -s "$WORK/o/relu2.ms" ] && [ ! -e "$WORK/o/relu2.ms.ms" ]

run --fmk=ONNX --modelFile="$WORK/relu.onnx" --outputFile="$WORK/o/relu_nchw" --inputDataFormat=NCHW --fp16=on
check "NCHW + fp16: exit 0" [ $RC -eq 0 ]

run --fmk=ONNX --modelFile="$WORK/relu.onnx" --outputFile="$WORK/o/relu_mindir" --saveType=MINDIR
check "saveType=MINDIR writes .mindir" [ -s "$WORK/o/relu_mindir.mindir" ]

printf '[common_quant_param]\nquant_type=DYNAMIC_QUANT\nbit_num=8\n' >"$WORK/dyn.cfg"
run --fmk=ONNX --modelFile="$WORK/relu.onnx" --outputFile="$WORK/o/relu_dyn" --configFile="$WORK/dyn.cfg"
check "dynamic quant config: exit 0" [ $RC -eq 0 ]

run --fmk=ONNX --modelFile="$WORK/missing.onnx" --outputFile="$WORK/o/m"
check "missing file: exit 2" [ $RC -eq 2 ]
check "missing file: one FAILED line" one_line
check "missing file: says so" grep -q "does not exist" "$WORK/out.txt"

for bad in text empty truncated; do
  run --fmk=ONNX --modelFile="$WORK/$bad.onnx" --outputFile="$WORK/o/$bad"
  check "$bad file: exit 2" [ $RC -eq 2 ]
  check "$bad file: FAILED line" grep -q "^CONVERT RESULT FAILED:-600 " "$WORK/out.txt"
  check "$bad file: no output" [ ! -e "$WORK/o/$bad.ms" ]
done

cp "$WORK/o/relu.ms" "$WORK/o/keep.ms"
before=$(cksum <"$WORK/o/keep.ms")
run --fmk=ONNX --modelFile="$WORK/unknown_op.onnx" --outputFile="$WORK/o/keep"
check "unsupported op: exit 1" [ $RC -eq 1 ]
check "unsupported op: names the op" grep -q "FooBar" "$WORK/out.txt"
check "unsupported op: one line" one_line
check "unsupported op: quiet stderr" [ -z "$ERR" ]
check "unsupported op: previous output kept" [ "$(cksum <"$WORK/o/keep.ms")" = "$before" ]
check "unsupported op: no temp file" no_tmp

run --fmk=ONNX --modelFile="$WORK/unknown_op.onnx" --outputFile="$WORK/o/v" --verbose
check "--verbose: library log on stderr" [ -n "$ERR" ]
check "--verbose: stdout still one line" one_line

printf '[common_quant_param]\nquant_type=BOGUS\n' >"$WORK/bogus.cfg"
run --fmk=ONNX --modelFile="$WORK/relu.onnx" --outputFile="$WORK/o/b" --configFile="$WORK/bogus.cfg"
check "bad config: exit 2" [ $RC -eq 2 ]
check "bad config: explains" grep -q "quant_type" "$WORK/out.txt"

run --fmk=ONNX --modelFile="$WORK/relu.onnx" --outputFile="$WORK/o/s" --inputShape=nosuch:1,3,8,8
check "unknown inputShape name: exit 2" [ $RC -eq 2 ]

run --fmk=ONNX --modelFile="$WORK/relu.onnx" --outputFile="$WORK/nodir/x"
check "missing output dir: exit 2" [ $RC -eq 2 ]

run --fmk=ONNX --modelFile="$WORK/relu.onnx"
check "missing --outputFile: exit 2" [ $RC -eq 2 ]
check "flag error: converter_lite style" grep -q "^CONVERTER::FLAGS INIT FAILED:" "$WORK/out.txt"
run --fmk=ONNX --modelFile="$WORK/relu.onnx" --outputFile="$WORK/o/x" --fp16=maybe
check "bad flag value: exit 2" [ $RC -eq 2 ]

run --fmk=TFLITE --modelFile="$WORK/relu.onnx" --outputFile="$WORK/o/t"
check "ONNX given as TFLITE: exit 2" [ $RC -eq 2 ]

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all driver checks passed"
