"""Flash of a compiled model's code and constants, measured by building its C file with the target's compiler.

The object is built the way firmware builds it (-O2, one section per function and object) and its allocated,
initialised sections are summed: .text, .rodata and .data, which is what the model adds to a flash image.
"""
import os
import re
import shutil
import subprocess
import tempfile

from tinyctl import boards
from tinyctl.runtime.hostbuild import STRICT


def flash_bytes(files, headers_dir, name, target, defines=()):
    """Bytes of flash the model's step and constants take on `target`, or None if it does not build here."""
    t = boards.target(target)
    cc = t.cc if target != "host" else os.environ.get("CC", "gcc")
    size_tool = cc[:-3] + "size" if cc.endswith("gcc") else "size"
    if shutil.which(cc) is None or shutil.which(size_tool) is None:
        return None
    with tempfile.TemporaryDirectory(prefix="tinyctl-footprint-") as build:
        for fname, text in files.items():
            with open(os.path.join(build, fname), "w") as f:
                f.write(text)
        obj = os.path.join(build, f"{name}.o")
        cmd = [cc, *t.cflags, *STRICT, "-O2", "-ffunction-sections", "-fdata-sections",
               *[f"-D{d}" for d in defines], f"-I{build}",
               f"-I{headers_dir}", "-c", os.path.join(build, f"{name}.c"), "-o", obj]
        if subprocess.run(cmd, capture_output=True).returncode:
            return None
        out = subprocess.run([size_tool, "-A", obj], capture_output=True, text=True).stdout
    total = 0
    for line in out.splitlines():
        m = re.match(r"^(\.(?:text|rodata|data)\S*)\s+(\d+)", line)
        if m:
            total += int(m.group(2))
    return total
