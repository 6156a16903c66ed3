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
from sqlmodel import Session

from planning.access.permissions import PermissionDenied
from planning.config import AppConfig
from planning.metrics.import_file import SAMPLE_CSV, ImportFileError
from planning.metrics.importer import FileCheck, ImportResult, check_file, import_observations
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
    MappingError,
    MappingSpec,
    list_mappings,
    missing_columns,
    save_mapping,
)
from planning.store.engine import read_engine, session_scope
from planning.store.models import Person, PersonRead
from ui.state import Versions, clear_after_write, engine
from ui.text import escape_markdown

FLASH = "admin_flash"
CHECK = "admin_file_check"
UPLOADS = "admin_upload_round"  # bumped after an import so the uploader starts empty
NEW_MAPPING = "New mapping…"
NOT_IN_FILE = "— not in the file"
EVERY_ROW = "every row: "
COLUMN = "column: "


def data_import_tab(person: Person | PersonRead, config: AppConfig, current: Versions) -> None:
    """The Data import tab: upload, format, mapping, preview and confirm."""
    st.subheader("Import observations from a file")
    st.caption(
        "Quarterdeck's long format (columns `date`, `measure`, `value` and one per dimension), a "
        "Shopify orders export, a GA4 report exported as CSV, or any wide file read through a "
        "column mapping. Nothing is written until you confirm, and a file with any bad row "
        "cannot be imported."
    )
    with st.expander("Sample file and columns"):
        st.code(SAMPLE_CSV, language="csv")
        st.dataframe(
            pa.Table.from_pylist(
                [
                    {
                        "measure": m,
                        "unit": spec.unit,
                        "dimensions": ", ".join(spec.dimensions) or "—",
                    }
                    for m, spec in config.metrics.measures.items()
                ]
            ),
            hide_index=True,
        )
    round_number = st.session_state.get(UPLOADS, 0)
    uploaded = st.file_uploader(
        "CSV (UTF-8) or Excel (.xlsx) file",
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
        "Read the file as",
        choices,
        index=choices.index(detected) if detected in choices else 0,
        format_func=lambda k: FORMAT_LABELS[k],
        key=f"admin_format_{round_number}",
    )
    if detected != INTERCHANGE:
        st.caption(f"Recognised by its header as: {FORMAT_LABELS[detected]}.")
    spec: MappingSpec | None = None
    if fmt == MAPPING:
        spec = _mapping_editor(person, config, content, uploaded.name, round_number)
        if spec is None:
            st.button("Confirm import", type="primary", key="admin_confirm_import", disabled=True)
            return

    key = (uploaded.file_id, len(content), current, fmt, spec.model_dump_json() if spec else "")
    cached = st.session_state.get(CHECK)
    if cached is not None and cached[0] == key:
        check: FileCheck = cached[1]
        notes: list[str] = cached[2]
    else:
        check, notes = _check(config, content, uploaded.name, fmt, spec)
        st.session_state[CHECK] = (key, check, notes)
    for note in notes:
        st.info(escape_markdown(note))
    _show_check(check, shown_name, "Rows in the file" if fmt == INTERCHANGE else "Observations")

    confirm = st.button(
        "Confirm import",
        type="primary",
        key="admin_confirm_import",
        disabled=not check.ok,
        help=None if check.ok else "Only a file without problems can be imported.",
    )
    if confirm and check.ok:
        result: ImportResult | None = None
        with st.status(f"Importing {check.rows:,} rows…", expanded=False) as status:
            try:
                result = _import(person, config, content, uploaded.name, fmt, spec)
            except (PermissionDenied, ImportFileError) as exc:
                status.update(label="Nothing was imported", state="error")
                st.error(escape_markdown(str(exc)))
        if result is not None and result.problems:
            # The store or the configuration changed since the preview: the new verdict.
            st.session_state.pop(CHECK, None)
            st.error(
                f"{len(result.problems):,} problems found on import; nothing was written. "
                "Upload the file again to see them."
            )
        elif result is not None:
            clear_after_write()
            st.session_state.pop(CHECK, None)
            st.session_state[UPLOADS] = round_number + 1
            st.session_state[FLASH] = (
                f"Imported {shown_name}: {result.added:,} added, "
                f"{result.updated:,} updated, {result.unchanged:,} unchanged "
                f"(batch {result.batch_id})."
            )
            st.rerun()


def _check(
    config: AppConfig, content: bytes, filename: str, fmt: str, spec: MappingSpec | None
) -> tuple[FileCheck, list[str]]:
    bar = st.progress(0.0, text="Reading the file…")

    def report(fraction: float, step: str) -> None:
        bar.progress(fraction, text=escape_markdown(step) + "…")

    with Session(read_engine(engine())) as session:
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
            report(0.6, "Comparing with the store")
            check = check_converted(
                session=session,
                converted=converted,
                data=content,
                filename=filename,
                config=config,
            )
            notes = converted.notes
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
        st.error(f"{shown_name} cannot be imported: {escape_markdown(check.error)}")
    elif check.problems:
        count = len(check.problems)
        st.error(
            f"{shown_name} has {count:,} problem{'s' if count != 1 else ''} in "
            f"{check.rows:,} rows. Fix every one and upload the file again; nothing can be "
            "imported from it as it is."
        )
        st.dataframe(
            pd.DataFrame(
                [(p.line, p.column or "(row)", p.reason) for p in check.problems],
                columns=["line", "column", "reason"],
            ),
            hide_index=True,
            width="stretch",
        )
    elif check.preview is not None:
        counts = check.preview
        cols = st.columns(4)
        cols[0].metric(rows_label, f"{counts.rows:,}")
        cols[1].metric("Would add", f"{counts.would_add:,}")
        cols[2].metric("Would update", f"{counts.would_update:,}")
        cols[3].metric("Left as they are", f"{counts.would_leave:,}")
        shown = min(len(check.sample), counts.rows)
        st.caption(f"A sample of {shown} rows, changes first:")
        sample = check.sample.rename(columns={"day": "date", "dims_key": "dimensions"})
        st.dataframe(
            sample[["date", "measure", "dimensions", "value", "stored", "change"]],
            hide_index=True,
            width="stretch",
            column_config={
                "stored": st.column_config.NumberColumn("stored now"),
                "dimensions": st.column_config.TextColumn("dimensions"),
            },
        )


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
        st.error(f"{escape_markdown(filename)} cannot be read: {escape_markdown(str(exc))}")
        return None
    with Session(read_engine(engine())) as session:
        saved = list_mappings(session=session)
    fitting = {m.name: m.spec for m in saved if not missing_columns(m.spec, header)}
    choice = st.selectbox(
        "Column mapping",
        [NEW_MAPPING, *fitting],
        index=1 if fitting else 0,
        key=f"admin_mapping_{round_number}",
        help="Saved mappings whose columns this file has; or map the columns anew.",
    )
    if choice != NEW_MAPPING:
        chosen = fitting[choice]
        st.caption(escape_markdown(_describe(chosen)))
        return chosen

    prefix = f"admin_map_{round_number}_"
    first = st.columns(2)
    date_column = first[0].selectbox(
        "Date column", header, index=_guess(header, ("date", "day")), key=prefix + "date"
    )
    date_format = first[1].selectbox("Date format", list(DATE_FORMATS), key=prefix + "format")
    dimensions: dict[str, str] = {}
    fixed: dict[str, str] = {}
    st.markdown("**Dimensions**")
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
            key=prefix + "dim_" + dim,
        )
        if picked.startswith(COLUMN):
            dimensions[dim] = picked.removeprefix(COLUMN)
        elif picked.startswith(EVERY_ROW):
            fixed[dim] = picked.removeprefix(EVERY_ROW)
    st.markdown("**Measures** (a column per measure the file holds)")
    measure_cols = st.columns(3)
    measures: dict[str, str] = {}
    for i, (measure, mspec) in enumerate(config.metrics.measures.items()):
        options = [NOT_IN_FILE, *header]
        named = _named(header, (measure, mspec.label))
        picked = measure_cols[i % 3].selectbox(
            f"{mspec.label} ({measure})",
            options,
            index=1 + _guess(header, (measure, mspec.label)) if named else 0,
            key=prefix + "measure_" + measure,
        )
        if picked != NOT_IN_FILE:
            measures[measure] = picked
    if not measures:
        st.info("Choose the column of at least one measure.")
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
        st.warning("The mapping is not complete: " + escape_markdown("; ".join(wrong)) + ".")
        return None
    save = st.columns([3, 1], vertical_alignment="bottom")
    name = save[0].text_input(
        "Save this mapping as", key=prefix + "name", max_chars=80, placeholder="e.g. Analyst sheet"
    )
    if save[1].button("Save mapping", key=prefix + "save"):
        try:
            with session_scope(engine()) as session:
                stored = save_mapping(
                    session=session,
                    actor=person,
                    name=name,
                    spec=mapping,
                    metrics=config.metrics,
                )
        except (MappingError, PermissionDenied) as exc:
            st.error(escape_markdown(str(exc)))
        else:
            clear_after_write()
            st.success(
                f"Saved the mapping {escape_markdown(stored.name)}; a later upload or "
                f"`import --format mapping:{escape_markdown(stored.name)}` can reuse it."
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


def _describe(spec: MappingSpec) -> str:
    parts = [f"date: {spec.date_column} ({spec.date_format})"]
    parts += [f"{d}: {c}" for d, c in spec.dimensions.items()]
    parts += [f"{d} = {v}" for d, v in spec.fixed.items()]
    parts += [f"{m}: {c}" for m, c in spec.measures.items()]
    return "Reads " + "; ".join(parts)
