"""python -m tinyctl.compiler.conformance -o docs/conformance.md: run every case, print failures, write the listing."""
import argparse
import os
import sys
import time

from tinyctl.compiler.conformance.cases import select
from tinyctl.compiler.conformance.listing import listing
from tinyctl.compiler.conformance.runner import run


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tinyctl.compiler.conformance", description="the conformance suite through the compiler")
    parser.add_argument("-o", "--out", help="write the listing (markdown) here")
    parser.add_argument("-k", "--pattern", help="only cases whose name matches this regular expression")
    parser.add_argument("-j", "--jobs", type=int, default=None, help="parallel builds (default: CPU count)")
    parser.add_argument("--sanitize", action="store_true", help="build under AddressSanitizer and UBSan")
    parser.add_argument("--backend-only", action="store_true", help="leave out tinyctl's own cases")
    parser.add_argument("--target", default="host", help="compile for this target (built on the host: cortex-m4f "
                        "and cortex-m7 bring their approximate activations)")
    args = parser.parse_args(argv)
    from rich.console import Console
    from rich.progress import Progress
    console = Console(stderr=True)
    start = time.monotonic()
    cases = select(args.pattern, own=not args.backend_only)
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("conformance cases", total=len(cases))
        results = run(cases, args.jobs, args.sanitize, target=args.target, progress=lambda r: bar.advance(task))
    seconds = time.monotonic() - start
    for r in results:
        if r.status == "fail":
            console.print(f"[red]FAIL[/red] {r.name}: {r.reason}")
    counts = {k: sum(r.status == k for r in results) for k in ("pass", "skip", "fail")}
    console.print(f"{counts['pass']} pass, {counts['skip']} skipped, {counts['fail']} fail of {len(results)} "
                  f"cases in {seconds:.0f} s")
    if args.out:
        text = listing(results)
        tmp = args.out + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, args.out)
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
