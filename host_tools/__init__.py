"""mindedge host tools: train, compress, export, convert, deploy and benchmark MindSpore classifiers."""

from host_tools.version import version as _version

# pyproject.toml is the one version source (host_tools.version); the build id is in version.tool_version().
__version__ = _version()
