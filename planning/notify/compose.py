"""A message's words: subject, plain text, HTML (email) and Markdown (chat), built from plain
values so the same reminder reads the same everywhere.

Everything a person typed (titles, names, objectives) is escaped for where it lands: in HTML by
the templates in planning/notify/templates/ (Jinja2 with autoescape), backslash-escaped in
Markdown (Apprise turns that Markdown into Slack's mrkdwn, where an escaped `<` stays a literal
character and can never become a mention or a link), and kept as is in plain text. Links are
shown in full in every form, so the plain-text part of an email keeps them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from planning.formatting import escape_markdown
from planning.notify.schedule import CHECK_IN, OwedItem
from planning.reports.digest import WeeklyDigest
from planning.reports.digest_render import digest_html, digest_markdown


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
    return Environment(
        loader=PackageLoader("planning.notify", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _html(template: str, **values: Any) -> str:
    return _templates().get_template(template).render(**values)


def _md(text: object) -> str:
    return escape_markdown(text, inline=True)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _what(item: OwedItem) -> str:
    return "Check in on" if item.kind == CHECK_IN else "Post a status update on"


def _age(item: OwedItem) -> str:
    if item.days is None:
        return "never given"
    return f"last one {item.days} day{'s' if item.days != 1 else ''} ago"


def _count(items: Sequence[OwedItem]) -> str:
    updates = sum(1 for i in items if i.kind != CHECK_IN)
    checks = len(items) - updates
    parts = []
    if updates:
        parts.append(f"{updates} status update{'s' if updates != 1 else ''}")
    if checks:
        parts.append(f"{checks} check-in{'s' if checks != 1 else ''}")
    return " and ".join(parts)


def reminder(
    *, name: str, week: str, company: str, items: Sequence[tuple[OwedItem, str]]
) -> Content:
    """What one person owes this week, each item with its link to the form."""
    subject = _one_line(f"{company}: {_count([i for i, _ in items])} owed this week ({week})")
    text = [f"Hello {name},", "", f"This week ({week}) you owe:", ""]
    rows = []
    md = [f"Hello {_md(name)}, this week ({week}) you owe:", ""]
    for item, url in items:
        what = f"{_what(item)} “{item.title}” ({item.context}; {_age(item)})"
        text += [f"- {_one_line(what)}", f"  {url}"]
        rows.append(
            {
                "what": _what(item),
                "title": item.title,
                "context": item.context,
                "age": _age(item),
                "url": url,
            }
        )
        md.append(
            f"- {_md(_what(item))} **{_md(item.title)}** ({_md(item.context)}; {_age(item)}): "
            f"[Open the form]({url})"
        )
    text += ["", "Each link opens This week with the form picked, after you sign in."]
    body = _html("reminder.html", name=name, week=week, rows=rows)
    return Content(subject=subject, text="\n".join(text), html=body, markdown="\n".join(md))


def escalation(
    *, owner: str, item: OwedItem, since_week: str, week: str, company: str, url: str
) -> Content:
    """To a director: an item still owed after its owner was reminded."""
    what = "check-in on" if item.kind == CHECK_IN else "status update on"
    subject = _one_line(f"{company}: still owed after a reminder: {owner}'s {what} {item.title}")
    sentence = (
        f"{owner} was reminded in {since_week} and still owes a {what} “{item.title}” "
        f"({item.context}; {_age(item)}) at the {week} check-in."
    )
    text = "\n".join([_one_line(sentence), "", f"This week: {url}"])
    body = _html(
        "escalation.html",
        owner=owner,
        since_week=since_week,
        what=what,
        title=item.title,
        context=item.context,
        age=_age(item),
        week=week,
        url=url,
    )
    markdown = (
        f"{_md(owner)} was reminded in {since_week} and still owes a {what} "
        f"**{_md(item.title)}** ({_md(item.context)}; {_age(item)}) at the {week} check-in. "
        f"[Open This week]({url})"
    )
    return Content(subject=subject, text=text, html=body, markdown=markdown)


def digest(*, weekly: WeeklyDigest, url: str) -> Content:
    """The weekly digest: the full digest as HTML and Markdown text, a short summary for chat."""
    off = sum(1 for k in weekly.key_results if k.status == "off_track")
    risk = sum(1 for k in weekly.key_results if k.status == "at_risk")
    subject = f"{weekly.company}: weekly digest {weekly.week}"
    summary = (
        f"{len(weekly.key_results)} key results ({off} off track, {risk} at risk), "
        f"{len(weekly.shipped)} shipped, {len(weekly.stale)} stale updates, "
        f"{len(weekly.decisions)} decisions, {len(weekly.plan_changes)} plan changes."
    )
    markdown = f"**{_md(subject)}**: {summary} [Open Quarterdeck]({url})"
    text = digest_markdown(weekly) + f"\n\nOpen Quarterdeck: {url}\n"
    return Content(subject=subject, text=text, html=digest_html(weekly), markdown=markdown)


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
) -> Content:
    """A stakeholder's weekly roadmap summary with the link that opens the roadmap."""
    subject = f"{company}: roadmap this week ({week})"
    sections = (("Shipped this week", shipped), ("Under way", now), ("Coming next", coming))
    text = [f"Hello {name},", ""]
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
    if not any(lines for _, lines in sections):
        text.append("Nothing moved on the roadmap this week.")
        md.append("Nothing moved on the roadmap this week.")
    text += [f"The roadmap: {url}"]
    md.append(f"[Open the roadmap]({url})")
    body = _html("roadmap.html", name=name, sections=sections, url=url)
    return Content(subject=subject, text="\n".join(text), html=body, markdown="\n".join(md))
