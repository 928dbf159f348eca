"""The tour's outputs: a self-contained ``index.html`` and ``results.json``.

``index.html`` needs nothing beside it: figures are embedded as
``data:image/png;base64`` images, the style sheet is inline, there is no
script.  One ``<section class="lab">`` per lab (claim in English and Chinese,
criterion, metrics table, PASS/FAIL badge, figures), then the glossary.
"""
import base64
import datetime
import html
import io
import json
import math
import os

from .glossary import GLOSSARY

__all__ = ["figure_png", "render_html", "write_html", "write_results_json", "results_dict",
           "save_result"]


def figure_png(fig, dpi=90):
    """A matplotlib Figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def results_dict(results):
    """``{"labs": [{"name", "passed", "metrics", "seconds"}, ...]}``."""
    return {"labs": [r.summary() for r in results]}


def write_results_json(results, path):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(results_dict(results), f, indent=2, ensure_ascii=False)
        f.write("\n")
    return path


def save_result(result, out_dir, dpi=100):
    """One lab's files: ``<name>.json`` (everything but pixels) and ``<name>_<figure>.png``."""
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for key, fig in result.figures.items():
        path = os.path.join(out_dir, f"{result.name}_{key}.png")
        fig.savefig(path, format="png", dpi=dpi)
        written.append(path)
    path = os.path.join(out_dir, f"{result.name}.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(result.to_dict(), f, indent=2, ensure_ascii=False)
        f.write("\n")
    written.append(path)
    return written


def _fmt(v):
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    v = float(v)
    if not math.isfinite(v):
        return str(v)
    if v == 0:
        return "0"
    if abs(v) >= 1e5 or abs(v) < 1e-3:
        return f"{v:.3e}"
    return f"{v:.4g}"


_CSS = """
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", "PingFang SC",
       "Microsoft YaHei", sans-serif; margin: 0; color: #1d2330; background: #f4f5f7;
       line-height: 1.45; }
header { background: #1d2330; color: #fff; padding: 24px 40px; }
header h1 { margin: 0 0 4px 0; font-size: 26px; }
header p { margin: 2px 0; color: #c9cfdb; }
main { max-width: 1180px; margin: 0 auto; padding: 20px 24px 60px; }
nav.toc { background: #fff; border-radius: 8px; padding: 12px 18px; margin-bottom: 20px;
          box-shadow: 0 1px 3px rgba(0,0,0,.08); }
nav.toc ol { columns: 3; margin: 6px 0; padding-left: 22px; }
nav.toc li { margin: 2px 0; }
section.lab { background: #fff; border-radius: 8px; padding: 18px 24px; margin: 0 0 22px;
              box-shadow: 0 1px 3px rgba(0,0,0,.08); border-left: 6px solid #2e9d5b; }
section.lab.fail { border-left-color: #c83737; }
section.lab h2 { margin: 0 0 8px; font-size: 21px; display: flex; align-items: center; gap: 12px;
                 flex-wrap: wrap; }
.badge { font-size: 13px; font-weight: 700; color: #fff; border-radius: 4px; padding: 2px 9px;
         letter-spacing: .05em; }
.badge.pass { background: #2e9d5b; } .badge.fail { background: #c83737; }
.secs { font-size: 13px; color: #6b7385; font-weight: 400; }
.claim { font-size: 17px; margin: 4px 0; }
.claim.zh { color: #3a4254; }
.criterion { background: #f0f3f8; border-radius: 6px; padding: 8px 12px; margin: 10px 0;
             font-size: 14px; }
.ref { font-size: 13px; color: #6b7385; margin: 6px 0; }
.cols { display: flex; gap: 24px; flex-wrap: wrap; align-items: flex-start; }
table { border-collapse: collapse; font-size: 13.5px; }
table.metrics { min-width: 280px; max-width: 100%; }
.checksbox { flex: 1 1 100%; }
td, th { border-bottom: 1px solid #e3e6ec; padding: 4px 10px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-family: "SFMono-Regular", Menlo, Consolas, monospace; }
th { background: #f7f8fa; }
ul.checks { margin: 4px 0; padding-left: 4px; list-style: none; font-size: 14px; }
ul.checks li::before { content: "\\2714\\00a0"; color: #2e9d5b; }
ul.checks li.no::before { content: "\\2718\\00a0"; color: #c83737; }
figure { margin: 10px 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #e3e6ec; border-radius: 4px; }
figcaption { font-size: 12px; color: #6b7385; }
section.glossary { background: #fff; border-radius: 8px; padding: 18px 24px;
                   box-shadow: 0 1px 3px rgba(0,0,0,.08); }
section.glossary h2 { margin-top: 0; }
table.glossary { width: 100%; }
table.glossary td:first-child { white-space: nowrap; }
table.glossary code { font-size: 12.5px; }
.summary { font-size: 15px; }
"""


def _section(i, r, dpi):
    status = "pass" if r.passed else "fail"
    e = html.escape
    items = list(r.metrics.items())
    per_table = max(12, -(-len(items) // 3))          # long lists: up to 3 tables side by side
    tables = "".join(
        "<table class=\"metrics\"><tr><th>metric</th><th>measured</th></tr>"
        + "".join(f"<tr><td>{e(k)}</td><td class=\"num\">{e(_fmt(v))}</td></tr>"
                  for k, v in items[i:i + per_table]) + "</table>"
        for i in range(0, max(len(items), 1), per_table))
    checks = "".join(f"<li class=\"{'yes' if ok else 'no'}\">{e(k)}</li>"
                     for k, ok in r.checks.items())
    figs = []
    for key, fig in r.figures.items():
        b64 = base64.b64encode(figure_png(fig, dpi)).decode("ascii")
        figs.append(f"<figure><img alt=\"{e(r.name)}: {e(key)}\" src=\"data:image/png;base64,{b64}\">"
                    f"<figcaption>{e(key)}</figcaption></figure>")
    notes = "".join(f"<p class=\"ref\">{e(n)}</p>" for n in r.notes)
    mode = "full" if r.full else "quick"
    return f"""
<section class="lab {status}" id="lab-{e(r.name)}">
  <h2>{i}. {e(r.title or r.name)} <code>{e(r.name)}</code>
      <span class="badge {status}">{status.upper()}</span>
      <span class="secs">{r.seconds:.1f} s · {mode} · seed {r.seed}</span></h2>
  <p class="claim en">{e(r.claim)}</p>
  <p class="claim zh" lang="zh">{e(r.claim_zh)}</p>
  <div class="criterion"><b>Criterion.</b> {e(r.criterion)}</div>
  <div class="cols">
    <div class="checksbox"><b>Checks</b><ul class="checks">{checks}</ul></div>
    {tables}
  </div>
  {''.join(figs)}
  <p class="ref"><b>Reference.</b> {e(r.reference)}</p>{notes}
</section>"""


def render_html(results, title="rosenblatt — the course as experiments", dpi=80):
    """The report as one HTML string."""
    e = html.escape
    n_pass = sum(bool(r.passed) for r in results)
    total = sum(r.seconds for r in results)
    toc = "".join(f"<li><a href=\"#lab-{e(r.name)}\">{e(r.name)}</a> "
                  f"{'✔' if r.passed else '✘'}</li>" for r in results)
    sections = "".join(_section(i + 1, r, dpi) for i, r in enumerate(results))
    gloss = "".join(f"<tr><td lang=\"zh\">{e(zh)}</td><td>{e(en)}</td><td><code>{e(api)}</code></td>"
                    f"<td>{e(note)}</td></tr>" for zh, en, api, note in GLOSSARY)
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title><style>{_CSS}</style></head>
<body>
<header><h1>{e(title)}</h1>
<p>课程即实验 · every claim of the course, measured by the framework it teaches</p>
<p class="summary">{n_pass} / {len(results)} labs pass · {total:.1f} s in all · {e(when)}</p></header>
<main>
<nav class="toc"><b>Labs</b><ol>{toc}</ol><a href="#glossary">Glossary 术语表</a></nav>
{sections}
<section class="glossary" id="glossary"><h2>Glossary 术语表</h2>
<table class="glossary"><tr><th>中文</th><th>English</th><th>rosenblatt API</th><th>note</th></tr>
{gloss}</table></section>
</main></body></html>
"""


def write_html(results, path, **kwargs):
    with open(path, "w", encoding="utf-8") as f:
        f.write(render_html(results, **kwargs))
    return path
