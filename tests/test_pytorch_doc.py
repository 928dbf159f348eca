"""docs/PYTORCH.md stays true: every name under "Present" exists in rosenblatt under the same
path, every name under "Missing" does not (move it up when it is added)."""
import importlib
import pathlib
import re

import pytest

import rosenblatt  # noqa: F401

DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "PYTORCH.md"
_ENTRY = re.compile(r"^- `(torch(?:\.\w+)*)`: (.*)$")


def section_entries(title):
    """``[(namespace, name)]`` from the bullet lines of the section ``## title`` (a bullet
    continues on the following lines indented by two spaces)."""
    text = DOC.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"docs/PYTORCH.md: no section '## {title}'"
    bullets, current = [], None
    for line in match.group(1).splitlines():
        if line.startswith("- `torch"):
            current = [line]
            bullets.append(current)
        elif line.startswith("  ") and current is not None:
            current.append(line.strip())
        else:
            current = None
    entries = []
    for lines in bullets:
        m = _ENTRY.match(" ".join(lines))
        assert m, f"docs/PYTORCH.md ({title}): cannot read the line {lines[0]!r}"
        for name in re.findall(r"`([^`]+)`", m.group(2)):
            entries.append((m.group(1), name))
    return entries


def resolve(namespace):
    """The rosenblatt object for a ``torch...`` path (the longest importable module, then
    attributes: ``torch.nn.Module`` -> ``rosenblatt.nn.Module``)."""
    parts = ["rosenblatt"] + namespace.split(".")[1:]
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
            break
        except ImportError:
            continue
    for p in parts[i:]:
        obj = getattr(obj, p)
    return obj


def test_present_names_exist():
    entries = section_entries("Present")
    assert len(entries) > 300
    absent = [f"{ns}.{n}" for ns, n in entries if not hasattr(resolve(ns), n)]
    assert not absent, (f"docs/PYTORCH.md lists as present, but rosenblatt lacks: {absent} "
                        f"(add them, or move them to '## Missing')")


def test_missing_names_are_missing():
    entries = section_entries("Missing")
    assert entries
    now_there = [f"{ns}.{n}" for ns, n in entries if hasattr(resolve(ns), n)]
    assert not now_there, (f"docs/PYTORCH.md lists as missing, but rosenblatt now has: {now_there} "
                           f"(move them to '## Present')")


def test_no_name_is_listed_twice():
    for title in ("Present", "Missing"):
        entries = section_entries(title)
        dup = sorted({e for e in entries if entries.count(e) > 1})
        assert not dup, f"docs/PYTORCH.md ({title}) lists twice: {dup}"
    both = set(section_entries("Present")) & set(section_entries("Missing"))
    assert not both, f"docs/PYTORCH.md lists as present and missing: {sorted(both)}"


@pytest.mark.parametrize("title", ["The same", "Present", "Differs on purpose", "Missing"])
def test_sections_exist(title):
    assert re.search(rf"^## {re.escape(title)}$", DOC.read_text(encoding="utf-8"), re.M)
