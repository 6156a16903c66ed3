"""The Goals page's alignment view and the director's alignment forms.

The view is an indented tree everyone can read: each objective under every parent it aligns to,
its status as a coloured badge that also names it, its progress, and under it the key results of
other objectives that count towards it with their weights. The forms set an objective's parents
(the first one chosen is its first parent) and the other objectives a key result counts towards.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from planning import i18n
from planning.formatting import format_entered
from planning.i18n import gettext as _
from planning.okrs.alignment import MAX_WEIGHT, set_kr_contributions, set_objective_parents
from planning.okrs.alignment_tree import TreeLine, alignment_tree
from planning.okrs.evaluation_results import NO_DATA_YET
from planning.palette import STATUS_BADGES, STATUS_LABELS
from ui import goals_data as data
from ui.goals_charts import share
from ui.goals_view import View, figure, quoted, write_goal
from ui.number_entry import number_field, read_numbers
from ui.pickers import pick_record
from ui.state import Versions, depends_on, shared_read
from ui.text import escape_markdown

INDENT = "    "  # one level of a Markdown list


def _badge(status: str) -> str:
    colour = STATUS_BADGES.get(status, "gray")
    return f":{colour}-badge[{_(STATUS_LABELS.get(status, 'Too early'))}]"


def _progress(value: float | None) -> str:
    if value is None:
        return _(NO_DATA_YET)
    return _("progress {progress}").format(progress=share(value))


def tree_markdown(lines: list[TreeLine]) -> str:
    """The tree as a nested Markdown list; people's text escaped."""
    out = []
    for line in lines:
        pad = INDENT * line.depth
        title = escape_markdown(line.title)
        if line.kind == "contribution":
            weight = format_entered(line.weight or 0.0)
            counts = _("key result **{title}** of “{objective}” counts here with weight {weight}")
            out.append(
                f"{pad}- ↳ {_badge(line.status)} "
                + counts.format(title=title, objective=escape_markdown(line.source), weight=weight)
                + f" · {_progress(line.progress)}"
            )
            continue
        facts = [
            _progress(line.progress),
            _("owner {owner}").format(owner=escape_markdown(line.owner)),
        ]
        if line.elsewhere:
            facts.append(
                _("aligned to {objectives}").format(
                    objectives=", ".join(quoted(escape_markdown(e)) for e in line.elsewhere)
                )
            )
        if line.also_under:
            facts.append(
                _("also under {objectives}").format(
                    objectives=", ".join(quoted(escape_markdown(t)) for t in line.also_under)
                )
            )
        out.append(f"{pad}- {_badge(line.status)} **{title}** · {' · '.join(facts)}")
    return "\n".join(out)


@depends_on(*data.EVALUATION)
@shared_read(ttl=data.TTL, max_entries=data.ENTRIES)
def tree_text(
    versions: Versions, period: str, today: date, language: str, _view: View
) -> str | None:
    """The quarter's alignment tree as markdown, or None when nothing is aligned or counted
    elsewhere; written once per data version and `language` (i18n.locale_key), as tree_markdown
    escapes and words every line. `_view` is the reader's view of that quarter (its evaluation
    is read by the same versions, period, day and language)."""
    del versions, period, today
    evaluation = _view.evaluation
    if not any(o.parents or o.contributions for o in evaluation.objectives):
        return None
    with i18n.use_locale_key(language):
        return tree_markdown(alignment_tree(evaluation))


def alignment_section(view: View) -> None:
    """How the quarter's objectives align and which key results count where, as a tree."""
    evaluation = view.evaluation
    if not evaluation.objectives:
        return
    tree = tree_text(view.versions, view.period, view.today, i18n.locale_key(), _view=view)
    with st.expander(_("Alignment"), icon=":material/account_tree:", expanded=False):
        if tree is None:
            st.caption(
                _(
                    "No objective of {quarter} is aligned to another yet, and no key result "
                    "counts towards another objective."
                ).format(quarter=view.period)
            )
            return
        st.caption(
            _(
                "Each objective sits under every objective it aligns to. ↳ marks a key result of "
                "another objective that counts towards the one above it, with its weight there."
            )
        )
        st.markdown(tree)


def align_objective_form(view: View) -> None:
    """Choose the parents an objective of the quarter aligns to (directors)."""
    objectives = {o.objective_id: o for o in view.evaluation.objectives}
    if not objectives:
        return
    objective = pick_record(_("Objective"), objectives, lambda o: o.title, key="align_objective")
    chosen = objective.objective_id
    labels = {
        o.id: f"{o.period} · {o.title}"
        for o in data.all_objectives(view.versions)
        if o.id != chosen
    }
    current = [p.objective_id for p in objective.parents]
    for p in objective.parents:  # a parent since archived stays listed until it is removed
        labels.setdefault(p.objective_id, f"{p.period} · {p.title}")

    with st.form(f"align_{chosen}_{'_'.join(map(str, current))}"):
        picked = st.multiselect(
            _("Aligns to (the first is its first parent)"),
            list(labels),
            default=current,
            format_func=labels.__getitem__,
            key=f"align_parents_{chosen}",
        )
        if st.form_submit_button(_("Save alignment"), type="primary"):
            write_goal(
                lambda session: set_objective_parents(
                    session=session,
                    actor=view.person,  # type: ignore[arg-type]
                    objective_id=chosen,
                    parent_ids=picked,
                ),
                _("Alignment of “{title}” saved.").format(title=escape_markdown(objective.title)),
            )


def contribution_form(view: View) -> None:
    """Choose the other objectives of the quarter a key result counts towards, with weights."""
    krs = {kr.key_result_id: kr for kr in view.evaluation.key_results()}
    objectives = {o.objective_id: o for o in view.evaluation.objectives}
    if not krs or len(objectives) < 2:
        st.caption(_("A key result can count towards another objective once the quarter has two."))
        return
    kr = pick_record(
        _("Key result"),
        krs,
        lambda k: f"{objectives[k.objective_id].title} › {k.title}",
        key="contribute_kr",
    )
    chosen = kr.key_result_id
    current = {
        o.objective_id: c.weight
        for o in view.evaluation.objectives
        for c in o.contributions
        if c.key_result_id == chosen
    }
    others = [i for i in objectives if i != kr.objective_id]
    picked = st.multiselect(
        _("Also counts towards"),
        others,
        default=[i for i in others if i in current],
        format_func=lambda i: objectives[i].title,
        key=f"contribute_to_{chosen}",
    )
    fields = {
        str(oid): number_field(
            _("Weight towards “{objective}”").format(objective=objectives[oid].title),
            value=float(current.get(oid, 1.0)),
            key=f"contribute_weight_{chosen}_{oid}",
            minimum=0.0,
            maximum=MAX_WEIGHT,
            required=True,
            help=_(
                "Above 0 and at most {most}; in its own objective the key result keeps its own "
                "weight."
            ).format(most=figure(MAX_WEIGHT)),
        )
        for oid in picked
    }
    if st.button(_("Save contributions"), type="primary", key=f"contribute_save_{chosen}"):
        typed = read_numbers(fields)
        if typed is None:
            return
        weights = [(int(oid), float(weight)) for oid, weight in typed.items()]
        write_goal(
            lambda session: set_kr_contributions(
                session=session,
                actor=view.person,  # type: ignore[arg-type]
                key_result_id=chosen,
                contributions=weights,
            ),
            _("Where “{title}” counts is saved.").format(title=escape_markdown(kr.title)),
        )
