"""Learned dynamics models for the Newton-Raphson MPC: `tinyctl train dynamics --plant NAME -o DIR`.

train() draws transitions from the plant's simulator, fits an MLP to the state increment, checks it on held-out
transitions and on open-loop rollouts, and writes DIR/<plant>.onnx (inputs state [1, nx] and input [1, nu],
output next_state [1, nx]), DIR/dynamics.json (the plant, the model, its accuracy and MPC settings that suit
it) and DIR/training.png. Files appear only when training succeeded; existing ones are kept unless force.
"""
import hashlib
import json
import os
import shutil
import tempfile

from tinyctl.errors import TinyctlError
from tinyctl.training.dynamics.plants import names, plant  # noqa: F401  (re-exported)

METADATA_FILE = "dynamics.json"


def file_stem(plant_name):
    return plant_name.replace("-", "_")


def output_files(plant_name):
    return [f"{file_stem(plant_name)}.onnx", METADATA_FILE, "training.png"]


def train(plant_name, out_dir, samples=60_000, epochs=150, hidden=None, activation="tanh", seed=0,
          force=False, progress=True, plot=True):
    """Train and export; returns the metadata dict written to dynamics.json."""
    import torch
    from tinyctl.training.dynamics import data, fit, model as model_lib
    p = plant(plant_name)
    hidden = tuple(hidden or p.hidden)
    if samples < 1000:
        raise TinyctlError(f"--samples {samples} is too few to learn from; use at least 1000")
    if epochs < 1:
        raise TinyctlError("--epochs must be at least 1")
    if activation not in model_lib.ACTIVATIONS:
        raise TinyctlError(f"activation '{activation}' is not one of {', '.join(model_lib.ACTIVATIONS)}")
    out_dir = os.path.abspath(out_dir)
    _check_destination(out_dir, plant_name, force)

    torch.manual_seed(seed)
    x, u, xn = data.transitions(p, samples, seed=seed)
    net = model_lib.DynamicsMLP(p.nx, p.nu, hidden, activation)
    history, metrics = fit.fit(net, x, u, xn, epochs=epochs, seed=seed, progress=progress)
    metrics["rollout"] = fit.rollout_error(p, model_lib.numpy_step(net), seed=seed + 1)

    os.makedirs(os.path.dirname(out_dir), exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".dynamics-", dir=os.path.dirname(out_dir))
    try:
        onnx_name = f"{file_stem(plant_name)}.onnx"
        model_lib.export_onnx(net, os.path.join(staging, onnx_name))
        with open(os.path.join(staging, onnx_name), "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        meta = metadata(p, onnx_name, sha, hidden, activation, samples, epochs, seed, metrics)
        with open(os.path.join(staging, METADATA_FILE), "w") as f:
            f.write(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        if plot:
            from tinyctl.training.dynamics.report import plot_training
            plot_training(p, history, model_lib.numpy_step(net), os.path.join(staging, "training.png"), seed=seed)
        os.makedirs(out_dir, exist_ok=True)
        for name in os.listdir(staging):
            os.replace(os.path.join(staging, name), os.path.join(out_dir, name))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return meta


def metadata(p, onnx_name, sha, hidden, activation, samples, epochs, seed, metrics):
    from tinyctl import __version__
    return {
        "tinyctl_version": __version__, "plant": p.name, "description": p.description,
        "onnx": onnx_name, "onnx_sha256": sha,
        "nx": p.nx, "nu": p.nu, "state_names": list(p.state_names), "input_names": list(p.input_names),
        "dt": p.dt, "state_low": list(p.state_low), "state_high": list(p.state_high),
        "input_low": list(p.input_low), "input_high": list(p.input_high), "input_nominal": list(p.nominal),
        "model": {"kind": "increment", "hidden": list(hidden), "activation": activation,
                  "inputs": ["state", "input"], "outputs": ["next_state"]},
        "training": {"samples": samples, "epochs": epochs, "seed": seed},
        "metrics": metrics, "mpc": dict(p.mpc),
    }


def load_metadata(directory):
    path = os.path.join(directory, METADATA_FILE)
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise TinyctlError(f"{directory} holds no {METADATA_FILE}: train a model first "
                           "(tinyctl train dynamics --plant NAME -o DIR)") from None


def _check_destination(out_dir, plant_name, force):
    if os.path.isfile(out_dir):
        raise TinyctlError(f"{out_dir} is a file; give a directory for the trained model")
    existing = [f for f in output_files(plant_name) if os.path.exists(os.path.join(out_dir, f))]
    if existing and not force:
        raise TinyctlError(f"{out_dir} already holds {', '.join(existing)}; pass --force to replace them "
                           "or choose another directory")
