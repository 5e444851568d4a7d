"""The `tinyctl` command: one thin function per verb; the work happens in the parts.

Errors a user can act on (TinyctlError) print one line and exit with code 2.
"""
import argparse
import sys

from tinyctl import __version__
from tinyctl.errors import TinyctlError

VERBS = {}


def verb(name, help_text):
    """Register `add_arguments(parser)` for a verb; the parser's `run` default does the work."""
    def wrap(add_arguments):
        VERBS[name] = (help_text, add_arguments)
        return add_arguments
    return wrap


# compile ---------------------------------------------------------------------------------------------------
@verb("compile", "compile an ONNX model to static C (contract 1)")
def _compile(p):
    p.add_argument("model", nargs="?", help="the ONNX file")
    p.add_argument("-o", "--out", help="output directory (created; a previous tinyctl output is replaced)")
    p.add_argument("--name", help="C name of the model (default: from the file name)")
    p.add_argument("--target", default="host", help="host, cortex-m3, cortex-m4f or cortex-m7 (default host)")
    p.add_argument("--dtype", default="float32",
                   help="float32 (default); int8w: int8 weights, float activations (a quarter of the weight flash); "
                        "int8, q15: integer arithmetic with int8 or int16 activations, for cores without FPU")
    p.add_argument("--calibration", metavar="FILE",
                   help="int8/q15: .npy/.npz of input sequences ([T, IN] or [S, T, IN]) for the activation ranges "
                        "(default: drawn from a standard normal, which the manifest says)")
    p.add_argument("--state", action="append", default=[], metavar="INPUT=OUTPUT",
                   help="pair a graph input with the output that returns it as recurrent state (repeatable)")
    p.add_argument("--verify", action="store_true", help="build on the host and compare with onnxruntime")
    p.add_argument("--jacobian", action="store_true",
                   help="also generate <name>_jacobian(): the exact Jacobian of the outputs w.r.t. the inputs")
    p.add_argument("--lowering", default="auto", choices=["auto", "regions", "dense"],
                   help="explicit piecewise-affine laws (YANNs): a region table with a first-match search (regions), "
                        "the network's dense layers (dense), or regions where recognised (auto, the default)")
    p.add_argument("--lipschitz", action="store_true",
                   help="certify an upper bound of the l2 Lipschitz constant of the emitted network (manifest `lipschitz`)")
    p.add_argument("--force", action="store_true", help="replace an output directory tinyctl did not write")
    p.add_argument("--list-ops", action="store_true", help="print the supported ONNX ops, one per line, and exit")
    p.set_defaults(run=run_compile)


def run_compile(args):
    from tinyctl.compiler import compile_model, supported_ops
    if args.list_ops:
        print("\n".join(supported_ops()))
        return 0
    if not args.model or not args.out:
        raise TinyctlError("compile needs MODEL.onnx and -o DIR (or --list-ops)")
    pairs = {}
    for item in args.state:
        if "=" not in item:
            raise TinyctlError(f"--state {item}: write it as INPUT=OUTPUT")
        k, v = item.split("=", 1)
        pairs[k] = v
    from tinyctl.compile_report import print_report
    with _status(f"compiling {args.model}" + (" and verifying against onnxruntime" if args.verify else "")):
        compiled = compile_model(args.model, args.out, name=args.name, target=args.target, dtype=args.dtype,
                                 verify=args.verify, state_pairs=pairs, force=args.force, jacobian=args.jacobian,
                                 lipschitz=args.lipschitz, lowering=args.lowering, calibration=args.calibration)
    print_report(compiled.manifest, args.out)
    return 0


# export ----------------------------------------------------------------------------------------------------
@verb("export", "export a published policy to ONNX")
def _export(p):
    p.add_argument("policy", choices=["raptor"], help="raptor: the RAPTOR foundation policy (foundation-policy 1.0.2)")
    p.add_argument("-o", "--out", required=True, help="the ONNX file to write")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(run=run_export)


def run_export(args):
    from tinyctl.training.foundation import export
    export(args.out, force=args.force)
    print(f"wrote {args.out}: RAPTOR foundation policy, observation [1, 22] + h_in [1, 16] -> action [1, 4] + h_out [1, 16]")
    return 0


# build, flash ----------------------------------------------------------------------------------------------
@verb("build", "build firmware for a board from a compiled model (or a PlatformIO project, or a Crazyflie app)")
def _build(p):
    p.add_argument("--board", default=None, help="qemu-stm32f405 (default), qemu-m4, qemu-m7, qemu-m3 or host")
    p.add_argument("--model", help="the compiled model directory (tinyctl compile -o DIR)")
    p.add_argument("-o", "--out", required=True, help="output directory (replaced only when the build succeeds)")
    p.add_argument("--mode", default="policy",
                   help="policy (default), mpc (Newton-Raphson MPC over a dynamics model, PLANT frames), law (a "
                        "plant law such as an explicit MPC on PLANT frames; --controller names its spec) or "
                        "passthrough (echoes, for link tests)")
    p.add_argument("--mpc", metavar="FILE", help="mode mpc: the solver's settings (a dynamics.json or MPC settings JSON)")
    p.add_argument("--controller", default="raptor",
                   help="the controller spec around the policy (default raptor); mode law: a plant-law spec "
                        "(altitude-law, or a .json file of PlantLawSpec fields)")
    p.add_argument("--opt", default="-O2", help="optimisation flag for the compiler (default -O2)")
    p.add_argument("--timeout-ms", type=float, default=None, help="failsafe timeout without STATE (default: spec's)")
    p.add_argument("--pio", action="store_true", help="write a PlatformIO project for real boards instead")
    p.add_argument("--crazyflie-app", action="store_true", help="write an out-of-tree Crazyflie controller app instead")
    p.add_argument("--force", action="store_true", help="replace an output directory tinyctl did not write")
    p.set_defaults(run=run_build)


def run_build(args):
    from tinyctl.firmware.commands import build_command
    return build_command(args)


@verb("flash", "write a firmware ELF through a GDB server (default: into QEMU), verify it, restart, wait for HELLO")
def _flash(p):
    p.add_argument("elf", help="the firmware ELF (tinyctl build -o OUT writes OUT/firmware.elf)")
    p.add_argument("--board", default=None, help="the board it goes to (default: the one it was built for)")
    p.add_argument("--gdb", help="HOST:PORT of a GDB server (a probe); without it QEMU is started and flashed")
    p.add_argument("--serial", help="with --gdb: the serial port to wait for the firmware's HELLO on")
    p.add_argument("--reset", default=None,
                   help="with --gdb: the monitor command that resets the target (default 'reset'), or 'registers'")
    p.set_defaults(run=run_flash)


def run_flash(args):
    from tinyctl.firmware.commands import flash_command
    return flash_command(args)


# train -----------------------------------------------------------------------------------------------------
TRAIN = {}  # sub-verb -> (help, add_arguments): each training area registers its own with @train_verb


def train_verb(name, help_text):
    """Register a sub-verb of `tinyctl train` the way @verb registers verbs."""
    def wrap(add_arguments):
        TRAIN[name] = (help_text, add_arguments)
        return add_arguments
    return wrap


@verb("train", "train a model (tinyctl train WHAT --help): dynamics models for the MPC, RAPTOR students, "
               "Lipschitz-bounded policies, YANNs")
def _train(p):
    sub = p.add_subparsers(dest="what", metavar="WHAT")
    for name, (help_text, add_arguments) in TRAIN.items():
        add_arguments(sub.add_parser(name, help=help_text, description=help_text))
    p.set_defaults(run=lambda args: (p.print_help(), 2)[1])


@train_verb("dynamics", "learn a dynamics model (next state from state and input) for the Newton-Raphson MPC")
def _train_dynamics(p):
    p.add_argument("--plant", required=True, help="msd, quadrotor-altitude or quadrotor-attitude")
    p.add_argument("-o", "--out", required=True, help="output directory (<plant>.onnx, dynamics.json, training.png)")
    p.add_argument("--samples", type=int, default=60_000, help="simulated transitions (default 60000)")
    p.add_argument("--epochs", type=int, default=150, help="training epochs (default 150)")
    p.add_argument("--hidden", help="hidden layer widths, comma-separated (default: the plant's)")
    p.add_argument("--activation", default="tanh", help="tanh, relu, softplus, sigmoid or elu (default tanh)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.set_defaults(run=run_train_dynamics)


def run_train_dynamics(args):
    from tinyctl.training.dynamics import train
    try:
        hidden = [int(h) for h in args.hidden.split(",")] if args.hidden else None
    except ValueError:
        raise TinyctlError(f"--hidden {args.hidden}: give widths like 16,16") from None
    meta = train(args.plant, args.out, samples=args.samples, epochs=args.epochs, hidden=hidden,
                 activation=args.activation, seed=args.seed, force=args.force)
    roll = meta["metrics"]["rollout"]
    print(f"wrote {args.out}/{meta['onnx']}: {meta['plant']} dynamics, [{', '.join(meta['state_names'])}] + "
          f"[{', '.join(meta['input_names'])}] -> next state; {roll['steps']}-step open-loop RMSE "
          + ", ".join(f"{n} {e:.3g}" for n, e in zip(meta["state_names"], roll["rmse"])))
    return 0


@train_verb("raptor", "distil per-vehicle teachers into one RAPTOR-shaped recurrent policy for many quadrotors")
def _train_raptor(p):
    p.add_argument("-o", "--out", required=True, help="output directory (student.onnx, training.json, training.png, "
                                                      "evaluation.md; checkpoint.pt resumes an interrupted run)")
    p.add_argument("--vehicles", type=int, help="vehicles sampled per DAgger iteration (default 512)")
    p.add_argument("--iterations", type=int, help="DAgger iterations (default 100; --quick 12)")
    p.add_argument("--dense", type=int, help="the student's dense layer width (default 16, RAPTOR's)")
    p.add_argument("--hidden", type=int, help="the student's GRU state size (default 16, RAPTOR's)")
    p.add_argument("--quick", action="store_true", help="a small run for tests (under a minute)")
    p.add_argument("--teacher", choices=["lqr", "ppo"], help="lqr (default: per-vehicle LQR) or ppo (slow)")
    p.add_argument("--seed", type=int, help="random seed (default 0)")
    p.add_argument("--heldout", type=int, default=200, help="held-out vehicles evaluated at the end (default 200)")
    p.add_argument("--no-eval", action="store_true", help="skip the held-out evaluation")
    p.add_argument("--evaluate", action="store_true",
                   help="only evaluate the policy already in -o: held-out vehicles and the Crazyflie (builtin, RotorPy)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1: faster than 2 on a shared machine)")
    p.add_argument("--workers", type=int, default=1, choices=[0, 1],
                   help="1 (default): fly the next iteration in a second process while training; 0: one process")
    p.add_argument("--force", action="store_true", help="replace a trained policy in -o")
    p.set_defaults(run=run_train_raptor)


def run_train_raptor(args):
    from tinyctl.training.raptor.command import run
    return run(args)


@train_verb("yann", "an explicit MPC law as an exact YANN (PPOPT, no commercial solver); --rl: YANN-RL from it")
def _train_yann(p):
    p.add_argument("-o", "--out", required=True, help="output directory (<law>.onnx, law.npz, yann.json; with --rl "
                                                      "also learning_curves.png and yann_rl.onnx)")
    p.add_argument("--problem", default="double-integrator",
                   help="double-integrator (default), pendulum or quadrotor-altitude (the builtin quadrotor)")
    p.add_argument("--horizon", type=int, help="MPC horizon (default 3; pendulum 2; quadrotor-altitude 4)")
    p.add_argument("--rl", action="store_true",
                   help="train YANN-RL from the law (pendulum, quadrotor-altitude) and a DDPG baseline")
    p.add_argument("--rounds", type=int, default=16, help="RL rounds of 16 episodes each (default 16)")
    p.add_argument("--no-baseline", action="store_true", help="skip the DDPG baseline")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.set_defaults(run=run_train_yann)


def run_train_yann(args):
    from tinyctl.training.yann.command import run
    return run(args)


@train_verb("lipschitz", "imitate an SE(3) expert with a gamma-Lipschitz LBDN policy (controller spec 'lipschitz')")
def _train_lipschitz(p):
    p.add_argument("--gamma", type=float, required=True, help="the l2 Lipschitz bound of observation -> action")
    p.add_argument("-o", "--out", required=True, help="output directory (lipschitz.onnx, training.json, flights.png)")
    p.add_argument("--episodes", type=int, default=150, help="expert demonstration flights (default 150)")
    p.add_argument("--epochs", type=int, default=60, help="training epochs (default 60)")
    p.add_argument("--hidden", default="64,64", help="hidden widths, comma-separated (default 64,64)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.set_defaults(run=run_train_lipschitz)


def run_train_lipschitz(args):
    from tinyctl.training.lipschitz.command import run
    return run(args)


# demo ------------------------------------------------------------------------------------------------------
@verb("demo", "the main job on the default board: export, compile and verify the RAPTOR policy, build its firmware, "
              "flash it into QEMU and fly it in closed loop")
def _demo(p):
    p.add_argument("-o", "--out", default="build/demo", help="working directory (default build/demo)")
    p.set_defaults(run=run_demo)


def run_demo(args):
    from tinyctl.demo import run
    return run(args.out)


# hil -------------------------------------------------------------------------------------------------------
@verb("hil", "fly a scenario in closed loop: simulator <-> policy (firmware in QEMU, a board, unicorn, host C, ONNX)")
def _hil(p):
    p.add_argument("--model", help="the compiled model directory (tinyctl compile -o DIR)")
    p.add_argument("--firmware", help="the firmware ELF (tinyctl build) for the qemu and pil executors")
    p.add_argument("--onnx", help="the ONNX the model was compiled from (reference executor; default: found beside DIR)")
    p.add_argument("--sim", default="builtin", help="builtin, rotorpy or l2f (default builtin)")
    p.add_argument("--scenario", default="hover", help="a scenario name (default hover; see tinyctl.scenarios)")
    p.add_argument("--executor", help="qemu, pil, sil, reference or se3 (default: qemu with --firmware, else reference)")
    p.add_argument("--compare", default=None, help="more executors to fly the same runs, comma-separated (e.g. reference)")
    p.add_argument("--port", help="fly a real board over this serial port (same link as QEMU)")
    p.add_argument("--controller", help="the controller spec (default raptor)")
    p.add_argument("--runs", type=int, help="number of seeded runs (default: the scenario's)")
    p.add_argument("--seed", type=int, default=0, help="seed of the runs (default 0)")
    p.add_argument("--duration", type=float, help="fly this many seconds instead of the scenario's duration")
    p.add_argument("--rate", type=float, help="control rate in Hz (default: the firmware's, else the training rate)")
    p.add_argument("-o", "--out", required=True, help="report directory (report.md, report.json, plots)")
    p.add_argument("--force", action="store_true", help="replace an output directory that is not a HIL report")
    p.set_defaults(run=run_hil)


def run_hil(args):
    from tinyctl.hil_tests.command import run
    return run(args)


# bench -----------------------------------------------------------------------------------------------------
@verb("bench", "measure and write sections of BENCHMARKS.md")
def _bench(p):
    p.add_argument("--section", action="append", default=[], help="a section to run (repeatable)")
    p.add_argument("--all", action="store_true", help="run every section")
    p.add_argument("-o", "--out", default="BENCHMARKS.md", help="the benchmarks file (default BENCHMARKS.md)")
    p.set_defaults(run=run_bench)


def run_bench(args):
    from rich.console import Console
    from tinyctl import bench
    names = list(bench.SECTIONS) if args.all else args.section
    if not names:
        raise TinyctlError(f"name a --section ({', '.join(bench.SECTIONS)}) or pass --all")
    console = Console()
    for name in names:
        console.rule(f"bench: {name}")
        bench.write_section(args.out, name, bench.run_section(name, console))
        console.print(f"wrote section '{name}' of {args.out}")
    return 0


# main ------------------------------------------------------------------------------------------------------
def _status(text):
    from rich.console import Console
    return Console(stderr=True).status(text)


def parser():
    p = argparse.ArgumentParser(prog="tinyctl", description="Small neural controllers from PyTorch to microcontrollers.")
    p.add_argument("--version", action="version", version=f"tinyctl {__version__}")
    sub = p.add_subparsers(dest="verb", metavar="VERB")
    for name, (help_text, add_arguments) in VERBS.items():
        add_arguments(sub.add_parser(name, help=help_text, description=help_text))
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    if not getattr(args, "run", None):
        parser().print_help()
        return 2
    try:
        return args.run(args) or 0
    except TinyctlError as e:
        print(f"tinyctl {args.verb}: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print(f"tinyctl {args.verb}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
