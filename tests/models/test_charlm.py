"""CharLM: shapes, quick training lowers the loss, perplexity vs bigram, seeded generation, CLI."""
import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.models.charlm import (CharLM, bigram_perplexity, generate, perplexity,
                                      train_charlm)
from rosenblatt.utils.data.datasets.text import TextCorpus

TEXT = ("the quick brown fox jumps over the lazy dog. " * 60
        + "a stitch in time saves nine. " * 60)


@pytest.fixture(scope="module")
def corpus():
    return TextCorpus(TEXT, val_fraction=0.1)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_forward_shapes_and_state(cell, corpus):
    m = CharLM(len(corpus.vocab), 8, 16, num_layers=2, cell=cell)
    x = rb.tensor(corpus.train[:30].reshape(3, 10))
    logits, state = m(x)
    assert logits.shape == (3, 10, len(corpus.vocab))
    h = state[0] if cell == "lstm" else state
    assert h.shape == (2, 3, 16)
    logits2, _ = m(x, state)
    assert logits2.shape == logits.shape


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_quick_training_lowers_loss_and_beats_bigram(cell, corpus):
    rb.manual_seed(0)
    V = len(corpus.vocab)
    m = CharLM(V, 16, 48, cell=cell)
    before = perplexity(m, corpus.val, 8, 20)
    hist = train_charlm(m, corpus.train, corpus.val, epochs=6, batch_size=8, num_steps=20,
                        lr=1e-2)
    assert hist["loss"][-1] < hist["loss"][0] - 1.0
    after = hist["val_ppl"][-1]
    assert after < before / 3
    assert after < bigram_perplexity(corpus.train, corpus.val, V)


def test_bigram_perplexity_bounds(corpus):
    V = len(corpus.vocab)
    p = bigram_perplexity(corpus.train, corpus.val, V)
    assert 1 < p < V


def test_generate_deterministic_and_top_k(corpus):
    m = CharLM(len(corpus.vocab), 8, 16, cell="gru")
    rb.manual_seed(5)
    a = generate(m, corpus.vocab, "the ", 40)
    rb.manual_seed(5)
    b = generate(m, corpus.vocab, "the ", 40)
    assert a == b and a.startswith("the ") and len(a) == 44
    c = generate(m, corpus.vocab, "the ", 40, generator=np.random.default_rng(1))
    assert c != a
    # top_k=1 is greedy, whatever the temperature and the generator
    g1 = generate(m, corpus.vocab, "the ", 30, top_k=1, generator=np.random.default_rng(0))
    g2 = generate(m, corpus.vocab, "the ", 30, temperature=0)
    assert g1 == g2
    # with top_k=k only the k most likely next characters ever appear after the prompt
    with rb.no_grad():
        logits, _ = m(rb.tensor(corpus.vocab.encode("the ")[None]))
    top3 = set(np.argsort(logits.data[0, -1])[-3:].tolist())
    firsts = {corpus.vocab[generate(m, corpus.vocab, "the ", 1, top_k=3,
                                    generator=np.random.default_rng(s))[-1]] for s in range(30)}
    assert firsts <= top3 and len(firsts) > 1
    with pytest.raises(ValueError):
        generate(m, corpus.vocab, "", 5)


def test_cli_train_and_generate(tmp_path, capsys):
    from rosenblatt.cli import charlm as cli
    import argparse
    src = tmp_path / "t.txt"
    src.write_text(TEXT, encoding="utf-8")
    p = cli.add_train_arguments(argparse.ArgumentParser())
    args = p.parse_args(["--cell", "gru", "--text", str(src), "--hidden-size", "16",
                         "--embed-dim", "8", "--batch-size", "4", "--num-steps", "16",
                         "--max-steps", "5", "--out", str(tmp_path / "out"), "--quiet"])
    assert cli.train(args) == 0
    ck = tmp_path / "out" / "charlm-gru.npz"
    assert ck.is_file()
    g = cli.add_generate_arguments(argparse.ArgumentParser())
    gargs = g.parse_args(["--checkpoint", str(ck), "--prompt", "the", "--length", "12",
                          "--seed", "1"])
    assert cli.generate(gargs) == 0
    out1 = capsys.readouterr().out
    cli.generate(gargs)
    assert capsys.readouterr().out == out1 and out1.startswith("the")


def test_train_adding_problem_smoke():
    from rosenblatt.models.adding import train_adding_problem
    r = train_adding_problem("gru", seq_len=10, hidden_size=8, batch_size=16, max_steps=4,
                             eval_every=2, n_test=32)
    assert r["steps"] == 4 and r["curve"]["step"] == [2, 4]
    assert r["baseline_mse"] == pytest.approx(1 / 6)
    assert all(np.isfinite(r["curve"]["test_mse"]))
