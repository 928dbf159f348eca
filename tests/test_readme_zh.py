"""README.zh-CN.md is README.md in Chinese: the same commands and the same tables.

Compared: every code block (its lines with trailing comments removed, since comments are
translated), every table (row count, column count, and per row the numbers and the `code` spans,
which translation must not change), and the links to other files.  When README.md changes,
this test names what README.zh-CN.md must follow.
"""
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[+-]?\d+)?")


def _read(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as f:
        return f.read()


def _code_blocks(text):
    """[(language, [lines without trailing comments])] of the fenced code blocks."""
    blocks = re.findall(r"^```(\w*)\n(.*?)^```", text, flags=re.M | re.S)
    out = []
    for lang, body in blocks:
        lines = [re.sub(r"\s+#\s.*$", "", line).rstrip() for line in body.splitlines()]
        out.append((lang, [line for line in lines if line.strip()]))
    return out


def _tables(text):
    """Each Markdown table as a list of rows, a row as its cells (code blocks left out)."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    tables, current = [], []
    for line in text.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables


def _row_facts(cells):
    joined = " ".join(cells)
    return (len(cells), sorted(NUMBER.findall(re.sub(r"`[^`]*`", " ", joined))),
            re.findall(r"`([^`]*)`", joined))


def _links(text):
    return {t for t in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text) if not t.startswith("http")}


@pytest.fixture(scope="module")
def readmes():
    return _read("README.md"), _read("README.zh-CN.md")


def test_same_commands_and_code(readmes):
    en, zh = map(_code_blocks, readmes)
    assert len(zh) == len(en), f"README.md has {len(en)} code blocks, README.zh-CN.md {len(zh)}"
    for i, (a, b) in enumerate(zip(en, zh)):
        assert a == b, f"code block {i + 1} differs:\nREADME.md:\n{a}\nREADME.zh-CN.md:\n{b}"


def test_same_tables(readmes):
    en, zh = map(_tables, readmes)
    assert len(zh) == len(en), f"README.md has {len(en)} tables, README.zh-CN.md {len(zh)}"
    for t, (a, b) in enumerate(zip(en, zh)):
        assert len(a) == len(b), f"table {t + 1}: {len(a)} rows in README.md, {len(b)} in zh"
        for r, (ra, rb_) in enumerate(zip(a, b)):
            assert _row_facts(ra) == _row_facts(rb_), \
                f"table {t + 1}, row {r + 1}:\nREADME.md:       {ra}\nREADME.zh-CN.md: {rb_}"


def test_same_links_and_chinese_terms(readmes):
    en, zh = readmes
    assert _links(en) <= _links(zh) | {"README.zh-CN.md"}
    assert "README.md" in _links(zh)
    for term in ("感知机", "多层感知机", "反向传播", "卷积神经网络", "循环神经网络", "长短期记忆网络",
                 "门控循环单元"):
        assert term in zh, term


def test_the_comparison_notices_a_change(readmes):
    en, zh = readmes
    changed = zh.replace("| 5 | `backprop` | 自动求导与有限差分之差 1.9e-10", "| 5 | `backprop` | 自动求导与有限差分之差 2.9e-10")
    assert changed != zh
    assert [list(map(_row_facts, t)) for t in _tables(changed)] != [list(map(_row_facts, t)) for t in _tables(en)]
    assert _code_blocks(zh.replace("--epochs 30", "--epochs 3")) != _code_blocks(en)
