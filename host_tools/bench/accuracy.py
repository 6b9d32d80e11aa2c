"""Moved to ``host_tools.lite_runtime``; this re-export goes once ``demo.py`` imports from there."""

from host_tools.lite_runtime import RuntimeAccuracy, ms_accuracy

__all__ = ["RuntimeAccuracy", "ms_accuracy"]
