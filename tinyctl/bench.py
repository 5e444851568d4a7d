"""`tinyctl bench` / `make bench`: each area measures itself and writes its own section of BENCHMARKS.md.

A section is a function `run(console) -> markdown` named in SECTIONS; its text lands between
`<!-- bench:NAME -->` and `<!-- /bench:NAME -->`, so re-running one section leaves the others alone, and every
figure in the file says which command produced it.
"""
import importlib
import os
import re

from tinyctl.errors import TinyctlError

# name -> "module:function"; areas add theirs as they land
SECTIONS = {
    "compiler": "tinyctl.compiler.bench:run",
    "firmware": "tinyctl.firmware.bench:run",
    "hil": "tinyctl.hil_tests.bench:run",
    "mpc": "tinyctl.hil_tests.mpc_bench.run:run",
    "lipschitz": "tinyctl.hil_tests.lipschitz_yann.bench:run_lipschitz",
    "yann": "tinyctl.hil_tests.lipschitz_yann.bench:run_yann",
    "peers": "tinyctl.compiler.peers.bench:run",
    "quant": "tinyctl.compiler.quantize.bench:run",
    "training": "tinyctl.training.raptor.bench:run",
}

HEADER = """# tinyctl benchmarks

Every figure below is written by `make bench` (`tinyctl bench --all -o BENCHMARKS.md`); one section can be
refreshed alone with `tinyctl bench --section NAME -o BENCHMARKS.md`. Machines here are shared and noisy, so
speed is compared as ratios measured side by side in one run, or as instruction counts, which do not depend
on the load.
"""


def run_section(name, console):
    if name not in SECTIONS:
        raise TinyctlError(f"unknown bench section '{name}': choose from {', '.join(SECTIONS)}")
    module, function = SECTIONS[name].split(":")
    try:
        fn = getattr(importlib.import_module(module), function)
    except ImportError as e:
        raise TinyctlError(f"bench section '{name}' needs a package that is not installed ({e.name}): "
                           "install the extra `bench` (pip install -e '.[bench]')") from None
    return fn(console).strip() + "\n"


def write_section(path, name, text):
    """Replace (or append) one section of the benchmarks file, keeping the rest byte for byte."""
    old = open(path).read() if os.path.exists(path) else HEADER
    block = f"<!-- bench:{name} -->\n{text}<!-- /bench:{name} -->\n"
    pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->\n.*?<!-- /bench:{re.escape(name)} -->\n", re.S)
    new = pattern.sub(lambda _: block, old) if pattern.search(old) else old.rstrip("\n") + "\n\n" + block
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(new)
    os.replace(tmp, path)
