"""``rosenblatt lab NAME`` and ``rosenblatt tour``: the course's claims, measured.

    rosenblatt lab --list
    rosenblatt lab xor [--full] [--seed N] [--out DIR]   # prints the verdict; DIR gets PNGs + JSON
    rosenblatt lab xor --notebook xor.ipynb              # the lab as a Jupyter notebook
    rosenblatt tour [--out DIR] [--seed N] [--full]       # every lab -> DIR/index.html, DIR/results.json

Exit status: 0 when every lab run passes its criterion, 1 otherwise, 2 for a usage mistake.
"""
import os
import sys
import time
import traceback

from .errors import UsageError, output_dir

__all__ = ["add_lab_arguments", "lab", "add_tour_arguments", "tour", "run_tour"]


def add_lab_arguments(parser):
    parser.add_argument("name", nargs="?", metavar="NAME", help="the lab to run (see --list)")
    parser.add_argument("--list", action="store_true", help="list the labs and their claims")
    parser.add_argument("--full", action="store_true",
                        help="the paper-sized version (slower) instead of the quick one")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", metavar="DIR", type=output_dir, default=None,
                        help="write the figures (PNG) and the result (JSON) here")
    parser.add_argument("--notebook", metavar="PATH.ipynb", default=None,
                        help="write the lab as a Jupyter notebook (the experiment step by step) "
                             "instead of running it")


def add_tour_arguments(parser):
    parser.add_argument("--out", metavar="DIR", type=output_dir, default="rosenblatt-tour",
                        help="where index.html and results.json go (default: rosenblatt-tour)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--full", action="store_true", help="run every lab in full mode (slow)")
    parser.add_argument("--only", metavar="NAMES", default=None,
                        help="comma-separated subset of labs (default: all)")


def _fmt(v):
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    v = float(v)
    if v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-3):
        return f"{v:.4e}"
    return f"{v:.6g}"


def print_result(r, file=None):
    file = file or sys.stdout
    w = lambda s="": print(s, file=file)  # noqa: E731
    mode = "full" if r.full else "quick"
    w(f"== {r.name}: {r.title} ({mode}, seed {r.seed})")
    w(f"claim:     {r.claim}")
    w(f"           {r.claim_zh}")
    w(f"criterion: {r.criterion}")
    w("metrics:")
    width = max((len(k) for k in r.metrics), default=0)
    for k, v in r.metrics.items():
        w(f"  {k:<{width}}  {_fmt(v)}")
    w("checks:")
    for k, ok in r.checks.items():
        w(f"  [{'x' if ok else ' '}] {k}")
    for note in r.notes:
        w(f"note: {note}")
    if r.reference:
        w(f"reference: {r.reference}")
    w(f"{'PASS' if r.passed else 'FAIL'}  ({r.seconds:.2f} s)")


def lab(args):
    from .. import labs
    if args.list or not args.name:
        if not args.list:
            print("rosenblatt lab: name a lab (rosenblatt lab NAME), or --list", file=sys.stderr)
        for i, name in enumerate(labs.names(), 1):
            spec = labs.get(name)
            print(f"{i:2d}. {name:<25} {spec.claim}")
            print(f"    {'':<25} {spec.claim_zh}")
        return 0 if args.list else 2
    if args.name not in labs.names():
        raise UsageError(f"no lab named {args.name!r}; run `rosenblatt lab --list`")
    if args.notebook:
        return _write_notebook(args.name, args.notebook)
    result = labs.run(args.name, full=args.full, seed=args.seed)
    print_result(result)
    if args.out:
        from ..labs.report import save_result
        written = save_result(result, args.out)
        print(f"wrote {len(written)} files to {args.out}")
    return 0 if result.passed else 1


def _write_notebook(name, path):
    """``rosenblatt lab NAME --notebook PATH.ipynb``, through ``rosenblatt.labs.notebook``."""
    if not path.endswith(".ipynb"):
        raise UsageError(f"--notebook {path}: the file name must end in .ipynb")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"--notebook {path}: the folder {folder} does not exist")
    if os.path.isdir(path):
        raise UsageError(f"--notebook {path} is a directory; give a file name ending in .ipynb")
    try:
        from ..labs.notebook import write_notebook
    except ImportError as err:
        if getattr(err, "name", None) not in ("rosenblatt.labs.notebook", "nbformat"):
            raise
        raise UsageError(f"--notebook is not available in this installation ({err}); "
                         f"`pip install nbformat` or update rosenblatt") from None
    write_notebook(name, path)
    print(f"wrote {path}")
    return 0


def _failed_result(name, err, seconds, full, seed):
    from ..labs.base import LabResult
    try:
        from .. import labs
        spec = labs.get(name)
        claim, claim_zh, criterion, title = spec.claim, spec.claim_zh, spec.criterion, spec.title
        reference = spec.reference
    except Exception:  # noqa: BLE001 - the module itself may not import
        claim = claim_zh = criterion = reference = ""
        title = name
    return LabResult(name=name, claim=claim, claim_zh=claim_zh, criterion=criterion, metrics={},
                     passed=False, seconds=seconds, reference=reference, title=title,
                     checks={"the lab ran without an error": False}, full=full, seed=seed,
                     notes=[f"error: {type(err).__name__}: {err}"])


def run_tour(names=None, full=False, seed=0, out=None, progress=True):
    """Run the labs (all by default); write ``out/index.html`` and ``out/results.json``."""
    from .. import labs
    from ..labs import report
    names = labs.names() if names is None else list(names)
    results = []
    bar = None
    from ..training import progress_mode
    if progress_mode("auto" if progress is True else progress) == "bar":   # lines when redirected
        from tqdm import tqdm
        bar = tqdm(total=len(names), unit="lab", file=sys.stderr)
    for i, name in enumerate(names, 1):
        if bar is not None:
            bar.set_description(name)
        elif progress:
            print(f"[{i}/{len(names)}] {name} ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            r = labs.run(name, full=full, seed=seed)
        except Exception as err:  # noqa: BLE001 - one broken lab must not sink the tour
            traceback.print_exc()
            r = _failed_result(name, err, time.perf_counter() - t0, full, seed)
        results.append(r)
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(f"{name} {'PASS' if r.passed else 'FAIL'} {r.seconds:.1f}s")
    if bar is not None:
        bar.close()
    if out:
        os.makedirs(out, exist_ok=True)
        report.write_html(results, os.path.join(out, "index.html"))
        report.write_results_json(results, os.path.join(out, "results.json"))
    return results


def tour(args):
    from .. import labs
    names = None
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in labs.names()]
        if unknown:
            raise UsageError(f"--only: unknown labs {', '.join(unknown)}; run `rosenblatt lab --list`")
        if not names:
            raise UsageError("--only: name at least one lab, e.g. --only xor,backprop")
    results = run_tour(names, full=args.full, seed=args.seed, out=args.out)
    width = max((len(r.name) for r in results), default=0)
    for r in results:
        print(f"{'PASS' if r.passed else 'FAIL'}  {r.name:<{width}}  {r.seconds:6.2f} s")
    n_pass = sum(r.passed for r in results)
    # the same total as the report's header: the labs' own times
    print(f"{n_pass}/{len(results)} labs pass · {sum(r.seconds for r in results):.1f} s in all; "
          f"report: {os.path.join(args.out, 'index.html')}")
    return 0 if n_pass == len(results) else 1
