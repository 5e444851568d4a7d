"""`tinyctl build --pio`: a PlatformIO project for real boards, plus environments that build here, offline.

Real boards (stock platforms, for `pio run -t upload` on a machine that can download them): a Crazyflie-class
STM32F405 and a Nucleo-F446RE (bare metal, our startup and linker script), a Teensy 4.1 and an ESP32-S3 (the
Arduino core owns main(); board_arduino.cpp drives the firmware from setup() and loop()).

Offline, against the Debian toolchain (the recipe in the toolchain notes: a seeded tool-scons, a local platform,
a toolchain wrapper of symlinks): `qemu_stm32f405` builds and runs in QEMU (`-t exec`, `-t upload` flashes through
QEMU's gdbstub), `offline_stm32f405` and `offline_nucleo_f446re` build the real boards' images, `offline_teensy41`
builds the Teensy's sources for its Cortex-M7 into an archive (its Arduino glue needs the Teensy core). The ESP32-S3
project is written but not built here: no Xtensa compiler offline.
"""
import json
import os
import shutil
from dataclasses import dataclass

from tinyctl import __version__, boards
from tinyctl import manifest as manifest_io
from tinyctl.controllers import spec_by_name
from tinyctl.errors import TinyctlError
from tinyctl.firmware import codegen
from tinyctl.firmware.build import COMMON_SOURCES, CORTEXM_SOURCES, FIRMWARE_DIR, STACK_BASE_BYTES, board_description
from tinyctl.firmware.codegen.render import render
from tinyctl.firmware.output import staged

HERE = os.path.dirname(os.path.abspath(__file__))
MARKER = "tinyctl-project.json"
SCONS_VERSION = "4.41101.0"       # what platformio 6.2.0 pins as tool-scons (~4.41101.0); pip's scons 4.11.1
TOOLS = ("gcc", "g++", "as", "ar", "ranlib", "objcopy", "objdump", "size", "nm", "ld", "strip")


@dataclass
class PioEnv:
    name: str
    board: str                  # folder under firmware/boards
    about: str
    built_here: str             # "run" (built and run in QEMU), "build", "archive" (sources only), "" (not here)
    note: str = ""
    options: tuple = ()


def _real_board(name):
    """A Board (the core's dataclass) for a real board described only by its board.json."""
    d = board_description(name)
    return boards.Board(name, d["target"], d["about"], int(d.get("flash_origin", "0"), 16), d["flash_size"],
                        int(d.get("ram_origin", "0"), 16), d["ram_size"], d["clock_hz"]), d


def _board_of(name):
    return (boards.board(name), board_description(name)) if name in boards.BOARDS else _real_board(name)


def _bare_metal_filter(desc):
    return "${tinyctl.bare_metal_src} " + " ".join(f"+<{s}>" for s in desc["sources"])


def environments(root):
    """The project's environments, each with its platformio.ini options."""
    offline = (("platform", f"symlink://{root}/offline/platform"),
               ("platform_packages", f"toolchain-gccarmnoneeabi@symlink://{root}/offline/toolchain"))
    envs = []
    for name in ("stm32f405", "nucleo_f446re"):
        _, d = _board_of(name)
        common = (("build_flags", f"${{tinyctl.build_flags}} -I include/{name}"),
                  ("build_src_filter", _bare_metal_filter(d)))
        envs.append(PioEnv(name, name, d["about"], "", "", (
            ("platform", d["pio"]["platform"]), ("board", d["pio"]["board"]),
            ("upload_protocol", d["pio"]["upload_protocol"]), *common, ("board_build.ldscript", "ld/cortexm.ld"),
            ("extra_scripts", "pre:scripts/bare_metal.py"), ("tinyctl_memory", f"ld/{name}"))))
        envs.append(PioEnv(f"offline_{name}", name, f"{name}, built here against the Debian toolchain", "build", "",
                           (*offline, ("board", f"tinyctl_{name}"), *common)))
    for name in ("teensy41", "esp32s3"):
        _, d = _board_of(name)
        envs.append(PioEnv(name, name, d["about"], "",
                           "" if name == "teensy41" else "not built here: no Xtensa compiler offline", (
                               ("platform", d["pio"]["platform"]), ("board", d["pio"]["board"]),
                               ("framework", d["pio"]["framework"]),
                               *((("upload_protocol", d["pio"]["upload_protocol"]),) if "upload_protocol" in d["pio"]
                                 else ()),
                               ("build_flags", f"${{tinyctl.build_flags}} -I include/{name} -DTC_NO_MAIN"),
                               ("build_src_filter", "${tinyctl.arduino_src}"))))
    envs.append(PioEnv("offline_teensy41", "teensy41", "teensy41's firmware and model sources, built here for its "
                       "Cortex-M7 into an archive", "archive", "its Arduino glue (board_arduino.cpp) needs the Teensy "
                       "core", (*offline, ("board", "tinyctl_teensy41_sources"),
                                ("build_flags", "${tinyctl.build_flags} -I include/teensy41 -DTC_NO_MAIN"),
                                ("build_src_filter", "+<common/> +<model/>"))))
    _, d = _board_of("qemu-stm32f405")
    envs.insert(0, PioEnv("qemu_stm32f405", "qemu-stm32f405", "the default board in QEMU (netduinoplus2), built here "
                          "offline: `-t exec` runs it, `-t upload` flashes it through QEMU's gdbstub", "run", "", (
                              *offline, ("board", "tinyctl_qemu_stm32f405"),
                              ("build_flags", "${tinyctl.build_flags} -I include/qemu_stm32f405"),
                              ("build_src_filter", _bare_metal_filter(d)))))
    return envs


def _offline_board_json(env, board, target):
    t = boards.target(target)
    build = {"cpu": t.cflags[0].split("=")[1], "mcu": board.name, "f_cpu": f"{board.clock_hz}L",
             "tinyctl_cflags": list(t.cflags), "tinyctl_board": board.name}
    if env.built_here == "archive":
        build["tinyctl_archive"] = True
    else:
        build["ldscript"] = "ld/cortexm.ld"
    if board.qemu_machine:
        build["qemu_machine"] = board.qemu_machine
    return {"build": build, "frameworks": [], "name": f"{board.name} (tinyctl offline)",
            "upload": {"maximum_size": board.flash_size, "maximum_ram_size": board.ram_size},
            "url": "https://github.com", "vendor": "tinyctl"}


def _write(path, text, mode=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    if mode:
        os.chmod(path, mode)


def _copy_sources(src, desc_sources):
    for rel in COMMON_SOURCES + CORTEXM_SOURCES + tuple(desc_sources):
        dst = os.path.join(src, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(os.path.join(FIRMWARE_DIR, rel), dst)
    for folder in ("common", "cortexm", "drivers"):
        for f in os.listdir(os.path.join(FIRMWARE_DIR, folder)):
            if f.endswith(".h"):
                shutil.copyfile(os.path.join(FIRMWARE_DIR, folder, f), os.path.join(src, folder, f))


def _seed_offline(stage, root, envs, manifest):
    off = os.path.join(stage, "offline")
    scons = os.path.join(off, "core", "packages", "tool-scons")
    _write(os.path.join(scons, "scons.py"), "import sys\nfrom SCons.Script.Main import main\nsys.exit(main())\n")
    _write(os.path.join(scons, "package.json"), json.dumps({"name": "tool-scons", "version": SCONS_VERSION,
                                                            "description": "SCons from pip (scons==4.11.1)"}))
    _write(os.path.join(scons, ".piopm"), json.dumps({"type": "tool", "name": "tool-scons", "version": SCONS_VERSION,
                                                      "spec": {"owner": "platformio", "id": None, "name": "tool-scons",
                                                               "requirements": None, "uri": None}}))
    tc = os.path.join(off, "toolchain")
    os.makedirs(os.path.join(tc, "bin"))
    for tool in TOOLS:
        found = shutil.which(f"arm-none-eabi-{tool}")
        if found:
            os.symlink(found, os.path.join(tc, "bin", f"arm-none-eabi-{tool}"))
    _write(os.path.join(tc, "package.json"), json.dumps({"name": "toolchain-gccarmnoneeabi", "version": "1.120201.0",
                                                         "description": "the Debian arm-none-eabi toolchain"}))
    plat = os.path.join(off, "platform")
    _write(os.path.join(plat, "platform.json"), json.dumps({
        "name": "tinyctl-offline", "title": "tinyctl offline (Debian arm-none-eabi)", "version": __version__,
        "description": "builds tinyctl firmware without downloading anything", "engines": {"platformio": "^6"},
        "frameworks": {}, "packages": {"toolchain-gccarmnoneeabi": {"type": "toolchain", "owner": "platformio",
                                                                     "version": "*"}}}, indent=2))
    _write(os.path.join(plat, "platform.py"), "from platformio.public import PlatformBase\n\n\n"
                                              "class TinyctlofflinePlatform(PlatformBase):\n    pass\n")
    shutil.copyfile(os.path.join(HERE, "builder_main.py"), os.path.join(plat, "builder", "main.py")) \
        if os.makedirs(os.path.join(plat, "builder")) is None else None
    for env in envs:
        if not env.built_here:
            continue
        board, desc = _board_of(env.board)
        target = desc.get("target", board.target)
        suffix = "_sources" if env.built_here == "archive" else ""
        _write(os.path.join(plat, "boards", f"tinyctl_{env.board.replace('-', '_')}{suffix}.json"),
               json.dumps(_offline_board_json(env, board, target), indent=2))
    _write(os.path.join(off, "pio"), '#!/bin/sh\n# PlatformIO with the seeded core directory: nothing is downloaded\n'
                                     'PLATFORMIO_CORE_DIR="$(cd "$(dirname "$0")" && pwd)/core" exec pio "$@"\n',
           0o755)


def _readme(model, envs):
    rows = "\n".join(f"| `{e.name}` | {e.about} | "
                     + {"run": "built and run in QEMU here", "build": "built here (Debian toolchain)",
                        "archive": "sources built here for its core", "": "needs the stock platform"}[e.built_here]
                     + (f"; {e.note}" if e.note else "") + " |" for e in envs)
    return f"""# tinyctl firmware: {model}

Generated by `tinyctl build --pio`. The same firmware sources as `tinyctl build` (the link of contract 2, the
controller glue, the failsafe), the compiled model in `src/model/`, one environment per board.

| environment | board | here |
|---|---|---|
{rows}

With PlatformIO's stock platforms (a machine with internet): `pio run -e stm32f405 -t upload` (ST-LINK),
`pio run -e nucleo_f446re -t upload`, `pio run -e teensy41 -t upload`, `pio run -e esp32s3 -t upload`.
The link is then the board's UART (USART2 on PA2/PA3 for the STM32 boards) or its USB serial port at 115200 baud;
`tinyctl hil --port PORT` flies it. The STM32 images replace whatever the chip runs, bootloader included: on a
Crazyflie use `tinyctl build --crazyflie-app` instead.

Offline (no download): `offline/pio run -e qemu_stm32f405 -t exec` builds and runs it in QEMU;
`offline/pio run -e qemu_stm32f405 -t upload` flashes it through QEMU's gdbstub with `tinyctl flash`.
"""


@dataclass
class Project:
    directory: str
    envs: list
    model: str

    def summary(self):
        lines = [f"wrote the PlatformIO project {self.directory} (model {self.model}):"]
        for e in self.envs:
            where = {"run": "builds and runs here", "build": "builds here", "archive": "sources build here",
                     "": "stock platform"}[e.built_here]
            lines.append(f"  {e.name:<24} {where}" + (f" ({e.note})" if e.note else ""))
        return "\n".join(lines)


def write_project(model_dir, out_dir, controller="raptor", force=False, timeout_ms=None):
    manifest = manifest_io.read(model_dir)
    spec = spec_by_name(controller)
    spec.check_model(manifest["sizes"]["in"], manifest["sizes"]["out"], f"model '{manifest['name']}'")
    if manifest["dtype"] != "float32":
        raise TinyctlError(f"the PlatformIO project takes float32 models; this one is {manifest['dtype']}")
    timeout_us = spec.failsafe_timeout_us if timeout_ms is None else int(timeout_ms * 1000)
    root = os.path.abspath(out_dir)
    envs = environments(root)
    with staged(out_dir, MARKER, force, "PlatformIO project") as stage:
        src = os.path.join(stage, "src")
        all_sources = sorted({s for e in envs for s in board_description(e.board)["sources"]})
        _copy_sources(src, all_sources)
        shutil.copytree(model_dir, os.path.join(src, "model"), ignore=shutil.ignore_patterns("manifest.json"))
        _write(os.path.join(src, "gen", "tc_link_protocol.h"), codegen.link_header())
        _write(os.path.join(src, "gen", "tc_controller_config.h"), codegen.controller_config(spec, "policy", timeout_us))
        _write(os.path.join(src, "gen", "tc_model.h"), codegen.model_glue(manifest))
        shutil.copyfile(os.path.join(FIRMWARE_DIR, "cortexm", "cortexm.ld"), os.path.join(stage, "ld", "cortexm.ld")) \
            if os.makedirs(os.path.join(stage, "ld")) is None else None
        stack = (STACK_BASE_BYTES + manifest["memory"]["arena_bytes"] + 7) // 8 * 8
        for env in envs:
            board, desc = _board_of(env.board)
            inc = env.name.replace("offline_", "")
            _write(os.path.join(stage, "include", inc, "tc_board_config.h"),
                   codegen.board_config(board, desc, f"firmware/boards/{env.board}"))
            if board.flash_size and "uart_base" in desc:
                _write(os.path.join(stage, "include", inc, "memory.ld"), codegen.memory_ld(board, stack))
        _write(os.path.join(stage, "scripts", "bare_metal.py"),
               'Import("env")\n# our startup owns the reset vector; the stock builder links crt0 otherwise\n'
               'env.Append(LINKFLAGS=["-nostartfiles"])\n')
        for env in envs:   # memory.ld sits beside tc_board_config.h; the linker finds it on the library path
            env.options = tuple((k, v + (f" -L include/{env.name.replace('offline_', '')}" if k == "build_flags"
                                         and "arduino" not in v and env.built_here != "archive"
                                         and "TC_NO_MAIN" not in v else ""))
                                for k, v in env.options if k != "tinyctl_memory")
        _write(os.path.join(stage, "platformio.ini"),
               render_ini(envs, manifest, spec))
        _seed_offline(stage, root, envs, manifest)
        _write(os.path.join(stage, "README.md"), _readme(manifest["name"], envs))
        _write(os.path.join(stage, MARKER), json.dumps({
            "tinyctl_version": __version__, "model": manifest["name"], "sha256": manifest["model"]["sha256"],
            "controller": spec.name, "environments": {e.name: e.built_here or "stock" for e in envs}},
            indent=2, sort_keys=True) + "\n")
    return Project(root, envs, manifest["name"])


def render_ini(envs, manifest, spec):
    return render_template("platformio.ini.j2", version=__version__, model=manifest["name"],
                           sha256=manifest["model"]["sha256"], controller=spec.name, envs=envs)


def render_template(name, **values):
    import jinja2
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE), keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    return env.get_template(name).render(**values)


__all__ = ["Project", "write_project", "render"]
