"""`tinyctl hil`: the report it writes, and the one-line errors it gives."""
import json
import os

import pytest

from tinyctl.cli import main

pytestmark = pytest.mark.hil


def test_report_with_comparison(hil_model, tmp_path, capsys):
    model_dir, _ = hil_model
    out = tmp_path / "report"
    code = main(["hil", "--model", model_dir, "--sim", "builtin", "--scenario", "recovery", "--runs", "3",
                 "--duration", "2", "--executor", "reference", "--compare", "sil", "-o", str(out)])
    assert code == 0
    rep = json.loads((out / "report.json").read_text())
    assert rep["status"] == "ok" and rep["scenario"]["name"] == "recovery"
    assert set(rep["executors"]) == {"reference", "sil"}
    assert len(rep["executors"]["reference"]["runs"]) == 3
    dev = rep["deviation"]["sil_vs_reference"]
    assert dev["max_position_deviation"] < 1e-5 and dev["successes"] == dev["reference_successes"]
    md = (out / "report.md").read_text()
    for png in rep["plots"].values():
        assert (out / png).stat().st_size > 10_000 and f"]({png})" in md
    assert (out / "traces.npz").exists()
    # a second run replaces its own report
    assert main(["hil", "--model", model_dir, "--scenario", "hover", "--duration", "1", "-o", str(out)]) == 0
    assert json.loads((out / "report.json").read_text())["scenario"]["name"] == "hover"


def test_refuses_to_overwrite_other_files(hil_model, tmp_path, capsys):
    model_dir, _ = hil_model
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert main(["hil", "--model", model_dir, "--duration", "1", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "tinyctl did not write" in err[0]
    assert os.listdir(out) == ["notes.txt"]


@pytest.mark.parametrize("args,message", [
    (["--scenario", "barrel-roll"], "unknown scenario"),
    (["--sim", "gazebo"], "unknown simulator"),
    (["--executor", "pil"], "pass --firmware"),
    (["--duration", "0"], "--duration 0"),
    (["--runs", "0"], "--runs 0"),
    (["--rate", "0.5"], "--rate 0.5"),
    (["--compare", "warp"], "unknown executor 'warp'"),
])
def test_bad_input_is_one_line(hil_model, tmp_path, capsys, args, message):
    model_dir, _ = hil_model
    code = main(["hil", "--model", model_dir, "-o", str(tmp_path / "r")] + args)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0]
    assert not (tmp_path / "r").exists()


def test_not_a_model_directory(tmp_path, capsys):
    assert main(["hil", "--model", str(tmp_path), "-o", str(tmp_path / "r")]) == 2
    assert "not a compiled model directory" in capsys.readouterr().err
