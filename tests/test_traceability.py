"""docs/spec-traceability.md stays true: every test it names exists, every implementation file
(and the class/function named after it) exists, and the summary counts match the rows.

Pure text: reads the files, imports nothing of the app."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "spec-traceability.md"
STATUSES = ("done", "partial", "missing", "deviates")
SPAN = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Row:
    module: str
    key: str
    implemented: list[str]
    tests: list[str]
    status: str
    status_text: str


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def parse(text: str) -> tuple[list[Row], dict[str, dict[str, int]]]:
    """The requirement rows (tables whose header has 'Proved by' and 'Status') under their `##`
    heading, and the summary table (header starting with 'Module')."""
    rows: list[Row] = []
    summary: dict[str, dict[str, int]] = {}
    module = ""
    header: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            module, header = line[3:].strip(), None
            continue
        if not line.startswith("|"):
            header = None
            continue
        row = cells(line)
        if header is None:
            header = [h.lower() for h in row]
            continue
        if set("".join(row)) <= set("-: "):
            continue
        if header[0] == "module":
            name = row[0].strip("* ")
            numbers = zip(header[1:], row[1:], strict=True)
            summary[name] = {h: int(v.strip("* ")) for h, v in numbers}
        elif "proved by" in header and "status" in header:
            get = dict(zip(header, row, strict=True))
            status_text = get["status"]
            status = re.split(r"[^a-z]", status_text.strip("* ").lower(), maxsplit=1)[0]
            rows.append(
                Row(
                    module=module,
                    key=row[0],
                    implemented=SPAN.findall(get["implemented in"]),
                    tests=SPAN.findall(get["proved by"]),
                    status=status,
                    status_text=status_text,
                )
            )
    return rows, summary


@cache
def document() -> tuple[list[Row], dict[str, dict[str, int]]]:
    return parse(DOC.read_text(encoding="utf-8"))


@cache
def source(path: str) -> str:
    return (ROOT / path).read_text(encoding="utf-8")


def is_path(span: str) -> bool:
    path = span.split(":", 1)[0].strip()
    return "/" in path or path.endswith(".toml")


def test_the_document_has_rows_for_every_module_of_the_summary():
    rows, summary = document()
    assert rows, "no requirement rows found"
    assert "Total" in summary
    assert {r.module for r in rows} == set(summary) - {"Total"}
    assert len({r.key for r in rows}) == len(rows), "row numbers must be unique"


def test_every_row_has_a_known_status_and_done_rows_name_code_and_a_test():
    rows, _ = document()
    for r in rows:
        assert r.status in STATUSES, f"{r.key}: unknown status {r.status_text!r}"
        if r.status in ("partial", "deviates"):
            assert len(r.status_text) > len(r.status) + 10, f"{r.key}: {r.status} needs a reason"
        if r.status != "missing":
            assert any(is_path(s) for s in r.implemented), f"{r.key}: no implementation named"
            assert r.tests, f"{r.key}: no test named"


def test_the_summary_counts_equal_the_rows_statuses():
    rows, summary = document()
    counted: dict[str, Counter[str]] = {}
    for r in rows:
        counted.setdefault(r.module, Counter())[r.status] += 1
    total: Counter[str] = Counter()
    for module, counts in counted.items():
        total.update(counts)
        expected = {s: counts[s] for s in STATUSES} | {"total": sum(counts.values())}
        assert summary[module] == expected, module
    assert summary["Total"] == {s: total[s] for s in STATUSES} | {"total": sum(total.values())}


def test_every_named_test_exists():
    rows, _ = document()
    named = {t for r in rows for t in r.tests}
    missing = []
    for ref in sorted(named):
        path, sep, name = ref.partition("::")
        name = name.split("[", 1)[0]  # a parametrised id names the same function
        file = ROOT / path
        pattern = rf"^(?:async )?def {re.escape(name)}\("
        exists = bool(sep) and path.startswith("tests/") and file.is_file()
        if not exists or not re.search(pattern, source(path), re.MULTILINE):
            missing.append(ref)
    assert not missing, f"tests named in {DOC.name} that do not exist: {missing}"


def defines(text: str, name: str) -> bool:
    """A class, function or method `name`, or a module/class attribute assigned or annotated."""
    n = re.escape(name)
    pattern = rf"^\s*(?:(?:async )?def|class) {n}\b|^\s*{n}\s*[:=]"
    return bool(re.search(pattern, text, re.MULTILINE))


def test_every_named_implementation_exists():
    rows, _ = document()
    problems = []
    for r in rows:
        for span in filter(is_path, r.implemented):
            path, _, symbol = (part.strip() for part in span.partition(":"))
            if not (ROOT / path).is_file():
                problems.append(f"{r.key}: no file {path}")
                continue
            for name in symbol.split(".") if symbol else []:
                if not defines(source(path), name):
                    problems.append(f"{r.key}: {path} defines no {name}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "| A1 | x | `a/b.py: C.d` | `tests/t.py::test_x[1]` | done |",
            ("done", ["tests/t.py::test_x[1]"]),
        ),
        ("| A2 | x | — | — | missing (issue 13, in progress) |", ("missing", [])),
        (
            "| A3 | x | `a/b.py` | `tests/t.py::t` | **deviates** — why |",
            ("deviates", ["tests/t.py::t"]),
        ),
    ],
)
def test_the_parser_reads_a_row(line, expected):
    header = "| # | Requirement | Implemented in | Proved by | Status |\n|---|---|---|---|---|"
    rows, _ = parse(f"## M\n\n{header}\n{line}\n")
    assert (rows[0].status, rows[0].tests) == expected
