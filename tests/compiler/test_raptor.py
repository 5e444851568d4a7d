"""The flagship: the published RAPTOR policy, exported and compiled, against the checkpoint's own vectors."""
import numpy as np

from tinyctl.training.foundation import load_checkpoint


def test_manifest_figures(raptor_compiled):
    m = raptor_compiled.manifest
    assert m["params"] == 2068
    assert m["memory"]["state_bytes"] == 16 * 4
    assert m["macs"] == 1952
    assert m["sizes"] == {"in": 22, "out": 4, "state": 16}
    assert m["verify"]["max_abs_err"] <= 1e-5


def test_reproduces_checkpoint_examples(raptor_compiled):
    _, (x, y) = load_checkpoint()
    assert x.shape == (500, 2, 22) and y.shape == (500, 2, 4)
    for seq in range(x.shape[1]):
        out, _ = raptor_compiled.rollout(x[:, seq])
        assert np.abs(out - y[:, seq]).max() <= 1e-5


def test_state_is_explicit_and_pure(raptor_compiled):
    m = raptor_compiled
    x = np.random.default_rng(0).standard_normal(22).astype(np.float32)
    s0 = m.reset()
    out1, s1 = m.step(x, s0)
    out2, s2 = m.step(x, s0)
    assert np.array_equal(out1, out2) and np.array_equal(s1, s2)   # same state in, same result: no hidden globals
    out3, _ = m.step(x, s1)
    assert not np.array_equal(out1, out3)                          # the state matters
