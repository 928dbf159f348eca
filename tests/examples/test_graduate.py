"""examples/graduate_to_torch.py in its short form: rosenblatt -> safetensors -> PyTorch -> DDP."""
import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FASHION = pathlib.Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.skipif(not FASHION.is_dir() and not os.environ.get("CI"),
                    reason="needs Debian's dataset-fashion-mnist (CI installs it)")
def test_graduate_quick(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "graduate_to_torch.py"), "--quick",
                           "--out", str(tmp_path)], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["max_logit_diff"] < 1e-4
    assert summary["ddp_identical"] is True
    assert summary["world_size"] == 2 and summary["ddp_steps"] == 5
    assert 0.0 <= summary["after_ddp_accuracy"] <= 1.0
    assert "identical weights on all ranks: True" in proc.stdout


def test_model_text_differs_only_in_imports():
    """The rosenblatt model is examples/lenet5.py with only its import lines changed."""
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import graduate_to_torch as g
    finally:
        sys.path.pop(0)
    text = g.MODEL_FILE.read_text()
    changed = text
    for old, new in g.ROSENBLATT_IMPORTS.items():
        changed = changed.replace(old, new)
    diff = [(a, b) for a, b in zip(text.splitlines(), changed.splitlines()) if a != b]
    assert [a for a, _ in diff] == ["import torch", "from torch import nn"]
    module = g.load_model_module("rosenblatt")
    import rosenblatt as rb
    assert isinstance(module.LeNet5(), rb.nn.Module)
