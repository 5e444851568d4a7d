"""The C runtime the generated code calls (include/tinyctl/*.h), and its Python side: host builds, loading."""
import os

INCLUDE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "include")
