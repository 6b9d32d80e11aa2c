"""mindedge host tools: train, compress, export, convert, deploy and benchmark MindSpore classifiers."""

__version__ = "0.1.0"
