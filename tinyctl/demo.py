"""`tinyctl demo` / `make demo`: the main job on the default board, end to end.

Export the published RAPTOR policy, compile it for the default board's core with verification, check it against
the checkpoint's own example sequences, then (tinyctl.hil_tests.demo) build the firmware, flash it into QEMU
through the gdbstub and fly hover and the slow figure eight in the builtin simulator and in RotorPy with the
firmware in the loop, against the float reference.
"""
import os

import numpy as np
from rich.console import Console

from tinyctl import boards
from tinyctl.compile_report import print_report


def run(out_dir):
    console = Console()
    os.makedirs(out_dir, exist_ok=True)
    from tinyctl.compiler import compile_model
    from tinyctl.training.foundation import export, load_checkpoint
    onnx_path = os.path.join(out_dir, "raptor.onnx")
    target = boards.board(boards.DEFAULT_BOARD).target
    with console.status("exporting the RAPTOR foundation policy"):
        export(onnx_path, force=True)
    with console.status(f"compiling for {target} and verifying against onnxruntime"):
        model = compile_model(onnx_path, os.path.join(out_dir, "raptor"), name="raptor", target=target, verify=True)
    print_report(model.manifest, os.path.join(out_dir, "raptor"), console)
    _, (x, y) = load_checkpoint()
    with console.status("replaying the checkpoint's example sequences through the compiled C"):
        err = max(float(np.abs(model.rollout(x[:, k])[0] - y[:, k]).max()) for k in range(x.shape[1]))
    console.print(f"checkpoint example: {x.shape[1]} sequences x {x.shape[0]} steps, max |err| {err:.3g} "
                  f"(bar 1e-05): {'ok' if err <= 1e-5 else 'FAILED'}")
    if err > 1e-5:
        return 1
    from tinyctl.hil_tests.demo import fly
    return fly(os.path.join(out_dir, "raptor"), out_dir, console)
