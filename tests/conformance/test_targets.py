"""Every conformance case that runs an approximated activation, compiled for the Cortex-M4F and built on the host
(target.h selects the same portable approximations of tanh, sigmoid, softplus and elu the MCU runs), meets
contract 1's rule too, NaN and infinities included."""
import pytest

from tinyctl.compiler import conformance

pytestmark = [pytest.mark.conformance, pytest.mark.hostc]
APPROXIMATED = {"Tanh", "Sigmoid", "Softplus", "Elu", "GRU", "LSTM"}


def test_cortex_m4f_activations_meet_the_rule():
    cases = [c for c in conformance.select() if {n.op_type for n in c.test.model.graph.node} & APPROXIMATED]
    results = conformance.run(cases, target="cortex-m4f")
    bad = [f"{r.name}: {r.reason}" for r in results if r.status == "fail"]
    assert not bad, "\n".join(bad)
    ran = {r.name for r in results if r.status == "pass"}
    assert {"test_tanh", "test_sigmoid", "test_softplus", "test_elu", "test_gru_defaults", "test_lstm_defaults",
            "special_tanh", "special_sigmoid", "special_softplus", "special_elu", "test_mish_expanded"} <= ran
