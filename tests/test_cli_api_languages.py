"""The command line and the HTTP API in the team's language: a German team's command line prints
German words and German formats (results, refusals, table headings) while its CSV and JSON are
byte for byte the English ones; an API error answers in the language Accept-Language asks for
(en or de), else the team's, with English bodies unchanged and no language crossing between
requests served at the same time."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from api.app import api_app
from api.context import ApiContext
from api.language import asked_language
from planning import i18n
from planning.access.api_tokens import WRITE_OBSERVATIONS
from planning.cli.main import COMMANDS
from planning.config import CONFIG_DIR_ENV, AppConfig, load_config
from tests.api_support import bearer, client_for, new_token
from tests.cli_support import run_cli
from tests.config_support import GERMAN_TEAM, config_copy
from tests.sign_in_routes import client as sign_in_client
from tests.test_page_languages import english as english
from tests.test_sources import CSV
from tests.test_sources import http_files as http_files

OBSERVATIONS = "/api/v1/observations"
BAD_ROWS = (
    "date,measure,value,channel,device\n"
    "2026-11-20,sessions,viele,email,mobile\n"
    "2026-11-20,orders,12,email,mobile\n"
    "2026-11-20,orders,12,email,mobile\n"
)
GOOD_ROWS = "date,measure,value,channel,device\n" + "".join(
    f"2026-10-{day:02d},sessions,{1000 + day},email,mobile\n" for day in range(1, 31)
)


@pytest.fixture
def teams(tmp_path: Path) -> dict[str, Path]:
    """Two copies of the shipped configuration: an English team and a German one (euros)."""
    return {
        "en": config_copy(tmp_path / "config-en"),
        "de": config_copy(tmp_path / "config-de", **GERMAN_TEAM),
    }


def untranslated(text: str, english: tuple[set[str], list[str]], names: set[str]) -> list[str]:
    """The catalogue's English strings in a command's output: a line or table cell that is one,
    or a sentence piece of one inside a line (names from configuration and data excepted)."""
    labels, pieces = english
    found: set[str] = set()
    longest_first = sorted(names, key=len, reverse=True)
    for line in text.splitlines():
        for cell in [line.strip(), *re.split(r"\s{2,}", line.strip())]:
            if cell and cell not in names and cell in labels:
                found.add(cell)
        for name in longest_first:
            line = line.replace(name, "")
        found.update(piece for piece in pieces if piece in line)
    return sorted(found)


def _names(config: AppConfig, capsys: pytest.CaptureFixture[str]) -> set[str]:
    """Names from configuration and the store, which stay as written: metrics, dimensions and
    their values, objectives, key results, initiatives and people (read from the JSON)."""
    metrics = config.metrics
    names = {m.label for m in metrics.metrics.values()}
    for dimension in metrics.dimensions.values():
        names.add(dimension.label)
        names.update(dimension.value_label(v) for v in dimension.values)
    for argv, fields in (
        (("okr", "--format", "json"), ("objective", "key_result", "owner")),
        (("rank", "--format", "json"), ("initiative", "owner")),
        (("capacity", "--format", "json"), ("person",)),
    ):
        _code, out, _err = run_cli(capsys, *argv)
        names.update(str(item[f]) for item in json.loads(out) for f in fields if item.get(f))
    return names


def _as_team(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.setenv(CONFIG_DIR_ENV, str(folder))


@pytest.fixture
def store_cli_as(
    cli_store: Engine, teams: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> Callable[[str], None]:
    """Run the command line on an empty store as the team of a language ("en" or "de")."""

    def as_team(language: str) -> None:
        _as_team(monkeypatch, teams[language])

    return as_team


@pytest.fixture
def german_demo_cli(demo_cli: str, teams: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    """The command line on a private copy of the demo store, run by the German team; that team's
    configuration folder."""
    _as_team(monkeypatch, teams["de"])
    return teams["de"]


# --- the command line ----------------------------------------------------------------------------


def test_a_german_teams_import_speaks_german_and_writes_german_numbers(
    store_cli_as: Callable[[str], None],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    english: tuple[set[str], list[str]],
) -> None:
    store_cli_as("de")
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_ROWS, encoding="utf-8")
    code, out, err = run_cli(capsys, "import", str(bad))
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[0].startswith("Zeile 2, Spalte value: ")
    assert lines[1].startswith("Zeile 4: Duplikat von Zeile 3")
    assert lines[-1] == f"2 Probleme in {bad}; nichts wurde importiert"
    assert untranslated(err, english, set()) == []

    good = tmp_path / "good.csv"
    good.write_text(GOOD_ROWS, encoding="utf-8")
    code, out, err = run_cli(capsys, "import", str(good))
    assert (code, err) == (0, "")
    assert out == "30 hinzugefügt, 0 aktualisiert, 0 unverändert\n"

    code, out, err = run_cli(
        capsys, "query", "sessions", "--start", "2026-10-01", "--end", "2026-10-03"
    )
    assert code == 0, err
    heading, _rule, *rows = out.splitlines()
    assert heading.split()[0] == "Zeitraum"
    assert rows[0].split() == ["2026-10-01", "1.001"]  # German thousands
    code, out, err = run_cli(
        capsys, "query", "sessions", "--start", "2025-10-01", "--end", "2025-10-02"
    )
    assert out.splitlines()[-1] == "(keine Daten zwischen 1. Okt. 2025 und 2. Okt. 2025)"


def test_a_german_teams_refusals_are_german(
    german_demo_cli: Path, capsys: pytest.CaptureFixture[str], english: tuple[set[str], list[str]]
) -> None:
    weeks = "99 Wochen liegen außerhalb des Bereichs; verwenden Sie 1 bis 52"
    quarter = (
        "'2026-Q5' ist kein Quartal: das Quartal muss Q1, Q2, Q3 oder Q4 sein, "
        "schreiben Sie es als JAHR-Qn, z. B. 2026-Q4"
    )
    refusals = [
        (["okr", "import"], "okr import braucht die YAML-DATEI, die gelesen werden soll"),
        (
            ["rank", "--framework", "moscow"],
            "unbekanntes Modell 'moscow'; verwenden Sie eines von rice, ice, wsjf, weighted, "
            "expected_value",
        ),
        (
            ["okr", "--period", "2026-Q5"],
            f"python -m planning okr: Argument --period: {quarter} (siehe --help)",
        ),
        (
            ["capacity", "--weeks", "99"],
            f"python -m planning capacity: Argument --weeks: {weeks} (siehe --help)",
        ),
        (
            ["capacity", "--weeks"],
            "python -m planning capacity: Argument --weeks: ein Argument erwartet (siehe --help)",
        ),
        (
            ["query"],
            "python -m planning query: diese Argumente sind nötig: METRIC, --start, --end "
            "(siehe --help)",
        ),
        (
            ["rank", "--bogus"],
            "python -m planning: unbekannte Argumente: --bogus (siehe --help)",
        ),
        (
            ["trash", "empty"],
            "python -m planning trash: Argument action: ungültige Wahl: 'empty' "
            "(möglich sind 'list', 'purge') (siehe --help)",
        ),
        (["token", "revoke"], "token revoke braucht die ID des Tokens (siehe token list)"),
    ]
    for argv, message in refusals:
        code, out, err = run_cli(capsys, *argv)
        assert (code, out, err) == (2, "", f"Fehler: {message}\n")
        assert untranslated(err, english, set()) == []


def test_a_german_teams_help_is_german(
    store_cli_as: Callable[[str], None],
    capsys: pytest.CaptureFixture[str],
    english: tuple[set[str], list[str]],
) -> None:
    store_cli_as("de")
    code, out, err = run_cli(capsys, "--help")
    assert (code, err) == (0, "")
    assert out.startswith("Aufruf: python -m planning ")
    assert "Quarterdeck auf der Kommandozeile" in out
    assert "Positionsargumente:" in out and "Optionen:" in out
    assert "diese Hilfe anzeigen und beenden" in out
    assert "Die Werte einer Kennzahl je Tag, Woche, Monat oder Quartal ausgeben." in " ".join(
        out.split()
    )
    # Command names, argument names and their choices stay as written.
    commands = set(COMMANDS) | {
        str(word)
        for command in COMMANDS.values()
        for argument in command.arguments
        for word in (*argument.flags, *argument.options.get("choices", ()))
    }
    assert untranslated(out, english, commands) == []
    for name in COMMANDS:
        code, out, err = run_cli(capsys, name, "--help")
        assert (code, err) == (0, ""), name
        assert out.startswith(f"Aufruf: python -m planning {name}"), name
        assert untranslated(out, english, commands) == [], name
    code, out, _err = run_cli(capsys, "capacity", "--help")
    assert "anzuzeigende Wochen (Standard 8)" in " ".join(out.split())


def test_an_english_teams_help_is_unchanged(
    store_cli_as: Callable[[str], None], capsys: pytest.CaptureFixture[str]
) -> None:
    store_cli_as("de")
    assert run_cli(capsys, "--help")[1].startswith("Aufruf:")
    store_cli_as("en")
    code, out, err = run_cli(capsys, "capacity", "--help")
    assert (code, err) == (0, "")
    assert out.startswith("usage: python -m planning capacity")
    assert "options:" in out and "show this help message and exit" in out
    assert "weeks to show (default 8)" in out


def test_a_german_teams_listings_and_tables_are_german(
    german_demo_cli: Path, capsys: pytest.CaptureFixture[str], english: tuple[set[str], list[str]]
) -> None:
    names = _names(load_config(german_demo_cli), capsys)

    code, out, err = run_cli(capsys, "okr")
    assert code == 0, err
    first = out.splitlines()[0]
    assert first.startswith("2026-Q4 · Daten bis 25. Nov. 2026 · Tag ")
    heading = next(line for line in out.splitlines() if line.startswith("Schlüsselergebnis"))
    assert heading.split()[:3] == ["Schlüsselergebnis", "aktuell", "Ziel"]
    assert "€" in out and "$" not in out
    assert untranslated(out, english, names) == []

    code, out, err = run_cli(capsys, "rank")
    assert code == 0, err
    lines = out.splitlines()
    assert (
        lines[0].startswith("Backlog priorisiert nach RICE (") and "offene Initiativen)" in lines[0]
    )
    assert lines[1].split() == [
        "Rang",
        "Initiative",
        "Verantwortlich",
        "Status",
        "Score",
        "Quadrant",
    ]
    assert re.search(r"\s[\d.]+,\d\d\s", lines[3])  # the first score, written the German way
    assert untranslated(out, english, names) == []

    code, out, err = run_cli(capsys, "capacity", "--format", "table", "--weeks", "2")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["Person", "Woche", "Kapazität", "h", "Last", "h"]
    assert re.fullmatch(r"\d+ Personenwochen? über der Kapazität", lines[-1])
    assert all("," in line.split()[-1] or "ÜBER" in line for line in lines[2:-1])
    assert untranslated(out, english, names) == []

    code, out, err = run_cli(capsys, "token", "list")
    assert (code, err) == (0, "")
    assert out.startswith("noch keine API-Tokens; einen erstellen mit: token create")


def test_a_german_teams_sync_says_what_each_source_did_in_german(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    http_files: tuple[str, dict[str, bytes]],
    english: tuple[set[str], list[str]],
) -> None:
    base, files = http_files
    files["/daily.csv"] = CSV.encode()
    folder = config_copy(tmp_path / "config", locale="de")
    (folder / "sources.yaml").write_text(
        f"sources:\n  sheet:\n    kind: csv_url\n    settings:\n      url: {base}/daily.csv\n"
        f"  gone:\n    kind: csv_url\n    settings:\n      url: {base}/gone.csv\n",
        encoding="utf-8",
    )
    _as_team(monkeypatch, folder)
    monkeypatch.setenv("QUARTERDECK_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    code, out, err = run_cli(capsys, "sync", "sheet")
    assert (code, err) == (0, "")
    assert out.startswith("sheet: 2 Zeilen bis 24. Nov. 2026 — 2 hinzugefügt, 0 aktualisiert")
    assert re.search(r"\(\d+,\d s\)$", out.strip())
    code, out, err = run_cli(capsys, "sync", "gone")
    assert code == 1 and err.startswith("gone: fehlgeschlagen, nichts geschrieben: ")
    code, out, err = run_cli(capsys, "sync", "nope")
    assert (code, out) == (2, "")
    assert err == "Fehler: keine Quelle namens nope (eingerichtet: sheet, gone)\n"


def test_csv_and_json_are_the_same_in_every_language(
    demo_cli: str,
    teams: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    commands = [
        ("query", "net_revenue", "--start", "2026-10-01", "--end", "2026-10-20", "--format", "csv"),
        ("query", "conversion_rate", "--start", "2026-10-01", "--end", "2026-11-20",
         "--grain", "week", "--format", "json"),
        ("okr", "--format", "json"),
        ("rank", "--format", "json"),
        ("capacity", "--format", "json"),
        ("impact", "--format", "json"),
        ("token", "list", "--format", "json"),
    ]  # fmt: skip
    printed: dict[str, list[tuple[int, str]]] = {}
    for team, folder in teams.items():
        _as_team(monkeypatch, folder)
        printed[team] = []
        for argv in commands:
            code, out, err = run_cli(capsys, *argv)
            assert (code, err) == (0, ""), (team, argv, err)
            printed[team].append((code, out))
    assert printed["de"] == printed["en"]
    assert all(out.strip() for _code, out in printed["en"])


def test_an_english_teams_command_line_is_unchanged(
    store_cli_as: Callable[[str], None], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store_cli_as("en")
    good = tmp_path / "good.csv"
    good.write_text(GOOD_ROWS, encoding="utf-8")
    assert run_cli(capsys, "import", str(good)) == (0, "added 30, updated 0, unchanged 0\n", "")
    code, out, err = run_cli(
        capsys, "query", "sessions", "--start", "2025-10-01", "--end", "2025-10-02"
    )
    assert (code, err) == (0, "")
    assert out.splitlines()[0].split() == ["period", "Sessions"]
    assert out.splitlines()[-1] == "(no data between 2025-10-01 and 2025-10-02)"
    code, out, err = run_cli(capsys, "capacity", "--weeks", "99")
    assert (code, out) == (2, "")
    assert err == (
        "error: python -m planning capacity: argument --weeks: 99 weeks is out of range; "
        "use 1 to 52 (see --help)\n"
    )


# --- the HTTP API --------------------------------------------------------------------------------


def test_accept_language_picks_the_first_language_quarterdeck_speaks() -> None:
    assert asked_language("de") == "de"
    assert asked_language("de-CH, en;q=0.5") == "de"
    assert asked_language("fr-FR, de;q=0.4, en;q=0.8") == "en"
    assert asked_language("fr, de;q=0.2") == "de"
    assert asked_language("en;q=0, de;q=0.1") == "de"
    assert asked_language("fr, *") is None
    assert asked_language("") is None
    assert asked_language(None) is None


def test_an_api_error_answers_in_the_language_asked_for(
    sqlite_engine: Engine, config: AppConfig
) -> None:
    i18n.use_team_locale("en", currency="USD")
    client = client_for(sqlite_engine, config)
    english = client.post(OBSERVATIONS)
    assert english.status_code == 401
    assert english.json() == {"detail": "Send a bearer token: Authorization: Bearer <token>."}
    for asked in ("de", "de-DE,de;q=0.9,en;q=0.8", "fr, de;q=0.5"):
        german = client.post(OBSERVATIONS, headers={"Accept-Language": asked})
        assert german.status_code == 401
        assert german.json() == {
            "detail": "Senden Sie einen Bearer-Token: Authorization: Bearer <token>."
        }
        assert german.headers["www-authenticate"] == english.headers["www-authenticate"]
    assert client.post(OBSERVATIONS, headers={"Accept-Language": "fr"}).json() == english.json()
    # Answers the app's exception handlers give: 404, 405.
    missing = client.get("/api/v1/nothing", headers={"Accept-Language": "de"})
    assert missing.status_code == 404
    assert missing.json() == {
        "detail": "Keine API-Route /api/v1/nothing; siehe /api/v1/openapi.json."
    }
    assert client.get("/api/v1/nothing").json() == {
        "detail": "No API route /api/v1/nothing; see /api/v1/openapi.json."
    }
    wrong = client.delete(OBSERVATIONS, headers={"Accept-Language": "de"})
    assert wrong.status_code == 405
    assert wrong.json()["detail"] == "DELETE ist hier nicht erlaubt; verwenden Sie POST."


def test_an_import_refused_in_german_keeps_its_problems_shape(
    sqlite_engine: Engine, config: AppConfig
) -> None:
    i18n.use_team_locale("en", currency="USD")
    client = client_for(sqlite_engine, config)
    token = bearer(new_token(sqlite_engine, [WRITE_OBSERVATIONS]))
    where = {"channel": "email", "device": "mobile"}
    body = [
        {"date": "2026-11-20", "measure": "sessions", "value": "many", **where},
        {"date": "2026-11-20", "measure": "orders", "value": 3, **where},
        {"date": "2026-11-20", "measure": "orders", "value": 3, **where},
    ]
    answers = {
        language: client.post(
            OBSERVATIONS, json=body, headers={**token, "Accept-Language": language}
        )
        for language in ("en", "de")
    }
    en, de = (answers[code].json() for code in ("en", "de"))
    assert answers["en"].status_code == answers["de"].status_code == 422
    assert en["detail"] == "2 problems in the body; nothing was written."
    assert de["detail"] == "2 Probleme im Inhalt; nichts wurde geschrieben."
    assert [{k: p[k] for k in ("index", "field")} for p in de["problems"]] == [
        {k: p[k] for k in ("index", "field")} for p in en["problems"]
    ]
    assert en["problems"][0]["reason"] == "value must be a JSON number, not text"
    assert de["problems"][0]["reason"] == "value muss eine JSON-Zahl sein, nicht Text"
    assert de["problems"][1]["reason"].startswith("Duplikat von Eintrag 1: ")
    assert en["problems"][1]["reason"].startswith("duplicate of item 1: ")


def test_a_german_team_answers_in_german_unless_english_is_asked_for(
    sqlite_engine: Engine, teams: dict[str, Path]
) -> None:
    config = load_config(teams["de"])  # the team's locale: de
    client = client_for(sqlite_engine, config)
    assert client.post(OBSERVATIONS).json() == {
        "detail": "Senden Sie einen Bearer-Token: Authorization: Bearer <token>."
    }
    assert client.post(OBSERVATIONS, headers={"Accept-Language": "en"}).json() == {
        "detail": "Send a bearer token: Authorization: Bearer <token>."
    }
    token = bearer(new_token(sqlite_engine, [WRITE_OBSERVATIONS]))
    huge = client_for(sqlite_engine, config, max_body_bytes=1000)
    answer = huge.post(
        OBSERVATIONS, content=b"x" * 5000, headers={**token, "content-type": "text/csv"}
    )
    assert answer.status_code == 413
    assert answer.json() == {
        "detail": "Der Inhalt ist größer als 1.000 Bytes; senden Sie ihn in Teilen."
    }
    # German Excel's default CSV is Windows-1252; the answer addresses the reader as "Sie".
    ansi = client.post(
        OBSERVATIONS,
        content="date,measure,value\n2026-12-01,sessions,1\n".encode("cp1252"),
        headers={**token, "content-type": "text/csv; charset=windows-1252"},
    )
    assert ansi.status_code == 415
    assert ansi.json() == {
        "detail": "Zeichensatz windows-1252 kann nicht gelesen werden: senden Sie UTF-8."
    }


def test_a_sign_in_refusal_follows_the_browsers_language(
    sqlite_engine: Engine, config: AppConfig
) -> None:
    i18n.use_team_locale("en", currency="USD")
    browser = sign_in_client(sqlite_engine, config)
    foreign = {"origin": "https://elsewhere.test"}
    refused = browser.post("/session/sign-in", headers={**foreign, "Accept-Language": "de"})
    assert (refused.status_code, refused.text) == (
        403,
        "Melde dich über die Anmeldeseite von Quarterdeck an.",
    )
    english = browser.post("/session/sign-in", headers=foreign)
    assert (english.status_code, english.text) == (
        403,
        "Sign in from Quarterdeck's own sign-in page.",
    )


def test_concurrent_requests_in_two_languages_do_not_mix(
    sqlite_engine: Engine, config: AppConfig
) -> None:
    i18n.use_team_locale("en", currency="USD")
    expected = {
        "en": "The token is unknown or revoked.",
        "de": "Der Token ist unbekannt oder widerrufen.",
    }
    wrong: list[tuple[str, str]] = []
    start = threading.Barrier(8)
    with TestClient(api_app(ApiContext(config=config, engine=sqlite_engine))) as client:

        def ask(language: str) -> None:
            start.wait()
            for _round in range(10):
                answer = client.post(
                    OBSERVATIONS,
                    headers={"Authorization": "Bearer qd_unknown", "Accept-Language": language},
                )
                if answer.json()["detail"] != expected[language]:
                    wrong.append((language, answer.json()["detail"]))

        threads = [threading.Thread(target=ask, args=("de" if i % 2 else "en",)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert wrong == []
    assert i18n.language() == "en"  # nothing leaked into the test's own thread
