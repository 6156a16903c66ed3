"""Number formats of the data grids (st.dataframe, st.data_editor) in the team's format.

The grid writes its numbers in the browser. Its "localized" preset follows the browser's language,
not the team's: a German team in an English browser read 150,000. A printf format (the grid's
sprintf) is written the same in every browser and groups thousands with any character (`%'.,d`
writes 150.000), but its decimal mark is always a point. So:

- whole numbers are grouped the team's way in every browser (`whole_format`);
- a column that may hold decimals keeps a printf format where the team writes a decimal point, and
  where it writes a comma uses the browser's own format, the one way an editable cell can show
  one (right for a German team in a German browser; an English browser shows a point there);
- a read-only column of decimals in such a team is written as text instead (`figures`), exact
  in every browser: aligned, so the grid's text sort still orders it by size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from planning import i18n
from planning.formatting import aligned_figures


def whole_format(suffix: str = "") -> str:
    """A printf format for whole numbers, thousands grouped the team's way (150,000 / 150.000),
    then `suffix` (printf: a percent sign written %%)."""
    group = i18n.group_symbol()
    flag = "," if group == "," else f"'{group},"
    return f"%{flag}d{suffix}"


def decimal_format(english: str) -> str:
    """The format of a column that may hold decimals: `english` (a printf format) where the team
    writes a decimal point, else the browser's own ("localized"; see the module's note)."""
    return english if i18n.decimal_symbol() == "." else "localized"


def number_format(values: Iterable[float | None]) -> str:
    """The format of a column of entered numbers: grouped whole numbers while every value is
    whole (reach: 150.000), else as `decimal_format` writes decimals (confidence: 0,8)."""
    if _all_whole(values):
        return whole_format()
    return decimal_format("%,g")


def _all_whole(values: Iterable[float | None]) -> bool:
    """Whether every value is whole or missing (NaN, None); a column of floats is checked at
    once, as the planning table's inputs hold a value per open initiative."""
    if isinstance(values, pd.Series) and values.dtype.kind == "f":
        numbers = values.to_numpy()
        # trunc(inf) is inf, yet inf is not whole: only finite values count as whole.
        return bool(
            np.all(np.isnan(numbers) | (np.isfinite(numbers) & (numbers == np.trunc(numbers))))
        )
    return all(v is None or v != v or float(v).is_integer() for v in values)


def whole_percent(english: str) -> str:
    """The printf format of a column of whole percentages (0 to 100): `english` in an English team
    (70% or 70 %, as each column always wrote it), else with the team's sign (70 %)."""
    return english if i18n.english_formats() else whole_format("\u00a0%%")


def day_format() -> str:
    """How a table's date column writes a day: '26 Nov 2026' in English formats; other formats
    take all-number days (26.11.2026), as the table's month names are always English."""
    return "D MMM YYYY" if i18n.english_formats() else "DD.MM.YYYY"


def input_day_format(english: str = "YYYY-MM-DD") -> str:
    """How a date field or a table's all-number date (and time) column writes a day: `english`
    in English formats (each as it always was), else day first with the same time of day
    (29.02.2028, 29.02.2028 14:05)."""
    return english if i18n.english_formats() else "DD.MM.YYYY" + english[len("YYYY-MM-DD") :]


def figures(
    values: Sequence[float | None], text: Callable[[float], str]
) -> Sequence[float | None] | list[str]:
    """A read-only column of decimals: the numbers themselves where the team writes a decimal
    point (the grid formats them), else each as `text` writes it, aligned so it sorts by size."""
    if i18n.decimal_symbol() == ".":
        return values
    return aligned_figures(values, text)
