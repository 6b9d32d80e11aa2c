"""Moved to ``host_tools.lite_runtime``; this re-export goes once ``bench/reference.py`` imports from there."""

from host_tools.lite_runtime import ms_input_shape, run_ms, to_model_layout

__all__ = ["ms_input_shape", "run_ms", "to_model_layout"]
