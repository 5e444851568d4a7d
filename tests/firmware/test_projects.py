"""`tinyctl build --pio` and `--crazyflie-app`: the projects users take to real boards. The offline PlatformIO
environments build here (platformio 6.2.0 against the Debian toolchain) and the QEMU one runs; the Crazyflie app's
controller source compiles for the Cortex-M4F."""
import configparser
import os
import subprocess
import sys

import numpy as np
import pytest

from tinyctl.errors import TinyctlError
from tinyctl.firmware import QemuSession
from tinyctl.firmware.crazyflie import write_app
from tinyctl.firmware.platformio import write_project
from tinyctl.firmware.elf import Elf
from tinyctl.training.foundation import load_checkpoint

HERE = os.path.dirname(os.path.abspath(__file__))
M4F = ["-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"]


@pytest.fixture(scope="module")
def project(raptor_compiled, tmp_path_factory):
    return write_project(raptor_compiled.directory, str(tmp_path_factory.mktemp("pio") / "project"))


def test_project_names_every_board(project):
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(os.path.join(project.directory, "platformio.ini"))
    envs = {s.split(":", 1)[1]: ini[s] for s in ini.sections() if s.startswith("env:")}
    assert envs["stm32f405"]["platform"] == "ststm32" and envs["stm32f405"]["board"] == "genericSTM32F405RG"
    assert envs["nucleo_f446re"]["board"] == "nucleo_f446re"
    assert (envs["teensy41"]["platform"], envs["teensy41"]["framework"]) == ("teensy", "arduino")
    assert envs["esp32s3"]["platform"] == "espressif32"
    assert "not built here" in open(os.path.join(project.directory, "platformio.ini")).read()
    for name in ("qemu_stm32f405", "offline_stm32f405", "offline_nucleo_f446re", "offline_teensy41"):
        assert envs[name]["platform"].startswith("symlink://")


@pytest.mark.qemu
def test_offline_pio_run_builds_and_the_result_runs_in_qemu(project):
    env = dict(os.environ, PLATFORMIO_CORE_DIR=os.path.join(project.directory, "offline", "core"),
               PLATFORMIO_NO_ANSI="true", PLATFORMIO_SETTING_ENABLE_TELEMETRY="No")
    pio = os.path.join(os.path.dirname(sys.executable), "pio")
    proc = subprocess.run([pio, "run", "-e", "qemu_stm32f405", "-e", "offline_stm32f405", "-e",
                           "offline_nucleo_f446re", "-e", "offline_teensy41"], cwd=project.directory, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    build = os.path.join(project.directory, ".pio", "build")
    for name, start in (("offline_stm32f405", 0x08000000), ("offline_nucleo_f446re", 0x08000000)):
        elf = Elf(os.path.join(build, name, "firmware.elf"))
        assert elf.section(".isr_vector").addr == start and elf.machine == 40
    assert os.path.getsize(os.path.join(build, "offline_teensy41", "libtinyctl.a")) > 8000
    # the image PlatformIO built boots in QEMU (flashed over the gdbstub) and computes what the checkpoint says
    _, (x, y) = load_checkpoint()
    with QemuSession(os.path.join(build, "qemu_stm32f405", "firmware.elf"), board="qemu-stm32f405",
                     via_gdb=True) as q:
        assert (q.hello.board, q.hello.model) == ("qemu-stm32f405", "raptor")
        got = np.array([q.link.observation(x[k, 0]).values for k in range(50)])
    assert np.all(np.abs(got - y[:50, 0]) <= 1e-5 + 1e-5 * np.abs(y[:50, 0]))


@pytest.mark.hostc
def test_crazyflie_app_compiles_for_the_m4f(raptor_compiled, tmp_path):
    app = write_app(raptor_compiled.directory, str(tmp_path / "app"))
    root = app.directory
    for f in ("Makefile", "Kbuild", "app-config", "src/Kbuild", "src/tinyctl_controller.c"):
        assert os.path.isfile(os.path.join(root, f)), f
    assert "CONFIG_CONTROLLER_OOT=y" in open(os.path.join(root, "app-config")).read()
    kbuild = open(os.path.join(root, "src", "Kbuild")).read().split()
    objects = [w for w in kbuild if w.endswith(".o")]
    for obj in objects:                       # every object Kbuild names, compiled as the Crazyflie would
        src = os.path.join(root, "src", obj[:-2] + ".c")
        out = tmp_path / (os.path.basename(obj))
        subprocess.run(["arm-none-eabi-gcc", *M4F, "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-O2",
                        f"-I{root}/src", f"-I{root}/src/model", f"-I{HERE}/crazyflie_api", "-c", src, "-o", str(out)],
                       check=True, capture_output=True, text=True)
    syms = subprocess.run(["arm-none-eabi-nm", str(tmp_path / "tinyctl_controller.o")], capture_output=True,
                          text=True, check=True).stdout
    for name in ("controllerOutOfTreeInit", "controllerOutOfTreeTest", "controllerOutOfTree", "appMain"):
        assert f" T {name}\n" in syms
    assert " U tc_controller_state\n" in syms and " U raptor_step\n" in syms


@pytest.mark.hostc
def test_crazyflie_app_refuses_another_core(raptor_m7, tmp_path):
    with pytest.raises(TinyctlError, match="Crazyflie's STM32F405 is a Cortex-M4F"):
        write_app(raptor_m7.directory, str(tmp_path / "app"))
