"""``rosenblatt train charlm`` and ``rosenblatt generate``: the character language model.

``add_train_arguments(parser)`` / ``train(args)`` and ``add_generate_arguments(parser)`` /
``generate(args)`` are wired into the ``rosenblatt`` command by :mod:`rosenblatt.cli`.

The checkpoint (``--out DIR``/``charlm-<cell>.npz``) is written with ``rb.save``: the model
state dict, the model configuration and the vocabulary as a JSON string -- no pickle.
"""
import argparse
import pathlib
import sys

from .errors import (UsageError, existing_file, file_problem, fraction, non_negative_float, non_negative_int,
                     output_dir, positive_float, positive_int, user_errors)

__all__ = ["add_train_arguments", "train", "add_generate_arguments", "generate"]

CORPORA = ("pydoc", "shakespeare")


def _text_source(text):
    """``--text``: a named corpus or a readable file."""
    if text in CORPORA or text in ("tinyshakespeare", "tiny-shakespeare"):
        return text
    problem = file_problem(text, expected=f"a UTF-8 text file, or one of {', '.join(CORPORA)}")
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def add_train_arguments(parser):
    """Options of ``rosenblatt train charlm`` (their defaults appear in ``--help``)."""
    p = parser
    p.formatter_class = argparse.ArgumentDefaultsHelpFormatter
    p.add_argument("--cell", choices=["rnn", "gru", "lstm"], default="lstm", help="recurrent cell")
    p.add_argument("--text", type=_text_source, default="pydoc", metavar="FILE",
                   help="UTF-8 text file to train on, or 'shakespeare' (downloaded once) or "
                        "'pydoc' (the English text of CPython's pydoc topics)")
    p.add_argument("--epochs", type=positive_int, default=1, help="passes over the text")
    p.add_argument("--batch-size", type=positive_int, default=32, help="sequences per minibatch")
    p.add_argument("--num-steps", type=positive_int, default=64, help="truncated-BPTT window length")
    p.add_argument("--embed-dim", type=positive_int, default=64, help="character embedding size")
    p.add_argument("--hidden-size", type=positive_int, default=256, help="recurrent state size")
    p.add_argument("--num-layers", type=positive_int, default=1, help="stacked recurrent layers")
    p.add_argument("--dropout", type=fraction, default=0.0, help="dropout between layers")
    p.add_argument("--lr", type=positive_float, default=2e-3, help="Adam learning rate")
    p.add_argument("--clip", type=non_negative_float, default=1.0, help="max gradient norm (0: no clipping)")
    p.add_argument("--random-iter", action="store_true",
                   help="random-sampling minibatches instead of sequential partitioning")
    p.add_argument("--val-fraction", type=fraction, default=0.1, help="share of the text held out")
    p.add_argument("--max-chars", type=positive_int, default=None,
                   help="use only the first N characters of the text (quick runs)")
    p.add_argument("--max-steps", type=positive_int, default=None, help="stop after this many updates")
    p.add_argument("--time-limit", type=positive_float, default=None, metavar="SECONDS",
                   help="stop training after this many seconds, then save and report as usual")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--out", type=output_dir, default="runs/charlm", metavar="DIR",
                   help="folder for the checkpoint")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return parser


def _log(args):
    if getattr(args, "quiet", False):
        return None
    return lambda msg: print(msg, flush=True)


def _corpus(args):
    """The text and its train/validation split, checked against the batching options."""
    from ..utils.data.datasets import ChecksumError, DownloadError
    from ..utils.data.datasets.text import TextCorpus, load_corpus
    with user_errors(ValueError, OSError, DownloadError, ChecksumError, prefix=f"--text {args.text}: "):
        text = load_corpus(args.text)
    if args.max_chars:
        text = text[:args.max_chars]
    if len(text) < 4:
        raise UsageError(f"--text {args.text}: {len(text)} characters are too few to train on")
    corpus = TextCorpus(text, val_fraction=args.val_fraction)
    need = args.batch_size + args.num_steps + 1
    if len(corpus.train) < need:
        raise UsageError(f"--batch-size {args.batch_size} and --num-steps {args.num_steps} need at least "
                         f"{need} training characters, the text gives {len(corpus.train)}; lower them, "
                         f"or use a longer text (--max-chars)")
    return text, corpus


def train(args):
    import rosenblatt as rb
    from ..models.charlm import CharLM, bigram_perplexity, generate as sample, train_charlm

    rb.manual_seed(args.seed)
    text, corpus = _corpus(args)
    V = len(corpus.vocab)
    log = _log(args)
    if log:
        log(f"corpus: {len(text)} characters, vocabulary {V}, train {len(corpus.train)}, "
            f"validation {len(corpus.val)}")
    model = CharLM(V, args.embed_dim, args.hidden_size, args.num_layers, args.cell, args.dropout)
    hist = train_charlm(model, corpus.train, corpus.val if len(corpus.val) > 1 else None,
                        epochs=args.epochs, batch_size=args.batch_size, num_steps=args.num_steps,
                        lr=args.lr, clip=args.clip, use_random_iter=args.random_iter,
                        max_steps=args.max_steps, time_limit=args.time_limit, log=log)
    bigram = bigram_perplexity(corpus.train, corpus.val, V) if len(corpus.val) else None
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"charlm-{args.cell}.npz"
    rb.save({"model": model.state_dict(), "config": model.config(),
             "vocab": corpus.vocab.to_json(),
             "val_perplexity": hist["val_ppl"][-1] if hist["val_ppl"] else None,
             "bigram_perplexity": bigram, "steps": hist["steps"]}, str(path))
    if log:
        if args.time_limit is not None and hist["seconds"] > args.time_limit:
            log(f"stopped at the time limit ({args.time_limit:g} s) after {hist['steps']} steps")
        if hist["val_ppl"]:
            log(f"validation perplexity {hist['val_ppl'][-1]:.2f} (bigram baseline {bigram:.2f})")
        log(f"saved {path}")
        rb.manual_seed(args.seed)
        log("sample: " + sample(model, corpus.vocab, text[:1] if text[0] in corpus.vocab.stoi
                                else "T", 200, temperature=0.8))
    return 0


def add_generate_arguments(parser):
    p = parser
    p.formatter_class = argparse.ArgumentDefaultsHelpFormatter
    p.add_argument("--checkpoint", required=True, metavar="FILE", type=existing_file,
                   help="a .npz written by `rosenblatt train charlm`")
    p.add_argument("--prompt", default="The ", help="text to start from")
    p.add_argument("--length", type=non_negative_int, default=200, help="characters to generate")
    p.add_argument("--temperature", type=non_negative_float, default=1.0,
                   help="sampling temperature (0: always the most likely character)")
    p.add_argument("--top-k", type=positive_int, default=None,
                   help="sample only among the k most likely characters")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    return parser


def load_checkpoint(path):
    """``(model, vocab)`` from a checkpoint written by :func:`train`."""
    import rosenblatt as rb
    from ..models.charlm import CharLM
    from ..utils.data.datasets.text import Vocab
    ck = rb.load(str(path))
    if isinstance(ck, dict) and isinstance(ck.get("config"), str) and "vocab" not in ck:
        raise UsageError(f"--checkpoint {path} is an image-classifier checkpoint (from `rosenblatt "
                         f"train MODEL`); use `rosenblatt evaluate --checkpoint {path}`")
    try:
        cfg, sd, vocab = ck["config"], ck["model"], Vocab.from_json(ck["vocab"])
        model = CharLM(**cfg)
    except (KeyError, TypeError, ValueError):
        raise UsageError(f"--checkpoint {path} is not a charlm checkpoint (expected entries 'model', "
                         f"'config', 'vocab' as `rosenblatt train charlm` writes them)") from None
    with user_errors(KeyError, ValueError, RuntimeError,
                     prefix=f"--checkpoint {path} does not match its config: "):
        model.load_state_dict(sd)
    return model, vocab


def generate(args):
    import rosenblatt as rb
    from ..models.charlm import generate as sample
    model, vocab = load_checkpoint(pathlib.Path(args.checkpoint))
    if not args.prompt:
        raise UsageError("--prompt: give at least one character to start from")
    rb.manual_seed(args.seed)
    text = sample(model, vocab, args.prompt, args.length, temperature=args.temperature,
                  top_k=args.top_k)
    sys.stdout.write(text + "\n")
    return 0
