"""A Lipschitz-bounded policy trains, exports, compiles with a certificate, verifies, and hovers in the builtin
simulator with the firmware in QEMU, matching the float reference."""
import numpy as np
import pytest

from tinyctl import scenarios
from tinyctl.hil_tests import deviation, make_executor, make_sim, run_scenario
from tinyctl.hil_tests.executors.firmware import qemu_executor

from .conftest import GAMMA

pytestmark = [pytest.mark.hil]


def test_policy_is_certified_and_verified(lipschitz_model):
    from tinyctl import manifest as manifest_io
    man = manifest_io.read(lipschitz_model[0])
    lip = man["lipschitz"]
    assert lip["method"] == "LipSDP-Neuron" and lip["scope"] == "network"
    assert lipschitz_model[2]["empirical_lipschitz"] <= lip["bound"] <= GAMMA * (1 + 1e-3)
    assert man["verify"]["max_abs_err"] <= 1e-5 and man["sizes"] == {"in": 18, "out": 4, "state": 0}


def test_reference_and_sil_hover(lipschitz_model):
    sc = scenarios.get("hover")
    (_, rt, rm), = run_scenario(sc, make_sim("builtin"), make_executor("reference", lipschitz_model[0],
                                                                       onnx=lipschitz_model[1], controller="lipschitz"))
    (_, st, sm), = run_scenario(sc, make_sim("builtin"), make_executor("sil", lipschitz_model[0],
                                                                       controller="lipschitz"))
    assert rm["full_duration"] and not rt.crashed and rm["success"], rm
    assert deviation(st, rt)["max_position_deviation"] < 1e-3


@pytest.mark.qemu
def test_firmware_hovers_in_qemu_like_the_reference(lipschitz_model, lipschitz_firmware):
    sc = scenarios.get("hover")
    ex = qemu_executor(lipschitz_firmware)
    try:
        assert ex.describe()["controller"] == "lipschitz"
        (_, qt, qm), = run_scenario(sc, make_sim("builtin"), ex)
    finally:
        ex.close()
    (_, rt, rm), = run_scenario(sc, make_sim("builtin"), make_executor("reference", lipschitz_model[0],
                                                                       onnx=lipschitz_model[1], controller="lipschitz"))
    assert qm["full_duration"] and not qt.crashed and qm["success"], qm
    assert abs(qm["rmse"] - rm["rmse"]) < 1e-3
    assert deviation(qt, rt)["max_position_deviation"] < 1e-3
    # the 18-32-32-4 network: at least one instruction per multiply-accumulate (1,728), nowhere near a runaway
    assert 1728 <= np.min(qt.cost) and np.max(qt.cost) < 100_000
