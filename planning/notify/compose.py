"""A message's words: subject, plain text, HTML (email) and Markdown (chat), built from plain
values so the same reminder reads the same everywhere.

Everything a person typed (titles, names, objectives) is escaped for where it lands: in HTML by
the templates in planning/notify/templates/ (Jinja2 with autoescape), in chat Markdown by
planning.formatting.escape_chat, and kept as is in plain text. Apprise turns the chat Markdown
into Slack's mrkdwn, where `<`, `>` and `&` become entities (so typed text can never be a mention
or a link) and any other backslash stays visible, as Slack has no escapes: only what Slack or
Teams would format is escaped, so "Checkout v2: faster" arrives as typed. Links are shown in full
in every form, so the plain-text part of an email keeps them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment
from markupsafe import Markup, escape

from planning import i18n
from planning.formatting import escape_chat, html_templates
from planning.i18n import N_, ngettext
from planning.i18n import gettext as _
from planning.notify.schedule import CHECK_IN, OwedItem
from planning.reports.digest import WeeklyDigest
from planning.reports.digest_render import digest_html, digest_markdown

# An owed status update's context is its initiative's state, as planning.notify.schedule writes it.
UPDATE_STATES = {"in progress": N_("in progress"), "blocked": N_("blocked")}


@dataclass(frozen=True)
class Content:
    """One message in every form a channel may take."""

    subject: str
    text: str
    html: str
    markdown: str


@cache
def _templates() -> Environment:
    """The emails' templates (planning/notify/templates/), every value autoescaped."""
    return html_templates("planning.notify")


def _html(template: str, **values: Any) -> str:
    """A message's HTML, marked as written in this run's language (for screen readers)."""
    return _templates().get_template(template).render(lang=i18n.language(), **values)


def _markup(sentence: str, **values: object) -> Markup:
    """A translated sentence as HTML: the sentence and every value escaped, except values that
    are already markup (a title in <strong>)."""
    return escape(sentence).format(**values)


def _strong(text: str) -> Markup:
    return Markup("<strong>{}</strong>").format(text)


def _md(text: object) -> str:
    return escape_chat(text)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _what(item: OwedItem) -> str:
    return _("Check in on") if item.kind == CHECK_IN else _("Post a status update on")


def _context(item: OwedItem) -> str:
    """The item's objective (as written) or its initiative's state (in the reader's words)."""
    if item.kind != CHECK_IN and item.context in UPDATE_STATES:
        return _(UPDATE_STATES[item.context])
    return item.context


def _age(item: OwedItem) -> str:
    if item.days is None:
        return _("never given")
    return ngettext("last one {count} day ago", "last one {count} days ago", item.days).format(
        count=item.days
    )


def _count(items: Sequence[OwedItem]) -> str:
    updates = sum(1 for i in items if i.kind != CHECK_IN)
    checks = len(items) - updates
    parts = []
    if updates:
        parts.append(
            ngettext("{count} status update", "{count} status updates", updates).format(
                count=updates
            )
        )
    if checks:
        parts.append(ngettext("{count} check-in", "{count} check-ins", checks).format(count=checks))
    if len(parts) == 2:
        return _("{first} and {second}").format(first=parts[0], second=parts[1])
    return parts[0] if parts else ""


def reminder(
    *, name: str, week: str, company: str, items: Sequence[tuple[OwedItem, str]]
) -> Content:
    """What one person owes this week, each item with its link to the form."""
    owed = _count([i for i, _url in items])
    subject = _one_line(
        _("{company}: {owed} owed this week ({week})").format(company=company, owed=owed, week=week)
    )
    hello = _("Hello {name},")
    you_owe = _("This week ({week}) you owe:").format(week=week)
    open_form = _("Open the form")
    footer = _("Each link opens This week with the form picked, after you sign in.")
    text = [hello.format(name=name), "", you_owe, ""]
    rows = []
    md = [
        _("Hello {name}, this week ({week}) you owe:").format(name=_md(name), week=week),
        "",
    ]
    for item, url in items:
        what = _("{what} “{title}” ({context}; {age})").format(
            what=_what(item), title=item.title, context=_context(item), age=_age(item)
        )
        text += [f"- {_one_line(what)}", f"  {url}"]
        rows.append(
            {
                "what": _what(item),
                "title": item.title,
                "context": _context(item),
                "age": _age(item),
                "url": url,
            }
        )
        md.append(
            f"- {_md(_what(item))} **{_md(item.title)}** ({_md(_context(item))}; {_age(item)}): "
            f"[{open_form}]({url})"
        )
    text += ["", footer]
    body = _html(
        "reminder.html",
        hello=_markup(hello, name=name),
        you_owe=you_owe,
        open_form=open_form,
        footer=footer,
        rows=rows,
    )
    return Content(subject=subject, text="\n".join(text), html=body, markdown="\n".join(md))


def escalation(
    *, owner: str, item: OwedItem, since_week: str, week: str, company: str, url: str
) -> Content:
    """To a director: an item still owed after its owner was reminded."""
    what = _("check-in on") if item.kind == CHECK_IN else _("status update on")
    subject = _one_line(
        _("{company}: still owed after a reminder: {owner}'s {what} {title}").format(
            company=company, owner=owner, what=what, title=item.title
        )
    )
    still_owes = _(
        "{owner} was reminded in {since_week} and still owes a {what} {title} "
        "({context}; {age}) at the {week} check-in."
    )
    values = {
        "owner": owner,
        "since_week": since_week,
        "what": what,
        "context": _context(item),
        "age": _age(item),
        "week": week,
    }
    sentence = still_owes.format(title=_("“{title}”").format(title=item.title), **values)
    open_this_week = _("Open This week")
    text = "\n".join([_one_line(sentence), "", _("This week: {url}").format(url=url)])
    body = _html(
        "escalation.html",
        sentence=_markup(still_owes, title=_strong(item.title), **values),
        open_this_week=open_this_week,
        url=url,
    )
    markdown = (
        still_owes.format(
            title=f"**{_md(item.title)}**",
            **{**values, "owner": _md(owner), "context": _md(_context(item))},
        )
        + f" [{open_this_week}]({url})"
    )
    return Content(subject=subject, text=text, html=body, markdown=markdown)


def digest(*, weekly: WeeklyDigest, url: str) -> Content:
    """The weekly digest: the full digest as HTML and Markdown text, a short summary for chat."""
    off = sum(1 for k in weekly.key_results if k.status == "off_track")
    risk = sum(1 for k in weekly.key_results if k.status == "at_risk")
    subject = _("{company}: weekly digest {week}").format(company=weekly.company, week=weekly.week)
    summary = " ".join(
        [
            ngettext(
                "{count} key result ({off} off track, {risk} at risk),",
                "{count} key results ({off} off track, {risk} at risk),",
                len(weekly.key_results),
            ).format(count=len(weekly.key_results), off=off, risk=risk),
            ngettext("{count} shipped,", "{count} shipped,", len(weekly.shipped)).format(
                count=len(weekly.shipped)
            ),
            ngettext("{count} stale update,", "{count} stale updates,", len(weekly.stale)).format(
                count=len(weekly.stale)
            ),
            ngettext("{count} decision,", "{count} decisions,", len(weekly.decisions)).format(
                count=len(weekly.decisions)
            ),
            ngettext(
                "{count} plan change.", "{count} plan changes.", len(weekly.plan_changes)
            ).format(count=len(weekly.plan_changes)),
        ]
    )
    open_quarterdeck = _("Open Quarterdeck")
    markdown = f"**{_md(subject)}**: {summary} [{open_quarterdeck}]({url})"
    text = (
        digest_markdown(weekly, plain=True)
        + "\n\n"
        + _("Open Quarterdeck: {url}").format(url=url)
        + "\n"
    )
    return Content(subject=subject, text=text, html=digest_html(weekly, url=url), markdown=markdown)


@dataclass(frozen=True)
class RoadmapLine:
    """One initiative in a roadmap summary."""

    title: str
    owner: str
    when: str  # e.g. "shipped 24 Nov 2026", "target 12 Dec 2026"


def roadmap(
    *,
    name: str,
    week: str,
    company: str,
    shipped: Sequence[RoadmapLine],
    now: Sequence[RoadmapLine],
    coming: Sequence[RoadmapLine],
    url: str,
    linked: bool = True,
) -> Content:
    """A stakeholder's weekly roadmap summary with the link that opens the roadmap (`linked`
    false: `url` only says where the link will be, so it is written as text, not a link)."""
    subject = _("{company}: roadmap this week ({week})").format(company=company, week=week)
    sections = (
        (_("Shipped this week"), shipped),
        (_("Under way"), now),
        (_("Coming next"), coming),
    )
    nothing = _("Nothing moved on the roadmap this week.")
    open_roadmap = _("Open the roadmap")
    hello = _("Hello {name},")
    text = [hello.format(name=name), ""]
    md = [f"**{_md(subject)}**"]
    for heading, lines in sections:
        if not lines:
            continue
        text += (
            [f"{heading}:"]
            + [f"- {_one_line(f'{x.title} ({x.owner}, {x.when})')}" for x in lines]
            + [""]
        )
        md += [f"*{heading}*"] + [
            f"- {_md(x.title)} ({_md(x.owner)}, {_md(x.when)})" for x in lines
        ]
    if not any(lines for _heading, lines in sections):
        text.append(nothing)
        md.append(nothing)
    text += [_("The roadmap: {url}").format(url=url)]
    md.append(f"[{open_roadmap}]({url})" if linked else f"{open_roadmap}: {_md(url)}")
    body = _html(
        "roadmap.html",
        hello=_markup(hello, name=name),
        sections=sections,
        nothing=nothing,
        open_roadmap=open_roadmap,
        url=url,
        linked=linked,
    )
    return Content(subject=subject, text="\n".join(text), html=body, markdown="\n".join(md))
