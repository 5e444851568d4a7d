"""Builds C on the host with gcc: the strict flags generated code must pass, optionally with sanitizers."""
import os
import shutil
import subprocess

from tinyctl.errors import TinyctlError

STRICT = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic")
SANITIZERS = ("-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g")


def host_compiler():
    cc = os.environ.get("CC", "gcc")
    if shutil.which(cc) is None:
        raise TinyctlError(f"no host C compiler '{cc}' on PATH: install gcc (apt-get install gcc) or set CC")
    return cc


def build(sources, output, include_dirs=(), shared=False, sanitize=False, opt="-O2", extra=()):
    """Compile and link sources into output (an executable, or a shared library when shared=True)."""
    cmd = [host_compiler(), *STRICT, opt]
    if sanitize:
        cmd += SANITIZERS
    if shared:
        cmd += ["-shared", "-fPIC"]
    cmd += [f"-I{d}" for d in include_dirs] + list(extra) + list(sources) + ["-o", output, "-lm"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        detail = "\n".join(proc.stderr.strip().splitlines()[:20])
        raise TinyctlError(f"host build failed ({' '.join(os.path.basename(s) for s in sources)}):\n{detail}")
    return output
