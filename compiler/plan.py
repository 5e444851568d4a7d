"""Memory planning: a pure function from buffer lifetimes to arena offsets.

A buffer is live from the step that writes it to the last step that reads it (inclusive); two buffers may
share memory when their lifetimes do not overlap. `plan_greedy` places the largest first at the lowest
offset that fits (as TFLite Micro's greedy planner); `plan_linear` gives every buffer its own place (the
baseline); `lower_bound` is the most memory live at any one step, which no plan can beat.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Buffer:
    key: str
    size: int      # in elements
    first: int     # step that writes it
    last: int      # last step that reads it


def _overlap_in_time(a, b):
    return a.first <= b.last and b.first <= a.last


def lower_bound(buffers):
    steps = {t for b in buffers for t in (b.first, b.last)}
    return max((sum(b.size for b in buffers if b.first <= t <= b.last) for t in steps), default=0)


def plan_linear(buffers):
    offsets, end = {}, 0
    for b in sorted(buffers, key=lambda b: (b.first, b.key)):
        offsets[b.key] = end
        end += b.size
    return offsets, end


def plan_greedy(buffers):
    offsets, placed = {}, []
    for b in sorted(buffers, key=lambda b: (-b.size, b.first, b.key)):
        busy = sorted((offsets[p.key], offsets[p.key] + p.size) for p in placed if _overlap_in_time(p, b))
        offset = 0
        for start, end in busy:
            if start - offset >= b.size:
                break
            offset = max(offset, end)
        offsets[b.key] = offset
        placed.append(b)
    return offsets, max((offsets[b.key] + b.size for b in buffers), default=0)


def check_plan(buffers, offsets):
    """Raise AssertionError if two buffers live at the same time share memory."""
    bs = sorted(buffers, key=lambda b: b.key)
    for i, a in enumerate(bs):
        for b in bs[i + 1:]:
            if _overlap_in_time(a, b) and a.size and b.size:
                a0, b0 = offsets[a.key], offsets[b.key]
                if a0 < b0 + b.size and b0 < a0 + a.size:
                    raise AssertionError(f"buffers {a.key} [{a0}, {a0 + a.size}) and {b.key} [{b0}, {b0 + b.size}) "
                                         f"overlap while both live (steps {a.first}-{a.last} and {b.first}-{b.last})")


def plan(buffers):
    """The plan tinyctl uses: greedy, checked; returns (offsets, arena size)."""
    offsets, size = plan_greedy(buffers)
    check_plan(buffers, offsets)
    return offsets, size


def describe(buffers, offsets):
    """A printable table of the plan, one buffer per line, ordered by offset."""
    rows = sorted(buffers, key=lambda b: (offsets[b.key], b.first))
    return "\n".join(f"{offsets[b.key]:>8} {b.size:>8}  steps {b.first:>3}-{b.last:<3} {b.key}" for b in rows)
