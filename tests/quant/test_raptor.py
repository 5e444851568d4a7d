"""The quantised RAPTOR policy: integer builds run on the Cortex-M3 with no floating point in the step (checked
in the ELF's call graph), bit for bit with their host build and NumPy model; under the sanitizers on inputs far
outside calibration; the firmware takes them on qemu-m3 and refuses float ones; and in closed loop they fly as
the float policy does (figure eight and recovery within 5 % or 1 cm), the M3 firmware hovering in QEMU."""
import numpy as np
import pytest

from tinyctl.compiler.peers import mcu
from tinyctl.errors import TinyctlError


def _steps(x, n):
    return x[:n, 0]


def _same_as_host(model, step, xs):
    """The image's step and the host build of the same C, the state carried: bit for bit."""
    outs, states, _ = step.rollout(xs)
    s = model.reset()
    for t, x in enumerate(xs):
        y, s = model.step(x, s)
        assert np.array_equal(y, outs[t]) and np.array_equal(s, states[t]), t


@pytest.fixture(scope="module")
def checkpoint():
    from tinyctl.training.foundation import load_checkpoint
    _, (x, _) = load_checkpoint()
    return x


@pytest.mark.hostc
@pytest.mark.parametrize("dtype", ["int8", "q15"])
def test_integer_manifest(raptor_quantized, dtype):
    man = raptor_quantized(dtype).manifest
    q, v = man["quantization"], man["verify"]
    assert q["float_ops"] == [] and q["calibration"]["source"] == "raptor_sequences.npy"
    assert [layer["op"] for layer in q["layers"]] == ["tc.QDense", "tc.QGRUStep", "tc.QDense"]
    assert v["c_vs_quantized_model"] == {"cases": 66, "max_abs_err": 0.0, "rule": "bit for bit"}
    gru_out = next(e for name, e in q["precision"].items() if name.startswith("gru"))
    assert gru_out == {"dtype": "int16", "scale": 2.0 ** -15}      # the state in q15
    assert v["max_rel_err"] <= {"int8": 0.10, "q15": 0.05}[dtype]


@pytest.mark.pil
@pytest.mark.parametrize("dtype", ["int8", "q15"])
def test_cortex_m3_without_floating_point(raptor_quantized, dtype, checkpoint, tmp_path):
    """On the M3: nothing called from the step (no soft-float helper, no libm), outputs and state bit for bit
    with the host build of the same C."""
    m = raptor_quantized(dtype)
    image, steps = mcu.image_of_models([m.directory], str(tmp_path), target="cortex-m3")
    assert mcu.calls_from(image.elf, "raptor_step", "cortex-m3") == []
    _same_as_host(m, steps["raptor"], _steps(checkpoint, 100))


@pytest.mark.pil
def test_cortex_m4f_smlad_kernels_bit_for_bit(raptor_onnx, raptor_calibration, checkpoint, tmp_path):
    """The int8 build for the M4F takes the SMLAD dot products: still bit for bit with the host's reference."""
    from tinyctl.compiler import compile_model
    m = compile_model(raptor_onnx, str(tmp_path / "raptor"), name="raptor", target="cortex-m4f", dtype="int8",
                      calibration=raptor_calibration)
    image, steps = mcu.image_of_models([m.directory], str(tmp_path / "img"))
    assert "smlad" in mcu._run(["arm-none-eabi-objdump", "-d", image.elf]).stdout
    _same_as_host(m, steps["raptor"], _steps(checkpoint, 60))


@pytest.mark.sanitizers
@pytest.mark.parametrize("dtype", ["int8", "q15"])
def test_integer_kernels_under_sanitizers(raptor_quantized, dtype, tmp_path):
    """No overflow UBSan sees and no out-of-bounds access, for inputs and states far beyond calibration."""
    from tinyctl.compiler.verify import build_harness, run_harness
    m = raptor_quantized(dtype)
    exe = build_harness(m.directory, "raptor", str(tmp_path), sanitize=True)
    rng = np.random.default_rng(0)
    extreme = np.concatenate([rng.standard_normal((50, 22)) * 1e6, np.full((5, 22), np.inf), np.full((5, 22), -np.inf),
                              np.full((5, 22), np.nan), rng.standard_normal((50, 22))]).astype(np.float32)
    cases = [(0, None, extreme), (2, np.full(16, 5.0, np.float32), extreme[:10]),
             (2, np.full(16, -np.inf, np.float32), extreme[-10:])]
    results = run_harness(exe, cases, m.manifest)
    for outs, states in results:
        assert np.all(np.isfinite(outs)) and np.all(np.abs(states) <= 1.0)


@pytest.mark.qemu
def test_firmware_on_qemu_m3(raptor_quantized, raptor_compiled, tmp_path):
    """qemu-m3 takes the int8 build (its step calls no soft-float helper, though the glue does) and refuses the
    float and int8w ones."""
    from tinyctl.firmware import build
    fw = build(raptor_quantized("int8").directory, board="qemu-m3", out_dir=str(tmp_path / "fw"))
    assert mcu.soft_float_calls(fw.elf, "raptor_step", "cortex-m3") == []
    assert any(mcu.SOFT_FLOAT.match(n) for n in _symbols(fw.elf))     # the check can see them: the glue has some
    for model in (raptor_compiled, raptor_quantized("int8w")):
        with pytest.raises(TinyctlError, match="without FPU.*compile it with --dtype int8 or q15"):
            build(model.directory, board="qemu-m3", out_dir=str(tmp_path / "refused"))


def _symbols(elf):
    from tinyctl.firmware.elf import Elf
    return Elf(elf).symbols()
