"""`tinyctl build`: a compiled model directory (contract 1) + a board + a controller spec -> OUT/firmware.elf.

Refuses, before compiling anything, what cannot work: a float model on a core without FPU, a model compiled for
another core than the board's, a model whose sizes do not fit the controller, a model whose weights or arena do
not fit the board's memory (and after linking, anything the linker finds too big), each with the numbers.
"""
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field

from tinyctl import boards
from tinyctl import manifest as manifest_io
from tinyctl.controllers import spec_by_name
from tinyctl.errors import TinyctlError
from tinyctl.firmware import codegen
from tinyctl.firmware.output import staged
from tinyctl.firmware.size import format_report, size_report

FIRMWARE_DIR = os.path.dirname(os.path.abspath(__file__))
BUILD_FILE = "firmware.json"
MODES = ("policy", "passthrough", "mpc", "law")
MPC_SOURCES = ("common/tc_mpc.c",)   # mode mpc: the controller, and the solver from the runtime
LAW_SOURCES = ("common/tc_plant_law.c",)   # mode law: in place of the STATE observation
STRICT = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic")
COMMON_SOURCES = ("common/tc_main.c", "common/tc_link.c", "common/tc_controller.c", "common/tc_observation.c",
                  "common/tc_text.c")
CORTEXM_SOURCES = ("cortexm/startup.c", "cortexm/clock.c")
INCLUDE_DIRS = ("common", "cortexm", "drivers")
STACK_BASE_BYTES = 2048          # the main loop, the link and the glue, measured with room to spare
INTEGER_DTYPES = ("int8", "q15")  # what a core without FPU runs: integer arithmetic only (compiler/quantize)


@dataclass
class Firmware:
    """A built firmware: OUT/firmware.elf and what was built into it (OUT/firmware.json)."""
    directory: str
    board: str
    mode: str
    controller: str
    model: str = ""
    sha256: str = ""
    target: str = ""
    sizes: dict = field(default_factory=dict)
    size: dict = field(default_factory=dict)
    command: list = field(default_factory=list)
    mpc: dict = field(default_factory=dict)      # mode mpc: the solver's settings

    @property
    def elf(self):
        return os.path.join(self.directory, "firmware.elf")

    @classmethod
    def load(cls, directory):
        path = os.path.join(directory, BUILD_FILE)
        try:
            with open(path) as f:
                info = json.load(f)
        except FileNotFoundError:
            raise TinyctlError(f"{directory} is not a firmware build: it has no {BUILD_FILE} "
                               "(make one with `tinyctl build --board B --model DIR -o OUT`)") from None
        return cls(directory=os.path.abspath(directory), **info)


def board_description(name):
    path = os.path.join(FIRMWARE_DIR, "boards", name, "board.json")
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise TinyctlError(f"board '{name}' has no firmware port (firmware/boards/{name}/board.json)") from None


def check_model(manifest, board, spec, mode):
    """Every refusal that needs no compiler, with what to do instead."""
    target = boards.target(board.target)
    name = manifest["name"]
    if target.fpu == "none" and manifest["dtype"] not in INTEGER_DTYPES:
        raise TinyctlError(f"board {board.name} is a {board.target} without FPU: a {manifest['dtype']} model computes "
                           f"in floating point; compile it with --dtype int8 or q15 (integer arithmetic) for this "
                           f"board, or build for qemu-m4 or qemu-m7")
    if board.target != "host" and manifest["target"] != board.target:
        raise TinyctlError(f"model '{name}' was compiled for {manifest['target']} but board {board.name} is a "
                           f"{board.target}: recompile with `tinyctl compile ... --target {board.target}`")
    if mode in ("policy", "law"):
        spec.check_model(manifest["sizes"]["in"], manifest["sizes"]["out"], f"model '{name}'")
    if board.flash_size:
        weights = manifest["memory"]["weights_bytes"]
        ram = manifest["memory"]["arena_bytes"] + 2 * manifest["memory"]["state_bytes"] + STACK_BASE_BYTES
        if weights > board.flash_size or ram > board.ram_size:
            raise TinyctlError(
                f"model '{name}' does not fit board {board.name}: flash {weights:,} B of weights against "
                f"{board.flash_size:,} B, RAM at least {ram:,} B (arena {manifest['memory']['arena_bytes']:,} B, "
                f"state twice {manifest['memory']['state_bytes']:,} B, firmware {STACK_BASE_BYTES:,} B) against "
                f"{board.ram_size:,} B; make the model smaller or choose a larger board")


def _check_spec_kind(spec, mode):
    from tinyctl.controllers import PlantLawSpec
    if mode == "law" and not isinstance(spec, PlantLawSpec):
        raise TinyctlError(f"mode law runs a plant law: '{spec.name}' is a quadrotor controller spec; pass "
                           "--controller with a plant-law spec (e.g. altitude-law, or a .json file)")
    if mode != "law" and isinstance(spec, PlantLawSpec):
        raise TinyctlError(f"controller '{spec.name}' is a plant law (PLANT frames): build it with --mode law")


def write_generated(gen, board, desc, spec, mode, manifest, timeout_us, mpc=None):
    files = {
        "tc_link_protocol.h": codegen.link_header(),
        "tc_controller_config.h": codegen.controller_config(spec, mode, timeout_us),
        "tc_model.h": codegen.model_glue(manifest),
        "tc_board_config.h": codegen.board_config(board, desc, f"firmware/boards/{board.name}"),
    }
    stack = STACK_BASE_BYTES + (manifest["memory"]["arena_bytes"] if manifest else 0)
    if mpc is not None:
        from tinyctl.firmware.codegen.mpc import mpc_config
        files.update(mpc_config(manifest, mpc))
        stack += manifest["jacobian"]["tangent_arena_bytes"] + 1024   # the Jacobian's tangents, the solver's frames
    if board.flash_size:
        files["memory.ld"] = codegen.memory_ld(board, (stack + 7) // 8 * 8)
    os.makedirs(gen, exist_ok=True)
    for name, text in files.items():
        with open(os.path.join(gen, name), "w") as f:
            f.write(text)


def compile_command(board, desc, gen, model_dir, manifest, elf, opt, sanitize=False, mpc=False, law=False):
    target = boards.target(board.target)
    common = tuple(s for s in COMMON_SOURCES if s != "common/tc_observation.c") + LAW_SOURCES if law \
        else COMMON_SOURCES
    sources = [os.path.join(FIRMWARE_DIR, s) for s in common + tuple(desc["sources"])]
    if manifest:
        sources.append(os.path.join(model_dir, f"{manifest['name']}.c"))
    includes = [gen] + [os.path.join(FIRMWARE_DIR, d) for d in INCLUDE_DIRS] + ([model_dir] if manifest else [])
    if mpc:
        from tinyctl.runtime import INCLUDE_DIR
        from tinyctl.runtime.nrmpc_host import SOLVER_SOURCE
        sources += [os.path.join(FIRMWARE_DIR, s) for s in MPC_SOURCES] + [SOLVER_SOURCE]
        includes.append(INCLUDE_DIR)
    if board.target == "host":
        from tinyctl.runtime.hostbuild import host_compiler
        from tinyctl.runtime.hostbuild import SANITIZERS
        return [host_compiler(), *STRICT, opt, *(SANITIZERS if sanitize else ()), *[f"-I{d}" for d in includes],
                *sources, "-o", elf, "-lm"]
    if shutil.which(target.cc) is None:
        raise TinyctlError(f"no {target.cc} on PATH: install gcc-arm-none-eabi and libnewlib-arm-none-eabi "
                           "(scripts/setup.sh does)")
    sources += [os.path.join(FIRMWARE_DIR, s) for s in CORTEXM_SOURCES]
    return [target.cc, *target.cflags, *STRICT, opt, "-g", "-ffunction-sections", "-fdata-sections",
            *[f"-I{d}" for d in includes], *sources,
            "-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections",
            f"-L{gen}", "-T", os.path.join(FIRMWARE_DIR, "cortexm", "cortexm.ld"),
            f"-Wl,-Map={os.path.splitext(elf)[0]}.map", "-o", elf, "-lm"]


def _link_failure(stderr, board, name):
    import re
    over = re.findall(r"region `(\w+)' overflowed by (\d+) bytes", stderr)
    if over:
        budget = {"FLASH": board.flash_size, "RAM": board.ram_size}
        parts = [f"{region} needs {budget[region] + int(n):,} B of {budget[region]:,} B (over by {int(n):,} B)"
                 for region, n in over]
        raise TinyctlError(f"model '{name}' does not fit board {board.name}: " + "; ".join(parts))
    detail = "\n".join(stderr.strip().splitlines()[:20])
    raise TinyctlError(f"firmware build for {board.name} failed:\n{detail}")


def build(model_dir=None, board=boards.DEFAULT_BOARD, out_dir=None, mode="policy", controller="raptor",
          opt="-O2", timeout_ms=None, force=False, sanitize=False, mpc=None):
    """Build the firmware; returns a Firmware. out_dir is replaced only when the build succeeded.
    sanitize (host board only): AddressSanitizer and UndefinedBehaviorSanitizer, for fuzzing the link.
    mpc (mode mpc): the solver's settings (MpcSettings, a dict, or a JSON file such as a dynamics.json)."""
    b = boards.board(board)
    desc = board_description(b.name)
    if sanitize and b.name != "host":
        raise TinyctlError("sanitizers run on the host board only (--board host)")
    if mode not in MODES:
        raise TinyctlError(f"unknown mode '{mode}': choose one of {', '.join(MODES)}")
    spec = spec_by_name(controller)
    _check_spec_kind(spec, mode)
    manifest = manifest_io.read(model_dir) if model_dir else None
    if manifest is None and mode in ("policy", "mpc", "law"):
        raise TinyctlError(f"mode {mode} needs a compiled model: pass --model DIR (from `tinyctl compile`)")
    settings = None
    if mode == "mpc":
        from tinyctl.firmware.codegen.mpc import load_settings
        if mpc is None:
            raise TinyctlError("mode mpc needs the solver's settings: pass --mpc FILE (the dynamics.json of "
                               "`tinyctl train dynamics`, or a JSON of MPC settings)")
        settings = load_settings(mpc)
        if manifest is not None:
            from tinyctl.runtime.nrmpc_host import model_sizes
            model_sizes(manifest, settings)   # a dynamics model compiled with --jacobian, sizes that agree
    if manifest:
        check_model(manifest, b, spec, mode)
        model_dir = os.path.abspath(model_dir)
    if out_dir is None:
        raise TinyctlError("give an output directory (-o OUT)")
    timeout_us = spec.failsafe_timeout_us if timeout_ms is None else int(timeout_ms * 1000)
    if timeout_us <= 0:
        raise TinyctlError("the failsafe timeout must be positive")
    with staged(out_dir, BUILD_FILE, force, "firmware") as stage:
        gen = os.path.join(stage, "gen")
        write_generated(gen, b, desc, spec, mode, manifest, timeout_us, settings)
        elf = os.path.join(stage, "firmware.elf")
        cmd = compile_command(b, desc, gen, model_dir, manifest, elf, opt, sanitize, mpc=settings is not None,
                              law=mode == "law")
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode:
            _link_failure(proc.stderr, b, manifest["name"] if manifest else "none")
        report = size_report(elf, b, manifest["name"] if manifest else None)
        fw = Firmware(directory=os.path.abspath(out_dir), board=b.name, mode=mode, controller=spec.name,
                      model=manifest["name"] if manifest else "", sha256=manifest["model"]["sha256"] if manifest else "",
                      target=b.target, sizes=manifest["sizes"] if manifest else {}, size=report,
                      command=[os.path.basename(c) if os.path.isabs(c) else c for c in cmd[:1]],
                      mpc=settings.to_dict() if settings else {})
        info = {k: v for k, v in fw.__dict__.items() if k != "directory"}
        with open(os.path.join(stage, BUILD_FILE), "w") as f:
            json.dump(info, f, indent=2, sort_keys=True)
            f.write("\n")
        with open(os.path.join(stage, "size.txt"), "w") as f:
            f.write(format_report(report, b.name) + "\n")
    return fw
