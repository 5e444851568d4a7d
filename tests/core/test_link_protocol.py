"""Contract 2 in Python: CRC, frames, payload layouts, and a parser that recovers from what a UART does to bytes."""
import numpy as np
import pytest

from tinyctl import link_protocol as lp


def test_crc_is_ccitt_false():
    assert lp.crc16(b"123456789") == 0x29B1     # the catalogue check value of CRC-16/CCITT-FALSE
    assert lp.crc16(b"") == 0xFFFF


def test_message_table_is_consistent():
    assert {m.type for m in lp.MESSAGES.values()} == set(lp.MsgType)
    assert lp.MESSAGES[lp.MsgType.STATE].fixed_size == 8 + 19 * 4
    codes = [e.code for e in lp.ERRORS.values()]
    assert len(codes) == len(set(codes)) and all(e.text for e in lp.ERRORS.values())
    assert len({e.name for e in lp.ERRORS.values()}) == len(codes)
    for m in lp.MESSAGES.values():
        assert m.fixed_size <= lp.MAX_PAYLOAD


def state(t=1234567):
    rng = np.random.default_rng(t)
    return lp.State(t, *(rng.normal(size=n) for n in (3, 4, 3, 3, 3, 3)))


def test_state_round_trip():
    s = state()
    back = lp.State.from_payload(s.payload())
    assert back.time_us == s.time_us
    assert np.array_equal(back.floats(), s.floats())


def test_hello_action_error_round_trip():
    hello = lp.Hello(1, 1, 2, 0, 22, 4, 16, 10000, 500000, 168000000, "qemu-stm32f405", "raptor",
                     "bdc1dc2d5b720c8c", "raptor", "float32")
    back = lp.Hello.from_frame(lp.Frame(lp.MsgType.HELLO, 0, hello.payload()))
    assert back == hello and back.mode_name == "policy"
    act = lp.Action(np.array([0.1, 0.2, 0.3, 0.4], np.float32), 7, 17000, 18000, 0, 0,
                    lp.ActionFlag.COMMITTED | lp.ActionFlag.CLIPPED, seq=9)
    back = lp.Action.from_frame(lp.Frame(lp.MsgType.ACTION, 9, act.payload()))
    assert np.array_equal(back.values, act.values) and back.step == 7 and back.committed and back.clipped
    assert not back.failsafe
    err = lp.Error.from_frame(lp.Frame(lp.MsgType.ERROR, 3, lp.pack(lp.MsgType.ERROR, tail="boom", code=7)))
    assert err.name == "TIMEOUT" and err.text == "boom" and err.failsafe and not err.resend


def test_layout_errors_are_clear():
    with pytest.raises(ValueError, match="does not fit"):
        lp.unpack(lp.MsgType.STATE, b"\0" * 83)
    with pytest.raises(ValueError, match="exceeds"):
        lp.observation_payload(np.zeros(lp.max_values(lp.MsgType.OBSERVATION) + 1))
    with pytest.raises(ValueError, match="no field"):
        lp.pack(lp.MsgType.ERROR, colour=1)
    with pytest.raises(ValueError):
        lp.encode_frame(lp.MsgType.ACTION, 1, b"\0" * 257)


def frames_of(parser, chunks):
    out = []
    for c in chunks:
        out += parser.feed(c)
    return out


def test_parser_survives_garbage_splits_and_corruption():
    a = lp.encode_frame(lp.MsgType.STATE, 1, state(1).payload())
    b = lp.encode_frame(lp.MsgType.STATE, 2, state(2).payload())
    c = lp.encode_frame(lp.MsgType.HELLO, 3)
    bad = bytearray(b)
    bad[20] ^= 0x04
    false_start = b"\xa5\x5a\x02\x07\x10\x00"           # a plausible header whose 16 bytes swallow the next frame
    stream = b"boot text\r\n" + false_start + a + bytes(bad) + b"\xa5" + c
    for size in (1, 3, 7, len(stream)):                 # every way of splitting it across reads
        p = lp.FrameParser()
        got = frames_of(p, [stream[i:i + size] for i in range(0, len(stream), size)])
        assert [(f.type, f.seq) for f in got] == [(lp.MsgType.STATE, 1), (lp.MsgType.HELLO, 3)]
        assert got[0].payload == state(1).payload()
        assert p.bad_frames >= 2                         # the false start and the corrupted frame
        assert "boot text" in p.last_text()


def test_parser_drops_impossible_lengths():
    p = lp.FrameParser()
    frame = lp.encode_frame(lp.MsgType.HELLO, 5)
    assert frames_of(p, [b"\xa5\x5a\x01\x00\xff\xff", frame])[0].seq == 5
    assert p.bad_frames == 1


def test_random_damage_never_yields_a_wrong_frame():
    """Whatever the noise, every frame the parser returns is one that was sent (CRC-16 over 100 random streams)."""
    rng = np.random.default_rng(0)
    for trial in range(100):
        sent = [lp.encode_frame(lp.MsgType.STATE, k + 1, state(trial * 10 + k).payload()) for k in range(5)]
        stream = bytearray()
        for f in sent:
            stream += rng.integers(0, 256, rng.integers(0, 6), dtype=np.uint8).tobytes()
            damaged = bytearray(f)
            if rng.random() < 0.3:
                damaged[rng.integers(0, len(f))] ^= 1 << int(rng.integers(0, 8))
            stream += damaged
        got = lp.FrameParser().feed(bytes(stream))
        originals = {(lp.MsgType.STATE, k + 1): f for k, f in enumerate(sent)}
        for g in got:
            assert lp.encode_frame(g.type, g.seq, g.payload) == originals[(g.type, g.seq)]
