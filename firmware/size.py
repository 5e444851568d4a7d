"""The size report of a firmware ELF: flash and RAM per section against the board's budget."""
from tinyctl.firmware.elf import SHF_ALLOC, SHT_NOBITS, Elf


def size_report(elf_path, board, model_name=None):
    """A dict: sections {name: bytes}, flash {used, budget}, ram {used, budget}, model_weights bytes."""
    elf = Elf(elf_path)
    sections = {s.name: s.size for s in elf.sections if s.flags & SHF_ALLOC and s.size}
    if not board.flash_size:   # the host board: the sections a person compares, not the dynamic linker's
        sections = {n: v for n, v in sections.items() if n in (".text", ".rodata", ".data", ".bss")}
    if board.flash_size:   # from the load segments: what is written to flash and what RAM holds, padding included
        flash = sum(len(seg.data) for seg in elf.segments
                    if board.flash_origin <= seg.paddr < board.flash_origin + board.flash_size)
        ram = sum(seg.memsz for seg in elf.segments if board.ram_origin <= seg.vaddr < board.ram_origin + board.ram_size)
    else:   # the host board: everything allocated, no budget
        flash = sum(s.size for s in elf.sections if s.alloc and s.type != SHT_NOBITS)
        ram = sum(s.size for s in elf.sections if s.alloc and s.type == SHT_NOBITS)
    weights = 0
    if model_name:
        weights = sum(size for name, (_, size) in elf.symbols().items() if name.startswith(f"{model_name}_")
                      and not name.endswith(("_step", "_reset")))
    return {"sections": sections, "flash": {"used": flash, "budget": board.flash_size},
            "ram": {"used": ram, "budget": board.ram_size}, "model_weights": weights}


def format_report(report, board_name):
    lines = [f"firmware for {board_name}:"]
    for name, size in report["sections"].items():
        lines.append(f"  {name:<12} {size:>9,} B")
    for kind in ("flash", "ram"):
        used, budget = report[kind]["used"], report[kind]["budget"]
        if budget:
            lines.append(f"  {kind.upper():<12} {used:>9,} B of {budget:,} B ({100.0 * used / budget:.1f} %)")
        else:
            lines.append(f"  {kind.upper():<12} {used:>9,} B")
    if report["model_weights"]:
        lines.append(f"  model data   {report['model_weights']:>9,} B (weights and constants, in .rodata)")
    return "\n".join(lines)
