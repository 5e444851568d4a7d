"""Fixtures of the firmware tests: firmware builds shared across a session (each build takes about a second)."""
import pytest

from tinyctl.firmware import build


@pytest.fixture(scope="session")
def raptor_m7(raptor_onnx, tmp_path_factory):
    """The RAPTOR policy compiled for the Cortex-M7."""
    from tinyctl.compiler import compile_model
    out = tmp_path_factory.mktemp("raptor_m7") / "raptor"
    return compile_model(raptor_onnx, str(out), name="raptor", target="cortex-m7")


@pytest.fixture(scope="session")
def firmware(raptor_compiled, raptor_m7, tmp_path_factory):
    """firmware(board, mode="policy", timeout_ms=None, model=None) -> Firmware, built once per argument set."""
    cache = {}

    def get(board, mode="policy", timeout_ms=None, model=None):
        if model is None and mode == "policy":
            model = raptor_m7.directory if board == "qemu-m7" else raptor_compiled.directory
        key = (board, mode, timeout_ms, model)
        if key not in cache:
            out = tmp_path_factory.mktemp(f"fw-{board}-{mode}") / "fw"
            cache[key] = build(model, board=board, out_dir=str(out), mode=mode, timeout_ms=timeout_ms)
        return cache[key]
    return get


@pytest.fixture(scope="session")
def session(firmware):
    """session(board, **build options) -> a running firmware (host process or QEMU, flashed over the gdbstub),
    shared by the tests that ask for the same build; each test starts with link.reset()."""
    from tinyctl.firmware import HostSession, QemuSession
    open_sessions = {}

    def get(board, **options):
        key = (board, tuple(sorted(options.items())))
        if key not in open_sessions:
            fw = firmware(board, **options)
            open_sessions[key] = HostSession(fw) if board == "host" else QemuSession(fw, via_gdb=True)
        s = open_sessions[key]
        s.link.reset()
        return s
    yield get
    for s in open_sessions.values():
        s.close()
