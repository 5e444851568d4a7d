"""The Cortex-M4F/M7 kernels (dense_armv7em.h, recurrent_armv7em.h), which the host never compiles, run in
unicorn from bare images built with the firmware's compiler and flags: the same models and the same rule as the
host's verification (|y - r| <= 1e-5 + 1e-5 |r| against onnxruntime, state carried), the fused activations bit
for bit against the C of activations_fast.h, and shapes that take every path of the blocks (remainder rows,
panels of inputs, long pointer steps)."""
import os
import subprocess

import numpy as np
import pytest

from tinyctl.compiler import compile_model, zoo
from tinyctl.compiler.peers import mcu
from tinyctl.compiler.verify import ATOL, RTOL, Reference
from tinyctl.runtime import INCLUDE_DIR
from tinyctl.runtime.hostbuild import build

HERE = os.path.dirname(__file__)
ACTS_N = 2048

pytestmark = pytest.mark.pil

# shapes beyond the zoo's: remainder blocks, 3 panels, a single row, a long rewind (R*K*4 > 4095)
EXTRA = {"mlp_13_37_5": dict(sizes=[13, 37, 5], activation="sigmoid"),
         "mlp_300_9_1": dict(sizes=[300, 9, 1], activation="tanh"),
         "mlp_3_17_8_2": dict(sizes=[3, 17, 8, 2], activation="relu")}
ZOO = ("mlp_12_64_64_4", "mlp_22_128_128_4", "mlp_elu_softplus", "gru_policy_input", "gru_policy_initializer",
       "gru_policy_none", "lstm_policy", "lstm_peepholes", "residual_mlp")


def _models(raptor_onnx):
    models = {name: m for name, m in zoo.all_models().items() if name in ZOO}
    models.update({name: zoo.mlp(seed=3, **kw) for name, kw in EXTRA.items()})
    models["raptor"] = raptor_onnx
    return models


@pytest.fixture(scope="module")
def compiled(raptor_onnx, tmp_path_factory):
    import onnx
    root = tmp_path_factory.mktemp("m4models")
    out = {}
    for name, model in _models(raptor_onnx).items():
        m = compile_model(model, str(root / name), name=name, target="cortex-m4f")
        m.proto = onnx.load(model) if isinstance(model, str) else model
        out[name] = m
    return out


@pytest.fixture(scope="module")
def image(compiled, tmp_path_factory):
    return mcu.image_of_models([m.directory for m in compiled.values()], str(tmp_path_factory.mktemp("img")))


def _inputs(m, steps, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((steps, m.in_size)).astype(np.float32)


def test_models_match_onnxruntime_in_unicorn(compiled, image):
    """Every model, 20 steps with the state carried from reset, in unicorn against onnxruntime (contract 1)."""
    _, steps = image
    for name, m in compiled.items():
        xs = _inputs(m, 20, 1)
        outs, states, _ = steps[name].rollout(xs)
        ref = Reference(m.proto, m.graph, m.manifest)
        s = m.reset()
        for t, x in enumerate(xs):
            r_out, r_state = ref.step(x, s)
            s = r_state if r_state.size else s
            for y, r in ((outs[t], r_out), (states[t][:r_state.size], r_state)):
                if r.size == 0:
                    continue
                over = np.abs(y - r) - (ATOL + RTOL * np.abs(r))
                assert over.max() <= 0, f"{name} step {t}: |y - r| = {np.abs(y - r).max():.3g}"


def test_raptor_instructions_and_libm(compiled, image, tmp_path):
    """RAPTOR with the target kernels: at most 2 instructions per MAC (activations included) at -O2 and -O3,
    the same outputs at both, no call into libm (or anything else) from the step."""
    from tinyctl.training.foundation import load_checkpoint
    _, (x, _) = load_checkpoint()
    xs = x[:30, 0]
    m = compiled["raptor"]
    results = {}
    for opt in ("-O2", "-O3"):
        img, steps = mcu.image_of_models([m.directory], str(tmp_path / opt), opt=opt)
        outs, _, counts = steps["raptor"].rollout(xs)
        assert counts.max() <= 2 * m.manifest["macs"], (opt, counts.max())
        assert mcu.calls_from(img.elf, "raptor_step") == []
        results[opt] = outs
    assert np.array_equal(results["-O2"], results["-O3"])


def test_raptor_on_cortex_m7(raptor_onnx, tmp_path):
    """The same kernels on the M7 (FPv5): the RAPTOR checkpoint's sequence within contract 1 of onnxruntime."""
    from tinyctl.training.foundation import load_checkpoint
    m = compile_model(raptor_onnx, str(tmp_path / "raptor"), name="raptor", target="cortex-m7")
    _, steps = mcu.image_of_models([m.directory], str(tmp_path / "img"), target="cortex-m7")
    _, (x, _) = load_checkpoint()
    xs = x[:50, 0]
    outs, _, _ = steps["raptor"].rollout(xs)
    host = np.array([o for o in _host_rollout(m, xs)])
    assert np.all(np.abs(outs - host) <= ATOL + RTOL * np.abs(host))


def _host_rollout(m, xs):
    s = m.reset()
    for x in xs:
        y, s = m.step(x, s)
        yield y


def test_fused_activations_bit_for_bit(tmp_path):
    """tanh and sigmoid fused in the blocks give exactly the C of activations_fast.h, on inputs across the
    whole float range (random bit patterns, the clamp edges, zeros, infinities, NaN)."""
    rng = np.random.default_rng(0)
    xs = rng.integers(0, 2**32, ACTS_N, dtype=np.uint64).astype(np.uint32).view(np.float32).copy()
    xs[:1024] = rng.uniform(-20, 20, 1024).astype(np.float32)
    xs[:12] = [0.0, -0.0, np.inf, -np.inf, np.nan, 8.0, -8.0, 16.0, -16.0, 7.9999995, 1e-30, -3.0]
    src = os.path.join(HERE, "act_harness.c")
    img = mcu.build_image([src], [INCLUDE_DIR], ["acts_step", "acts_reset"], str(tmp_path / "m4"))
    step = mcu.Step(img, "acts", {"in": ACTS_N, "out": 2 * ACTS_N, "state": 1})
    m4, _, _ = step.rollout(xs[None])
    exe = build([src], str(tmp_path / "acts_host"), [INCLUDE_DIR], extra=["-DACTS_MAIN"])
    host = np.frombuffer(subprocess.run([exe], input=xs.tobytes(), capture_output=True, check=True).stdout,
                         np.float32)
    m4 = m4[0]
    same = (m4.view(np.uint32) == host.view(np.uint32)) | (np.isnan(m4) & np.isnan(host))
    assert same.all(), f"{(~same).sum()} differ, first at x = {xs[np.argmin(same) % ACTS_N]!r}"
    assert np.isnan(m4[4]) and np.isnan(m4[ACTS_N + 4])
