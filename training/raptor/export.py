"""Export a student as the single-step ONNX every tinyctl tool takes: the same form as `tinyctl export raptor`.

    inputs  observation [1, 22], h_in [1, 16]        outputs  action [1, 4] (raw: clip before use), h_out [1, 16]

The recurrent state is explicit, so the firmware decides when to commit it (dual-rate execution); `tinyctl
compile` pairs h_in with h_out by itself. The exporter and the opset are pinned here and nowhere else: torch's
dynamo exporter (it needs onnxscript) at opset 17, the published policy's. Both torch exporters write nn.GRU
as ONNX GRU with linear_before_reset=1 (PyTorch's reset-gate placement), but one was reported to get that
wrong in another torch version, so export() checks the written file against torch with onnxruntime over 50
steps with the state carried, and refuses to leave a file that disagrees. "Disagrees" is measured against the
student run in float64: onnxruntime's float32 must be within 1e-6 of it, or no more than twice as far from it
as torch's own float32 is. A trained GRU fed 50 random observations carries rounding of about 1e-6 in float32
in torch and onnxruntime alike (the two then differ by about as much), while a mistranslation (the reset gate
in the wrong place) is off by 1e-2 and more.
"""
import os

import numpy as np
import onnx
import torch
from torch import nn

from tinyctl.errors import TinyctlError

OPSET = 17
EXPORTER = "dynamo"                 # torch.onnx.export(..., dynamo=True)
CHECK_STEPS = 50
CHECK_TOLERANCE = 1e-6


class SingleStep(nn.Module):
    """One control step of a Student with the recurrent state as an input and an output."""

    def __init__(self, student):
        super().__init__()
        self.dense, self.gru, self.out = student.dense, student.gru, student.out

    def forward(self, observation, h_in):
        z = torch.relu(self.dense(observation)).unsqueeze(1)        # [1, 1, dense]: one step of a sequence
        _, h = self.gru(z, h_in.unsqueeze(0))                       # h [1, 1, hidden]
        h_out = h.squeeze(0)
        return self.out(h_out), h_out


def _torch_export(module, example, path):
    """The pinned exporter: every tinyctl ONNX of a trained policy is written by this call."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(module, example, dynamo=True, opset_version=OPSET,
                                    input_names=["observation", "h_in"], output_names=["action", "h_out"],
                                    external_data=False, verbose=False)
    program.save(path)


def _annotate(path, metadata):
    model = onnx.load(path)
    model.producer_name = "tinyctl train raptor"
    onnx.helper.set_model_props(model, {k: str(v) for k, v in metadata.items()})
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)


def check_against_torch(student, path, steps=CHECK_STEPS, seed=0):
    """Largest deviations over `steps` steps with the state carried, on N(0, 1) observations (outputs and
    state): {"torch": |onnxruntime - torch|, "float64": |onnxruntime - torch in float64|, "torch_float64":
    |torch - torch in float64| (the rounding float32 itself carries)}."""
    import copy

    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    exact = copy.deepcopy(student).double()
    rng = np.random.default_rng(seed)
    h_t, h_x = student.initial_state(1), exact.initial_state(1).double()
    h_o = np.zeros((1, student.shape.hidden), np.float32)
    worst = dict.fromkeys(("torch", "float64", "torch_float64"), 0.0)
    with torch.no_grad():
        for _ in range(steps):
            o = rng.standard_normal((1, student.shape.observation)).astype(np.float32)
            a_t, h_t = student.step(torch.from_numpy(o), h_t)
            a_x, h_x = exact.step(torch.from_numpy(o).double(), h_x)
            a_o, h_o = session.run(["action", "h_out"], {"observation": o, "h_in": h_o})
            pairs = {"torch": ((a_o, a_t), (h_o, h_t)), "float64": ((a_o, a_x), (h_o, h_x)),
                     "torch_float64": ((a_t, a_x), (h_t, h_x))}
            for key, both in pairs.items():
                for got, want in both:
                    d = np.abs(np.asarray(got, np.float64) - np.asarray(want, np.float64)).max()
                    worst[key] = max(worst[key], float(d))
    return worst


def export(student, path, metadata=None, force=False):
    """Write `student` as the single-step ONNX at path (atomically); returns the deviations check_against_torch
    measured."""
    if os.path.exists(path) and not force:
        raise TinyctlError(f"{path} exists; pass --force to overwrite it")
    student = student.eval()
    shape = student.shape
    example = (torch.zeros(1, shape.observation), torch.zeros(1, shape.hidden))
    tmp = f"{path}.tmp.onnx"
    try:
        _torch_export(SingleStep(student), example, tmp)
        _annotate(tmp, {"observation": "RAPTOR's: position error (3, world FLU), rotation matrix body->world "
                                       "row-major (9), linear velocity error (3, world), angular velocity (3, "
                                       "body), previous action (4)",
                        "action": "4 motor commands normalised to [-1, 1], Crazyflie order M1..M4 "
                                  "(FR, BR, BL, FL); raw, clip before use",
                        "training_rate_hz": "100", **(metadata or {})})
        dev = check_against_torch(student, tmp)
        allowed = max(CHECK_TOLERANCE, 2.0 * dev["torch_float64"])
        if not dev["float64"] <= allowed:
            raise TinyctlError(f"the exported ONNX is {dev['float64']:.2e} off the student (in float64) over "
                               f"{CHECK_STEPS} carried steps, more than {allowed:.1e} (torch's own float32 is "
                               f"{dev['torch_float64']:.1e} off): the exporter mistranslated the model")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return dev
