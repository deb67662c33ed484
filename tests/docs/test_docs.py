"""Every Python example in docs/ runs, and prints exactly what the page shows.

A page's ```python blocks run in order in one namespace, in a fresh temporary folder. When a
```text block follows a python block directly, it is the output that block must print.
Refresh the pages after a deliberate change with ``python tests/docs/test_docs.py --write``.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import tempfile
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)


@dataclass
class Example:
    """One python block and the text block that shows its output, if any."""

    source: str
    shown: str | None
    shown_span: tuple[int, int] | None


def examples(text: str) -> Iterator[Example]:
    blocks = list(FENCE.finditer(text))
    for index, block in enumerate(blocks):
        if block.group(1) != "python":
            continue
        after = blocks[index + 1] if index + 1 < len(blocks) else None
        shows = (
            after is not None
            and after.group(1) == "text"
            and not text[block.end() : after.start()].strip()
        )
        if shows and after is not None:
            yield Example(block.group(2), after.group(2), after.span(2))
        else:
            yield Example(block.group(2), None, None)


def run(source: str, namespace: dict[str, object], label: str) -> str:
    """Run one block and return what it printed (an exception's last line included)."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        try:
            # dont_inherit: an example runs as a reader's script would, without this
            # module's `from __future__ import annotations`
            exec(compile(source, label, "exec", dont_inherit=True), namespace)
        except Exception as exc:
            last = "".join(traceback.format_exception_only(exc)).rstrip("\n")
            module = type(exc).__module__
            if module not in ("builtins", "__main__") and not last.startswith(module):
                last = f"{module}.{last}"
            print("Traceback (most recent call last):\n  ...\n" + last)
    return printed.getvalue()


def outputs(page: Path) -> tuple[str, list[tuple[Example, str]]]:
    """The page text and, for each example, what it prints now."""
    text = page.read_text(encoding="utf-8")
    namespace: dict[str, object] = {"__name__": "__main__"}
    results: list[tuple[Example, str]] = []
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            for number, example in enumerate(examples(text)):
                label = f"{page.name}:example {number + 1}"
                results.append((example, run(example.source, namespace, label)))
        finally:
            os.chdir(here)
    return text, results


PAGES = sorted(DOCS.rglob("*.md"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_examples_print_what_the_page_shows(page: Path) -> None:
    _, results = outputs(page)
    for number, (example, printed) in enumerate(results, start=1):
        if example.shown is None:
            assert printed == "", f"{page.name} example {number} prints but shows no output"
        else:
            assert printed == example.shown, f"{page.name} example {number} prints otherwise"


def write(page: Path) -> bool:
    """Put what each example prints now into the page; True when the page changed."""
    text, results = outputs(page)
    pieces: list[str] = []
    position = 0
    for example, printed in results:
        if example.shown_span is not None:
            start, end = example.shown_span
            pieces += [text[position:start], printed]
            position = end
    updated = "".join([*pieces, text[position:]])
    if updated != text:
        page.write_text(updated, encoding="utf-8")
    return updated != text


if __name__ == "__main__" and "--write" in sys.argv:
    for changed_page in PAGES:
        if write(changed_page):
            print(f"updated {changed_page}")
