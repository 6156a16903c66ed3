"""Whatever people type reaches the weekly digest as text, never as markup, template code or a
link (issue 16.4).

Every free-text field the digest shows gets a payload of HTML (a script, an attribute break-out
with an event handler), Jinja2 code, Markdown (a link, emphasis, code, Streamlit's colour
directive, LaTeX) and an HTML entity: objective and key result titles, initiative titles (shipped,
impact, stale and plan rows), decisions, people's names (owners, authors) and the company name.
Status notes never reach the digest; one carries a payload too, and does not appear. The HTML file
is parsed and the Markdown rendered (CommonMark with GitHub's tables): neither holds an element or
attribute the digest does not write itself, and each payload reads exactly as typed.
"""

from __future__ import annotations

from html.parser import HTMLParser

from markdown_it import MarkdownIt
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from planning.config import AppConfig
from planning.reports.digest import WeeklyDigest, build_digest
from planning.reports.digest_render import digest_html, digest_markdown
from planning.store.engine import read_engine, session_scope
from planning.store.models import (
    Decision,
    Initiative,
    KeyResult,
    Objective,
    Person,
    StatusUpdate,
    WeeklyPlan,
)
from tests.test_digest import TODAY, WEEK, seed_week

# The elements the digest writes itself; nothing a person types may add one.
HTML_ELEMENTS = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "div", "table", "thead",
    "tbody", "tr", "th", "td", "span", "footer", "svg", "line", "text", "circle", "path",
}  # fmt: skip
MARKDOWN_ELEMENTS = {"h1", "h2", "p", "table", "thead", "tbody", "tr", "th", "td"}


def payload(field: str, limit: int = 200) -> str:
    """A field's hostile text, named so each can be found in the output, within the column's
    length (PostgreSQL refuses longer text; SQLite would store it)."""
    tricks = (
        f'{field} <script>alert(1)</script> "><img src=x onerror=alert(1)> {{{{ 7*7 }}}} '
        "{% if true %}jinja{% endif %} [click](https://e.x) ![i](https://e.x/i) "
        "**bold** _em_ `code` ~~gone~~ :red[red] $x^2$ &amp; <b>b</b>"
    )
    if len(tricks) <= limit:
        return tricks
    short = f'{field} <script>x</script> "><img src=x onerror=y> {{{{ 7*7 }}}} [a](//e.x) **b** `c`'
    assert len(short) <= limit, short
    return short


class Page(HTMLParser):
    """An HTML document's elements, attribute names and text."""

    def __init__(self, document: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.text: list[str] = []
        self.feed(document)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes |= {name for name, _ in attrs}

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def hostile_week(engine: Engine, config: AppConfig) -> tuple[WeeklyDigest, dict[str, str]]:
    """The test digest's week with a payload in every free-text field it shows."""
    seed_week(engine)
    shown: dict[str, str] = {}
    with session_scope(engine) as session:
        for model, column in (
            (Objective, "title"),
            (KeyResult, "title"),
            (Initiative, "title"),
            (Person, "name"),
            (Decision, "text"),
        ):
            for row in session.exec(select(model)).all():
                limit = model.__table__.columns[column].type.length or 10_000  # type: ignore[attr-defined]
                text = payload(f"{model.__name__} {row.id}", limit)
                session.execute(update(model).where(model.id == row.id).values({column: text}))
                shown[f"{model.__name__} {row.id}"] = text
        session.execute(update(StatusUpdate).values(note=payload("Note")))
        titles = {i.id: i.title for i in session.exec(select(Initiative)).all()}
        for plan in session.exec(select(WeeklyPlan)).all():
            plan.snapshot = [{**row, "title": titles[row["id"]]} for row in plan.snapshot]
            session.add(plan)
    settings = config.settings.model_copy(update={"company": payload("Company", 10_000)})
    shown["Company"] = settings.company
    with Session(read_engine(engine)) as session:
        hostile_config = config.model_copy(update={"settings": settings})
        digest = build_digest(session=session, config=hostile_config, week=WEEK, today=TODAY)
    return digest, shown


KINDS = {"Objective", "KeyResult", "Initiative", "Person", "Decision", "Company"}


def assert_shown_as_typed(text: str, shown: dict[str, str]) -> None:
    """Every kind of field is in the text, and wherever a field shows, it reads as typed."""
    found = {name for name in shown if f"{name} " in text}
    assert {name.split()[0] for name in found} == KINDS
    for name in found:
        assert shown[name] in text, name
    assert payload("Note") not in text  # status notes are not part of the digest


def test_every_field_reaches_the_html_as_text(engine: Engine, config: AppConfig) -> None:
    digest, shown = hostile_week(engine, config)
    page = Page(digest_html(digest))
    assert page.tags <= HTML_ELEMENTS, page.tags - HTML_ELEMENTS
    assert not {a for a in page.attributes if a.startswith("on") or a in ("src", "href")}
    text = "".join(page.text)
    assert_shown_as_typed(text, shown)
    assert "{{ 7*7 }}" in text and "{% if true %}jinja{% endif %}" in text


def test_every_field_reaches_the_markdown_as_text(engine: Engine, config: AppConfig) -> None:
    digest, shown = hostile_week(engine, config)
    markdown = digest_markdown(digest)
    page = Page(MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown))
    assert page.tags <= MARKDOWN_ELEMENTS, page.tags - MARKDOWN_ELEMENTS  # no link, image, code…
    assert not page.attributes - {"style"}  # a table's column alignment at most
    assert_shown_as_typed("".join(page.text), shown)
