"""The explicit MPC law (a YANN) on the builtin quadrotor's altitude loop, through contract 2's PLANT loop.

The controller sees (z, vz, mean motor speed) and the reference; it feeds the law the deviation from the
reference (the linearisation point: hover at the reference height) and answers hover motor + the law's input,
one command for all four motors. `inside` = 0 (a state outside the MPC's feasible set) holds the hover command.
Runners of the law: onnxruntime on the YANN (reference), the compiled C on the host (SIL), or any
callable(deviation) -> (u, inside).
"""
import numpy as np

from tinyctl.hil_tests.plant_loop import PlantAnswer


class ExplicitMpcAltitude:
    horizon = 1

    def __init__(self, run, hover_motor, name, describe=None):
        self.run, self.hover, self.name, self._describe = run, float(hover_motor), name, dict(describe or {})
        self.outside = 0

    def reset(self):
        self.outside = 0

    def step(self, time_us, x, reference):
        deviation = np.asarray(x, float) - np.asarray(reference, float)[0]
        u, inside = self.run(deviation.astype(np.float32))
        if inside < 0.5:
            self.outside += 1
        return PlantAnswer(np.array([np.clip(self.hover + float(u), 0.0, 1.0)]))

    def describe(self):
        return {"controller": "explicit-mpc", "runs": self.name, **self._describe}

    def close(self):
        pass


def onnx_runner(path):
    import onnxruntime as ort
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])

    def run(e):
        u, inside = session.run(["u", "inside"], {"state": e[None]})
        return float(u[0, 0]), float(inside[0, 0])
    return run


def compiled_runner(model_dir):
    import tinyctl
    model = tinyctl.load(model_dir)
    state = model.reset()

    def run(e):
        out, _ = model.step(e, state)
        return float(out[0]), float(out[1])
    return run
