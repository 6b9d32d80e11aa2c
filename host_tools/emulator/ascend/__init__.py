"""The emulated board's Ascend side: stand-ins for ATC, ais_bench, msame and npu-smi (no NPU, no CANN here).

They are Python programs the board runs through small wrappers (``install.py``), printing what the real tools
print (FORMATS.md) so mindedge's parsers read them unchanged, and saying they are emulated: ATC writes an
emulated ``.om`` container (``om_file``) that holds the ONNX it was given; ais_bench and msame run it with
ONNX Runtime on the host CPU (AIPP applied as the NPU would) and mark a load file that npu-smi's power
readings follow (``npu``). Timings and power are therefore not an NPU's.
"""
