"""A model's step on a Cortex-M core with nothing around it: built into a bare ELF with the firmware's compiler and
flags, executed in unicorn (the firmware's PIL runner) for outputs and exact instruction counts, measured for
flash, static RAM and the stack the step needs. The same harness serves tinyctl's builds and the peer tools'
(through a wrapper with the contract-1 step signature), so every figure of the peer benchmark comes from one
build rule and one counter; and the tests run the Cortex-M kernels (which the host never compiles) through it.
"""
import os
import re
import subprocess
from dataclasses import dataclass, field

import numpy as np

from tinyctl import boards
from tinyctl.errors import TinyctlError

STRICT = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic")
SECTIONS = ("-ffunction-sections", "-fdata-sections")
LINK = ("-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections")
STACK_PAINT = 32 * 1024          # bytes below the PIL runner's stack top painted before a step
PAINT = 0xA5

# soft-float helpers (the AEABI names and libgcc's): none may be reachable from an integer build's step
SOFT_FLOAT = re.compile(r"^(__aeabi_(c?[fd]|u?[il]2[fd])|__(add|sub|mul|div|neg)[sd]f3|__fix|__float|__extend|"
                        r"__trunc|__(eq|ne|lt|le|gt|ge|un|cmp)[sd]f2)")


@dataclass
class Image:
    """A bare ELF of one or more models' steps for one core and optimisation level."""
    elf: str
    target: str
    opt: str
    object_ram: dict = field(default_factory=dict)     # source file -> .data + .bss bytes of its object
    sections: dict = field(default_factory=dict)       # allocated section -> bytes, of the whole ELF

    @property
    def flash(self):
        """Bytes written to flash: code, constants and .data's initial image (libm included when linked)."""
        return sum(v for k, v in self.sections.items() if k not in (".bss",) and not k.startswith(".stack"))

    def ram_of(self, *sources):
        return sum(self.object_ram[os.path.abspath(s)] for s in sources)


def compiler_for(target):
    t = boards.target(target)
    if t.name == "host":
        raise TinyctlError("the MCU harness builds for a Cortex-M target, not the host")
    return t


def _run(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        detail = "\n".join(proc.stderr.strip().splitlines()[:20])
        raise TinyctlError(f"{os.path.basename(cmd[0])} failed:\n{detail}")
    return proc


def _object_ram(path):
    from tinyctl.firmware.elf import Elf
    return sum(s.size for s in Elf(path).sections if s.alloc and s.name.startswith((".data", ".bss")))


def build_image(sources, include_dirs, entries, out_dir, target="cortex-m4f", opt="-O2", strict=True,
                defines=(), std="c99", link=True):
    """Compile each source (strict flags for tinyctl's own code; peers' code with the same code-generation flags
    but without -Werror) and link them, keeping `entries` (the step and reset functions). Returns an Image
    (None with link=False: compile only)."""
    t = compiler_for(target)
    os.makedirs(out_dir, exist_ok=True)
    flags = [*t.cflags, opt, *SECTIONS, *(STRICT if strict else (f"-std={std}", "-w")),
             *[f"-D{d}" for d in defines], *[f"-I{d}" for d in include_dirs]]
    objects = [os.path.join(out_dir, re.sub(r"\W", "_", os.path.relpath(src, "/")) + ".o") for src in sources]
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:   # the compilers run side by side
        list(pool.map(lambda so: _run([t.cc, *flags, "-c", so[0], "-o", so[1]]), zip(sources, objects)))
    ram = {os.path.abspath(src): _object_ram(obj) for src, obj in zip(sources, objects)}
    if not link:
        return None
    elf = os.path.join(out_dir, f"image{opt}.elf")
    _run([t.cc, *t.cflags, opt, *objects, *LINK, f"-Wl,-e,{entries[0]}",
          *[f"-Wl,--undefined={e}" for e in entries], f"-Wl,-Map={elf}.map", "-o", elf, "-lm"])
    from tinyctl.firmware.elf import SHT_NOBITS, Elf
    sections = {s.name: s.size for s in Elf(elf).sections
                if s.alloc and s.size and not (s.type == SHT_NOBITS and s.name not in (".bss",))}
    return Image(elf, target, opt, ram, sections)


class Step:
    """One model's step in an image, in unicorn: outputs, next state and the instructions each step executed."""

    def __init__(self, image, name, sizes):
        from tinyctl.firmware.pil import PilRunner
        self.image, self.name, self.sizes = image, name, dict(sizes)
        self.pil = PilRunner(image.elf, model=name, target=image.target, sizes=self.sizes)

    def reset(self):
        return self.pil.reset()

    def rollout(self, inputs, state=None):
        """inputs [T, IN]: (outputs [T, OUT], states [T, STATE], instructions [T]) with the state carried."""
        state = self.reset() if state is None else np.asarray(state, np.float32)
        outs, states, counts = [], [], []
        for x in np.asarray(inputs, np.float32).reshape(len(inputs), -1):
            y, state, n = self.pil.step(x, state)
            outs.append(y)
            states.append(state)
            counts.append(n)
        return np.array(outs), np.array(states), np.array(counts)

    def read_word(self, symbol):
        """A 32-bit variable of the image, by name (after the steps that set it)."""
        from tinyctl.firmware.elf import Elf
        addr = Elf(self.image.elf).symbols()[symbol][0]
        return int.from_bytes(bytes(self.pil.uc.mem_read(addr, 4)), "little")

    def stack_peak(self, x, state=None):
        """Bytes of stack one step uses (deepest write below the stack top, found by painting)."""
        from tinyctl.firmware.pil import STACK_TOP
        state = self.reset() if state is None else state
        low = STACK_TOP - STACK_PAINT
        self.pil.uc.mem_write(low, bytes([PAINT]) * STACK_PAINT)
        self.pil.step(x, state)
        used = bytes(self.pil.uc.mem_read(low, STACK_PAINT))
        first = next((k for k, b in enumerate(used) if b != PAINT), STACK_PAINT)
        return STACK_PAINT - first


def calls_from(elf, function, target="cortex-m4f"):
    """Every function reachable from `function` by direct calls and tail calls (BL, B.W to a symbol), by name."""
    t = compiler_for(target)
    objdump = t.cc.replace("gcc", "objdump")
    text = _run([objdump, "-d", "--no-show-raw-insn", elf]).stdout
    bodies, current = {}, None
    for line in text.splitlines():
        head = re.match(r"^[0-9a-f]+ <([^>]+)>:$", line)
        if head:
            current = bodies.setdefault(head.group(1), set())
        elif current is not None:
            call = re.search(r"\b(bl|blx|b|b\.w|b\.n)(?:[a-z]{2})?(?:\.w)?\s+[0-9a-f]+ <([^>+]+)>", line)
            if call:
                current.add(call.group(2))
    if function not in bodies:
        raise TinyctlError(f"{elf} has no function {function}")
    seen, todo = set(), [function]
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.add(f)
        todo.extend(bodies.get(f, ()))
    seen.discard(function)
    return sorted(seen)


def soft_float_calls(elf, function, target="cortex-m4f"):
    """The soft-float helpers (__aeabi_f*, __aeabi_d*, libgcc's) reachable from `function`."""
    return [f for f in calls_from(elf, function, target) if SOFT_FLOAT.match(f)]


def image_of_models(directories, out_dir, target="cortex-m4f", opt="-O2"):
    """Compiled model directories (contract 1) in one image: (Image, {model name: Step})."""
    from tinyctl import manifest as manifest_io
    manifests = [manifest_io.read(d) for d in directories]
    sources = [os.path.join(d, f"{m['name']}.c") for d, m in zip(directories, manifests)]
    entries = [f"{m['name']}_{f}" for m in manifests for f in ("step", "reset")]
    image = build_image(sources, directories, entries, out_dir, target=target, opt=opt)
    return image, {m["name"]: Step(image, m["name"], m["sizes"]) for m in manifests}
