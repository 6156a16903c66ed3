"""Languages: the catalogue is complete and current, each run reads its own language, formats
follow the team's locale (worked examples in German, English unchanged), and each person's
choice of language is stored, audited and checked."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
import yaml
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from sqlalchemy import Engine, select
from sqlmodel import Session

from planning import i18n
from planning.access.languages import all_languages, language_of, set_language
from planning.access.permissions import PermissionDenied
from planning.config import DEFAULT_CONFIG_DIR, ConfigError, load_config
from planning.formatting import (
    aligned_figures,
    format_change,
    format_count,
    format_day,
    format_entered,
    format_score,
    format_value,
)
from planning.impact.ledger_views import interval_text, lift_text, points_text
from planning.okrs.evaluation_text import reason_text
from planning.store.engine import session_scope
from planning.store.models import AuditEvent, Person, PersonRead, Role
from planning.validation import InputError

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "locales" / "quarterdeck.pot"
TRANSLATED = [code for code in i18n.LANGUAGES if code != i18n.SOURCE_LANGUAGE]


def _method_map() -> list[tuple[str, str]]:
    """babel.cfg's sections, as pybabel extract reads them."""
    sections = [
        line.strip()[1:-1]
        for line in (ROOT / "babel.cfg").read_text().splitlines()
        if line.strip().startswith("[")
    ]
    return [
        (pattern.strip(), method.strip()) for method, pattern in (s.split(":") for s in sections)
    ]


def _ids(messages: object) -> set[str | tuple[str, ...]]:
    return {m.id for m in messages if m.id}  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def extracted() -> set[str | tuple[str, ...]]:
    """What `pybabel extract -F babel.cfg` finds in the code now."""
    found: set[str | tuple[str, ...]] = set()
    method_map = _method_map()
    for top in sorted({pattern.split("/")[0] for pattern, _method in method_map}):
        if (ROOT / top).is_file():
            found.update(m for _n, m, _c, _x in extract_python(ROOT / top))
            continue
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT / top),
            method_map=[(p.removeprefix(f"{top}/"), m) for p, m in method_map if p.startswith(top)],
        ):
            found.add(message)
    return found


def extract_python(path: Path) -> list[tuple[int, str | tuple[str, ...], list[str], None]]:
    """The messages of one Python file (app.py), as pybabel reads them."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract

    with path.open("rb") as handle:
        return list(extract("python", handle, keywords=DEFAULT_KEYWORDS))  # type: ignore[arg-type]


def test_the_template_holds_exactly_the_strings_in_the_code(extracted: set[object]) -> None:
    with POT.open("rb") as handle:
        template = _ids(read_po(handle))
    stale = sorted(map(str, template - extracted))
    new = sorted(map(str, extracted - template))
    assert not new and not stale, (
        f"locales/quarterdeck.pot is out of date (run scripts/translations.sh extract): "
        f"new {new}, gone {stale}"
    )


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_string_has_a_translation(code: str, extracted: set[object]) -> None:
    with i18n.catalogue_path(code).open("rb") as handle:
        catalogue = read_po(handle, locale=code)
    assert _ids(catalogue) == extracted, (
        f"the {code} catalogue is not the template's (run scripts/translations.sh extract)"
    )
    missing = [
        str(m.id)
        for m in catalogue
        if m.id
        and (m.fuzzy or not m.string or (isinstance(m.string, (tuple, list)) and not all(m.string)))
    ]
    assert missing == [], f"no {code} translation for: {missing}"


def test_words_follow_the_runs_language() -> None:
    assert i18n.gettext("Roadmap") == "Roadmap"
    with i18n.use_locale("de"):
        assert i18n.gettext("Metrics") == "Kennzahlen"
        assert i18n.ngettext("{count} day ago", "{count} days ago", 1) == "vor {count} Tag"
        assert i18n.ngettext("{count} day ago", "{count} days ago", 3) == "vor {count} Tagen"
        assert i18n.gettext("a sentence nobody wrote") == "a sentence nobody wrote"
        assert i18n.gettext("") == ""
    assert i18n.gettext("Metrics") == "Metrics"
    i18n.set_language("xx")  # not a language Quarterdeck speaks: the team's
    assert i18n.language() == "en"


def test_status_reasons_read_in_the_readers_language() -> None:
    """Reasons are evaluated (and frozen at a quarter's close) in English; each reads back in
    the reader's language, counts in the team's format, names as written."""
    reasons = [
        "Mobile cart abandonment down is off track",
        "holds; was in breach on 1 day so far",
        "the window value is above the threshold; in breach on 12 days so far",
        "only 1,234 in the denominator, below the 2,000 needed",
        "owner's confidence 4/10",
        "a sentence no reason is made of",
    ]
    assert [reason_text(r) for r in reasons] == reasons  # English reads them unchanged
    with i18n.use_locale("de"):
        assert [reason_text(r) for r in reasons] == [
            "Mobile cart abandonment down ist nicht im Plan",
            "hält; war bisher an 1 Tag verletzt",
            "der Wert des Zeitraums liegt über dem Schwellenwert; bisher an 12 Tagen verletzt",
            "nur 1.234 im Nenner, unter den nötigen 2.000",
            "Zuversicht der verantwortlichen Person 4/10",
            "a sentence no reason is made of",
        ]


def test_one_threads_language_does_not_reach_another() -> None:
    seen: list[str] = []

    def visitor() -> None:
        i18n.set_language("de")
        seen.append(i18n.gettext("Metrics"))

    thread = threading.Thread(target=visitor)
    thread.start()
    thread.join()
    assert seen == ["Kennzahlen"]
    assert i18n.gettext("Metrics") == "Metrics"


def test_a_fresh_checkout_reads_the_po_without_a_compiled_mo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "de" / "LC_MESSAGES"
    target.mkdir(parents=True)
    (target / "quarterdeck.po").write_bytes(i18n.catalogue_path("de").read_bytes())
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        assert i18n.translations("de").gettext("Timeline") == "Zeitleiste"
    finally:
        i18n.translations.cache_clear()


# --- formats: worked examples --------------------------------------------------------------------


def test_german_team_formats() -> None:
    i18n.use_team_locale("de", currency="EUR")
    with i18n.use_locale("de"):
        assert format_value(1234.56, "money") == "1.234,56\u00a0€"
        assert format_value(-1234.56, "money") == "-1.234,56\u00a0€"
        assert format_value(12_345, "money") == "12.345\u00a0€"
        assert format_value(1_234_567, "money") == "1,23\u00a0Mio.\u00a0€"
        assert format_value(0.125, "percent") == "12,5\u00a0%"
        assert format_value(2.5, "decimal") == "2,5"
        assert format_value(1234, "number") == "1.234"
        assert format_change(0.13, 0.12, "percent") == "+1,00 Pkt."
        assert format_change(110, 100, "money") == "+10,0\u00a0%"
        assert format_entered(140_000) == "140.000"
        assert format_entered(2.25) == "2,25"
        assert format_score(48.5) == "48,5"
        assert format_count(12_345) == "12.345"
        assert format_day(date(2026, 12, 6)) == "6. Dez. 2026"
        assert format_day(date(2026, 12, 6), weekday=True) == "So., 6. Dez. 2026"
        assert aligned_figures([1.5, 12.25], format_score) == ["\u20071,5", "12,2"]
        assert lift_text(0.081) == "+8,1\u00a0%"
        assert interval_text(-0.05, 0.109) == "-5,0\u00a0% bis +10,9\u00a0%"
        assert points_text(0.012) == "+1,2 Pkt."
        charts = i18n.vega_locale()
        assert charts is not None and charts["number"] == {
            "decimal": ",",
            "thousands": ".",
            "grouping": [3],
            "currency": ["", "\u00a0€"],
            "percent": "\u00a0%",  # 10 %, as German writes it
        }
        assert charts["time"]["shortMonths"][10] == "Nov."  # type: ignore[index]
        # A time axis says 26. Nov. (a day), November (a month), not Vega's Nov 26.
        assert i18n.vega_date_axis() == {
            "year": "%Y",
            "quarter": "%b %Y",
            "month": "%B",
            "week": "%-d. %b",
            "date": "%-d. %b",
            "hours": "%H:%M",
            "minutes": "%H:%M",
        }


def test_english_formats_are_unchanged() -> None:
    assert format_value(1234.56, "money", currency_symbol="$") == "$1,234.56"
    assert format_value(12_345, "money", currency_symbol="$") == "$12.3k"
    assert format_value(1_234_567, "money", currency_symbol="$") == "$1.23M"
    assert format_value(0.125, "percent") == "12.5 %"
    assert format_value(1234, "number") == "1,234"
    assert format_change(0.13, 0.12, "percent") == "+1.00 pts"
    assert format_change(110, 100, "money") == "+10.0 %"
    assert format_entered(140_000) == "140,000"
    assert format_score(960_917) == "960,917"
    assert format_day(date(2026, 12, 6)) == "06 Dec 2026"
    assert format_day(date(2026, 12, 6), weekday=True, year=False) == "Sun 06 Dec"
    assert interval_text(-0.05, 0.109) == "-5.0 % to +10.9 %"
    assert points_text(0.012) == "+1.2 pts"
    assert i18n.vega_locale() is None  # charts keep Vega's English formats
    assert i18n.vega_date_axis() is None
    # A German reader of an English team reads German words and English formats.
    with i18n.use_locale("de", formats="en"):
        assert format_value(0.125, "percent") == "12.5 %"
        assert i18n.gettext("Timeline") == "Zeitleiste"


def test_settings_locale_sets_the_teams_formats(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    for name in ("metrics.yaml", "scoring.yaml"):
        (config / name).write_bytes((Path(DEFAULT_CONFIG_DIR) / name).read_bytes())
    (config / "settings.yaml").write_text(yaml.safe_dump({"locale": "de", "currency": "EUR"}))
    loaded = load_config(config)
    assert loaded.settings.locale == "de"
    assert (i18n.team_locale(), i18n.team_currency(), i18n.language()) == ("de", "EUR", "de")
    assert format_value(1234.56, "money") == "1.234,56\u00a0€"
    (config / "settings.yaml").write_text(yaml.safe_dump({"locale": "klingon"}))
    with pytest.raises(ConfigError, match="locale"):
        load_config(config)


# --- each person's language ----------------------------------------------------------------------


def _people(engine: Engine) -> dict[Role, PersonRead]:
    with session_scope(engine) as session:
        for role in Role:
            session.add(Person(name=f"A {role.value}", email=f"{role.value}@x.test", role=role))
    with Session(engine) as session:
        return {p.role: PersonRead.model_validate(p) for p in session.scalars(select(Person)).all()}


def test_a_person_picks_their_language_and_it_is_audited(engine: Engine) -> None:
    team = _people(engine)
    member, director = team[Role.member], team[Role.director]
    with session_scope(engine) as session:
        set_language(session=session, actor=member, person_id=member.id, language="de")
    with session_scope(engine) as session:
        set_language(session=session, actor=director, person_id=member.id, language="en")
        set_language(session=session, actor=director, person_id=director.id, language="de")
    with Session(engine) as session:
        assert language_of(session=session, person_id=member.id) == "en"
        assert all_languages(session=session) == {member.id: "en", director.id: "de"}
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.entity == "person_language").order_by(AuditEvent.id)  # type: ignore[arg-type]
        ).all()
        assert [(e.actor_id, e.action) for e in events] == [
            (member.id, "create"),
            (director.id, "update"),
            (director.id, "create"),
        ]
        assert events[1].before is not None and events[1].before["language"] == "de"


def test_a_bad_language_or_someone_elses_choice_writes_nothing(engine: Engine) -> None:
    team = _people(engine)
    member, stakeholder = team[Role.member], team[Role.stakeholder]
    refused = "language must be one of en, de, not 'fr'"
    with pytest.raises(InputError, match=refused), session_scope(engine) as session:
        set_language(session=session, actor=member, person_id=member.id, language="fr")
    with pytest.raises(PermissionDenied), session_scope(engine) as session:
        set_language(session=session, actor=member, person_id=stakeholder.id, language="de")
    with Session(engine) as session:
        assert all_languages(session=session) == {}
        assert session.scalars(select(AuditEvent)).all() == []
