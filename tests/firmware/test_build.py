"""`tinyctl build`: firmware for every board, the size report, and the refusals (each with what to do)."""
import json
import os

import pytest

from tinyctl.compiler import compile_model
from tinyctl.errors import TinyctlError
from tinyctl.firmware import Firmware, build
from tinyctl.firmware.elf import Elf

from .models import wide

pytestmark = pytest.mark.hostc


@pytest.mark.parametrize("board", ["qemu-stm32f405", "qemu-m4", "qemu-m7", "host"])
def test_raptor_builds_for(board, firmware, raptor_compiled):
    fw = firmware(board)
    assert os.path.isfile(fw.elf) and fw.board == board and fw.model == "raptor"
    assert Firmware.load(fw.directory).sizes == {"in": 22, "out": 4, "state": 16}
    weights = raptor_compiled.manifest["memory"]["weights_bytes"]
    assert fw.size["model_weights"] >= weights
    assert fw.size["flash"]["used"] > weights
    elf = Elf(fw.elf)
    if board == "host":
        return
    assert elf.machine == 40                                   # EM_ARM
    assert fw.size["flash"]["used"] < fw.size["flash"]["budget"]
    sections = fw.size["sections"]
    assert fw.size["ram"]["used"] >= sum(sections.get(s, 0) for s in (".data", ".bss", ".stack"))
    assert fw.size["flash"]["used"] >= sum(sections.get(s, 0) for s in (".isr_vector", ".text", ".rodata", ".data"))
    assert fw.size["flash"]["used"] == sum(len(seg.data) for seg in elf.segments)
    # the vector table sits at the start of the board's flash, and no load segment with contents leaves the flash
    from tinyctl.boards import board as board_of
    b = board_of(board)
    assert elf.section(".isr_vector").addr == b.flash_origin
    for seg in elf.segments:
        assert not seg.data or b.flash_origin <= seg.paddr < b.flash_origin + b.flash_size
    with open(os.path.join(fw.directory, "size.txt")) as f:
        assert "FLASH" in f.read()


def test_generated_headers_name_the_build(firmware):
    fw = firmware("qemu-stm32f405")
    gen = os.path.join(fw.directory, "gen")
    board = open(os.path.join(gen, "tc_board_config.h")).read()
    assert '"qemu-stm32f405"' in board and "TC_CLOCK_HZ 168000000u" in board and "TC_UART_IRQ 37" in board
    ctl = open(os.path.join(gen, "tc_controller_config.h")).read()
    assert "TC_OBSERVATION_SIZE 22" in ctl and "TC_TRAINING_PERIOD_US 10000u" in ctl and "0.32f" in ctl


def test_float_model_refused_on_m3(raptor_compiled, tmp_path):
    with pytest.raises(TinyctlError, match="qemu-m3 is a cortex-m3 without FPU.*float32"):
        build(raptor_compiled.directory, board="qemu-m3", out_dir=str(tmp_path / "fw"))
    assert not (tmp_path / "fw").exists()


def test_model_for_another_core_refused(raptor_compiled, tmp_path):
    with pytest.raises(TinyctlError, match="compiled for cortex-m4f but board qemu-m7 is a cortex-m7.*--target"):
        build(raptor_compiled.directory, board="qemu-m7", out_dir=str(tmp_path / "fw"))


def test_model_that_does_not_fit_names_the_numbers(tmp_path):
    model = compile_model(wide(tmp_path / "wide.onnx"), str(tmp_path / "wide"), name="wide", target="cortex-m4f")
    with pytest.raises(TinyctlError, match=r"does not fit board qemu-stm32f405.*RAM at least 1\d\d,\d{3} B.*"
                                           r"against 131,072 B"):
        build(model.directory, board="qemu-stm32f405", out_dir=str(tmp_path / "fw"))
    # the same model fits the 4 MB of an MPS2 board, and its stack is sized for the 140 KB activation
    fw = build(model.directory, board="qemu-m4", out_dir=str(tmp_path / "fw4"))
    assert fw.size["sections"][".stack"] >= model.manifest["memory"]["arena_bytes"]


def test_sizes_must_fit_the_controller(tmp_path):
    import onnx
    from onnx import helper, TensorProto
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])
    onnx.save(helper.make_model(helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "r", [x], [y]),
                                opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "r.onnx"))
    model = compile_model(str(tmp_path / "r.onnx"), str(tmp_path / "r"), target="cortex-m4f")
    with pytest.raises(TinyctlError, match="takes 8 inputs but controller 'raptor' builds an observation of 22"):
        build(model.directory, board="qemu-m4", out_dir=str(tmp_path / "fw"))


def test_bad_arguments(raptor_compiled, tmp_path):
    with pytest.raises(TinyctlError, match="unknown board 'stm32'"):
        build(raptor_compiled.directory, board="stm32", out_dir=str(tmp_path / "a"))
    with pytest.raises(TinyctlError, match="mode policy needs a compiled model"):
        build(None, board="qemu-m4", out_dir=str(tmp_path / "b"))
    with pytest.raises(TinyctlError, match="unknown mode"):
        build(raptor_compiled.directory, board="qemu-m4", out_dir=str(tmp_path / "c"), mode="pid")
    with pytest.raises(TinyctlError, match="not a compiled model directory"):
        build(str(tmp_path), board="qemu-m4", out_dir=str(tmp_path / "d"))


def test_never_overwrites_what_tinyctl_did_not_write(raptor_compiled, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(TinyctlError, match="holds files tinyctl did not write"):
        build(raptor_compiled.directory, board="qemu-m4", out_dir=str(mine))
    assert (mine / "notes.txt").read_text() == "keep me"
    # a previous build is replaced, and stays whole when the new one fails
    out = tmp_path / "fw"
    build(raptor_compiled.directory, board="qemu-m4", out_dir=str(out))
    before = json.loads((out / "firmware.json").read_text())
    with pytest.raises(TinyctlError):
        build(raptor_compiled.directory, board="qemu-m7", out_dir=str(out))
    assert json.loads((out / "firmware.json").read_text()) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_passthrough_builds_without_a_model_even_on_m3(firmware):
    fw = firmware("qemu-m3", mode="passthrough")
    assert fw.mode == "passthrough" and fw.model == ""
