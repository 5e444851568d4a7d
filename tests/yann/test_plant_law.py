"""Plant laws on PLANT frames (firmware mode `law`): the spec, its NumPy glue, and the firmware built for the host
board from the same spec, which must answer every frame with the glue's bits and flags, and refuse what does not
fit."""
import json

import numpy as np
import onnx
import pytest

import tinyctl
from tinyctl import link_protocol as lp
from tinyctl.controllers import ALTITUDE_LAW, PlantLaw, PlantLawSpec, spec_by_name
from tinyctl.errors import TinyctlError

HOVER = ALTITUDE_LAW.output_offset[0]


@pytest.fixture(scope="module")
def altitude_compiled(tmp_path_factory):
    """The altitude loop's explicit MPC (horizon 4) as a YANN, compiled for the host."""
    from tinyctl.training.yann.export import yann_model
    from tinyctl.training.yann.mpc import explicit_law
    from tinyctl.training.yann.problems import altitude
    law, _ = explicit_law(altitude(4))
    root = tmp_path_factory.mktemp("law")
    onnx.save(yann_model(law), str(root / "altitude.onnx"))
    return tinyctl.compile(str(root / "altitude.onnx"), str(root / "c"), name="altitude", verify=True), law


def frames(n, seed):
    """PLANT frames around the altitude loop: most inside the law's domain, some far out (clipped, outside)."""
    rng = np.random.default_rng(seed)
    for k in range(n):
        x = rng.uniform([-1.0, -5.0, 0.0], [4.0, 5.0, 1.0])
        yield k * 20_000, x, np.array([rng.uniform(0.0, 3.0), 0.0, HOVER])


def test_spec_refuses_what_cannot_be_a_law():
    with pytest.raises(TinyctlError, match="input_state must be 3 rows"):
        PlantLawSpec.from_dict({**ALTITUDE_LAW.to_dict(), "input_state": [[1.0, 0.0, 0.0]]})
    with pytest.raises(TinyctlError, match="output_low above output_high"):
        PlantLawSpec.from_dict({**ALTITUDE_LAW.to_dict(), "output_low": [2.0]})
    with pytest.raises(TinyctlError, match="must be finite"):
        PlantLawSpec.from_dict({**ALTITUDE_LAW.to_dict(), "input_offset": [0.0, float("nan"), 0.0]})
    with pytest.raises(TinyctlError, match="unknown field"):
        PlantLawSpec.from_dict({**ALTITUDE_LAW.to_dict(), "gain": 3})
    with pytest.raises(TinyctlError, match="takes 4 inputs but plant law 'altitude-law' gives it 3"):
        ALTITUDE_LAW.check_model(4, 2)


def test_spec_round_trips_through_json(tmp_path):
    path = tmp_path / "law.json"
    path.write_text(json.dumps(ALTITUDE_LAW.to_dict()))
    assert spec_by_name(str(path)) == ALTITUDE_LAW
    with pytest.raises(TinyctlError, match="no such file"):
        spec_by_name(str(tmp_path / "missing.json"))


def test_glue_maps_deviation_clip_and_saturation(altitude_compiled):
    compiled, law = altitude_compiled
    glue = PlantLaw(ALTITUDE_LAW, compiled)
    out = glue.step(0, [1.2, 0.5, HOVER], [1.0, 0.0, HOVER])
    assert np.allclose(out.theta, [0.2, 0.5, 0.0], atol=1e-6) and not out.flags
    u, _ = law.evaluate(out.theta.astype(np.float64))
    assert abs(out.u[0] - np.clip(HOVER + u[0], 0, 1)) < 1e-5
    far = glue.step(1, [5.0, 0.0, HOVER], [1.0, 0.0, HOVER])   # 4 m below target: theta clipped to the box
    assert far.theta[0] == np.float32(1.0) and far.flags & lp.ActionFlag.CLIPPED and far.u[0] == 0.0
    assert glue.step(0, [1.0, 0.0, HOVER], [1.0, 0.0, HOVER]).error == "TIME_BACKWARDS"
    latched = glue.step(5, [1.0, 0.0, HOVER], [1.0, 0.0, HOVER])
    assert latched.failsafe and latched.error == "FAILSAFE_LATCHED" and latched.u[0] == 0.0


@pytest.mark.hostc
def test_host_firmware_answers_with_the_glues_bits(altitude_compiled, tmp_path):
    from tinyctl.firmware import HostSession, build
    compiled, _ = altitude_compiled
    fw = build(compiled.directory, board="host", out_dir=str(tmp_path / "fw"), mode="law",
               controller=ALTITUDE_LAW.name)
    glue = PlantLaw(ALTITUDE_LAW, compiled)
    flags = []
    with HostSession(fw) as s:
        h = s.hello
        assert (h.mode_name, h.controller, h.in_size, h.out_size, h.control_period_us) == \
            ("law", "altitude-law", 3, 2, 20_000)
        for t, x, r in frames(400, seed=1):
            a, g = s.link.plant(t, x, r), glue.step(t, x, r)
            assert a.values.tobytes() == g.u.tobytes() and a.flags == g.flags, (t, x, r, a, g)
            flags.append(a.flags)
        # a preview of several reference states: the law reads the first
        a = s.link.plant(10 ** 9, [1.0, 0.0, HOVER], np.tile([1.2, 0.0, HOVER], 4))
        assert a.values.tobytes() == glue.step(10 ** 9, [1.0, 0.0, HOVER], [1.2, 0.0, HOVER]).u.tobytes()
        raw = s.link.observation([0.1, -0.2, 0.0])              # the raw model, bypassing the glue
        assert np.array_equal(raw.values, compiled.step(np.float32([0.1, -0.2, 0.0]), compiled.reset())[0])
        with pytest.raises(Exception, match="payload length"):  # a frame for another plant
            s.link.plant(2 * 10 ** 9, [1.0, 0.0], [1.0, 0.0])
        with pytest.raises(Exception, match="not supported"):   # the quadrotor's STATE frame
            s.link.step(lp.State(0, np.zeros(3), [1, 0, 0, 0], np.zeros(3), np.zeros(3), np.zeros(3), np.zeros(3)))
        bad = s.link.plant(3 * 10 ** 9, [np.nan, 0.0, HOVER], [1.0, 0.0, HOVER])
        assert bad.failsafe and bad.values.tolist() == [0.0] and [e.name for e in bad.errors] == ["NONFINITE_INPUT"]
        held = s.link.plant(4 * 10 ** 9, [1.0, 0.0, HOVER], [1.0, 0.0, HOVER])
        assert held.failsafe and "FAILSAFE_LATCHED" in [e.name for e in held.errors]
        s.link.reset()
        assert not s.link.plant(0, [1.0, 0.0, HOVER], [1.0, 0.0, HOVER]).failsafe
    flags = np.array(flags)
    # the frames reached every branch of the glue: plain, clipped to the box, outside the feasible set
    assert (flags == 0).sum() > 50 and (flags & lp.ActionFlag.CLIPPED).any() and (flags & lp.ActionFlag.OUTSIDE).any()


def test_build_refuses_a_law_in_the_wrong_mode(altitude_compiled, tmp_path):
    from tinyctl.firmware import build
    compiled, _ = altitude_compiled
    with pytest.raises(TinyctlError, match="mode law runs a plant law: 'raptor'"):
        build(compiled.directory, board="host", out_dir=str(tmp_path / "a"), mode="law")
    with pytest.raises(TinyctlError, match="is a plant law .* --mode law"):
        build(compiled.directory, board="host", out_dir=str(tmp_path / "b"), controller="altitude-law")
    wide = {**ALTITUDE_LAW.to_dict(), "input_state": [[1.0, 0, 0]] * 4, "input_reference": [[0, 0, 0]] * 4,
            "input_offset": [0.0] * 4, "input_low": [], "input_high": []}
    path = tmp_path / "wide.json"
    path.write_text(json.dumps(wide))
    with pytest.raises(TinyctlError, match="takes 3 inputs but plant law 'altitude-law' gives it 4"):
        build(compiled.directory, board="host", out_dir=str(tmp_path / "c"), mode="law", controller=str(path))
    assert not (tmp_path / "c").exists()
