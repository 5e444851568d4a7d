"""The Newton-Raphson MPC in firmware (mode mpc) under QEMU: PLANT frames in, the solver's first move, status and
iterations out. Random problems against IPOPT and the host build, and steady tracking of the mass-spring-damper."""
import numpy as np
import pytest

from tinyctl.firmware import QemuSession, build
from tinyctl.runtime import nrmpc
from tinyctl.runtime.nrmpc import MpcProblem, MpcSettings
from tinyctl.runtime.nrmpc_host import HostMpc

pytestmark = [pytest.mark.qemu, pytest.mark.hostc]


def settings_for(nx, nu, control_horizon, mode, seed):
    rng = np.random.default_rng(seed)
    return MpcSettings(horizon=8, control_horizon=control_horizon, q=tuple(rng.uniform(0.5, 5.0, nx)),
                       r=tuple(rng.uniform(0.01, 0.2, nu)), u_min=tuple(-rng.uniform(0.5, 1.5, nu)),
                       u_max=tuple(rng.uniform(0.5, 1.5, nu)), constraints=mode, barrier=0.01, max_iter=20,
                       tol=1e-4, rtol=1e-6)


@pytest.mark.parametrize("control_horizon,mode", [(1, "barrier"), (2, "projection")])
def test_random_problems_in_qemu_against_ipopt_and_the_host(control_horizon, mode, compile_dynamics, tmp_path):
    """After RESET the firmware solves from the nominal input (the box's centre, as initial guess and u_prev):
    IPOPT gets the same problem. With one move the ACTION is the whole solution, so its cost is checked against the bar; with two,
    the first move against the host build's."""
    from tinyctl.compiler import compile_model
    from tinyctl.runtime import nrmpc_casadi
    onnx_path, _ = compile_dynamics(3, 2, seed=5, gain=0.2)
    m4 = compile_model(onnx_path, str(tmp_path / "m4"), name="dyn", target="cortex-m4f", jacobian=True)
    s = settings_for(3, 2, control_horizon, mode, seed=control_horizon)
    fw = build(m4.directory, board="qemu-stm32f405", out_dir=str(tmp_path / "fw"), mode="mpc", mpc=s)
    host = HostMpc(m4.directory, s)
    f = nrmpc_casadi.model_function(onnx_path)
    cost = nrmpc_casadi.cost_function(None, s, f=f)
    rng = np.random.default_rng(7)
    u_prev = s.nominal
    with QemuSession(fw) as q:
        assert q.hello.mode_name == "mpc"
        for k in range(6):
            x0 = rng.uniform(-1, 1, 3)
            ref = rng.uniform(-1, 1, 3) + np.arange(1, 9)[:, None] * rng.uniform(-0.05, 0.05, 3)
            q.link.reset()
            act = q.link.plant(1000 * k, x0, ref)
            assert act.status in (nrmpc.CONVERGED, nrmpc.STALLED, nrmpc.MAX_ITER) and act.iterations >= 1
            p = MpcProblem(x0, ref, u_prev)
            u0 = nrmpc.initial_guess(s)
            u_host, _ = host.solve(x0, ref, u_prev, u0)
            np.testing.assert_allclose(act.values, u_host[0], atol=2e-3)
            if control_horizon == 1:
                _, j_ip, status = nrmpc_casadi.solve_ipopt(None, s, p, u0, f=f)
                assert status == "Solve_Succeeded"
                j_fw = float(cost(x0, ref.ravel(), u_prev, np.asarray(act.values, float)))
                assert j_fw <= 1.01 * j_ip + 1e-6, (k, j_fw, j_ip)
            lo, hi = np.float32(s.u_min), np.float32(s.u_max)
            assert np.all(act.values >= lo) and np.all(act.values <= hi)


def test_msd_steady_tracking_in_qemu(msd_model, tmp_path):
    """The trained mass-spring-damper model in the firmware, closed loop with the simulated plant and a sine
    reference previewed over the horizon: warm-started solves converge in 1 to 3 iterations, as on the host."""
    from tinyctl.plants import msd
    _, directory, meta = msd_model
    s = MpcSettings.for_dynamics(meta, disturbance=0.0)   # the plain model, as the host loop below runs it
    fw = build(directory, board="qemu-stm32f405", out_dir=str(tmp_path / "fw"), mode="mpc", mpc=s)
    host = HostMpc(directory, s)
    x, u_host, u_prev = np.zeros(2), nrmpc.initial_guess(s), np.zeros(1)
    counts, first_moves = [], []
    with QemuSession(fw) as q:
        for k in range(150):
            t = (k + 1 + np.arange(s.horizon)) * msd.DEFAULT.dt
            ref = msd.reference_states("sine", t)
            act = q.link.plant(int(k * msd.DEFAULT.dt * 1e6), x, ref)
            u_host, res = host.solve(x, ref, u_prev, nrmpc.shift(u_host) if k else u_host)
            first_moves.append((act.values[0], u_host[0, 0]))
            x = msd.step(x, act.values)
            u_prev = u_host[0]
            if k >= 50:
                counts.append(act.iterations)
                assert act.status == nrmpc.CONVERGED, (k, act)
    assert 1 <= max(counts) <= 3 and min(counts) >= 0
    fm = np.array(first_moves)
    np.testing.assert_allclose(fm[:, 0], fm[:, 1], atol=0.05)   # same algorithm, Arm and x86 float32 rounding
