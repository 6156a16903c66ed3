"""Admin → Data import: upload a file, see what it would change, confirm.

The file is read in the format its header shows (the interchange format, a Shopify orders export,
a GA4 report) or, for any other wide file, through a column mapping chosen or made here and saved
under a name. Every format ends in the same preview: rows to add, update and leave, or every bad
row with its line, column and reason, and Confirm disabled until there is none.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd
import pyarrow as pa
import streamlit as st

from planning import i18n
from planning.access.permissions import PermissionDenied
from planning.config import AppConfig
from planning.formatting import format_count
from planning.i18n import N_, ngettext
from planning.i18n import gettext as _
from planning.metrics.import_file import SAMPLE_CSV, ImportFileError
from planning.metrics.importer import (
    ADD,
    LEAVE,
    UPDATE,
    FileCheck,
    ImportResult,
    check_file,
    import_observations,
)
from planning.sources.formats import (
    FORMAT_LABELS,
    INTERCHANGE,
    MAPPING,
    Converted,
    check_converted,
    convert,
    detect_format,
    import_converted,
    read_cells,
)
from planning.sources.mappings import (
    DATE_FORMATS,
    MAX_NAME,
    MappingError,
    MappingSpec,
    list_mappings,
    missing_columns,
    save_mapping,
)
from planning.store.models import Person, PersonRead
from ui.confirm_write import run_write
from ui.flash import flash_after_write
from ui.state import Versions, clear_after_write, engine, read_session
from ui.tables import show_table
from ui.text import escape_markdown

FLASH = "admin_flash"
CHECK = "admin_file_check"
UPLOADS = "admin_upload_round"  # bumped after an import so the uploader starts empty
# Choices in the mapping editor: the values stay as they are, the words shown are translated.
NEW_MAPPING = N_("New mapping…")
NOT_IN_FILE = N_("— not in the file")
# What an import would do to a row (planning.metrics.importer), in words.
CHANGE_WORDS = {ADD: N_("add"), UPDATE: N_("update"), LEAVE: N_("unchanged")}
EVERY_ROW = "every row: "
COLUMN = "column: "


def data_import_tab(person: Person | PersonRead, config: AppConfig, current: Versions) -> None:
    """The Data import tab: upload, format, mapping, preview and confirm."""
    st.subheader(_("Import observations from a file"))
    st.caption(
        _(
            "Quarterdeck's long format (columns `date`, `measure`, `value` and one per "
            "dimension), a Shopify orders export, a GA4 report exported as CSV, or any wide file "
            "read through a column mapping. Nothing is written until you confirm, and a file "
            "with any bad row cannot be imported."
        )
    )
    with st.expander(_("Sample file and columns")):
        st.code(SAMPLE_CSV, language="csv")
        st.dataframe(
            pa.Table.from_pylist(
                [
                    {
                        _("measure"): m,
                        _("unit"): spec.unit,
                        _("dimensions"): ", ".join(spec.dimensions) or "—",
                    }
                    for m, spec in config.metrics.measures.items()
                ]
            ),
            hide_index=True,
        )
    round_number = st.session_state.get(UPLOADS, 0)
    uploaded = st.file_uploader(
        _("CSV (UTF-8) or Excel (.xlsx) file"),
        type=["csv", "xlsx"],
        key=f"admin_upload_{round_number}",
    )
    if uploaded is None:
        st.session_state.pop(CHECK, None)
        return
    content = uploaded.getvalue()
    shown_name = escape_markdown(uploaded.name)
    detected = detect_format(content, uploaded.name)
    choices = (
        list(FORMAT_LABELS) if uploaded.name.lower().endswith(".csv") else [INTERCHANGE, MAPPING]
    )
    fmt = st.radio(
        _("Read the file as"),
        choices,
        index=choices.index(detected) if detected in choices else 0,
        format_func=lambda k: _(FORMAT_LABELS[k]),
        key=f"admin_format_{round_number}",
    )
    if detected != INTERCHANGE:
        st.caption(
            _("Recognised by its header as: {format}.").format(format=_(FORMAT_LABELS[detected]))
        )
    spec: MappingSpec | None = None
    if fmt == MAPPING:
        spec = _mapping_editor(person, config, content, uploaded.name, round_number)
        if spec is None:
            st.button(
                _("Confirm import"), type="primary", key="admin_confirm_import", disabled=True
            )
            return

    spec_key = spec.model_dump_json() if spec else ""
    key = (uploaded.file_id, len(content), current, fmt, spec_key, i18n.locale_key())
    cached = st.session_state.get(CHECK)
    if cached is not None and cached[0] == key:
        check: FileCheck = cached[1]
        notes: list[str] = cached[2]
    else:
        check, notes = _check(config, content, uploaded.name, fmt, spec)
        st.session_state[CHECK] = (key, check, notes)
    for note in [*notes, *(check.preview.notes if check.preview else [])]:
        st.info(escape_markdown(note))
    _show_check(
        check, shown_name, _("Rows in the file") if fmt == INTERCHANGE else _("Observations")
    )

    confirm = st.button(
        _("Confirm import"),
        type="primary",
        key="admin_confirm_import",
        disabled=not check.ok,
        help=None if check.ok else _("Only a file without problems can be imported."),
    )
    if confirm and check.ok:
        result: ImportResult | None = None
        importing = ngettext("Importing {count} row…", "Importing {count} rows…", check.rows)
        with st.status(importing.format(count=format_count(check.rows)), expanded=False) as status:
            try:
                result = _import(person, config, content, uploaded.name, fmt, spec)
            except (PermissionDenied, ImportFileError) as exc:
                status.update(label=_("Nothing was imported"), state="error")
                st.error(escape_markdown(str(exc)))
        if result is not None and result.problems:
            # The store or the configuration changed since the preview: the new verdict.
            st.session_state.pop(CHECK, None)
            st.error(
                ngettext(
                    "{count} problem found on import; nothing was written. Upload the file "
                    "again to see it.",
                    "{count} problems found on import; nothing was written. Upload the file "
                    "again to see them.",
                    len(result.problems),
                ).format(count=format_count(len(result.problems)))
            )
        elif result is not None:
            st.session_state.pop(CHECK, None)
            st.session_state[UPLOADS] = round_number + 1
            flash_after_write(
                FLASH,
                _(
                    "Imported {file}: {added} added, {updated} updated, {unchanged} unchanged "
                    "(batch {batch})."
                ).format(
                    file=shown_name,
                    added=format_count(result.added),
                    updated=format_count(result.updated),
                    unchanged=format_count(result.unchanged),
                    batch=result.batch_id,
                ),
            )


def _check(
    config: AppConfig, content: bytes, filename: str, fmt: str, spec: MappingSpec | None
) -> tuple[FileCheck, list[str]]:
    bar = st.progress(0.0, text=_("Reading the file…"))

    def report(fraction: float, step: str) -> None:
        bar.progress(fraction, text=escape_markdown(step) + "…")

    with read_session() as session:
        if fmt == INTERCHANGE:
            check = check_file(
                session=session,
                data=content,
                filename=filename,
                config=config.metrics,
                progress=report,
            )
            notes: list[str] = []
        else:
            try:
                converted: Converted = convert(
                    data=content, filename=filename, fmt=fmt, config=config, mapping=spec
                )
            except ImportFileError as exc:
                bar.empty()
                return _unreadable(content, filename, str(exc)), []
            report(0.6, _("Comparing with the store"))
            check = check_converted(
                session=session,
                converted=converted,
                data=content,
                filename=filename,
                config=config,
            )
            notes = [str(note) for note in converted.notes]
    bar.empty()
    return check, notes


def _unreadable(content: bytes, filename: str, reason: str) -> FileCheck:
    return FileCheck(filename=filename, checksum=hashlib.sha256(content).hexdigest(), error=reason)


def _import(
    person: Person | PersonRead,
    config: AppConfig,
    content: bytes,
    filename: str,
    fmt: str,
    spec: MappingSpec | None,
) -> ImportResult:
    if fmt == INTERCHANGE:
        return import_observations(
            engine=engine(),
            actor=person,
            data=content,
            filename=filename,
            source="upload",
            config=config.metrics,
        )
    converted = convert(data=content, filename=filename, fmt=fmt, config=config, mapping=spec)
    return import_converted(
        engine=engine(),
        actor=person,
        converted=converted,
        data=content,
        filename=filename,
        source="upload",
        config=config,
    )


def _show_check(check: FileCheck, shown_name: str, rows_label: str) -> None:
    if check.error is not None:
        st.error(
            _("{file} cannot be imported: {reason}").format(
                file=shown_name, reason=escape_markdown(check.error)
            )
        )
    elif check.problems:
        count = len(check.problems)
        found = ngettext("{file} has {count} problem", "{file} has {count} problems", count).format(
            file=shown_name, count=format_count(count)
        )
        rows = ngettext("in {rows} row.", "in {rows} rows.", check.rows).format(
            rows=format_count(check.rows)
        )
        st.error(
            f"{found} {rows} "
            + _(
                "Fix every one and upload the file again; nothing can be imported from it as it is."
            )
        )
        show_table(
            pd.DataFrame(
                [(p.line, p.column or _("(row)"), p.reason) for p in check.problems],
                columns=[_("line"), _("column"), _("reason")],
            )
        )
    elif check.preview is not None:
        counts = check.preview
        cols = st.columns(4)
        cols[0].metric(rows_label, format_count(counts.rows))
        cols[1].metric(_("Would add"), format_count(counts.would_add))
        cols[2].metric(_("Would update"), format_count(counts.would_update))
        cols[3].metric(_("Left as they are"), format_count(counts.would_leave))
        shown = min(len(check.sample), counts.rows)
        st.caption(
            ngettext(
                "A sample of {count} row, changes first:",
                "A sample of {count} rows, changes first:",
                shown,
            ).format(count=format_count(shown))
        )
        headings = {
            "day": _("date"),
            "measure": _("measure"),
            "dims_key": _("dimensions"),
            "value": _("value"),
            "stored": _("stored now"),
            "change": _("change"),
        }
        sample = check.sample[list(headings)].assign(
            change=check.sample["change"].map(lambda c: _(CHANGE_WORDS.get(c, c)))
        )
        sample = sample.rename(columns=headings)
        show_table(sample)


# --- the column mapping ------------------------------------------------------------------------


def _mapping_editor(
    person: Person | PersonRead,
    config: AppConfig,
    content: bytes,
    filename: str,
    round_number: int,
) -> MappingSpec | None:
    """Choose a saved mapping that fits the file, or map its columns and save the mapping."""
    try:
        header = [str(c) for c in read_cells(content, filename).columns]
    except ImportFileError as exc:
        st.error(
            _("{file} cannot be read: {reason}").format(
                file=escape_markdown(filename), reason=escape_markdown(str(exc))
            )
        )
        return None
    with read_session() as session:
        saved = list_mappings(session=session)
    fitting = {m.name: m.spec for m in saved if not missing_columns(m.spec, header)}
    choice = st.selectbox(
        _("Column mapping"),
        [NEW_MAPPING, *fitting],
        index=1 if fitting else 0,
        format_func=lambda name: _(NEW_MAPPING) if name == NEW_MAPPING else name,
        key=f"admin_mapping_{round_number}",
        help=_("Saved mappings whose columns this file has; or map the columns anew."),
    )
    if choice != NEW_MAPPING:
        chosen = fitting[choice]
        st.caption(escape_markdown(_describe(chosen)))
        return chosen

    prefix = f"admin_map_{round_number}_"
    first = st.columns(2)
    date_column = first[0].selectbox(
        _("Date column"), header, index=_guess(header, ("date", "day")), key=prefix + "date"
    )
    date_format = first[1].selectbox(_("Date format"), list(DATE_FORMATS), key=prefix + "format")
    dimensions: dict[str, str] = {}
    fixed: dict[str, str] = {}
    st.markdown("**" + _("Dimensions") + "**")
    dim_cols = st.columns(max(1, min(3, len(config.metrics.dimensions))))
    for i, (dim, spec) in enumerate(config.metrics.dimensions.items()):
        options = [
            NOT_IN_FILE,
            *[COLUMN + c for c in header],
            *[EVERY_ROW + v for v in spec.values],
        ]
        guess = _guess(header, (dim, spec.label))
        picked = dim_cols[i % len(dim_cols)].selectbox(
            spec.label,
            options,
            index=1 + guess if _named(header, (dim, spec.label)) else 0,
            format_func=_mapping_choice,
            key=prefix + "dim_" + dim,
        )
        if picked.startswith(COLUMN):
            dimensions[dim] = picked.removeprefix(COLUMN)
        elif picked.startswith(EVERY_ROW):
            fixed[dim] = picked.removeprefix(EVERY_ROW)
    st.markdown(
        "**" + _("Measures") + "** " + _("(a column per measure the file holds)"),
    )
    measure_cols = st.columns(3)
    measures: dict[str, str] = {}
    for i, (measure, mspec) in enumerate(config.metrics.measures.items()):
        options = [NOT_IN_FILE, *header]
        named = _named(header, (measure, mspec.label))
        picked = measure_cols[i % 3].selectbox(
            f"{mspec.label} ({measure})",
            options,
            index=1 + _guess(header, (measure, mspec.label)) if named else 0,
            format_func=lambda c: _(NOT_IN_FILE) if c == NOT_IN_FILE else c,
            key=prefix + "measure_" + measure,
        )
        if picked != NOT_IN_FILE:
            measures[measure] = picked
    if not measures:
        st.info(_("Choose the column of at least one measure."))
        return None
    raw: dict[str, Any] = {
        "date_column": date_column,
        "date_format": date_format,
        "dimensions": dimensions,
        "fixed": fixed,
        "measures": measures,
    }
    try:
        mapping = MappingSpec.model_validate(raw)
    except ValueError as exc:
        st.warning(escape_markdown(str(exc)))
        return None
    wrong = mapping.problems(config.metrics)
    if wrong:
        st.warning(
            _("The mapping is not complete: {problems}.").format(
                problems=escape_markdown("; ".join(wrong))
            )
        )
        return None
    save = st.columns([3, 1], vertical_alignment="bottom")
    name = save[0].text_input(
        _("Save this mapping as"),
        key=prefix + "name",
        max_chars=MAX_NAME,
        placeholder=_("e.g. Analyst sheet"),
    )
    if save[1].button(_("Save mapping"), key=prefix + "save"):
        stored = run_write(
            lambda session: save_mapping(
                session=session,
                actor=person,
                name=name,
                spec=mapping,
                metrics=config.metrics,
            ),
            refusals=(MappingError, PermissionDenied),
        )
        if stored is not None:
            clear_after_write()
            st.success(
                _(
                    "Saved the mapping {name}; a later upload or "
                    "`import --format mapping:{name}` can reuse it."
                ).format(name=escape_markdown(stored.name))
            )
    return mapping


def _named(header: list[str], names: tuple[str, ...]) -> bool:
    folded = {n.lower() for n in names}
    return any(h.strip().lower() in folded for h in header)


def _guess(header: list[str], names: tuple[str, ...]) -> int:
    folded = {n.lower() for n in names}
    for i, h in enumerate(header):
        if h.strip().lower() in folded:
            return i
    return 0


def _mapping_choice(choice: str) -> str:
    """A dimension's choice in the mapping editor, in words."""
    if choice == NOT_IN_FILE:
        return _(NOT_IN_FILE)
    if choice.startswith(COLUMN):
        return _("column: {name}").format(name=choice.removeprefix(COLUMN))
    return _("every row: {value}").format(value=choice.removeprefix(EVERY_ROW))


def _describe(spec: MappingSpec) -> str:
    parts = [
        _("date: {column} ({format})").format(column=spec.date_column, format=spec.date_format)
    ]
    parts += [f"{d}: {c}" for d, c in spec.dimensions.items()]
    parts += [f"{d} = {v}" for d, v in spec.fixed.items()]
    parts += [f"{m}: {c}" for m, c in spec.measures.items()]
    return _("Reads {parts}").format(parts="; ".join(parts))
