"""The `tinyctl train raptor` command: train (and evaluate), or with --evaluate only evaluate a trained DIR."""
import json
import os

from tinyctl.errors import TinyctlError


def run(args):
    if args.threads < 1:
        raise TinyctlError(f"--threads must be at least 1 (got {args.threads})")
    if args.heldout < 1:
        raise TinyctlError(f"--heldout must be at least 1 (got {args.heldout})")
    if args.evaluate:
        return evaluate_dir(args.out, args.heldout, args.threads)
    from tinyctl.training.raptor.train import summary_line, train
    record = train(args.out, quick=args.quick, vehicles=args.vehicles, iterations=args.iterations, seed=args.seed,
                   teacher=args.teacher, force=args.force, evaluate=not args.no_eval, heldout=args.heldout,
                   threads=args.threads, workers=args.workers, dense=args.dense, hidden=args.hidden)
    print(f"wrote {os.path.join(args.out, 'student.onnx')}: {record['parameters']} parameters; " + summary_line(record))
    if "evaluation" in record:
        print(f"held-out table: {os.path.join(args.out, 'evaluation.md')}")
    return 0


def evaluate_dir(out_dir, heldout=200, threads=1):
    """Full evaluation of a trained DIR: held-out vehicles (recovery, hover, figure eight) against the published
    policy and the teachers, and the Crazyflie in the builtin simulator and RotorPy; writes
    DIR/evaluation_full.md and .json."""
    from rich.console import Console
    from tinyctl.training.raptor import evaluate as eval_lib
    from tinyctl.training.raptor.report import crazyflie_markdown, evaluation_markdown
    from tinyctl.training.raptor.student import Student
    from tinyctl.training.raptor.train import write_text_atomic, load_student
    from tinyctl.training.threads import torch_threads
    student = load_student(out_dir)
    with torch_threads(threads):
        students = {"ours": student, "published": Student.from_raptor()}
        console = Console(stderr=True)
        with console.status("held-out vehicles") as status:
            vehicles = eval_lib.heldout_vehicles(heldout)
            results = eval_lib.run(students, vehicles,
                                   progress=lambda s, p: status.update(f"held-out vehicles: {s}, {p} done"))
            cf = eval_lib.crazyflie(students,
                                    progress=lambda sim, s, p: status.update(f"Crazyflie: {sim} {s} {p} done"))
    summary = {s: {p: r["summary"] for p, r in v.items()} for s, v in results.items()}
    command = f"tinyctl train raptor --evaluate -o {os.path.basename(os.path.normpath(out_dir))}"
    md = evaluation_markdown(summary, heldout, "raptor", command) + "\n## The nominal Crazyflie (HIL harness)\n\n" \
        + crazyflie_markdown(cf) + "\n"
    write_text_atomic(os.path.join(out_dir, "evaluation_full.md"), md)
    write_text_atomic(os.path.join(out_dir, "evaluation_full.json"),
                json.dumps({"heldout": summary, "crazyflie": cf}, indent=1, default=float))
    print(md)
    return 0
