#!/usr/bin/env python
"""Run every lab and write the results tables into docs/LABS.md (generated from the code).

    python scripts/reproduce_labs.py                 # all labs, full mode, seed 0
    python scripts/reproduce_labs.py --quick         # the quick versions (what the tour runs)
    python scripts/reproduce_labs.py --quick --seeds 0-4 --sabotage   # `make reproduce`
    python scripts/reproduce_labs.py --only xor,kaiming --out out/labs-full

The results table (lab, claim, measured headline numbers, verdict, time,
published reference) replaces the text between the ``<!-- results:start -->``
and ``<!-- results:end -->`` markers of docs/LABS.md.  With ``--seeds`` and
``--sabotage`` a second table (between ``<!-- verdicts:start -->`` and
``<!-- verdicts:end -->``) gives, per lab, the verdict on every seed, the
claim-level numbers (the module's ``EFFECT``) as seed 0's value and their range
over the seeds, the sabotaged run's verdict and numbers, and the criterion --
the module's ``CRITERION`` string itself, so docs and code cannot disagree.
``--out DIR`` also writes the HTML report, results.json and every figure.
"""
import argparse
import datetime
import os
import platform
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

from rosenblatt import labs  # noqa: E402
from rosenblatt.cli.labs import run_tour  # noqa: E402

START, END = "<!-- results:start -->", "<!-- results:end -->"
VSTART, VEND = "<!-- verdicts:start -->", "<!-- verdicts:end -->"


def _fmt(v):
    if v is None:                        # a non-finite number, as saved in JSON
        return "nan"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    v = float(v)
    if v != 0 and (abs(v) >= 1e4 or abs(v) < 1e-3):
        return f"{v:.2e}"
    return f"{v:.4g}"


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(results):
    rows = ["| # | Lab | Claim | Measured | Verdict | Time | Published reference |",
            "|---|-----|-------|----------|---------|------|---------------------|"]
    for i, r in enumerate(results, 1):
        try:
            keys = getattr(labs.get(r.name).module, "HEADLINE", None)
        except Exception:  # noqa: BLE001
            keys = None
        keys = [k for k in (keys or list(r.metrics)[:6]) if k in r.metrics]
        measured = "<br>".join(f"`{k}` = {_fmt(r.metrics[k])}" for k in keys) or "(no metrics)"
        claim = f"{r.claim}<br>{r.claim_zh}"
        verdict = "**PASS**" if r.passed else "**FAIL**"
        rows.append(f"| {i} | `{r.name}` | {_cell(claim)} | {_cell(measured)} | {verdict} | "
                    f"{r.seconds:.1f} s | {_cell(r.reference)} |")
    return "\n".join(rows)


def _effect_keys(name, r):
    mod = labs.get(name).module
    keys = getattr(mod, "EFFECT", None) or getattr(mod, "HEADLINE", None) or list(r.metrics)[:3]
    return [k for k in keys if k in r.metrics]


def verdict_table(by_seed, sabotaged):
    """``by_seed``: {name: [LabResult per seed]}; ``sabotaged``: {name: LabResult} (may be empty)."""
    rows = ["| Lab | Verdict per seed | Claim-level numbers: seed 0 [min, max over seeds] | "
            "Sabotage (what is removed) → verdict, numbers, failed check | Criterion (the code's) |",
            "|---|---|---|---|---|"]
    for name, rs in by_seed.items():
        verdicts = "".join("P" if r.passed else "F" for r in rs)
        keys = _effect_keys(name, rs[0])
        cells = []
        for k in keys:
            vals = [float(r.metrics[k]) for r in rs if k in r.metrics and r.metrics[k] is not None]
            spread = f" [{_fmt(min(vals))}, {_fmt(max(vals))}]" if len(vals) > 1 else ""
            cells.append(f"`{k}` = {_fmt(rs[0].metrics[k])}{spread}")
        sab = sabotaged.get(name)
        if sab is None:
            sab_cell = "(not run)"
        else:
            what = getattr(labs.get(name).module, "SABOTAGE", "?")
            nums = ", ".join(f"`{k}` = {_fmt(sab.metrics[k])}" for k in _effect_keys(name, sab))
            failed = "; ".join(k for k, ok in sab.checks.items() if not ok) or "none"
            sab_cell = (f"{what} → **{'PASS' if sab.passed else 'FAIL'}**; {nums}; failed: {failed}")
        rows.append(f"| `{name}` | {verdicts} ({sum(r.passed for r in rs)}/{len(rs)}) | "
                    f"{_cell('<br>'.join(cells))} | {_cell(sab_cell)} | {_cell(rs[0].criterion)} |")
    return "\n".join(rows)


def _replace_block(path, start, end, block, heading):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    block = f"{start}\n{block}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + f"\n\n## {heading}\n\n" + block + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def write_verdicts(by_seed, sabotaged, path, full, seeds, wall):
    mode = "full" if full else "quick"
    header = (f"Mode: **{mode}**, seeds {', '.join(map(str, seeds))}"
              f"{'; sabotaged runs on seed ' + str(seeds[0]) if sabotaged else ''}; "
              f"{wall:.0f} s of lab time in all (summed over the runs) on {os.cpu_count()} CPU core(s); generated "
              f"{datetime.date.today().isoformat()} by `python scripts/reproduce_labs.py"
              f"{'' if full else ' --quick'} --seeds {','.join(map(str, seeds))}"
              f"{' --sabotage' if sabotaged else ''}`.  P = PASS, F = FAIL, one letter per seed.")
    _replace_block(path, VSTART, VEND, f"{header}\n\n{verdict_table(by_seed, sabotaged)}",
                   "Verdicts across seeds, and with the mechanism removed")


def _seeds(text):
    out = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b) + 1)) if b else [int(a)]
    return out


def write_table(results, path, full, seed, wall):
    mode = "full" if full else "quick"
    n_pass = sum(r.passed for r in results)
    header = (f"Mode: **{mode}**, seed {seed}; {n_pass}/{len(results)} labs pass; "
              f"{wall:.0f} s in all on {os.cpu_count()} CPU core(s), Python {platform.python_version()}, "
              f"NumPy {np.__version__}; generated {datetime.date.today().isoformat()} by "
              f"`python scripts/reproduce_labs.py{'' if full else ' --quick'}`.")
    block = f"{START}\n{header}\n\n{table(results)}\n{END}"
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n## Results\n\n" + block + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="run the quick versions instead of full")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--seeds", default=None, help="e.g. 0-4: run every lab on each seed (verdict table)")
    p.add_argument("--sabotage", action="store_true",
                   help="also run every lab with its mechanism removed (must FAIL)")
    p.add_argument("--save", default=None, help="with --seeds: also save the runs (JSON) for --merge")
    p.add_argument("--merge", nargs="+", default=None,
                   help="write the tables from runs saved by --save (several processes' parts)")
    p.add_argument("--only", default=None, help="comma-separated lab names")
    p.add_argument("--out", default=None, help="also write index.html, results.json and figures here")
    p.add_argument("--doc", default=os.path.join(ROOT, "docs", "LABS.md"))
    args = p.parse_args(argv)
    names = [n.strip() for n in args.only.split(",")] if args.only else None
    full = not args.quick
    if args.merge:
        return _merge(args.merge, args.doc)
    if args.seeds or args.sabotage:
        return _verdicts(names, full, _seeds(args.seeds) if args.seeds else [args.seed], args)
    t0 = time.perf_counter()
    results = run_tour(names, full=full, seed=args.seed, out=args.out)
    wall = time.perf_counter() - t0
    if args.out:
        from rosenblatt.labs.report import save_result
        for r in results:
            save_result(r, os.path.join(args.out, "labs"))
    for r in results:
        print(f"{'PASS' if r.passed else 'FAIL'}  {r.name:<25} {r.seconds:7.1f} s")
    write_table(results, args.doc, full, args.seed, wall)
    print(f"table written to {args.doc}")
    return 0 if all(r.passed for r in results) else 1


def _verdicts(names, full, seeds, args):
    """Every lab on every seed (+ sabotaged on the first seed): the verdict table."""
    t0 = time.perf_counter()
    names = names or labs.names()
    by_seed, sabotaged, ok = {}, {}, True
    for name in names:
        by_seed[name] = []
        for seed in seeds:
            r = labs.run(name, full=full, seed=seed)
            by_seed[name].append(r)
            ok &= r.passed
            print(f"{'PASS' if r.passed else 'FAIL'}  {name:<25} seed {seed}  {r.seconds:7.1f} s", flush=True)
        if args.sabotage:
            r = labs.run(name, full=full, seed=seeds[0], sabotage=True)
            sabotaged[name] = r
            ok &= not r.passed
            print(f"{'PASS' if r.passed else 'FAIL'}  {name:<25} sabotaged {r.seconds:7.1f} s"
                  f"{'   <-- a sabotaged lab must FAIL' if r.passed else ''}", flush=True)
    wall = time.perf_counter() - t0
    if args.save:
        import json
        with open(args.save, "w", encoding="utf-8") as f:
            json.dump({"full": full, "seeds": seeds, "wall": wall,
                       "labs": {n: {"seeds": [r.to_dict() for r in rs],
                                    "sabotaged": sabotaged[n].to_dict() if n in sabotaged else None}
                                for n, rs in by_seed.items()}}, f, indent=1)
        print(f"runs saved to {args.save}")
        return 0 if ok else 1
    write_verdicts(by_seed, sabotaged, args.doc, full, seeds, wall)
    write_table([rs[0] for rs in by_seed.values()], args.doc, full, seeds[0],
                sum(rs[0].seconds for rs in by_seed.values()))
    print(f"tables written to {args.doc}")
    return 0 if ok else 1


def _result(d):
    from rosenblatt.labs.base import LabResult
    keep = ("name", "claim", "claim_zh", "criterion", "metrics", "passed", "seconds", "reference", "title",
            "checks", "full", "seed", "notes", "sabotage")
    return LabResult(**{k: d[k] for k in keep if k in d})


def _merge(paths, doc):
    """Tables from several ``--save`` files (e.g. one process per group of labs), in course order."""
    import json
    by_seed, sabotaged, wall, seeds, full = {}, {}, 0.0, None, False
    for path in paths:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
        wall += d["wall"]
        seeds, full = d["seeds"], d["full"]
        for name, runs in d["labs"].items():
            by_seed[name] = [_result(r) for r in runs["seeds"]]
            if runs["sabotaged"]:
                sabotaged[name] = _result(runs["sabotaged"])
    order = [n for n in labs.names() if n in by_seed] + [n for n in by_seed if n not in labs.names()]
    by_seed = {n: by_seed[n] for n in order}
    write_verdicts(by_seed, sabotaged, doc, full, seeds, wall)
    write_table([rs[0] for rs in by_seed.values()], doc, full, seeds[0],
                sum(rs[0].seconds for rs in by_seed.values()))
    ok = all(r.passed for rs in by_seed.values() for r in rs) and not any(r.passed for r in sabotaged.values())
    print(f"tables written to {doc}; {'all verdicts as expected' if ok else 'SOME VERDICTS WRONG'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
