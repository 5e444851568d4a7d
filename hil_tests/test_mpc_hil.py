"""HIL of the Newton-Raphson MPC: the firmware (mode mpc) in QEMU flies the mass-spring-damper's reference paths
with a lower position RMSE than a PID tuned on those paths, and holds the quadrotor's altitude (full builtin rigid
body) through a step and a gust. Plots go to the test's directory."""
from dataclasses import replace

import numpy as np
import pytest

from tinyctl.hil_tests import mpc_report
from tinyctl.hil_tests.mpc_scenarios import MSD_PATHS, scenarios, tune_pid
from tinyctl.hil_tests.plant_loop import FirmwareMpc, Pid, fly_plant, tracking_metrics
from tinyctl.hil_tests.sims.altitude_sim import AltitudeSim
from tinyctl.hil_tests.sims.msd_sim import MsdSim
from tinyctl.runtime.nrmpc import MpcSettings

pytestmark = [pytest.mark.hil, pytest.mark.qemu]


def trained_firmware(plant, tmp, samples, epochs):
    """Train a dynamics model briefly, compile it with --jacobian for the M4F, build the mpc firmware."""
    pytest.importorskip("torch")
    from tinyctl.compiler import compile_model
    from tinyctl.firmware import build
    from tinyctl.training.dynamics import train
    meta = train(plant, str(tmp / "train"), samples=samples, epochs=epochs, progress=False, plot=False)
    model = compile_model(str(tmp / "train" / meta["onnx"]), str(tmp / "c"), name=meta["onnx"][:-5],
                          target="cortex-m4f", jacobian=True)
    return build(model.directory, board="qemu-stm32f405", out_dir=str(tmp / "fw"), mode="mpc",
                 mpc=MpcSettings.for_dynamics(meta)), meta


def test_msd_mpc_in_qemu_beats_a_tuned_pid_on_every_path(tmp_path):
    fw, meta = trained_firmware("msd", tmp_path, samples=20_000, epochs=25)
    gains, _ = tune_pid(evaluations=120)
    pid = Pid(*gains, dt=meta["dt"], u_min=meta["input_low"], u_max=meta["input_high"])
    mpc = FirmwareMpc(fw, icount=False)   # instructions are the bench's (tinyctl bench --section mpc)
    runs, table = {}, []
    try:
        for path in MSD_PATHS:
            # the first 6 s: a period of every path (the bench flies all 12 s)
            sc = replace(scenarios()[f"msd_{path}"], duration=6.0)
            runs[sc.name] = {"mpc": fly_plant(sc, MsdSim(), mpc), "pid": fly_plant(sc, MsdSim(), pid)}
            m_mpc, m_pid = (tracking_metrics(runs[sc.name][k], sc) for k in ("mpc", "pid"))
            table.append((path, m_mpc, m_pid))
    finally:
        mpc.close()
    mpc_report.write_plots(str(tmp_path / "plots"), msd_runs=runs)
    for path, m_mpc, m_pid in table:
        assert m_mpc["completed"] and m_pid["completed"], path
        assert m_mpc["rmse"] < m_pid["rmse"], (path, m_mpc["rmse"], m_pid["rmse"])
        assert m_mpc["converged_share"] >= 0.8, (path, m_mpc)   # jumps of the square wave may need > max_iter
    assert (tmp_path / "plots" / "mpc_msd_paths.png").stat().st_size > 10_000


def test_quadrotor_altitude_hold_through_a_step_and_a_gust_in_qemu(tmp_path):
    fw, meta = trained_firmware("quadrotor-altitude", tmp_path, samples=30_000, epochs=40)
    sc = scenarios()["altitude_step_gust"]
    mpc = FirmwareMpc(fw, icount=False)
    try:
        trace = fly_plant(sc, AltitudeSim(), mpc)
    finally:
        mpc.close()
    mpc_report.write_plots(str(tmp_path / "plots"), altitude=(trace, sc))
    m = tracking_metrics(trace, sc)
    assert m["completed"] and not trace.crashed, trace.stop
    e = np.abs(trace.error(0))
    t = trace.t
    settled = (t > 2.5) & (t < 4.0)                    # after the step, before the gust
    gust = (t >= 4.0) & (t <= 6.5)
    final = t > 7.0
    assert e[settled].max() < 0.02, e[settled].max()
    assert e[gust].max() < 0.05, e[gust].max()         # a 2 m/s downward gust: held within 5 cm
    assert e[final].max() < 0.01, e[final].max()
    assert np.all(trace.u >= 0.0) and np.all(trace.u <= 1.0)
