"""The compile report a person reads: what the model costs and how well it verified, from its manifest."""
from rich.console import Console
from rich.table import Table


def rows(manifest):
    m = manifest
    state = m["memory"]["state_bytes"] // 4
    out = [
        ("model", f"{m['model']['file']} (sha256 {m['model']['sha256'][:12]}...)"),
        ("target / dtype", f"{m['target']} / {m['dtype']}"),
        ("inputs", ", ".join(f"{e['name']} {e['shape']}" for e in m["inputs"]) or "-"),
        ("outputs", ", ".join(f"{e['name']} {e['shape']}" for e in m["outputs"]) or "-"),
        ("recurrent state", ", ".join(f"{e['name']} {e['shape']}" for e in m["state"]) or "-"),
        ("params", f"{m['params']:,} plus {state:,} of state"),
        ("MACs per step", f"{m['macs']:,}"),
        ("weights", f"{m['memory']['weights_bytes']:,} B (flash)"),
        ("arena", f"{m['memory']['arena_bytes']:,} B (stack; lower bound {m['arena']['lower_bound_bytes']:,} B, "
                  f"{m['arena']['unshared_bytes']:,} B without reuse)"),
        ("state", f"{m['memory']['state_bytes']:,} B"),
        ("ops", ", ".join(f"{k} {v}" for k, v in m["ops"].items())),
    ]
    j = m.get("jacobian")
    if j:
        check = j.get("verify")
        out.append(("jacobian", f"{j['function']}(): d out / d in, {j['rows']} x {j['cols']}, forward mode; tangents "
                                f"{j['tangent_arena_bytes']:,} B (stack)" + (
                                    f"; max |err| {check['max_abs_err']:.3g} against {check['reference']}" if check else "")))
    lw = m.get("lowerings")
    if lw:
        def flash(entry):
            return f"{entry['flash_bytes']:,} B flash" if entry.get("flash_bytes") is not None else "flash not measured"
        other = "dense" if lw["emitted"] == "regions" else "regions"
        out.append(("lowering", f"{lw['emitted']}: {flash(lw[lw['emitted']])}, {lw[lw['emitted']]['macs']:,} MACs at most "
                                f"(the {other} lowering: {flash(lw[other])}, {lw[other]['macs']:,} MACs)"))
    lip = m.get("lipschitz")
    if lip:
        out.append(("lipschitz", f"l2 bound {lip['bound']:g} ({lip['method']}, scope {lip.get('scope', 'network')})"))
    q = m.get("quantization")
    if q:
        cal = q["calibration"]
        data = f"{cal['source']}, {cal.get('sequences', 0)} x {cal.get('steps', 0)} steps"
        out.append(("quantization", f"{q['dtype']}: {len(q['layers'])} layers (data: {data}); float ops left: "
                                    f"{', '.join(q['float_ops']) or 'none'}"))
    v = m.get("verify")
    if v and "c_vs_quantized_model" in v:
        c = v["c_vs_quantized_model"]
        out.append(("verify", f"C against the quantised model ({c['rule']}): max |err| {c['max_abs_err']:.3g}; against "
                              f"{v['reference']}: max {100 * v['max_rel_err']:.2g} % of range (tolerance "
                              f"{100 * v['tolerance']['of_range']:g} %), rms {100 * v['rms_rel_err']:.2g} %"))
    elif v:
        out.append(("verify", f"max |err| {v['max_abs_err']:.3g}, max rel {v['max_rel_err']:.3g} against {v['reference']} "
                              f"({v['samples']} random steps, {v['steps']} sequence steps)"))
    else:
        out.append(("verify", "not run (pass --verify)"))
    return out


def print_report(manifest, directory=None, console=None):
    console = console or Console()
    table = Table(title=f"tinyctl compile: {manifest['name']}" + (f" -> {directory}" if directory else ""),
                  show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for k, v in rows(manifest):
        table.add_row(k, v)
    console.print(table)
