"""The closed loop for plants other than the quadrotor policy (contract 2's PLANT frames), in lock-step, and the
controllers that answer them.

Each control period k (t = k dt): the simulator's state and the reference over the controller's horizon (the
states at t + dt .. t + N dt) are sent as a PLANT frame; the inputs the controller answers are held for one period
while the simulator advances with the scenario's disturbance. Nothing advances until the answer arrived.

Controllers (`step(time_us, x, reference) -> PlantAnswer`):
    FirmwareMpc   the firmware in mode mpc (or mode law: a plant law), in QEMU, over the link (the device under test)
    HostMpc       the same C solver built for the host, with the same warm start and disturbance estimate
    Pid           a PID on one state (the seed paper's baseline), saturated, with anti-windup
"""
from dataclasses import dataclass, field

import numpy as np

from tinyctl.errors import TinyctlError
from tinyctl.runtime import nrmpc

US = 1_000_000


@dataclass
class PlantAnswer:
    u: np.ndarray
    iterations: int = 0
    status: int = 0
    cost: float = None                # instructions of the solve (QEMU -icount), when measured
    failsafe: bool = False
    flags: int = 0                    # the ACTION's flags (link_protocol.ActionFlag)


@dataclass
class PlantTrace:
    t: np.ndarray
    x: np.ndarray                     # (T, NX) the simulator's state at t
    ref: np.ndarray                   # (T, NX) the reference at t
    u: np.ndarray                     # (T, NU) the inputs applied from t
    iterations: np.ndarray
    status: np.ndarray
    cost: np.ndarray                  # instructions per solve (nan when not measured)
    crashed: bool = False
    stop: str = ""
    info: dict = field(default_factory=dict)
    flags: np.ndarray = None          # (T,) the ACTION flags of each step

    def error(self, index=0):
        return self.x[:, index] - self.ref[:, index]


def fly_plant(scenario, sim, controller, progress=None):
    """One run of a plant scenario; returns its PlantTrace (stopped early, with the reason, on a crash or fault)."""
    dt, horizon = scenario.dt, controller.horizon
    steps = int(round(scenario.duration / dt))
    sim.reset(scenario.x0)
    controller.reset()
    rows, stop = [], ""
    for k in range(steps):
        t = k * dt
        x = sim.observe()
        preview = scenario.reference(t + dt * np.arange(1, horizon + 1))
        try:
            a = controller.step(int(round(t * US)), x, preview)
        except TinyctlError as e:
            stop = f"stopped at step {k} (t = {t:.3f} s): {e}"
            break
        if a.failsafe:
            stop = f"the controller entered its failsafe at t = {t:.3f} s"
            break
        rows.append((t, x, scenario.reference(np.array([t]))[0], np.asarray(a.u, float), a.iterations, a.status,
                     np.nan if a.cost is None else a.cost, a.flags))
        sim.step(a.u, dt, scenario.disturbance(t))
        if progress is not None:
            progress(k + 1, steps)
        if sim.crashed:
            stop = f"crashed at t = {t + dt:.3f} s"
            break
    cols = list(zip(*rows)) if rows else [[]] * 8
    return PlantTrace(np.array(cols[0]), np.array(cols[1]), np.array(cols[2]), np.array(cols[3]),
                      np.array(cols[4], int), np.array(cols[5], int), np.array(cols[6], float),
                      crashed=bool(sim.crashed), stop=stop, info={"controller": controller.describe()},
                      flags=np.array(cols[7], int))


class FirmwareMpc:
    """The firmware (mode mpc, or mode law: a plant law such as an explicit MPC, one reference state) in QEMU; with
    icount (QEMU -icount, slower) each ACTION's cost is the solve (the model step), in instructions."""
    name = "qemu"

    def __init__(self, firmware, icount=True):
        from tinyctl.firmware import Firmware, QemuSession
        self.firmware = firmware if isinstance(firmware, Firmware) else Firmware.load(firmware)
        if self.firmware.mode not in ("mpc", "law"):
            raise TinyctlError(f"{self.firmware.elf} runs in {self.firmware.mode} mode; build it with --mode mpc "
                               "or --mode law")
        self.horizon = int(self.firmware.mpc["horizon"]) if self.firmware.mode == "mpc" else 1
        self.icount = icount
        self.session = QemuSession(self.firmware, icount=icount).__enter__()

    def reset(self):
        self.session.link.reset()

    def step(self, time_us, x, reference):
        a = self.session.link.plant(time_us, x, reference)
        cost = self.session.instructions(a.cost) if self.icount else None
        return PlantAnswer(np.asarray(a.values, float), a.iterations, a.status, cost, failsafe=a.failsafe,
                           flags=a.flags)

    def describe(self):
        law = {} if self.firmware.mode == "mpc" else {"controller": self.firmware.controller, "mode": "law"}
        return {"controller": "mpc", "runs": "firmware in QEMU" + (" (-icount)" if self.icount else ""),
                "board": self.firmware.board, "model": self.firmware.model, "settings": self.firmware.mpc, **law}

    def close(self):
        self.session.__exit__(None, None, None)


class HostMpc:
    """The C solver built for the host over the same compiled model and settings, driven as the firmware drives
    it: nominal input at reset, warm start by shifting, the same disturbance estimate."""
    name = "sil"

    def __init__(self, model_dir, settings):
        from tinyctl.runtime.jacobian import JacobianModel
        from tinyctl.runtime.nrmpc_host import HostMpc as Solver
        self.settings, self.horizon = settings, settings.horizon
        self.solver = Solver(model_dir, settings)
        self.model = JacobianModel(model_dir)

    def reset(self):
        s = self.settings
        self.u = np.tile(np.clip(s.nominal, s.u_min, s.u_max), (s.control_horizon, 1))
        self.u_prev, self.started = self.u[0].copy(), False
        self.estimate = nrmpc.DisturbanceEstimate(self.model.step, s)

    def step(self, time_us, x, reference):
        bias = self.estimate.update(x)
        self.u, res = self.solver.solve(x, reference, self.u_prev, nrmpc.shift(self.u) if self.started else self.u,
                                        bias=bias)
        self.u_prev, self.started = self.u[0].copy(), True
        self.estimate.applied(x, self.u_prev)
        return PlantAnswer(self.u_prev, res.iterations, res.status)

    def describe(self):
        return {"controller": "mpc", "runs": "C solver on the host", "settings": self.settings.to_dict()}

    def close(self):
        pass


class Pid:
    """u = Kp e + Ki int(e) + Kd de/dt on state `index` (de/dt from the reference's and the state's rates when
    the state vector has them at `rate_index`), saturated to the input box; the integral stops while the output
    is saturated in the direction of the error (conditional integration: no windup)."""
    name = "pid"

    def __init__(self, kp, ki, kd, dt, u_min, u_max, index=0, rate_index=1, offset=0.0):
        self.gains = (float(kp), float(ki), float(kd))
        self.dt, self.lo, self.hi = dt, float(np.ravel(u_min)[0]), float(np.ravel(u_max)[0])
        self.index, self.rate_index, self.offset = index, rate_index, float(offset)
        self.horizon = 1

    def reset(self):
        self.integral = 0.0

    def step(self, time_us, x, reference):
        kp, ki, kd = self.gains
        r = np.atleast_2d(reference)[0]
        e = r[self.index] - x[self.index]
        de = r[self.rate_index] - x[self.rate_index] if self.rate_index is not None else 0.0
        raw = self.offset + kp * e + ki * (self.integral + e * self.dt) + kd * de
        u = min(max(raw, self.lo), self.hi)
        if raw == u or np.sign(e) != np.sign(raw - u):
            self.integral += e * self.dt
        return PlantAnswer(np.array([u]))

    def describe(self):
        kp, ki, kd = self.gains
        return {"controller": "pid", "kp": kp, "ki": ki, "kd": kd, "anti_windup": "conditional integration"}

    def close(self):
        pass


def tracking_metrics(trace, scenario, index=0):
    """RMSE and largest error of state `index` against the reference, and the solver's figures."""
    e = trace.error(index)
    done = len(trace.t) == int(round(scenario.duration / scenario.dt)) and not trace.crashed
    m = {"steps": len(trace.t), "completed": bool(done), "crashed": trace.crashed,
         "rmse": float(np.sqrt(np.mean(e ** 2))) if len(e) else None,
         "max_abs_error": float(np.abs(e).max()) if len(e) else None}
    if trace.iterations.size and trace.iterations.any():
        m.update({"iterations_mean": float(trace.iterations.mean()), "iterations_max": int(trace.iterations.max()),
                  "converged_share": float(np.mean(trace.status == nrmpc.CONVERGED))})
    if np.isfinite(trace.cost).any():
        m.update({"instructions_mean": float(np.nanmean(trace.cost)), "instructions_max": float(np.nanmax(trace.cost))})
    return m
