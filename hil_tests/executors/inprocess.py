"""Executors that run the policy inside this process, through the firmware's controller glue in NumPy
(tinyctl.controllers.Controller): the float reference (onnxruntime), software in the loop (the compiled C through
CompiledModel) and processor in the loop (the model's step from the firmware ELF in unicorn)."""
import hashlib
import os

import numpy as np

from tinyctl import manifest as manifest_io
from tinyctl.controllers import Controller, spec_by_name
from tinyctl.errors import TinyctlError
from tinyctl.hil_tests.executors.base import Executor, StepResult


class OnnxModel:
    """An ONNX policy in onnxruntime with the calling convention of CompiledModel (flat inputs, explicit state),
    laid out by the compiled directory's manifest, so both see the same inputs, outputs and recurrent state."""

    def __init__(self, onnx_path, manifest):
        import onnxruntime as ort
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(onnx_path, opts, providers=["CPUExecutionProvider"])
        self.inputs = manifest["inputs"]
        self.outputs = manifest["outputs"]
        self.states = manifest["state"]
        self.state_size = manifest["sizes"]["state"]
        self._fetch = [e["name"] for e in self.outputs] + [s["onnx_output"] for s in self.states]

    def reset(self):
        return np.zeros(self.state_size, np.float32)

    def step(self, inputs, state):
        inputs = np.asarray(inputs, np.float32).ravel()
        state = np.asarray(state, np.float32).ravel()
        feed = {e["name"]: inputs[e["offset"]:e["offset"] + e["size"]].reshape(e["shape"]) for e in self.inputs}
        for s in self.states:
            feed[s["onnx_input"]] = state[s["offset"]:s["offset"] + s["size"]].reshape(s["shape"])
        got = self.session.run(self._fetch, feed)
        n = len(self.outputs)
        out = np.concatenate([np.asarray(g, np.float32).ravel() for g in got[:n]])
        nxt = np.zeros(self.state_size, np.float32)
        for s, g in zip(self.states, got[n:]):
            nxt[s["offset"]:s["offset"] + s["size"]] = np.asarray(g, np.float32).ravel()
        return out, nxt


class PilModel:
    """The firmware engineer's unicorn runner (tinyctl.firmware.PilRunner) behind the same calling convention;
    the instruction count of the last step is kept for the harness."""

    def __init__(self, runner):
        self.runner = runner
        self.instructions = None

    def reset(self):
        return self.runner.reset()

    def step(self, inputs, state):
        out, nxt, self.instructions = self.runner.step(inputs, state)
        return out, nxt


def find_onnx(model_dir, onnx=None):
    """The ONNX a compiled directory was made from: `onnx` if given, else the manifest's file name next to the
    directory or inside it; its sha256 must match the manifest's."""
    man = manifest_io.read(model_dir)
    want = man["model"]["sha256"]
    candidates = [onnx] if onnx else [os.path.join(model_dir, man["model"]["file"]),
                                      os.path.join(os.path.dirname(os.path.abspath(model_dir)), man["model"]["file"])]
    for path in candidates:
        if path and os.path.exists(path):
            with open(path, "rb") as f:
                got = hashlib.sha256(f.read()).hexdigest()
            if got != want:
                raise TinyctlError(f"{path} is not the ONNX {model_dir} was compiled from (sha256 {got[:12]} != "
                                   f"{want[:12]}); pass the right one with --onnx")
            return path
    raise TinyctlError(f"the reference executor needs the ONNX {model_dir} was compiled from "
                       f"({man['model']['file']}); pass it with --onnx FILE")


class ControllerExecutor(Executor):
    """A model behind the controller glue, at a given control period."""

    def __init__(self, name, model, spec, control_period_us, describe=None, cost_unit=None):
        self.name = name
        self.model = model
        self.spec = spec
        self.controller = Controller(spec, model)
        self.control_period_us = int(control_period_us)
        self.cost_unit = cost_unit
        self._describe = describe or {}

    def reset(self):
        self.controller.reset()

    def step(self, state):
        out = self.controller.step(state)
        cost = getattr(self.model, "instructions", None)
        return StepResult(np.asarray(out.motors, float), cost=None if cost is None else float(cost),
                          committed=out.committed, failsafe=out.failsafe,
                          errors=[out.error] if out.error else [], raw=out.raw)

    def describe(self):
        return {**super().describe(), "controller": self.spec.name, **self._describe}


def controller_spec(model_dir, controller=None):
    """The controller spec to run a compiled model with (default: RAPTOR), checked against the model's sizes."""
    man = manifest_io.read(model_dir)
    spec = spec_by_name(controller or "raptor")
    spec.check_model(man["sizes"]["in"], man["sizes"]["out"], man["name"])
    return spec


def reference_executor(model_dir, onnx=None, controller=None, control_period_us=None):
    spec = controller_spec(model_dir, controller)
    path = find_onnx(model_dir, onnx)
    import onnxruntime
    return ControllerExecutor("reference", OnnxModel(path, manifest_io.read(model_dir)), spec,
                              control_period_us or spec.training_period_us,
                              {"runs": f"onnxruntime {onnxruntime.__version__} (float32, CPU)", "onnx": path})


def sil_executor(model_dir, controller=None, control_period_us=None):
    import tinyctl
    spec = controller_spec(model_dir, controller)
    model = tinyctl.load(model_dir)
    return ControllerExecutor("sil", model, spec, control_period_us or spec.training_period_us,
                              {"runs": f"the compiled C of {model.name} built for the host (ctypes)",
                               "target": model.manifest["target"]})


def pil_executor(firmware, model_dir, controller=None, control_period_us=None):
    from tinyctl.firmware import PilRunner
    from tinyctl.hil_tests.executors.firmware import load_firmware
    spec = controller_spec(model_dir, controller)
    elf = load_firmware(firmware).elf
    return ControllerExecutor("pil", PilModel(PilRunner(elf)), spec, control_period_us or spec.training_period_us,
                              {"runs": f"the model's step from {os.path.basename(str(elf))} in unicorn"},
                              cost_unit="instructions")
