"""``rosenblatt train charlm`` and ``rosenblatt generate``: the character language model.

``add_train_arguments(parser)`` / ``train(args)`` and ``add_generate_arguments(parser)`` /
``generate(args)`` are wired into the ``rosenblatt`` command by :mod:`rosenblatt.cli`.

The checkpoint (``--out DIR``/``charlm-<cell>.npz``) is written with ``rb.save``: the model
state dict, the model configuration and the vocabulary as a JSON string -- no pickle.
"""
import pathlib
import sys

__all__ = ["add_train_arguments", "train", "add_generate_arguments", "generate"]


def add_train_arguments(parser):
    p = parser
    p.add_argument("--cell", choices=["rnn", "gru", "lstm"], default="lstm",
                   help="recurrent cell (default: lstm)")
    p.add_argument("--text", default=None, metavar="FILE",
                   help="UTF-8 text file to train on, or 'shakespeare' (downloaded once) or "
                        "'pydoc' (default: the English text of CPython's pydoc topics)")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--num-steps", type=int, default=64, help="truncated-BPTT window length")
    p.add_argument("--embed-dim", type=int, default=64)
    p.add_argument("--hidden-size", type=int, default=256)
    p.add_argument("--num-layers", type=int, default=1)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate")
    p.add_argument("--clip", type=float, default=1.0, help="max gradient norm (0: no clipping)")
    p.add_argument("--random-iter", action="store_true",
                   help="random-sampling minibatches (default: sequential partitioning)")
    p.add_argument("--val-fraction", type=float, default=0.1)
    p.add_argument("--max-chars", type=int, default=None,
                   help="use only the first N characters of the text (quick runs)")
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many updates")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/charlm", metavar="DIR",
                   help="folder for the checkpoint (default: runs/charlm)")
    p.add_argument("--quiet", action="store_true")
    return parser


def _log(args):
    if getattr(args, "quiet", False):
        return None
    return lambda msg: print(msg, flush=True)


def train(args):
    import rosenblatt as rb
    from ..models.charlm import CharLM, bigram_perplexity, generate as sample, train_charlm
    from ..utils.data.datasets.text import TextCorpus, load_corpus

    rb.manual_seed(args.seed)
    text = load_corpus(args.text)
    if args.max_chars:
        text = text[:args.max_chars]
    corpus = TextCorpus(text, val_fraction=args.val_fraction)
    V = len(corpus.vocab)
    log = _log(args)
    if log:
        log(f"corpus: {len(text)} characters, vocabulary {V}, train {len(corpus.train)}, "
            f"validation {len(corpus.val)}")
    model = CharLM(V, args.embed_dim, args.hidden_size, args.num_layers, args.cell, args.dropout)
    hist = train_charlm(model, corpus.train, corpus.val, epochs=args.epochs,
                        batch_size=args.batch_size, num_steps=args.num_steps, lr=args.lr,
                        clip=args.clip, use_random_iter=args.random_iter,
                        max_steps=args.max_steps, log=log)
    bigram = bigram_perplexity(corpus.train, corpus.val, V)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"charlm-{args.cell}.npz"
    rb.save({"model": model.state_dict(), "config": model.config(),
             "vocab": corpus.vocab.to_json(),
             "val_perplexity": hist["val_ppl"][-1] if hist["val_ppl"] else None,
             "bigram_perplexity": bigram, "steps": hist["steps"]}, str(path))
    if log:
        if hist["val_ppl"]:
            log(f"validation perplexity {hist['val_ppl'][-1]:.2f} (bigram baseline {bigram:.2f})")
        log(f"saved {path}")
        rb.manual_seed(args.seed)
        log("sample: " + sample(model, corpus.vocab, text[:1] if text[0] in corpus.vocab.stoi
                                else "T", 200, temperature=0.8))
    return 0


def add_generate_arguments(parser):
    p = parser
    p.add_argument("--checkpoint", required=True, metavar="FILE",
                   help="a .npz written by `rosenblatt train charlm`")
    p.add_argument("--prompt", default="The ", help="text to start from")
    p.add_argument("--length", type=int, default=200, help="characters to generate")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    return parser


def load_checkpoint(path):
    """``(model, vocab)`` from a checkpoint written by :func:`train`."""
    import rosenblatt as rb
    from ..models.charlm import CharLM
    from ..utils.data.datasets.text import Vocab
    ck = rb.load(str(path))
    try:
        cfg, sd, vocab = ck["config"], ck["model"], Vocab.from_json(ck["vocab"])
    except (KeyError, TypeError):
        raise SystemExit(f"rosenblatt generate: {path} is not a charlm checkpoint "
                         f"(expected entries 'model', 'config', 'vocab')") from None
    model = CharLM(**cfg)
    model.load_state_dict(sd)
    return model, vocab


def generate(args):
    import rosenblatt as rb
    from ..models.charlm import generate as sample
    path = pathlib.Path(args.checkpoint)
    if not path.is_file():
        raise SystemExit(f"rosenblatt generate: no such checkpoint: {str(path)!r}")
    model, vocab = load_checkpoint(path)
    rb.manual_seed(args.seed)
    text = sample(model, vocab, args.prompt, args.length, temperature=args.temperature,
                  top_k=args.top_k)
    sys.stdout.write(text + "\n")
    return 0
