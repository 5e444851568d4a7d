"""The firmware's frame handling fuzzed on the host board under AddressSanitizer and UndefinedBehaviorSanitizer:
damaged frames, every message type with every length, NaN and huge values; it must answer on and exit clean."""
import numpy as np
import pytest

from tinyctl import link_protocol as lp
from tinyctl.firmware import HostSession, build

pytestmark = pytest.mark.sanitizers


@pytest.mark.parametrize("mode", ["policy", "passthrough"])
def test_fuzzed_link_under_sanitizers(mode, raptor_compiled, tmp_path):
    fw = build(raptor_compiled.directory, board="host", out_dir=str(tmp_path / "fw"), mode=mode, sanitize=True)
    rng = np.random.default_rng(7)
    s = HostSession(fw)
    try:
        for k in range(400):
            kind = int(rng.integers(0, 9))
            length = int(rng.choice([0, 1, 4, 16, 83, 84, 85, 92, 255, 256]))
            payload = rng.integers(0, 256, length, dtype=np.uint8).tobytes()
            if kind == 4 and length >= 4:           # observations full of NaN, Inf and huge values
                payload = payload[:4] + rng.choice([np.nan, np.inf, -1e38, 3e38], (length - 4) // 4).astype(
                    "<f4").tobytes()
            frame = bytearray(lp.encode_frame(kind, k % 255 + 1, payload))
            if rng.random() < 0.2:
                frame[rng.integers(0, len(frame))] ^= 0x40
            s.link.transport.write(bytes(frame) + rng.integers(0, 256, int(rng.integers(0, 5)), np.uint8).tobytes())
            if k % 20 == 0:
                s.link.poll(0.01)                   # drain the replies, or both pipes fill up
        hello = s.link.hello()                      # still answering after all of it
        assert hello.board == "host" and hello.mode_name == mode
    finally:
        code = s.close()
    assert code == 0                                # a sanitizer finding aborts with a nonzero code
