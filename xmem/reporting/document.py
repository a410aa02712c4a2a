"""A small document model for the report, rendered once as Markdown and once as HTML.

A report is a title, a banner and a list of :class:`Section` (anchor, heading, blocks); the
table of contents is generated from the sections' anchors, so every heading has an anchor in
both renderings (``<a id=...>`` in Markdown, ``id=`` in HTML). Text uses a Markdown subset —
``**bold**``, `` `code` ``, ``[label](href)`` — converted for HTML by :func:`inline_html`.
Measured table rows are bold in Markdown and highlighted in HTML.
"""

from __future__ import annotations

import base64
import html
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

STD_SUFFIX = " std"


@dataclass(frozen=True)
class Paragraph:
    text: str
    small: bool = False


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    ordered: bool = False


@dataclass(frozen=True)
class TextTable:
    """A small table of text cells (no highlighting)."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""


@dataclass(frozen=True)
class DataTable:
    """A results table: "X std" columns folded into "X" as "mean ± std"; measured rows marked."""

    frame: pd.DataFrame
    caption: str


@dataclass(frozen=True)
class Image:
    path: Path
    caption: str


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str
    blocks: tuple = ()
    level: int = 2
    subsections: tuple["Section", ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------- cells
def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """Strings for display: "X std" columns folded into "X" as "mean ± std"."""
    shown = pd.DataFrame(index=table.index)
    for column in table.columns:
        if column.endswith(STD_SUFFIX) and column[: -len(STD_SUFFIX)] in table.columns:
            continue
        values = table[column].map(_cell)
        std_column = column + STD_SUFFIX
        if std_column in table.columns:
            stds = table[std_column].map(_cell)
            values = [f"{v} ± {s}" if v and s else v for v, s in zip(values, stds)]
        shown[column] = values
    return shown


def is_measured(source: str) -> bool:
    return str(source).startswith("measured")


def anchor_of(text: str) -> str:
    """An HTML/Markdown anchor id from a name: lower case, [a-z0-9-] only."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def walk(sections) -> list[Section]:
    """Sections and their subsections, depth first."""
    out = []
    for s in sections:
        out.append(s)
        out += walk(s.subsections)
    return out


# --------------------------------------------------------------------------- Markdown
def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_block(block, base: Path) -> list[str]:
    if isinstance(block, Paragraph):
        return [f"<small>{block.text}</small>" if block.small else block.text, ""]
    if isinstance(block, Bullets):
        return [f"{i}. {t}" if block.ordered else f"- {t}" for i, t in enumerate(block.items, 1)] + [""]
    if isinstance(block, TextTable):
        lines = [f"*{block.caption}*", ""] if block.caption else []
        lines += ["| " + " | ".join(block.header) + " |", "|" + "---|" * len(block.header)]
        return lines + ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in block.rows] + [""]
    if isinstance(block, DataTable):
        shown = display_table(block.frame)
        lines = [f"*{block.caption}*", "", "| " + " | ".join(_md_escape(c) for c in shown.columns) + " |",
                 "|" + "---|" * len(shown.columns)]
        for _, row in shown.iterrows():
            cells = [_md_escape(str(v)) for v in row]
            if "source" in shown.columns and is_measured(row["source"]):
                cells = [f"**{c}**" if c else c for c in cells]
            lines.append("| " + " | ".join(cells) + " |")
        return lines + [""]
    if isinstance(block, Image):
        relative = os.path.relpath(block.path, base)
        return [f"![{block.path.stem}]({relative})", "", f"*{block.caption}*", ""]
    raise TypeError(f"unknown block {type(block).__name__}")


def to_markdown(title: str, banner: str, sections: list[Section], base: Path) -> str:
    """The report in Markdown; images are linked relative to ``base`` (the report's folder)."""
    lines = [f"# {title}", "", f"> {banner}", "", "## Contents", ""]
    for s in walk(sections):
        lines.append("  " * (s.level - 2) + f"- [{s.title}](#{s.anchor})")
    lines.append("")
    for s in walk(sections):
        lines += [f'<a id="{s.anchor}"></a>', "", f"{'#' * s.level} {s.title}", ""]
        for block in s.blocks:
            lines += _md_block(block, base)
    return "\n".join(lines)


# --------------------------------------------------------------------------- HTML
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")


def inline_html(text: str) -> str:
    """Escape ``text`` and turn its **bold**, `code` and [label](href) into HTML."""
    out = html.escape(text, quote=False)
    out = _CODE.sub(r"<code>\1</code>", out)
    out = _BOLD.sub(r"<b>\1</b>", out)
    return _LINK.sub(lambda m: f'<a href="{html.escape(m.group(2))}">{m.group(1)}</a>', out)


def _html_block(block) -> str:
    if isinstance(block, Paragraph):
        text = inline_html(block.text)
        return f"<p><small>{text}</small></p>" if block.small else f"<p>{text}</p>"
    if isinstance(block, Bullets):
        tag = "ol" if block.ordered else "ul"
        return f"<{tag}>" + "".join(f"<li>{inline_html(t)}</li>" for t in block.items) + f"</{tag}>"
    if isinstance(block, TextTable):
        caption = f"<caption>{inline_html(block.caption)}</caption>" if block.caption else ""
        head = "".join(f"<th>{html.escape(c)}</th>" for c in block.header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in block.rows)
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if isinstance(block, DataTable):
        shown = display_table(block.frame)
        head = "".join(f"<th>{html.escape(c)}</th>" for c in shown.columns)
        body = []
        for _, row in shown.iterrows():
            kind = "measured" if "source" in shown.columns and is_measured(row["source"]) else "paper"
            body.append(f'<tr class="{kind}">' + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>")
        return (f"<table><caption>{inline_html(block.caption)}</caption><thead><tr>{head}</tr></thead>"
                f"<tbody>{''.join(body)}</tbody></table>")
    if isinstance(block, Image):
        data = base64.b64encode(block.path.read_bytes()).decode("ascii")
        return (f"<figure><img alt='{html.escape(block.path.stem)}' src='data:image/png;base64,{data}'>"
                f"<figcaption>{inline_html(block.caption)}</figcaption></figure>")
    raise TypeError(f"unknown block {type(block).__name__}")


CSS = """
body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:12px;margin:0.5em 0 1.5em}
caption{caption-side:top;text-align:left;font-style:italic;padding:0.3em 0}
th,td{border:1px solid #ccc;padding:2px 6px;text-align:right}
th{background:#eee} td:nth-child(-n+4){text-align:left}
tr.paper{color:#666;background:#fafafa} tr.measured{background:#fff3cd;font-weight:bold}
img{max-width:100%;border:1px solid #ddd}
figure{margin:0 0 2em} figcaption{font-style:italic;font-size:13px}
.banner{background:#fde7e7;border:1px solid #e0a0a0;padding:0.5em 1em}
nav li{margin:0.1em 0}
"""


def to_html(title: str, banner: str, sections: list[Section]) -> str:
    """The report as one self-contained HTML page (figures embedded as data URIs)."""
    h = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
         f"<style>{CSS}</style></head><body>", f"<h1>{html.escape(title)}</h1>",
         f"<p class='banner'>{inline_html(banner)}</p>", "<nav><h2 id='contents'>Contents</h2>"]
    h.append(_toc_html(sections) + "</nav>")
    for s in walk(sections):
        h.append(f"<h{s.level} id='{s.anchor}'>{html.escape(s.title)}</h{s.level}>")
        h += [_html_block(b) for b in s.blocks]
    h.append("</body></html>")
    return "\n".join(h)


def _toc_html(sections) -> str:
    if not sections:
        return ""
    items = "".join(f"<li><a href='#{s.anchor}'>{html.escape(s.title)}</a>{_toc_html(s.subsections)}</li>"
                    for s in sections)
    return f"<ul>{items}</ul>"
