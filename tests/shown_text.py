"""Everything a page shows a reader, as text, under AppTest; and the raw values that must never be
among it.

`shown_texts` walks the whole element tree of a run (main area and sidebar, inside columns, tabs,
expanders and forms) and returns each piece of text with where it is: titles, markdown, alerts,
metric values, widget labels, options, help and placeholders, expander and tab labels, chart
titles and the categories a chart names, and every cell of every table as the browser displays
it. Streamlit formats a table's cells in the browser from the column configuration, so
`displayed_cell` does what the grid does for the formats the pages use: a number column's
printf, "localized" or default format, a selectbox column's option label, "None" for an empty
cell. `raw_values` then finds what a reader should never see: `None`/`nan`, snake_case codes,
numbers with padded or overlong decimals, ISO timestamps and Python reprs.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
from google.protobuf.message import Message
from streamlit.testing.v1 import AppTest

# Proto fields that hold identifiers, styling or data the browser does not print as they are.
_NOT_TEXT = {
    "id",
    "form_id",
    "type",
    "icon",
    "tag",
    "element_type",
    "data",
    "spec",
    "columns",
    "theme",
    "vega_lite_theme",
    "selection_mode",
    "anchor",
    "url",
    "page",
    "page_script_hash",
    "tab_id",
    "color",
    "css",
    "format",
    "width",
    "height",
}

# What the grid shows for an empty cell (a faded "None").
EMPTY_CELL = "None"


@dataclass(frozen=True)
class Shown:
    """One piece of text on the page and where it is (element type, table column)."""

    where: str
    text: str


def _unescaped(text: str) -> str:
    """Markdown text as it reads once its backslash escapes are rendered."""
    return re.sub(r"\\(.)", r"\1", text)


def _proto_strings(message: Message, where: str) -> Iterator[Shown]:
    for descriptor, value in message.ListFields():
        if descriptor.name in _NOT_TEXT:
            continue
        values = value if isinstance(value, Iterable) and not isinstance(value, str) else [value]
        for item in values:
            if isinstance(item, str):
                if item:
                    yield Shown(f"{where}.{descriptor.name}", _unescaped(item))
            elif isinstance(item, Message):
                yield from _proto_strings(item, where)


def _printf(fmt: str, value: float) -> str:
    """A printf-style number format as sprintf-js applies it (the forms the pages use: a sign,
    thousands grouped with "," or with the character after "'" (`%'.,d`), a precision)."""
    out = fmt.replace("%%", "\0")
    match = re.search(r"%([+]?)(?:'(.))?(,)?(?:\.(\d+))?([dfieg])", out)
    if match is None:
        return fmt
    sign, group, grouped, precision, kind = match.groups()
    if kind in "di":
        number = f"{int(value):{sign}d}"
    elif kind == "f":
        number = f"{value:{sign}.{int(precision or 6)}f}"
    elif kind == "g" and precision is None:
        number = ("+" if sign and value >= 0 else "") + _js_string(float(value))
    else:
        number = f"{value:{sign}.{int(precision or 6)}{kind}}"
    if grouped:
        whole, point, decimals = number.partition(".")
        digits = whole.lstrip("+-")
        head = whole[: len(whole) - len(digits)]
        groups = re.sub(r"\B(?=(\d{3})+(?!\d))", group or ",", digits)
        number = head + groups + point + decimals
    return (out[: match.start()] + number + out[match.end() :]).replace("\0", "%")


def _localized(value: float, decimals: int | None) -> str:
    """Intl.NumberFormat in en-US: grouped thousands, at most 3 decimals unless fixed."""
    if decimals is not None:
        return f"{value:,.{decimals}f}"
    text = f"{value:,.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _default_number(value: float, decimals: int | None) -> str:
    """The grid's default number format: no grouping, up to 4 decimals, trailing zeros trimmed."""
    if decimals is not None:
        return f"{value:.{decimals}f}"
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _decimals_of(step: Any, integer: bool) -> int | None:
    if step is None:
        return 0 if integer else None
    text = f"{float(step):f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def _js_string(value: Any) -> str:
    """A value as JavaScript's String() writes it (a whole float without its '.0')."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def displayed_cell(value: Any, config: dict[str, Any], integer: bool = False) -> str:
    """A table cell as the browser displays it under its column configuration."""
    if value is None or value is pd.NA or value is pd.NaT:
        return EMPTY_CELL
    if isinstance(value, float) and math.isnan(value):
        return EMPTY_CELL
    type_config = config.get("type_config") or {}
    kind = type_config.get("type")
    if kind == "selectbox":
        for option in type_config.get("options") or []:
            if isinstance(option, dict) and option.get("value") == value:
                return str(option.get("label", value))
        return _js_string(value)
    if kind == "checkbox" or isinstance(value, bool):
        return ""  # a tick box, no text
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        if kind == "progress":
            fmt = type_config.get("format")
            return _printf(fmt, float(value)) if fmt else _localized(float(value), None)
        fmt = type_config.get("format")
        decimals = _decimals_of(type_config.get("step"), integer or isinstance(value, int))
        if fmt == "localized":
            return _localized(float(value), decimals)
        if fmt == "percent":
            return f"{float(value) * 100:,.2f}".rstrip("0").rstrip(".") + "%"
        if fmt:
            return _printf(fmt, float(value))
        return _default_number(float(value), decimals)
    return str(value)


def _table_cells(frame: pd.DataFrame, configs: dict[str, Any], where: str) -> Iterator[Shown]:
    for column in frame.columns:
        config = configs.get(str(column)) or {}
        if config.get("hidden"):
            continue
        label = config.get("label") or str(column)
        yield Shown(f"{where}[header]", label)
        integer = pd.api.types.is_integer_dtype(frame[column].dtype)
        for value in frame[column].tolist():
            text = displayed_cell(value, config, integer)
            if text:
                yield Shown(f"{where}[{label}]", text)


def _dataframe_texts(element: Any, order: list[str] | None = None) -> Iterator[Shown]:
    proto = element.proto
    configs: dict[str, Any] = json.loads(proto.columns) if proto.columns else {}
    frame = element.value
    if proto.column_order:
        shown = [c for c in proto.column_order if c in frame.columns]
        frame = frame[shown]
    yield from _table_cells(frame, configs, "dataframe")


def _chart_texts(element: Any) -> Iterator[Shown]:
    """A chart's titles and the categories it names (legend entries, axis labels, tooltips)."""
    spec = json.loads(element.proto.spec)
    nominal: set[str] = set()

    def visit(node: Any) -> Iterator[Shown]:
        if isinstance(node, dict):
            for key, item in node.items():
                if key == "title" and isinstance(item, str) and item:
                    yield Shown("chart.title", item)
                elif key == "text" and isinstance(item, str) and item:
                    yield Shown("chart.text", item)
                if (
                    isinstance(item, dict)
                    and isinstance(item.get("field"), str)
                    and item.get("type") in ("nominal", "ordinal")
                ):
                    nominal.add(item["field"])
                if isinstance(item, list) and key == "tooltip":
                    nominal.update(t["field"] for t in item if isinstance(t, dict) and "field" in t)
                yield from visit(item)
        elif isinstance(node, list):
            for item in node:
                yield from visit(item)

    yield from visit(spec)
    for dataset in element.proto.datasets:
        from streamlit import dataframe_util

        frame = dataframe_util.convert_arrow_bytes_to_pandas_df(dataset.data.data)
        for column in frame.columns:
            if str(column) not in nominal:
                continue
            for value in frame[column].tolist():
                if isinstance(value, str) and value:
                    yield Shown(f"chart[{column}]", value)


def _node_texts(node: Any) -> Iterator[Shown]:
    kind = getattr(node, "type", "")
    proto = getattr(node, "proto", None)
    if kind == "dataframe":
        yield from _dataframe_texts(node)
    elif kind == "table":
        yield from _table_cells(node.value, {}, "table")
    elif kind in ("arrow_vega_lite_chart", "vega_lite_chart"):
        yield from _chart_texts(node)
    elif isinstance(proto, Message):
        yield from _proto_strings(proto, kind or type(node).__name__)
    for child in getattr(node, "children", {}).values():
        yield from _node_texts(child)


def shown_texts(at: AppTest) -> list[Shown]:
    """Every piece of text the run shows, main area and sidebar, with where it is."""
    return list(_node_texts(at._tree))


# --- what must never reach a reader ------------------------------------------------------------

RAW_PATTERNS: dict[str, re.Pattern[str]] = {
    "None/nan": re.compile(r"\bNone\b|\bnan\b|\bNaN\b|<NA>|\bNaT\b"),
    "snake_case code": re.compile(r"(?<![\w@./:-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@(])"),
    # Decimals on a figure of a thousand or more (72,000.00), two or more zero decimals on any
    # figure (42.00), or more than two decimals (0.808). Money keeps its cents ($95.40), and a
    # format with one fixed decimal (+8.0 %, a lift; 1.5 person-weeks) is a chosen precision.
    "padded decimals": re.compile(
        r"(?<![$€£¥\d.,])(?:\d{1,3}(?:,\d{3})+|\d{4,})\.\d+"
        r"|(?<![$€£¥\d.,])\d+\.00+(?![\d.])"
        r"|(?<![$€£¥\d.,])\d+\.\d{3,}(?![\d.])"
    ),
    "ISO timestamp": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\d{2}:\d{2}:\d{2}\.\d+"),
    "Python repr": re.compile(
        r"object at 0x|datetime\.(?:date|datetime)\(|Decimal\(|Timestamp\(|\{'|\['|"
        r"\b(?:Role|Health|InitiativeStatus|KrKind|Direction|Confidence)\.[a-z_]+"
    ),
}


@dataclass(frozen=True)
class Leak:
    """A raw value on a page: which kind, the text it is in and where."""

    kind: str
    match: str
    shown: Shown


def raw_values(texts: list[Shown]) -> list[Leak]:
    """Every raw-value match in the texts."""
    leaks = []
    for shown in texts:
        for kind, pattern in RAW_PATTERNS.items():
            for match in pattern.finditer(shown.text):
                leaks.append(Leak(kind, match.group(0), shown))
    return leaks


def figure(cell: str) -> float | None:
    """The number in an aligned figure cell ('\u200786,667' -> 86667.0); None for its dash."""
    text = cell.strip().replace(",", "")
    return None if text == "—" else float(text)


# How the browser's collation orders the characters of an aligned figure column: spaces, then
# punctuation, then digits (the Unicode collation's groups).
def collation_key(text: str) -> tuple[int, ...]:
    """A sort key for an aligned figure cell that orders as the browser's localeCompare does."""
    order = []
    for char in text:
        if char.isspace():
            order.append(0)
        elif char.isdigit():
            order.append(100 + int(char))
        else:
            order.append(10 + "—,.".index(char))
    return tuple(order)
