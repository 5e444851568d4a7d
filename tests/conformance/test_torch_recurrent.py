"""GRU (linear_before_reset=1, initial_h) and LSTM (initial_h, initial_c) exported from PyTorch by both exporters
(dynamo and TorchScript), compiled, verified against onnxruntime, and rolled out in C for 60 steps with the
state carried, step by step against PyTorch itself."""
import numpy as np
import onnx
import pytest

from tinyctl.compiler import compile_model
from tinyctl.compiler.conformance import excess

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.conformance, pytest.mark.hostc,
              pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.filterwarnings("ignore::DeprecationWarning")]

N_OBS, N_HID, N_ACT, STEPS = 6, 12, 3, 60
EXPORTERS = {"torchscript": {"dynamo": False, "opset_version": 17}, "dynamo": {"dynamo": True, "opset_version": 20}}


class Policy(torch.nn.Module):
    """Dense -> GRU or LSTM -> Dense, one step: observation and state in, action and state out (RAPTOR's form)."""

    def __init__(self, cell):
        super().__init__()
        self.cell = cell
        self.inp = torch.nn.Linear(N_OBS, N_HID)
        self.rnn = (torch.nn.GRU if cell == "gru" else torch.nn.LSTM)(N_HID, N_HID, batch_first=True)
        self.out = torch.nn.Linear(N_HID, N_ACT)

    def forward(self, obs, *state):
        x = torch.relu(self.inp(obs))
        y, new = self.rnn(x, state if self.cell == "lstm" else (state[0] if state else None))
        new = new if self.cell == "lstm" else (new,)
        return (torch.tanh(self.out(y[:, -1])), *new)


def _export(policy, exporter, path, with_state=True):
    n_state = 2 if policy.cell == "lstm" else 1
    obs = torch.randn(1, 1, N_OBS)
    state = tuple(torch.randn(1, 1, N_HID) for _ in range(n_state)) if with_state else ()
    names = ["h", "c"][:n_state]
    torch.onnx.export(policy, (obs, *state), str(path), input_names=["obs"] + [f"{n}_in" for n in names][:len(state)],
                      output_names=["action"] + [f"{n}_out" for n in names], **EXPORTERS[exporter])
    return str(path)


def _rnn_node(path, op):
    nodes = [n for n in onnx.load(path).graph.node if n.op_type == op]
    assert len(nodes) == 1, f"the exporter wrote {len(nodes)} {op} nodes"
    return nodes[0], {a.name: onnx.helper.get_attribute_value(a) for a in nodes[0].attribute}


def _assert_rule(y, r, what):
    over, err = excess(y, r)
    assert (over <= 0).all(), f"{what}: |y - r| up to {err:.3g}"


@pytest.fixture(scope="module", params=list(EXPORTERS))
def exporter(request):
    return request.param


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_exported_recurrent_policy_carries_its_state(cell, exporter, tmp_path):
    torch.manual_seed(3)
    policy = Policy(cell).eval()
    path = _export(policy, exporter, tmp_path / f"{cell}.onnx")
    node, attrs = _rnn_node(path, cell.upper())
    if cell == "gru":
        assert attrs.get("linear_before_reset") == 1, "PyTorch's GRU is linear_before_reset=1"
    assert all(node.input[k] for k in ((5,) if cell == "gru" else (5, 6))), "the initial states are inputs"

    compiled = compile_model(path, str(tmp_path / "out"), name=cell, verify=True)
    assert compiled.manifest["verify"]["max_abs_err"] <= 1e-5
    names = ["h", "c"][:len(compiled.manifest["state"])]
    assert [(s["onnx_input"], s["onnx_output"]) for s in compiled.manifest["state"]] == \
        [(f"{n}_in", f"{n}_out") for n in (["h", "c"] if cell == "lstm" else ["h"])]

    rng = np.random.default_rng(11)
    obs = rng.standard_normal((STEPS, N_OBS)).astype(np.float32)
    for start in ("reset", "random"):
        state_c = compiled.reset() if start == "reset" else \
            rng.standard_normal(compiled.manifest["sizes"]["state"]).astype(np.float32)
        state_t = [torch.from_numpy(s.copy()).view(1, 1, N_HID) for s in np.split(state_c, len(names))]
        for t in range(STEPS):
            action_c, state_c = compiled.step(obs[t], state_c)
            with torch.no_grad():
                action_t, *state_t = policy(torch.from_numpy(obs[t]).view(1, 1, N_OBS), *state_t)
            _assert_rule(action_c, action_t.numpy().ravel(), f"{cell} {exporter} action, step {t} from {start}")
            _assert_rule(state_c, np.concatenate([s.numpy().ravel() for s in state_t]),
                         f"{cell} {exporter} state, step {t} from {start}")


def test_gru_without_state_inputs_keeps_its_state_inside(exporter, tmp_path):
    """Exported without h_in, the GRU starts from zeros in ONNX; compiled, its state lives in the state struct,
    so T steps of the compiled model equal PyTorch's GRU over the whole T-step sequence."""
    torch.manual_seed(4)
    policy = Policy("gru").eval()
    path = _export(policy, exporter, tmp_path / "gru_inside.onnx", with_state=False)
    # the TorchScript exporter builds the zero initial_h from Shape and Expand: shape inference folds them
    compiled = compile_model(path, str(tmp_path / "out"), name="gru_inside", verify=True)
    state, = compiled.manifest["state"]
    assert (state["size"], state["onnx_output"], state["reset"]) == (N_HID, "h_out", "zeros")
    assert compiled.manifest["inputs"][0]["name"] == "obs" and len(compiled.manifest["inputs"]) == 1
    obs = np.random.default_rng(12).standard_normal((STEPS, N_OBS)).astype(np.float32)
    outputs, state = compiled.rollout(obs)   # action, then h_out (also a graph output)
    actions = outputs[:, :N_ACT]
    with torch.no_grad():
        x = torch.relu(policy.inp(torch.from_numpy(obs)[None]))
        y, h = policy.rnn(x)
        expected = torch.tanh(policy.out(y[0])).numpy()
    _assert_rule(actions, expected, f"gru {exporter} actions over {STEPS} steps")
    _assert_rule(state, h.numpy().ravel(), f"gru {exporter} final state")
