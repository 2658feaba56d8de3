"""utensor: ahead-of-time conversion of TensorFlow Lite models into C++ for Cortex-M."""

from .version import __version__

__all__ = ["__version__"]
