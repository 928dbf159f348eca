"""docs/LABS.zh-CN.md is docs/LABS.md in Chinese: the same commands and the same tables.

Uses the comparison of tests/test_readme_zh.py: every code block (its lines with trailing
comments removed, since comments are translated), every table (row count, column count, and per
row the numbers and the `code` spans, which translation must not change), and the links.
A cell of LABS.md that gives a claim as "English<br>中文" is compared by its Chinese part only,
since the Chinese file keeps only that.  When LABS.md changes (scripts/reproduce_labs.py
regenerates its tables), this test names what LABS.zh-CN.md must follow.
"""
import re

import pytest

from tests.test_readme_zh import _code_blocks, _links, _read, _row_facts, _tables

CJK = re.compile(r"[\u4e00-\u9fff]")


def _chinese_part(cell):
    """'English<br>中文' -> '中文'; any other cell unchanged."""
    parts = cell.split("<br>")
    if len(parts) == 2 and not CJK.search(parts[0]) and CJK.search(parts[1]):
        return parts[1]
    return cell


def _facts(tables, chinese_only=False):
    return [[_row_facts([_chinese_part(c) for c in row] if chinese_only else row) for row in t]
            for t in tables]


@pytest.fixture(scope="module")
def docs():
    return _read("docs/LABS.md"), _read("docs/LABS.zh-CN.md")


def test_same_commands_and_code(docs):
    en, zh = map(_code_blocks, docs)
    assert len(zh) == len(en), f"LABS.md has {len(en)} code blocks, LABS.zh-CN.md {len(zh)}"
    for i, (a, b) in enumerate(zip(en, zh)):
        assert a == b, f"code block {i + 1} differs:\nLABS.md:\n{a}\nLABS.zh-CN.md:\n{b}"


def test_same_tables(docs):
    en, zh = map(_tables, docs)
    assert len(zh) == len(en), f"LABS.md has {len(en)} tables, LABS.zh-CN.md {len(zh)}"
    fen, fzh = _facts(en, chinese_only=True), _facts(zh)
    for t, (a, b) in enumerate(zip(en, zh)):
        assert len(a) == len(b), f"table {t + 1}: {len(a)} rows in LABS.md, {len(b)} in zh"
        for r, (ra, rb_) in enumerate(zip(a, b)):
            assert fen[t][r] == fzh[t][r], \
                f"table {t + 1}, row {r + 1}:\nLABS.md:       {ra}\nLABS.zh-CN.md: {rb_}"


def test_links_and_chinese_terms(docs):
    en, zh = docs
    assert "LABS.zh-CN.md" in _links(en)
    assert "LABS.md" in _links(zh)
    assert _links(en) <= _links(zh) | {"LABS.zh-CN.md"}
    for term in ("感知机", "多层感知机", "反向传播", "激活函数", "权重衰减", "丢弃法", "偏差-方差",
                 "池化", "梯度消失", "梯度裁剪", "门控循环单元", "新认知机", "S细胞", "C细胞",
                 "卷积神经网络", "循环神经网络", "长短期记忆网络"):
        assert term in zh, term


def test_the_comparison_notices_a_change(docs):
    en, zh = docs
    # change one measured time (any: regenerated tables have other times) by 1 s
    changed = re.sub(r"\| \*\*PASS\*\* \| (\d+)\.(\d) s \|",
                     lambda m: f"| **PASS** | {int(m[1]) + 1}.{m[2]} s |", zh, count=1)
    assert changed != zh
    assert _facts(_tables(changed)) != _facts(_tables(en), chinese_only=True)
    assert _code_blocks(zh.replace("--seeds 0-4 --sabotage`", "--seeds 0-3 --sabotage`")
                        .replace("--out out/k", "--out out/x")) != _code_blocks(en)
