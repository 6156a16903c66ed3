"""The download buttons that take a page into a meeting: PDF, PNG and SVG of the Goals page, the
roadmap and the impact ledger (planning/reports/export.py builds them).

A file is made only when its button is clicked (Streamlit calls the button's data then, off the
page's run), and kept per data version, so a page rerun never pays for an export and a second
click on the same data is instant. ui/downloads.py keeps it on the server until the browser has it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st

from planning import i18n
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.reports import export
from planning.work.roadmap import RoadmapFilters
from ui.downloads import download_button
from ui.state import Versions, app_config, read_session

TTL = 600
ENTRIES = 24
LABELS = {"pdf": N_("PDF report"), "png": N_("PNG image"), "svg": N_("SVG image")}


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def goals_file(versions: Versions, period: str, today: date, fmt: str, language: str = "") -> bytes:
    """A quarter's Goals as a PDF report or its charts as PNG or SVG, in the reader's language
    (`language`: i18n.locale_key of the run that offered it)."""
    del versions
    with read_session() as session, i18n.use_locale_key(language):
        return export.export_goals(
            session=session, config=app_config(), period=period, today=today, fmt=fmt
        )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def roadmap_file(
    versions: Versions, filters: RoadmapFilters, today: date, fmt: str, language: str = ""
) -> bytes:
    """The roadmap the filters keep (timeline and board) as PDF, PNG or SVG, its chart words in
    the reader's language (`language`: i18n.locale_key of the run that offered it)."""
    del versions
    with read_session() as session, i18n.use_locale_key(language):
        return export.export_roadmap(
            session=session, config=app_config(), filters=filters, today=today, fmt=fmt
        )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def impact_file(versions: Versions, fmt: str, language: str = "") -> bytes:
    """The impact ledger as PDF (chart and table), PNG or SVG (its chart), its chart words in
    the reader's language (`language`: i18n.locale_key of the run that offered it)."""
    del versions
    with read_session() as session, i18n.use_locale_key(language):
        return export.export_impact(session=session, config=app_config(), fmt=fmt)


def offer(
    *,
    view: str,
    scope: str,
    build: Callable[[str], bytes],
    key: str,
    formats: tuple[str, ...] = export.FORMATS,
    what: str,
) -> None:
    """One download button per format, side by side, each building its file when clicked."""
    columns = st.columns(len(formats))
    for column, fmt in zip(columns, formats, strict=True):
        download_button(
            _(LABELS[fmt]),
            lambda fmt=fmt: build(fmt),  # type: ignore[misc]
            file_name=export.file_name(view, scope, fmt),
            mime=export.MIME[fmt],
            key=f"{key}_{fmt}",
            where=column,
            help=_("Download {what} as {format}").format(what=what, format=fmt.upper()),
        )
