"""The okr command: show, export, import or draft a quarter's OKRs, or start one from a template."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sqlmodel import Session

from planning import clock, i18n
from planning.cli.common import (
    EXIT_OK,
    EXIT_REFUSED,
    Context,
    Group,
    UsageError,
    active_person,
    arg,
    day,
    fail,
    machine_words,
    problems_line,
    table_or_json,
)
from planning.cli.tables import grid
from planning.i18n import N_, ngettext, word_for
from planning.i18n import gettext as _
from planning.store.engine import read_engine

GROUP = Group()

# The columns of a drafted quarter's table (the keys of its rows), as headed.
DRAFT_HEADINGS = {
    "objective": N_("objective"),
    "key result": N_("key result"),
    "owner": N_("owner"),
    "why": N_("why"),
    "start": N_("start"),
    "target": N_("target"),
    "start from": N_("start from"),
}
# A key result's or objective's status as the table writes it (English: its id, spaced).
STATUS_WORDS = {
    "on_track": N_("on track"),
    "at_risk": N_("at risk"),
    "off_track": N_("off track"),
    "too_early": N_("too early"),
}


def quarter_id(text: str) -> str:
    """A --period argument: a quarter id such as 2026-Q4."""
    from planning.periods import parse_quarter

    try:
        year, quarter = parse_quarter(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return f"{year:04d}-Q{quarter}"


@GROUP.command(
    "okr",
    N_(
        "Print a quarter's key results (value, progress, pace, status, forecast), export and "
        "import its OKRs as a YAML file, draft it from the last quarter's unfinished goals, or "
        "start it from an OKR template in config/templates/."
    ),
    arg(
        "action",
        nargs="?",
        choices=["show", "export", "import", "draft", "template"],
        default="show",
        help=N_(
            "show (default) prints the key results; export writes the quarter's OKRs as YAML; "
            "import creates or updates OKRs from a YAML file; draft previews copying the last "
            "quarter's unfinished objectives and key results into --period (--confirm writes it); "
            "template NAME previews starting --period from a template (--confirm writes it, --list "
            "lists the templates)"
        ),
    ),
    arg(
        "file",
        nargs="?",
        metavar="FILE",
        help=N_("import: the YAML file to read; template: the template's NAME"),
    ),
    arg(
        "--period",
        type=quarter_id,
        metavar="QUARTER",
        help=N_("the quarter, e.g. 2026-Q4 (default: the current one)"),
    ),
    table_or_json(
        N_(
            "show: an aligned table (default) or a JSON list with objective, key_result, "
            "current, progress, expected, status, forecast, probability (and metric, start, target "
            "for metric and guardrail key results)"
        )
    ),
    arg("--out", metavar="FILE", help=N_("export: write the YAML to FILE (default: print it)")),
    arg(
        "--as",
        dest="actor",
        metavar="EMAIL",
        help=N_(
            "import, draft, template: the director doing it (default: the store's only active "
            "director)"
        ),
    ),
    arg(
        "--owner",
        metavar="EMAIL",
        help=N_("template: who owns the objectives and key results (default: the director)"),
    ),
    arg("--list", action="store_true", help=N_("template: list the templates")),
    arg(
        "--from",
        dest="source",
        type=quarter_id,
        metavar="QUARTER",
        help=N_(
            "draft: the quarter to copy from (default: the latest earlier one with objectives)"
        ),
    ),
    arg(
        "--confirm",
        action="store_true",
        help=N_("draft, template: write it (default: preview only)"),
    ),
)
def run_okr(args: argparse.Namespace, context: Context) -> int:
    """Show, export or import a quarter's OKRs."""
    from planning.periods import quarter_of

    if args.action == "template":
        return _okr_template(args, context)
    if args.list or args.owner is not None:
        raise UsageError(_("--list and --owner only apply to okr template"))
    if args.file is not None and args.action != "import":
        raise UsageError(
            _("okr {action} takes no FILE (export writes to --out FILE)").format(action=args.action)
        )
    if args.action == "import":
        if args.file is None:
            raise UsageError(_("okr import needs the YAML FILE to read"))
        if args.period is not None:
            raise UsageError(_("okr import reads the quarter from the file; drop --period"))
        return _okr_import(Path(args.file), args.actor, context)
    period = args.period or quarter_of(
        clock.today(), context.config.settings.fiscal_year_start_month
    )
    if args.action == "draft":
        return _okr_draft(period, args.source, args.actor, args.confirm, context)
    if args.source is not None or args.confirm:
        raise UsageError(_("--from and --confirm only apply to okr draft"))
    if args.actor is not None:
        raise UsageError(_("--as only applies to okr import and okr draft"))
    if args.action == "export":
        return _okr_export(period, args.out, context)
    if args.out is not None:
        raise UsageError(_("--out only applies to okr export"))
    return _okr_show(period, args.format, context)


def _okr_show(period: str, output: str, context: Context) -> int:
    from planning.formatting import format_day
    from planning.okrs.evaluation import period_goals
    from planning.okrs.evaluation_results import NO_DATA_YET
    from planning.okrs.evaluation_text import format_kr_value, reason_text, report_rows

    with machine_words(output), Session(read_engine(context.engine)) as session:
        evaluation = period_goals(session=session, config=context.config, period=period)
    if output == "json":
        with machine_words(output):
            print(json.dumps(report_rows(evaluation), indent=2, default=str))
        return EXIT_OK
    symbol = context.config.settings.currency_symbol
    state = (
        _("closed {day} (values frozen at close)").format(day=format_day(evaluation.closed_at))
        if evaluation.closed and evaluation.closed_at
        else _("day {day} of {days}").format(
            day=evaluation.elapsed_days, days=evaluation.total_days
        )
    )
    print(
        _("{period} · data through {day} · {state}").format(
            period=period, day=day(evaluation.as_of), state=state
        )
    )
    if not evaluation.objectives:
        print(_("(no objectives in {period})").format(period=period))
        return EXIT_OK

    def share(value: float | None) -> str:
        if value is None:
            return "-"
        shown = round(value * 100)
        return f"{shown if shown else 0} %"  # never "-0 %"

    for objective in evaluation.objectives:
        graded = (
            _(" · grade {grade}").format(grade=_one_decimal(objective.grade))
            if objective.grade is not None
            else ""
        )
        if objective.status_reason:
            graded = f" ({reason_text(objective.status_reason)}){graded}"
        print()
        print(
            _("{title} ({owner}) — progress {progress}, expected {expected} · {status}").format(
                title=objective.title,
                owner=objective.owner,
                progress=_(NO_DATA_YET)
                if objective.progress is None
                else share(objective.progress),
                expected=share(objective.expected),
                status=word_for(STATUS_WORDS, objective.status),
            )
            + graded
        )
        rows = [
            (
                kr.title,
                format_kr_value(kr, kr.current, currency_symbol=symbol),
                format_kr_value(
                    kr,
                    kr.threshold if kr.kind == "guardrail" else kr.target,
                    currency_symbol=symbol,
                ),
                reason_text(kr.no_progress_reason) or share(kr.progress),
                share(kr.expected),
                word_for(STATUS_WORDS, kr.status),
                format_kr_value(kr, kr.forecast, currency_symbol=symbol),
                kr.probability_text or "-",
                "-"
                if kr.confidence is None
                else f"{kr.confidence}/10" + (" GAP" if kr.gap_flagged else ""),
            )
            for kr in objective.key_results
        ]
        header = (
            _("key result"),
            _("current"),
            _("target"),
            _("progress"),
            _("expected"),
            _("status"),
            _("forecast"),
            _("probability"),
            _("confidence"),
        )
        print(grid(header, rows, {1, 2, 3, 4, 6, 7}))
    return EXIT_OK


def _okr_export(period: str, out: str | None, context: Context) -> int:
    from planning.okrs.file_format import export_okr_file

    with Session(read_engine(context.engine)) as session:
        text = export_okr_file(session=session, period=period)
    if out is None:
        print(text, end="")
        return EXIT_OK
    try:
        Path(out).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            _("cannot write {path}: {reason}").format(path=out, reason=exc.strerror or exc)
        ) from None
    print(_("wrote {period}'s OKRs to {path}").format(period=period, path=out))
    return EXIT_OK


def _acting_director(session: Session, actor_email: str | None, doing: str) -> Any:
    """The person --as names, or the store's only active director; UsageError otherwise
    (`doing`: what the director does, as a translated phrase)."""
    from sqlmodel import select

    from planning.store.models import Person, Role

    if actor_email is not None:
        return active_person(session, actor_email)
    people = session.exec(select(Person).where(Person.active == True)).all()  # noqa: E712
    directors = [p for p in people if p.role == Role.director]
    if len(directors) != 1:
        raise UsageError(
            ngettext(
                "say which director {doing} with --as EMAIL ({count} active director in the store)",
                "say which director {doing} with --as EMAIL "
                "({count} active directors in the store)",
                len(directors),
            ).format(doing=doing, count=len(directors))
        )
    return directors[0]


def _okr_draft(
    period: str, source: str | None, actor_email: str | None, confirm: bool, context: Context
) -> int:
    from planning.access.permissions import PermissionDenied
    from planning.okrs.goal_rules import GoalError
    from planning.okrs.quarter_draft import copy_unfinished, draft_source
    from planning.store.engine import session_scope

    try:
        with session_scope(context.engine) as session:
            actor = _acting_director(session, actor_email, _("drafts"))
            source = source or draft_source(session=session, period=period)
            if source is None:
                raise UsageError(
                    _("no quarter before {period} has objectives to copy; use --from").format(
                        period=period
                    )
                )
            draft = copy_unfinished(
                session=session,
                actor=actor,
                config=context.config,
                from_period=source,
                to_period=period,
                preview=not confirm,
            )
    except PermissionDenied as exc:
        return fail(_("{reason} Nothing was copied.").format(reason=exc), EXIT_REFUSED)
    except GoalError as exc:
        return _goal_refused(
            exc.problems, _("nothing was copied into {period}").format(period=period)
        )
    header = ("objective", "key result", "owner", "why", "start", "target", "start from")
    return _show_draft(
        draft,
        header,
        {4, 5},
        _("from {source} into {period}").format(source=source, period=period),
        context,
    )


def _goal_refused(problems: list[str], outcome: str) -> int:
    """Print each problem and what was not done on stderr; the refused exit code."""
    for problem in problems:
        print(problem, file=sys.stderr)
    print(outcome, file=sys.stderr)
    return EXIT_REFUSED


def _show_draft(
    draft: Any, header: tuple[str, ...], money: set[int], source: str, context: Context
) -> int:
    """Print a drafted quarter's rows and what was (or would be) created."""
    rows = [
        tuple(row[column] for column in header)
        for row in draft.rows(currency_symbol=context.config.settings.currency_symbol)
    ]
    print(grid([_(DRAFT_HEADINGS[column]) for column in header], rows, money))
    counts = _("{objectives} and {key_results} {source}").format(
        objectives=ngettext(
            "{count} objective", "{count} objectives", len(draft.objectives)
        ).format(count=len(draft.objectives)),
        key_results=ngettext(
            "{count} key result", "{count} key results", draft.key_result_count
        ).format(count=draft.key_result_count),
        source=source,
    )
    if draft.written:
        print(_("created {counts}").format(counts=counts))
    else:
        print(
            _("preview only: would create {counts}; add --confirm to write it").format(
                counts=counts
            )
        )
    return EXIT_OK


def _okr_import(path: Path, actor_email: str | None, context: Context) -> int:
    from planning.access.permissions import PermissionDenied
    from planning.okrs.file_import import import_okr_file
    from planning.okrs.goal_rules import GoalError
    from planning.store.engine import session_scope

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(_("cannot read {path}: it is not UTF-8 text").format(path=path)) from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UsageError(
            _("cannot read {path}: {reason}").format(path=path, reason=reason)
        ) from None
    try:
        with session_scope(context.engine) as session:
            actor = _acting_director(session, actor_email, _("imports"))
            result = import_okr_file(
                session=session, actor=actor, config=context.config.metrics, text=text
            )
    except PermissionDenied as exc:
        return fail(_("{reason} Nothing was imported.").format(reason=exc), EXIT_REFUSED)
    except GoalError as exc:
        for problem in exc.problems:
            print(f"{path}: {problem}", file=sys.stderr)
        print(problems_line(len(exc.problems), path, _("nothing was imported")), file=sys.stderr)
        return EXIT_REFUSED
    print(
        _(
            "{period}: objectives {objectives_created} created, {objectives_updated} updated, "
            "{objectives_unchanged} unchanged; key results {key_results_created} created, "
            "{key_results_updated} updated, {key_results_unchanged} unchanged"
        ).format(
            period=result.period,
            objectives_created=result.objectives_created,
            objectives_updated=result.objectives_updated,
            objectives_unchanged=result.objectives_unchanged,
            key_results_created=result.key_results_created,
            key_results_updated=result.key_results_updated,
            key_results_unchanged=result.key_results_unchanged,
        )
        + (
            _("; alignment changed on {count}").format(count=result.links_changed)
            if result.links_changed
            else ""
        )
    )
    return EXIT_OK


def _okr_template(args: argparse.Namespace, context: Context) -> int:
    from planning.access.permissions import PermissionDenied
    from planning.okrs.goal_rules import GoalError
    from planning.okrs.templates import list_templates, start_from_template
    from planning.periods import quarter_of
    from planning.store.engine import session_scope

    if args.source is not None or args.out is not None:
        raise UsageError(_("--from and --out do not apply to okr template"))
    if args.list:
        if args.file is not None or args.confirm:
            raise UsageError(_("okr template --list takes no NAME and no --confirm"))
        templates = list_templates(config=context.config)
        rows = [
            (t.name, t.title, "; ".join(t.problems) if t.problems else _("ok")) for t in templates
        ]
        print(grid((_("name"), _("template"), _("file")), rows, set()))
        return EXIT_OK
    if args.file is None:
        raise UsageError(_("okr template needs a template NAME or --list"))
    period = args.period or quarter_of(
        clock.today(), context.config.settings.fiscal_year_start_month
    )
    try:
        with session_scope(context.engine) as session:
            actor = _acting_director(session, args.actor, _("starts the quarter"))
            owner_id = None
            if args.owner is not None:
                from sqlmodel import select

                from planning.store.models import Person

                wanted = args.owner.strip().lower()
                owner_id = next(
                    (p.id for p in session.exec(select(Person)).all() if p.email.lower() == wanted),
                    None,
                )
                if owner_id is None:
                    raise UsageError(
                        _("--owner {email}: no one has that email").format(email=args.owner)
                    )
            draft = start_from_template(
                session=session,
                actor=actor,
                config=context.config,
                name=args.file,
                period=period,
                preview=not args.confirm,
                owner_id=owner_id,
            )
    except PermissionDenied as exc:
        return fail(_("{reason} Nothing was created.").format(reason=exc), EXIT_REFUSED)
    except GoalError as exc:
        return _goal_refused(
            exc.problems, _("nothing was created in {period}").format(period=period)
        )
    header = ("objective", "key result", "owner", "start", "target", "start from")
    return _show_draft(
        draft,
        header,
        {3, 4},
        _("from the {name} template in {period}").format(name=draft.name, period=period),
        context,
    )


def _one_decimal(value: float) -> str:
    """A grade with one decimal as the team writes it (0.7; German 0,7)."""
    return f"{value:.1f}" if i18n.english_formats() else i18n.fixed_text(value, decimals=1)
