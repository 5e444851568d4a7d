"""A piecewise-affine law on polytopic regions: u = K_i theta + r_i on the first region i with E_i theta <= f_i + tol.

This is what the YANN represents exactly and what the compiler's region table stores. Rows are normalised to a
unit normal, and a facet two regions share is stored with bit-identical numbers in both (up to sign), so the
float32 tables dedupe exactly. Outside every region (outside the feasible set of the MPC) the law is u = 0 and
`inside` is 0.
"""
import json
from dataclasses import dataclass, field

import numpy as np

from tinyctl.errors import TinyctlError

# region tests pass within TOLERANCE * max(1, largest |domain bound|): float32 rounding must not open gaps between regions
TOLERANCE = 2e-6


@dataclass
class ExplicitLaw:
    e: list                   # per region: [k_i, n] unit-normal rows
    f: list                   # per region: [k_i]
    k: np.ndarray             # [p, m, n]
    r: np.ndarray             # [p, m]
    lo: np.ndarray            # [n] domain box
    hi: np.ndarray
    tolerance: float
    name: str = "law"
    meta: dict = field(default_factory=dict)

    @classmethod
    def from_regions(cls, regions, lo, hi, tolerance=None, name="law", meta=None):
        """regions: list of (E, f, K, r). Normalises rows and shares identical facets."""
        lo, hi = np.asarray(lo, float), np.asarray(hi, float)
        if tolerance is None:
            tolerance = TOLERANCE * max(1.0, float(np.max(np.abs(np.concatenate([lo, hi])))))
        regions = sorted(regions, key=_region_key)   # PPOPT's order varies from run to run; the files must not
        canon = _FacetTable()
        e_list, f_list = [], []
        for e, f, _, _ in regions:
            norms = np.linalg.norm(e, axis=1)
            keep = norms > 1e-12
            unit = [(ei / ni, fi / ni) for ei, fi, ni in zip(e[keep], f[keep], norms[keep])]
            unit.sort(key=lambda row: tuple(np.round(np.append(row[0], row[1]), 9)))
            rows = [canon.row(ei, fi) for ei, fi in unit]
            e_list.append(np.array([x for x, _ in rows]))
            f_list.append(np.array([y for _, y in rows]))
        k = np.array([np.atleast_2d(reg[2]) for reg in regions], float)
        r = np.array([np.ravel(reg[3]) for reg in regions], float)
        return cls(e_list, f_list, k, r, lo, hi, float(tolerance), name, dict(meta or {}))

    @property
    def sizes(self):
        """(regions p, half-spaces q, outputs m, inputs n)."""
        return len(self.e), sum(len(f) for f in self.f), self.k.shape[1], self.k.shape[2]

    def bigm(self, margin=1e-4):
        """[p, m] big-M per region and output: max over the domain box of |K theta + r|, with a margin for rounding."""
        c, h = (self.hi + self.lo) / 2, (self.hi - self.lo) / 2
        peak = np.abs(self.k @ c + self.r) + np.abs(self.k) @ h
        return peak * (1 + margin) + 1e-6

    def evaluate(self, theta):
        """(u [m], inside 0/1) at one point, in float64: the first region whose tests pass."""
        theta = np.asarray(theta, float)
        for i, (e, f) in enumerate(zip(self.e, self.f)):
            if np.all(f + self.tolerance - e @ theta >= 0):
                return self.k[i] @ theta + self.r[i], 1.0
        return np.zeros(self.k.shape[1]), 0.0

    def region_of(self, theta):
        for i, (e, f) in enumerate(zip(self.e, self.f)):
            if np.all(f + self.tolerance - e @ theta >= 0):
                return i
        return -1

    # storage -------------------------------------------------------------------------------------------
    def save(self, path):
        arrays = {"k": self.k, "r": self.r, "lo": self.lo, "hi": self.hi,
                  "rows": np.array([len(f) for f in self.f]), "e": np.vstack(self.e), "f": np.concatenate(self.f)}
        header = {"name": self.name, "tolerance": self.tolerance, "meta": self.meta}
        np.savez(path, header=np.array(json.dumps(header, sort_keys=True, default=float)), **arrays)

    @classmethod
    def load(cls, path):
        try:
            data = np.load(path)
        except (OSError, ValueError) as e:
            raise TinyctlError(f"{path} is not an explicit law file (.npz written by tinyctl train yann): {e}") from None
        header = json.loads(str(data["header"]))
        bounds = np.cumsum(data["rows"])[:-1]
        return cls(np.split(data["e"], bounds), np.split(data["f"], bounds), data["k"], data["r"], data["lo"],
                   data["hi"], header["tolerance"], header["name"], header["meta"])


def _region_key(region):
    """A canonical order of regions: by law, then by their unit-normal rows (rounded, so rounding noise does not
    reorder them). Ties between regions only matter on shared facets, where the laws agree."""
    e, f, k, r = region
    norms = np.maximum(np.linalg.norm(e, axis=1), 1e-300)
    rows = sorted(tuple(np.round(np.append(ei / ni, fi / ni), 9)) for ei, fi, ni in zip(e, f, norms))
    return tuple(np.round(np.ravel(k), 9)) + tuple(np.round(np.ravel(r), 9)) + tuple(x for row in rows for x in row)


class _FacetTable:
    """Rows seen so far, so a facet shared by two regions (with opposite signs) gets identical numbers."""

    def __init__(self, atol=1e-10):
        self.rows, self.atol = [], atol

    def row(self, e, f):
        for e0, f0 in self.rows:
            for sign in (1.0, -1.0):
                if np.allclose(sign * e, e0, rtol=0, atol=self.atol) and abs(sign * f - f0) <= self.atol * (1 + abs(f0)):
                    return sign * e0, sign * f0
        self.rows.append((e.copy(), float(f)))
        return e, float(f)
