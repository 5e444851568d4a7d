"""The `build` and `flash` verbs: argument checks and what a person reads; the work is in build, flash and the
project writers."""
import json
import os

from rich.console import Console

from tinyctl import boards
from tinyctl.errors import TinyctlError


def build_command(args):
    console = Console()
    if args.pio and args.crazyflie_app:
        raise TinyctlError("--pio and --crazyflie-app write different things: pick one")
    if args.pio or args.crazyflie_app:
        if not args.model:
            raise TinyctlError("a project needs the compiled model: pass --model DIR")
        if args.board:
            raise TinyctlError("--board does not apply to --pio or --crazyflie-app (they name their own boards)")
        if args.pio:
            from tinyctl.firmware.platformio import write_project
            with console.status("writing the PlatformIO project"):
                project = write_project(args.model, args.out, controller=args.controller, force=args.force,
                                        timeout_ms=args.timeout_ms)
            console.print(project.summary())
        else:
            from tinyctl.firmware.crazyflie import write_app
            app = write_app(args.model, args.out, controller=args.controller, force=args.force)
            console.print(app.summary())
        return 0
    from tinyctl.firmware.build import build
    from tinyctl.firmware.size import format_report
    board = args.board or boards.DEFAULT_BOARD
    with console.status(f"building firmware for {board}"):
        fw = build(args.model, board=board, out_dir=args.out, mode=args.mode, controller=args.controller,
                   opt=args.opt, timeout_ms=args.timeout_ms, force=args.force, mpc=getattr(args, "mpc", None))
    console.print(format_report(fw.size, fw.board), highlight=False)
    console.print(f"wrote {os.path.join(args.out, 'firmware.elf')} ({fw.mode} mode, controller {fw.controller}"
                  + (f", model {fw.model}" if fw.model else "") + ")")
    return 0


def _built_for(elf):
    path = os.path.join(os.path.dirname(os.path.abspath(elf)), "firmware.json")
    if os.path.isfile(path):
        with open(path) as f:
            return json.load(f).get("board")
    return None


def flash_command(args):
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    from tinyctl.firmware.flash import flash
    if not os.path.isfile(args.elf):
        raise TinyctlError(f"{args.elf} does not exist (tinyctl build -o OUT writes OUT/firmware.elf)")
    board = args.board or _built_for(args.elf) or boards.DEFAULT_BOARD
    if args.serial and not args.gdb:
        raise TinyctlError("--serial goes with --gdb (a real board); QEMU's serial port is used without it")
    with Progress(TextColumn("flashing {task.description}"), BarColumn(), DownloadColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(f"{os.path.basename(args.elf)} -> {board}", total=os.path.getsize(args.elf))
        report = flash(args.elf, board=board, gdb=args.gdb, reset=args.reset, serial=args.serial,
                       progress=lambda n: bar.advance(task, n))
    where = args.gdb or "QEMU's gdbstub"
    print(f"flashed {report.bytes:,} B in {report.segments} segments to {report.board} through {where} in "
          f"{report.seconds * 1000:.0f} ms; read back and verified")
    if report.hello is not None:
        h = report.hello
        print(f"booted: HELLO from {h.board}: model {h.model or '-'} (sha256 {h.sha256 or '-'}), controller "
              f"{h.controller}, {h.mode_name} mode, {h.in_size} in / {h.out_size} out / {h.state_size} state")
    return 0
