"""Bench section "compiler": what each reference model costs and how tightly the planner packs its arena."""
import os
import tempfile

from rich.progress import track

from tinyctl.compiler import compile_model, zoo


def run(console):
    from tinyctl.training.foundation import export
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        raptor = os.path.join(tmp, "raptor.onnx")
        export(raptor)
        models = {"raptor (published policy)": raptor, **zoo.all_models()}
        for name, model in track(list(models.items()), description="compiling and verifying", console=console):
            c_name = name.split(" ")[0]
            m = compile_model(model, os.path.join(tmp, c_name), name=c_name, target="cortex-m4f", verify=True).manifest
            a = m["arena"]
            rows.append(f"| {name} | {m['params']:,} | {m['sizes']['state']} | {m['macs']:,} | "
                        f"{m['memory']['weights_bytes']:,} | {a['bytes']:,} | {a['lower_bound_bytes']:,} | "
                        f"{a['unshared_bytes']:,} | {m['verify']['max_abs_err']:.2g} |")
    return "\n".join([
        "## Compiler: cost and memory plan of the reference models",
        "",
        "`tinyctl bench --section compiler`: each model compiled for cortex-m4f with `--verify` (onnxruntime, 64 random",
        "steps and 2 x 200 carried steps). Arena: the planned stack buffer; bound: the most memory live at one step",
        "(no plan can do better); unshared: the sum of all buffers (no reuse).",
        "",
        "| model | params | state floats | MACs | weights B | arena B | bound B | unshared B | max abs err |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
    ])
