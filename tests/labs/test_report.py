"""The tour's report: results.json schema, self-contained HTML, the glossary."""
import importlib
import json
import re

import rosenblatt as rb
from rosenblatt.labs import report
from rosenblatt.labs.base import LabResult
from rosenblatt.labs.glossary import GLOSSARY, lookup

from . import quick_result

CHEAP = ["backprop", "weight-decay", "bias-variance"]


def _results():
    return [quick_result(n) for n in CHEAP]


def test_results_json_schema(tmp_path):
    path = tmp_path / "results.json"
    report.write_results_json(_results(), path)
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    assert set(d) == {"labs"}
    assert [e["name"] for e in d["labs"]] == CHEAP
    for e in d["labs"]:
        assert set(e) == {"name", "passed", "metrics", "seconds"}
        assert isinstance(e["name"], str)
        assert isinstance(e["passed"], bool)
        assert isinstance(e["seconds"], (int, float)) and e["seconds"] >= 0
        assert e["metrics"] and all(isinstance(k, str) and isinstance(v, (int, float))
                                    and not isinstance(v, bool) for k, v in e["metrics"].items())


def test_html_is_self_contained_with_one_section_per_lab(tmp_path):
    failing = LabResult(name="broken", claim="a <claim> & more", claim_zh="失败的实验",
                        criterion="never", metrics={"x": 1.5}, passed=False,
                        checks={"x is 2": False}, reference="none")
    results = _results() + [failing]
    path = tmp_path / "index.html"
    report.write_html(results, path)
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    sections = re.findall(r'<section class="lab (pass|fail)" id="lab-([\w-]+)"', html)
    assert [n for _, n in sections] == CHEAP + ["broken"]
    assert [s for s, _ in sections] == ["pass"] * len(CHEAP) + ["fail"]
    n_figures = sum(len(r.figures) for r in results)
    assert html.count('src="data:image/png;base64,') == n_figures >= len(CHEAP)
    # nothing loaded from elsewhere
    assert not re.search(r'(src|href)="(https?:|file:|//)', html)
    assert "<script" not in html
    # claims in both languages, escaped
    for r in _results():
        assert r.claim_zh in html
    assert "a &lt;claim&gt; &amp; more" in html
    assert 'class="badge pass">PASS' in html and 'class="badge fail">FAIL' in html
    # the glossary
    assert 'id="glossary"' in html
    assert html.count("<tr><td lang=\"zh\">") == len(GLOSSARY)
    assert "激活函数" in html and "rb.models.Perceptron" in html


def test_glossary_covers_the_course_terms():
    assert len(GLOSSARY) >= 30
    zh_terms = " ".join(e[0] for e in GLOSSARY)
    for term in ["感知机", "激活函数", "反向传播", "损失函数", "代价函数", "目标函数", "权值初始化",
                 "正则化", "卷积", "池化", "循环神经网络", "门控循环单元", "长短期记忆", "梯度消失",
                 "梯度爆炸", "困惑度", "过拟合", "丢弃法"]:
        assert term in zh_terms, term
    assert lookup("感知机")[0][2] == "rb.models.Perceptron"
    assert lookup("back-propagation")[0][2] == "Tensor.backward"


def _resolve(dotted):
    head, *rest = dotted.split(".")
    obj = {"rb": rb, "Tensor": rb.Tensor, "Module": rb.nn.Module, "Function": rb.Function}[head]
    path = "rosenblatt"
    for part in rest:
        path += "." + part
        if not hasattr(obj, part):
            obj = importlib.import_module(path)    # a submodule not imported by default
        else:
            obj = getattr(obj, part)
    return obj


def test_glossary_api_names_exist():
    missing = []
    for zh, en, api, note in GLOSSARY:
        for tok in re.findall(r"\b(?:rb|Tensor|Module|Function)\.[A-Za-z_][\w.]*", api):
            try:
                _resolve(tok.rstrip("."))
            except (AttributeError, ImportError):
                missing.append(tok)
    assert not missing, f"glossary names APIs that do not exist: {missing}"
