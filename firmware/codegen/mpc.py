"""The generated configuration of an `mpc`-mode firmware: the solver's sizes (tinyctl_nrmpc_config.h) and its
settings and safe output (tc_mpc_config.h), from a compiled dynamics model and MPC settings."""
import json
import os

import numpy as np

from tinyctl import __version__
from tinyctl.errors import TinyctlError
from tinyctl.firmware.codegen.render import render
from tinyctl.runtime.nrmpc import MpcSettings
from tinyctl.runtime.nrmpc_host import model_sizes


def load_settings(source):
    """MpcSettings from an MpcSettings, a dict, or a JSON file: a trained model's dynamics.json (its `mpc`
    defaults and input limits) or the fields of MpcSettings."""
    if isinstance(source, MpcSettings):
        return source
    if isinstance(source, (str, os.PathLike)):
        try:
            with open(source) as f:
                source = json.load(f)
        except FileNotFoundError:
            raise TinyctlError(f"MPC settings {source}: no such file (give a dynamics.json from `tinyctl train "
                               "dynamics`, or a JSON of MpcSettings fields)") from None
        except json.JSONDecodeError as e:
            raise TinyctlError(f"MPC settings {source} are not valid JSON ({e})") from None
    if not isinstance(source, dict):
        raise TinyctlError("MPC settings: give a JSON file, a dict or MpcSettings")
    try:
        if "mpc" in source and "nx" in source:
            return MpcSettings.for_dynamics(source)
        return MpcSettings.from_dict(source)
    except (KeyError, TypeError) as e:
        raise TinyctlError(f"MPC settings: missing or unknown field ({e})") from None


def mpc_config(manifest, settings, safe_output=None):
    """{file name: text} of the generated MPC headers; checks the model against the settings."""
    nx, nu = model_sizes(manifest, settings)
    lo, hi = np.asarray(settings.u_min, float), np.asarray(settings.u_max, float)
    safe = np.clip(np.zeros(nu) if safe_output is None else np.asarray(safe_output, float), lo, hi)
    summary = (f"horizon {settings.horizon}, control horizon {settings.control_horizon}, {settings.constraints}, "
               f"at most {settings.max_iter} iterations")
    nominal = np.clip(settings.nominal, lo, hi)
    args = dict(version=__version__, name=manifest["name"], s=settings, nx=nx, nu=nu, safe=list(safe),
                nominal=list(nominal), summary=summary)
    return {"tinyctl_nrmpc_config.h": render("tinyctl_nrmpc_config.h.j2", **args),
            "tc_mpc_config.h": render("tc_mpc_config.h.j2", **args)}
