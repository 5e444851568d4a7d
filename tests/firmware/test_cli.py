"""The build and flash verbs: what a person sees, the exit codes, one-line errors."""
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.hostc


def tinyctl(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "tinyctl.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


def test_build_prints_the_size_report(raptor_compiled, tmp_path):
    out = tmp_path / "fw"
    r = tinyctl("build", "--board", "qemu-m4", "--model", raptor_compiled.directory, "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "FLASH" in r.stdout and "of 4,194,304 B" in r.stdout and "firmware.elf" in r.stdout
    assert (out / "firmware.elf").is_file()


def test_build_errors_are_one_line_with_exit_2(raptor_compiled, tmp_path):
    r = tinyctl("build", "--board", "qemu-m3", "--model", raptor_compiled.directory, "-o", str(tmp_path / "fw"))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert r.stderr.startswith("tinyctl build: error: board qemu-m3 is a cortex-m3 without FPU")
    assert not (tmp_path / "fw").exists()
    r = tinyctl("build", "--pio", "--board", "qemu-m4", "--model", raptor_compiled.directory, "-o", str(tmp_path / "p"))
    assert r.returncode == 2 and "--board does not apply" in r.stderr


def test_build_pio_and_crazyflie_app(raptor_compiled, tmp_path):
    r = tinyctl("build", "--pio", "--model", raptor_compiled.directory, "-o", str(tmp_path / "pio"))
    assert r.returncode == 0, r.stderr
    assert "qemu_stm32f405" in r.stdout and "esp32s3" in r.stdout
    assert os.path.isfile(tmp_path / "pio" / "platformio.ini")
    r = tinyctl("build", "--crazyflie-app", "--model", raptor_compiled.directory, "-o", str(tmp_path / "app"))
    assert r.returncode == 0, r.stderr
    assert os.path.isfile(tmp_path / "app" / "src" / "tinyctl_controller.c")


def test_flash_refuses_with_one_line(firmware, tmp_path):
    r = tinyctl("flash", str(tmp_path / "missing.elf"))
    assert r.returncode == 2 and "does not exist" in r.stderr
    r = tinyctl("flash", firmware("qemu-m4").elf, "--board", "qemu-stm32f405")
    assert r.returncode == 2 and "built for qemu-m4, not qemu-stm32f405" in r.stderr
    r = tinyctl("flash", firmware("qemu-m4").elf, "--gdb", "localhost")
    assert r.returncode == 2 and "HOST:PORT" in r.stderr
