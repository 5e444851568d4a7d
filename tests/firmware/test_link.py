"""The firmware over the link (contract 2), on the host board and in QEMU (flashed through the gdbstub): who it
is, the controller glue against its NumPy twin, the reply cache, faults on the wire, refusals."""
import numpy as np
import pytest

from tinyctl import link_protocol as lp
from tinyctl.controllers import RAPTOR, Controller
from tinyctl.firmware import LinkError
from tinyctl.firmware.faults import FaultyTransport

BOARDS = [pytest.param("host", marks=pytest.mark.hostc), pytest.param("qemu-stm32f405", marks=pytest.mark.qemu)]


def states(n, seed=0, period_us=2000):
    """A flight-like STATE sequence at 500 Hz, with errors big enough to be clipped now and then."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        q = rng.normal(size=4) * 0.2 + [1, 0, 0, 0]
        out.append(lp.State(k * period_us, rng.normal(size=3) * 0.4, q / np.linalg.norm(q), rng.normal(size=3) * 0.8,
                            rng.normal(size=3), [0, 0, 1], rng.normal(size=3) * 0.1))
    return out


def close(a, b):
    return np.all(np.abs(a - b) <= 1e-5 + 1e-5 * np.abs(b))


@pytest.mark.parametrize("board", BOARDS)
def test_hello_names_the_build(board, session, raptor_compiled):
    s = session(board)
    h = s.link.hello()
    assert (h.board, h.model, h.controller, h.mode_name, h.dtype) == (board, "raptor", "raptor", "policy", "float32")
    assert h.sha256 == raptor_compiled.manifest["model"]["sha256"][:16]
    assert (h.in_size, h.out_size, h.state_size) == (22, 4, 16)
    assert (h.control_period_us, h.timeout_us, h.version) == (10_000, 500_000, lp.PROTOCOL_VERSION)
    assert s.hello.board == board           # the boot HELLO said the same


@pytest.mark.parametrize("board", BOARDS)
def test_state_steps_match_the_python_glue(board, session, raptor_compiled):
    """STATE -> observation -> policy -> motors in the firmware, against tinyctl.controllers.Controller over the host
    build: the same bits on the host board; within contract 1's tolerance in QEMU (libm differs by an ulp)."""
    s = session(board)
    ctl = Controller(RAPTOR, raptor_compiled)
    committed = clipped = 0
    for k, st in enumerate(states(60)):
        act, ref = s.link.step(st), ctl.step(st)
        assert act.flags == ref.flags, k
        assert np.array_equal(act.values, ref.motors) if board == "host" else close(act.values, ref.motors), k
        assert np.all((0 <= act.values) & (act.values <= 1))
        committed += act.committed
        clipped += act.clipped
    assert act.step == 60
    assert committed == 12 and clipped > 10       # dual rate: 60 steps at 500 Hz cross 12 ticks of 10 ms


@pytest.mark.parametrize("board", BOARDS)
def test_repeated_seq_gets_the_cached_action(board, session):
    s = session(board)
    link = s.link
    st = states(1)[0]
    frame = lp.encode_frame(lp.MsgType.STATE, 77, st.payload())
    replies = []
    for _ in range(2):
        link.transport.write(frame)
        got = []
        while not got:
            got = [f for f in link._read_frames(2.0) if f.type == lp.MsgType.ACTION]
        replies.append(got[0])
    assert replies[0] == replies[1]                               # byte for byte, seq 77 both times
    assert lp.Action.from_frame(replies[1]).step == 1             # stepped once
    assert link.step(st).step == 2                                # a new seq steps again


@pytest.mark.parametrize("board", BOARDS)
def test_link_survives_faults(board, session):
    """A corrupted byte, a dropped frame, a frame split across reads, garbage (with a false sync) before the sync
    bytes, a corrupted reply: every STATE is answered as on a clean link, and stepped exactly once."""
    s = session(board)
    seq = states(14, seed=3)
    clean = [s.link.step(st) for st in seq]
    s.link.reset()
    link = s.link
    faulty = FaultyTransport(link.transport)
    link.transport = faulty
    try:
        inject = {2: faulty.corrupt_next, 4: faulty.drop_next, 6: lambda: faulty.split_next(5),
                  8: lambda: faulty.garbage_before_next(b"\x00\x13\xa5\x5a\x02\x07\x10\x00noise\xa5"),
                  10: faulty.corrupt_next_reply, 12: lambda: (faulty.corrupt_next(30), faulty.corrupt_next(50))}
        resends = link.stats["resends"]
        for k, st in enumerate(seq):
            if k in inject:
                inject[k]()
            act = link.step(st)
            assert np.array_equal(act.values, clean[k].values) and act.flags == clean[k].flags, k
            assert act.step == k + 1, f"step {k}: the firmware stepped {act.step - k - 1} extra times"
    finally:
        link.transport = faulty.inner
    assert set(faulty.injected) == {"corrupt", "drop", "split", "garbage", "corrupt_reply"}
    assert link.stats["resends"] - resends >= 5


@pytest.mark.parametrize("board", BOARDS)
def test_refusals_come_back_as_errors(board, session):
    link = session(board).link
    with pytest.raises(LinkError, match="payload length does not fit"):
        link.observation(np.zeros(21))
    with pytest.raises(LinkError, match="not supported in this controller mode"):
        link.plant(0, [0.0, 1.0], [0.0])
    with pytest.raises(LinkError, match="unknown message type"):
        link.request(0x42, b"", lp.MsgType.ACTION)
    assert link.step(states(1)[0]).step == 1        # and the link carries on
