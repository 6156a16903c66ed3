"""A quarter's OKRs as a YAML file: export, and import that creates or updates from that shape.

A director drafts next quarter or copies a template as a file. The shape::

    period: 2026-Q4
    objectives:
      - title: Make checkout effortless on every device
        owner: priya@northwind.example      # people by email
        weight: 1.0                         # optional, default 1
        description: Fewer shoppers lost between cart and order.
        aligns_to:                          # optional: its parents, the first one first
          - Another objective's title       # of this quarter, or
          - {period: 2026-Q1, title: ...}   # of another quarter
        key_results:
          - title: Conversion rate up
            kind: metric                    # metric, guardrail, milestone or manual
            owner: priya@northwind.example  # optional, default the objective's owner
            metric: conversion_rate         # metrics by id from metrics.yaml
            filters: {device: mobile}
            direction: increase             # or decrease
            start: 0.0231
            target: 0.0259
            window: period_to_date          # or trailing_7d, trailing_28d
            contributes_to:                 # optional: other objectives of the quarter it
              - {objective: Grow revenue, weight: 2}  # counts towards (weight above 0, ≤ 10)
          - title: Gross margin stays above its floor
            kind: guardrail
            metric: gross_margin_pct
            rule: stay_above                # or stay_below
            threshold: 0.48

Import validates the whole file first (YAML syntax, unknown keys, the period, owners, metrics,
filters, directions against start and target, …) and lists every problem with where it is;
nothing is written unless the file is clean. Objectives are matched by (period, title) and key
results by (objective, title): a match is updated in place (and restored if it was archived),
anything else is created, and what the file does not mention is left alone. Importing the same
file twice changes nothing the second time. ``parent: title`` is still read as a one-item
``aligns_to``. For the objectives and key results it holds, the file's ``aligns_to`` and
``contributes_to`` are the whole truth: a link it leaves out is removed.

This module holds the shape and the export; planning.okrs.file_reading parses and validates a
file, planning.okrs.file_import writes it.
"""

from __future__ import annotations

from typing import Any

import yaml
from sqlmodel import Session, select

from planning.okrs.alignment_reads import contributions, parents_of
from planning.okrs.goal_reads import list_key_results, list_objectives, objectives_by_id
from planning.okrs.goal_rules import GoalError
from planning.periods import format_quarter, parse_quarter
from planning.store.models import KeyResultRead, KrKind, Person

OBJECTIVE_KEYS = (
    "title",
    "owner",
    "weight",
    "description",
    "aligns_to",
    "parent",
    "key_results",
)
KR_KEYS = (
    "title",
    "kind",
    "owner",
    "weight",
    "metric",
    "filters",
    "direction",
    "start",
    "target",
    "window",
    "total_target",
    "rule",
    "threshold",
    "unit",
    "contributes_to",
)
# Key result fields compared on import, as (file key, model field).
KR_FIELDS = (
    ("owner", "owner_id"),
    ("weight", "weight"),
    ("metric", "metric_id"),
    ("filters", "filters"),
    ("direction", "direction"),
    ("start", "start_value"),
    ("target", "target_value"),
    ("window", "window"),
    ("total_target", "total_target"),
    ("rule", "guardrail_rule"),
    ("threshold", "threshold"),
    ("unit", "unit"),
)


class OkrFileError(GoalError):
    """An OKR file that cannot be imported; ``problems`` lists every one. Nothing was written."""


def export_okr_file(*, session: Session, period: str) -> str:
    """A quarter's active objectives and key results as YAML text in the import shape."""
    period = format_quarter(*parse_quarter(period))
    emails = {p.id: p.email for p in session.exec(select(Person)).all()}
    objectives = list_objectives(session=session, period=period)
    krs = list_key_results(session=session, objective_ids=[o.id for o in objectives])
    all_parents = parents_of(session=session, objective_ids=[o.id for o in objectives if o.id])
    parents = objectives_by_id(session=session, ids=(p for ps in all_parents.values() for p in ps))
    kr_ids = [kr.id for kr in krs if kr.id is not None]
    titles = {o.id: o.title for o in objectives}
    counted: dict[int, list[dict[str, Any]]] = {}
    for link in contributions(session=session, key_result_ids=kr_ids):
        if link.objective_id in titles:  # archived objectives are not in the file
            counted.setdefault(link.key_result_id, []).append(
                {"objective": titles[link.objective_id], "weight": link.weight}
            )
    out_objectives = []
    for objective in objectives:
        entry: dict[str, Any] = {
            "title": objective.title,
            "owner": emails.get(objective.owner_id, ""),
            "weight": objective.weight,
        }
        if objective.description:
            entry["description"] = objective.description
        named = [parents[p] for p in all_parents.get(objective.id or 0, []) if p in parents]
        if named:
            entry["aligns_to"] = [
                p.title if p.period == period else {"period": p.period, "title": p.title}
                for p in named
            ]
        entry["key_results"] = [
            _export_kr(kr, emails, counted.get(kr.id or 0, []))
            for kr in krs
            if kr.objective_id == objective.id
        ]
        out_objectives.append(entry)
    document = {"period": period, "objectives": out_objectives}
    header = (
        f"# Quarterdeck OKRs for {period}: edit and import with `python -m planning okr import`\n"
    )
    return header + yaml.safe_dump(
        document, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )


def _export_kr(
    kr: KeyResultRead, emails: dict[int | None, str], counted: list[dict[str, Any]]
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "title": kr.title,
        "kind": kr.kind.value,
        "owner": emails.get(kr.owner_id, ""),
        "weight": kr.weight,
    }
    if kr.kind in (KrKind.metric, KrKind.guardrail):
        entry["metric"] = kr.metric_id
        if kr.filters:
            entry["filters"] = dict(kr.filters)
    if kr.kind in (KrKind.metric, KrKind.manual):
        entry["direction"] = kr.direction.value if kr.direction else None
        entry["start"] = kr.start_value
        entry["target"] = kr.target_value
    if kr.kind == KrKind.guardrail:
        entry["rule"] = kr.guardrail_rule.value if kr.guardrail_rule else None
        entry["threshold"] = kr.threshold
    if kr.kind in (KrKind.metric, KrKind.guardrail):
        entry["window"] = kr.window.value
    if kr.kind == KrKind.metric and kr.total_target:
        entry["total_target"] = True
    if kr.unit:
        entry["unit"] = kr.unit
    if counted:
        entry["contributes_to"] = counted
    return entry
