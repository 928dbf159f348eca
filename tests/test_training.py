"""fit / evaluate: cost vs objective, per-sample losses, early stopping, exact resume."""
import os

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt import training
from rosenblatt.utils import progress
from rosenblatt.models import MLP
from rosenblatt.training import (EarlyStopping, History, L1, L2, StepBudget, accuracy,
                                 binary_accuracy, clone_state, evaluate, fit, train_steps)
from rosenblatt.utils.data import DataLoader, TensorDataset


def _data(n=150, d=6, classes=3, seed=1):
    g = np.random.default_rng(seed)
    X = g.standard_normal((n, d)).astype(np.float32)
    y = (X[:, :classes] + 0.3 * g.standard_normal((n, classes))).argmax(1).astype(np.int64)
    return X, y


def _loader(X, y, batch_size=32, shuffle=True):
    return DataLoader(TensorDataset(rb.tensor(X), rb.tensor(y)), batch_size=batch_size, shuffle=shuffle)


def _log_softmax_ce(logits, y):
    z = logits - logits.max(1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    return -logp[np.arange(len(y)), y]


def test_history_cost_objective_accuracy():
    X, y = _data()
    model = MLP([6, 16, 3])
    opt = rb.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    h = fit(model, _loader(X, y), rb.nn.CrossEntropyLoss(), opt, epochs=5,
            val_loader=_loader(X[:50], y[:50], shuffle=False), regularization=0.01, progress=False,
            metric="accuracy")
    assert isinstance(h, History) and len(h) == 5 and h.epoch == [1, 2, 3, 4, 5]
    for key in ("cost", "objective", "regularization", "train_accuracy", "val_cost", "val_accuracy", "lr"):
        assert len(h[key]) == 5, key
    np.testing.assert_allclose(h.objective, np.add(h.cost, h.regularization))
    assert all(r > 0 for r in h.regularization)
    assert h.cost[-1] < h.cost[0]
    assert all(0 <= a <= 1 for a in h.train_accuracy + h.val_accuracy)
    assert h.last["epoch"] == 5 and "epoch 5" in repr(h)
    assert History.from_dict(h.to_dict()).cost == h.cost


def test_cost_is_mean_per_sample_loss():
    # lr=0 keeps the weights fixed: the epoch cost is exactly the mean per-sample loss,
    # with a last batch of a different size (150 = 4*32 + 22) weighted correctly.
    X, y = _data()
    model = MLP([6, 8, 3])
    lam = 0.05
    h = fit(model, _loader(X, y), rb.nn.CrossEntropyLoss(), rb.optim.SGD(model.parameters(), lr=0.0),
            epochs=1, regularization=lam, progress=False)
    ev = evaluate(model, _loader(X, y, shuffle=False), rb.nn.CrossEntropyLoss(), metric="accuracy")
    with rb.no_grad():
        logits = model(rb.tensor(X)).data
    expected = _log_softmax_ce(logits.astype(np.float64), y)
    np.testing.assert_allclose(ev.losses, expected, rtol=1e-5)
    np.testing.assert_allclose(h.cost[0], expected.mean(), rtol=1e-5)
    np.testing.assert_allclose(ev.cost, expected.mean(), rtol=1e-5)
    # objective = cost + lam/2 * sum of squared weights (biases excluded)
    penalty = lam / 2 * sum(float((p.data.astype(np.float64) ** 2).sum())
                            for name, p in model.named_parameters() if name.endswith("weight"))
    np.testing.assert_allclose(h.regularization[0], penalty, rtol=1e-5)
    np.testing.assert_allclose(h.objective[0], expected.mean() + penalty, rtol=1e-5)
    assert ev.accuracy == pytest.approx(np.mean(logits.argmax(1) == y))


def test_evaluate_eval_mode_no_grad_and_functional_loss():
    X, y = _data(40)
    model = MLP([6, 8, 3], dropout=0.5)
    model.train()
    a = evaluate(model, _loader(X, y, 16, False), rb.nn.CrossEntropyLoss())
    b = evaluate(model, _loader(X, y, 7, False), rb.nn.functional.cross_entropy)
    np.testing.assert_allclose(a.losses, b.losses, rtol=1e-5)     # eval mode: dropout off
    assert model.training                                          # mode restored
    assert all(p.grad is None for p in model.parameters())
    assert a.n == 40 and a.losses.shape == (40,)
    assert evaluate(model, _loader(X, y, 16, False)).cost != evaluate(model, _loader(X, y, 16, False)).cost


def test_metric_none_is_the_default():
    # No accuracy unless asked for: nothing is guessed from the loss function.
    X, y = _data(40)
    model = MLP([6, 3])
    h = fit(model, _loader(X, y), rb.nn.CrossEntropyLoss(), rb.optim.SGD(model.parameters(), lr=0.1), 2,
            val_loader=_loader(X, y, shuffle=False), progress=False)
    assert "train_accuracy" not in h.keys() and "val_accuracy" not in h.keys()
    assert evaluate(model, _loader(X, y, shuffle=False), rb.nn.CrossEntropyLoss()).accuracy is None


def test_metric_accuracy_explicit():
    X, y = _data(60)
    model = MLP([6, 8, 3])
    h = fit(model, _loader(X, y), rb.nn.CrossEntropyLoss(), rb.optim.SGD(model.parameters(), lr=0.0), 1,
            val_loader=_loader(X, y, 16, False), metric="accuracy", progress=False)
    with rb.no_grad():
        expected = float(np.mean(model(rb.tensor(X)).data.argmax(1) == y))
    assert h.train_accuracy[0] == pytest.approx(expected)        # lr=0: the same weights all epoch
    assert h.val_accuracy[0] == pytest.approx(expected)
    scores = rb.tensor(np.eye(3, dtype=np.float32))               # predicts 0, 1, 2
    assert accuracy(scores, rb.tensor(np.array([0, 2, 2]))) == (pytest.approx(2.0), 3)
    # targets equal to the loss's ignore_index are not scored; a sequence scores its fraction
    assert accuracy(scores, rb.tensor(np.array([0, 2, -100])), ignore_index=-100) == (pytest.approx(1.0), 3)
    seq = rb.tensor(np.eye(3, dtype=np.float32)[None].repeat(2, 0))        # (N=2, C=3, T=3)
    assert accuracy(seq, rb.tensor(np.array([[0, 1, 2], [0, 0, 0]]))) == (pytest.approx(1 + 1 / 3), 2)
    ev = evaluate(model, _loader(X, y, 16, False), rb.nn.CrossEntropyLoss(ignore_index=int(y[0])),
                  metric="accuracy")
    with rb.no_grad():
        pred = model(rb.tensor(X)).data.argmax(1)
    keep = y != y[0]
    assert ev.accuracy == pytest.approx(np.sum((pred == y) & keep) / len(y))
    with pytest.raises(ValueError, match="class scores"):
        fit(model, _loader(X, X[:, :3]), rb.nn.MSELoss(), rb.optim.SGD(model.parameters(), lr=0.0), 1,
            metric="accuracy", progress=False)


def test_metric_binary_accuracy():
    out = rb.tensor(np.array([[0.9], [0.2], [0.6], [0.4]], np.float32))
    tgt = rb.tensor(np.array([[1.0], [0.0], [0.0], [0.0]], np.float32))
    assert binary_accuracy(out, tgt) == (pytest.approx(3.0), 4)
    assert binary_accuracy(out - 0.5, tgt, threshold=0.0) == (pytest.approx(3.0), 4)   # logits
    g = np.random.default_rng(0)
    X = g.standard_normal((40, 4)).astype(np.float32)
    y = (X[:, :1] > 0).astype(np.float32)
    model = rb.nn.Sequential(rb.nn.Linear(4, 1), rb.nn.Sigmoid())
    h = fit(model, _loader(X, y), rb.nn.BCELoss(), rb.optim.SGD(model.parameters(), lr=0.5), 3,
            metric="binary_accuracy", progress=False)
    assert len(h.train_accuracy) == 3 and all(0 <= a <= 1 for a in h.train_accuracy)


def test_metric_callable_pair_or_fraction():
    X, y = _data(50)
    model = MLP([6, 3])
    calls = []

    def pair(output, target):                    # (correct, count): every sample "correct"
        calls.append(output.shape[0])
        return output.shape[0], output.shape[0]

    h = fit(model, _loader(X, y, 16), rb.nn.CrossEntropyLoss(), rb.optim.SGD(model.parameters(), lr=0.1), 2,
            val_loader=_loader(X, y, 25, False), metric=pair, progress=False)
    assert h.train_accuracy == [1.0, 1.0] and h.val_accuracy == [1.0, 1.0]
    assert calls[:6] == [16, 16, 16, 2, 25, 25] and sum(calls) == 2 * (50 + 50)
    # a fraction is weighted by the batch size: 1.0 on the batches of 16, 0.0 on the last one (2)
    ev = evaluate(model, _loader(X, y, 16, False), metric=lambda out, t: float(out.shape[0] == 16))
    assert ev.accuracy == pytest.approx(48 / 50) and np.isnan(ev.cost) and ev.n == 50
    with pytest.raises(ValueError, match="metric"):
        fit(model, _loader(X, y), rb.nn.CrossEntropyLoss(), rb.optim.SGD(model.parameters(), lr=0.1), 1,
            metric="auto", progress=False)
    with pytest.raises(TypeError, match="metric"):
        evaluate(model, _loader(X, y), metric=True)


def test_train_steps_budget_and_reports():
    seen = []
    budget = StepBudget(max_steps=7)
    stopped = train_steps(lambda b: float(b), range(1, 100), budget,
                          report=lambda step, mean: seen.append((step, mean)),
                          report_when=lambda step, done: step % 3 == 0 or done)
    assert stopped and budget.steps == 7
    assert seen == [(3, 2.0), (6, 5.0), (7, 7.0)]            # mean losses since the last report
    # running out of batches is not a stop; a budget counts across calls
    assert train_steps(lambda b: 0.0, range(2), StepBudget(max_steps=5)) is False
    assert train_steps(lambda b: 0.0, range(10), budget) is True and budget.steps == 8
    # a report returning True stops the loop
    assert train_steps(lambda b: 1.0, range(10), StepBudget(), report=lambda s, m: s == 4,
                       report_when=lambda s, done: True) is True
    assert StepBudget(time_limit=-1.0).spent and not StepBudget().spent


def test_l2_regularization_matches_weight_decay():
    X, y = _data(64)
    lam = 0.1
    rb.manual_seed(3)
    m1 = MLP([6, 8, 3])
    m2 = MLP([6, 8, 3])
    m2.load_state_dict(m1.state_dict())
    # weight decay on weights only (biases in a group without it) == L2(lam) in the objective
    opt1 = rb.optim.SGD(m1.parameters(), lr=0.1)
    weights = [p for n, p in m2.named_parameters() if n.endswith("weight")]
    biases = [p for n, p in m2.named_parameters() if n.endswith("bias")]
    opt2 = rb.optim.SGD([{"params": weights, "weight_decay": lam}, {"params": biases}], lr=0.1)
    loader = _loader(X, y, 64, False)
    fit(m1, loader, rb.nn.CrossEntropyLoss(), opt1, 3, regularization=L2(lam), progress=False)
    fit(m2, loader, rb.nn.CrossEntropyLoss(), opt2, 3, progress=False)
    for k, v in clone_state(m1).items():
        np.testing.assert_allclose(v, clone_state(m2)[k], rtol=1e-5, atol=1e-6, err_msg=k)


def test_l1_and_callable_regularization():
    model = MLP([3, 2])
    model[0].weight.data[...] = [[1, -2, 3], [0, 0, -1]]
    assert float(L1(0.5)(model).data) == pytest.approx(3.5)
    assert float(L2(2.0)(model).data) == pytest.approx(15.0)
    assert "L2(lam=2.0)" == repr(L2(2.0))
    X, y = _data(20, 3, 2)
    h = fit(model, _loader(X, y), rb.nn.CrossEntropyLoss(), rb.optim.SGD(model.parameters(), lr=0.0), 1,
            regularization=lambda m: (m[0].bias * m[0].bias).sum() + 1.0, progress=False)
    assert h.regularization[0] == pytest.approx(1.0 + float((model[0].bias.data ** 2).sum()))


def _run(tmp_path, epochs, kill_after=None, resume=False, seed=0):
    """Dropout (RNG), shuffling (RNG), Adam state and a scheduler: everything resume must restore."""
    if seed is not None:
        rb.manual_seed(seed)
    X, y = _data(96)
    model = MLP([6, 16, 16, 3], dropout=0.25, batch_norm=True)
    opt = rb.optim.Adam(model.parameters(), lr=0.01)
    sched = rb.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)

    def kill(epoch, record, model):
        if epoch == kill_after:
            raise KeyboardInterrupt(f"killed after epoch {epoch}")

    ckpt = None if tmp_path is None else os.path.join(tmp_path, "ckpt.npz")
    h = fit(model, _loader(X, y, 20), rb.nn.CrossEntropyLoss(), opt, epochs,
            val_loader=_loader(X[:30], y[:30], 16, True), scheduler=sched, checkpoint=ckpt,
            resume=resume, callbacks=[kill] if kill_after else None, progress=False)
    return model, opt, h


def test_resume_after_kill_is_identical(tmp_path):
    ref_model, ref_opt, ref_h = _run(None, 5)
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path, 5, kill_after=2)
    state = rb.load(os.path.join(tmp_path, "ckpt.npz"))
    assert state["epoch"] == 2 and len(state["history"]["records"]) == 2
    assert {"model", "optimizer", "scheduler", "rng", "epoch", "history"} <= set(state)
    # a fresh process would start from another RNG state: resume must not depend on it
    model, opt, h = _run(tmp_path, 5, resume=True, seed=12345)
    for k, v in clone_state(ref_model).items():
        np.testing.assert_array_equal(clone_state(model)[k], v, err_msg=k)
    assert h.cost == ref_h.cost and h.val_cost == ref_h.val_cost and h.lr == ref_h.lr
    assert opt.param_groups[0]["lr"] == ref_opt.param_groups[0]["lr"]


def test_resume_by_extending_a_finished_run(tmp_path):
    ref_model, _, ref_h = _run(None, 4)
    _run(tmp_path, 2)
    model, _, h = _run(tmp_path, 4, resume=True, seed=7)
    for k, v in clone_state(ref_model).items():
        np.testing.assert_array_equal(clone_state(model)[k], v, err_msg=k)
    assert h.cost == ref_h.cost
    # resuming a finished run trains nothing more
    model2, _, h2 = _run(tmp_path, 4, resume=True, seed=8)
    assert len(h2) == 4
    for k, v in clone_state(model).items():
        np.testing.assert_array_equal(clone_state(model2)[k], v, err_msg=k)


def test_resume_without_checkpoint_file_starts_fresh(tmp_path):
    ref_model, _, _ = _run(None, 2)
    model, _, h = _run(tmp_path, 2, resume=True)
    assert len(h) == 2
    for k, v in clone_state(ref_model).items():
        np.testing.assert_array_equal(clone_state(model)[k], v, err_msg=k)


def test_early_stopping_restores_best():
    # Random labels: the validation cost soon rises, so patience 2 stops well before 100 epochs.
    g = np.random.default_rng(0)
    X = g.standard_normal((64, 10)).astype(np.float32)
    y = g.integers(0, 3, 64)
    Xv = g.standard_normal((64, 10)).astype(np.float32)
    yv = g.integers(0, 3, 64)
    model = MLP([10, 64, 3])
    stopper = EarlyStopping(patience=2)
    h = fit(model, _loader(X, y, 16), rb.nn.CrossEntropyLoss(), rb.optim.Adam(model.parameters(), lr=0.01),
            100, val_loader=_loader(Xv, yv, 64, False), early_stopping=stopper, progress=False)
    assert h.stopped_early and len(h) < 100
    best = int(np.argmin(h.val_cost)) + 1
    assert h.best_epoch == best == len(h) - 2
    assert evaluate(model, _loader(Xv, yv, 64, False), rb.nn.CrossEntropyLoss()).cost == \
        pytest.approx(min(h.val_cost), rel=1e-6)


def test_early_stopping_unit():
    model = MLP([2, 2])
    s = EarlyStopping(patience=2, min_delta=0.1)
    assert not s.step(1.0, 1, model)
    assert not s.step(0.95, 2, model)          # not better by min_delta
    assert s.step(0.99, 3, model)
    assert s.best_epoch == 1
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=0)


def test_callback_can_stop():
    X, y = _data(40)
    model = MLP([6, 3])
    h = fit(model, _loader(X, y), rb.nn.CrossEntropyLoss(), rb.optim.SGD(model.parameters(), lr=0.1), 10,
            callbacks=[lambda epoch, record, m: epoch == 3], progress=False)
    assert len(h) == 3 and h.stopped_early


def test_progress_plain_and_tqdm(capsys, monkeypatch):
    X, y = _data(40)
    model = MLP([6, 3])
    opt = rb.optim.SGD(model.parameters(), lr=0.1)
    monkeypatch.setattr(progress, "tqdm_or_none", lambda: None)   # as if tqdm were not installed
    fit(model, _loader(X, y), rb.nn.CrossEntropyLoss(), opt, 2)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 2 and out[0].startswith("epoch 1") and "cost" in out[0] and "objective" in out[0]
    monkeypatch.undo()
    pytest.importorskip("tqdm")
    fit(model, _loader(X, y), rb.nn.CrossEntropyLoss(), opt, 1)
    assert "epoch 1/1" in capsys.readouterr().err


def test_bad_arguments(tmp_path):
    X, y = _data(20)
    model = MLP([6, 3])
    opt = rb.optim.SGD(model.parameters(), lr=0.1)
    loader = _loader(X, y)
    ce = rb.nn.CrossEntropyLoss()
    with pytest.raises(ValueError, match="epochs"):
        fit(model, loader, ce, opt, -1)
    with pytest.raises(ValueError, match="val_loader"):
        fit(model, loader, ce, opt, 1, early_stopping=3)
    with pytest.raises(ValueError, match="checkpoint"):
        fit(model, loader, ce, opt, 1, resume=True)
    with pytest.raises(TypeError, match="regularization"):
        fit(model, loader, ce, opt, 1, regularization="l2")
    with pytest.raises(TypeError, match="optimizer"):
        fit(model, loader, ce, object(), 1)
    with pytest.raises(TypeError, match="pairs"):
        fit(model, [rb.tensor(X)], ce, opt, 1, progress=False)
    with pytest.raises(ValueError, match="no batches"):
        fit(model, [], ce, opt, 1, progress=False)
    with pytest.raises(FloatingPointError, match="learning rate"):
        fit(model, loader, lambda out, target: out.sum() * float("nan"), opt, 1, progress=False)
