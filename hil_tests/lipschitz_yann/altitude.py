"""Plant laws (the explicit MPC of the altitude loop, and its YANN-RL improvement) in the PLANT loop.

Every executor runs the same plant-law spec (tinyctl.controllers.ALTITUDE_LAW: theta = x - r clipped to the MPC's
domain, plant input = hover + the law's output, saturated): the firmware in mode `law` in QEMU (plant_loop's
FirmwareMpc), and in-process through tinyctl.controllers.PlantLaw, the same glue in NumPy, on onnxruntime (the
reference) or on the compiled C built for the host (SIL). The ACTION flag OUTSIDE marks steps where the law's
`inside` output said the state left the MPC's feasible set.
"""
import numpy as np

from tinyctl.controllers import PlantLaw
from tinyctl.link_protocol import ActionFlag
from tinyctl.hil_tests.plant_loop import PlantAnswer


class InProcessLaw:
    """A compiled model directory's law run in this process: `reference` (onnxruntime on the ONNX it was compiled
    from) or `sil` (its C built for the host)."""
    horizon = 1

    def __init__(self, spec, model_dir, executor="reference", onnx=None):
        from tinyctl import manifest as manifest_io
        man = manifest_io.read(model_dir)
        spec.check_model(man["sizes"]["in"], man["sizes"]["out"], man["name"])
        if executor == "reference":
            import onnxruntime
            from tinyctl.hil_tests.executors.inprocess import OnnxModel, find_onnx
            path = find_onnx(model_dir, onnx)
            model, runs = OnnxModel(path, man), f"onnxruntime {onnxruntime.__version__} on {man['model']['file']}"
        elif executor == "sil":
            import tinyctl
            model, runs = tinyctl.load(model_dir), f"the compiled C of {man['name']} built for the host (ctypes)"
        else:
            raise ValueError(f"executor {executor}: reference or sil")
        self.name, self.spec, self.runs = executor, spec, runs
        self.glue = PlantLaw(spec, model)

    def reset(self):
        self.glue.reset()

    def step(self, time_us, x, reference):
        out = self.glue.step(time_us, x, reference)
        return PlantAnswer(out.u.astype(float), failsafe=out.failsafe, flags=out.flags)

    def describe(self):
        return {"controller": self.spec.name, "mode": "law", "runs": self.runs}

    def close(self):
        pass


def outside_steps(trace):
    """How many steps the law reported its state outside the MPC's feasible set."""
    return int(np.count_nonzero(trace.flags & ActionFlag.OUTSIDE))


def agreement(trace, reference):
    """How closely a trace follows the reference trace, step by step (the same scenario and simulator)."""
    n = min(len(trace.t), len(reference.t))
    return {"steps": n, "same_length": len(trace.t) == len(reference.t),
            "max_state_difference": [float(v) for v in np.max(np.abs(trace.x[:n] - reference.x[:n]), axis=0)],
            "max_input_difference": float(np.max(np.abs(trace.u[:n] - reference.u[:n]))),
            "identical_inputs_share": float(np.mean(np.all(trace.u[:n] == reference.u[:n], axis=1)))}


OVERSHOOT_REFERENCE, OVERSHOOT_START = 1.5, (2.2, 1.75)


def overshoot_scenario():
    """The vehicle 0.7 m above its 1.5 m reference and still climbing at 1.75 m/s (thrown up, or out of an
    updraft), motors at hover: the explicit MPC cuts the motors, but they spin down slower than its linear model
    says (250 ms against the 150 ms it assumes), the state leaves the MPC's feasible set, and the law answers 0,
    hover, so the vehicle keeps climbing. The case YANN-RL's branch for 'outside' learns."""
    from tinyctl.controllers import ALTITUDE_LAW
    from tinyctl.hil_tests.mpc_scenarios import PlantScenario
    hover = ALTITUDE_LAW.output_offset[0]

    def reference(t):
        t = np.asarray(t, float)
        return np.stack([np.full_like(t, OVERSHOOT_REFERENCE), np.zeros_like(t), np.full_like(t, hover)], axis=-1)
    return PlantScenario("altitude_overshoot", "quadrotor-altitude",
                         f"{OVERSHOOT_START[0] - OVERSHOOT_REFERENCE:.1f} m above a {OVERSHOOT_REFERENCE} m reference, "
                         f"climbing at {OVERSHOOT_START[1]} m/s", 4.0, ALTITUDE_LAW.control_period_us / 1e6,
                         (*OVERSHOOT_START, hover), reference)
