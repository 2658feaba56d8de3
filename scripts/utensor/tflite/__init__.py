"""The .tflite reader: `read_tflite(path, name=None) -> ir.Graph`, pure Python (no TensorFlow)."""

from .reader import name_from_path, read_tflite

__all__ = ["read_tflite", "name_from_path"]
