"""emx-onnx-cgen (PyPI, Apache-2.0): ONNX to C, one function taking every graph input and output as an array.
The caller keeps the recurrent state (h_in in, h_out out); temporaries stay on the stack (--large-temp-threshold 0,
as tinyctl keeps all memory static: by default it puts buffers over 1 KB on the heap)."""
import os
import shutil
import subprocess
import sys

import onnx

from tinyctl.compiler.peers.build import Build, PeerFailure, write_wrapper

TOOL = "emx-onnx-cgen"


def version():
    from importlib.metadata import version as v
    return v("emx-onnx-cgen")


def _cast(expr, shape, const):
    inner = "".join(f"[{d}]" for d in shape[1:])
    return f"({'const ' if const else ''}float (*){inner})({expr})" if inner else expr


def build(onnx_path, manifest, out_dir):
    """The C emx-onnx-cgen writes for the model, behind the step interface; manifest: tinyctl's for the same
    model (which graph inputs are state, where each lives in in/out/s)."""
    exe = os.path.join(os.path.dirname(sys.executable), "emx-onnx-cgen")
    exe = exe if os.path.isfile(exe) else shutil.which("emx-onnx-cgen")
    if exe is None:
        raise PeerFailure("emx-onnx-cgen is not installed (pip install -e '.[bench]')")
    name = f"{manifest['name']}_emx"
    os.makedirs(out_dir, exist_ok=True)
    src = os.path.join(out_dir, f"{name}.c")
    proc = subprocess.run([exe, "compile", onnx_path, src, "--model-name", name, "--large-temp-threshold", "0"],
                          capture_output=True, text=True)
    if proc.returncode or not os.path.isfile(src):
        raise PeerFailure(f"emx-onnx-cgen failed: {(proc.stderr or proc.stdout).strip().splitlines()[-1:]}")
    g = onnx.load(onnx_path, load_external_data=False).graph
    where = {e["name"]: ("in", e["offset"]) for e in manifest["inputs"]}
    where.update({e["name"]: ("out", e["offset"]) for e in manifest["outputs"]})
    for e in manifest["state"]:
        where[e["onnx_input"]] = ("s->h", e["offset"])
        where[e["onnx_output"]] = ("next->h", e["offset"])
    dims = []                 # a symbolic dimension (a dynamic batch) becomes a leading int argument: 1
    for vi in list(g.input) + list(g.output):
        dims += [d.dim_param for d in vi.type.tensor_type.shape.dim if d.dim_param and d.dim_param not in dims]
    args = ["1"] * len(dims)
    for vi, const in [(vi, True) for vi in g.input] + [(vi, False) for vi in g.output]:
        if vi.name not in where:
            raise PeerFailure(f"graph input or output '{vi.name}' has no place in the step interface")
        base, offset = where[vi.name]
        shape = [d.dim_value or 1 for d in vi.type.tensor_type.shape.dim]
        args.append(_cast(f"{base} + {offset}" if offset else base, shape, const))
    unused = [f"    (void){p};" for p in ("s", "next") if not manifest["state"]]
    body = "\n".join(unused + [f"    {name}({', '.join(args)});"])
    header = os.path.join(out_dir, f"{name}_api.h")
    with open(header, "w") as f:   # the generated file has no header: declare what the wrapper calls
        f.write(f"#include \"{name}.c\"\n")
    wrapper = write_wrapper(os.path.join(out_dir, f"{name}_step.c"), TOOL, name, manifest["sizes"]["state"], body,
                            "The caller keeps the state: s->h in, next->h out (s != next, its arrays are restrict).",
                            includes=[f"{name}_api.h"])
    return Build(TOOL, name, [wrapper], [out_dir], dict(manifest["sizes"]),
                 notes=["--large-temp-threshold 0: temporaries on the stack"], model_sources=[wrapper])
