"""The user programs of ``make bench`` are ordinary PyTorch programs: written once against
the torch API, each runs under both libraries and takes the same steps."""
import pytest

import rosenblatt as rb
from benchmarks import bench_programs as bp
from tests.oracle import torch


@pytest.mark.parametrize("key", list(bp.PROGRAMS))
def test_program_runs_under_both_libraries_with_the_same_losses(key):
    torch.manual_seed(0)
    t_model, t_step = bp.build(torch, key)
    _, rb_step = bp.build(rb, key, t_model)
    for _ in range(3):                      # the optimiser's state matters from step 2 on
        lt, lr = t_step().item(), rb_step().item()
        assert lr == pytest.approx(lt, rel=2e-4, abs=1e-5)
