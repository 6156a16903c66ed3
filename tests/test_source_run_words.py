"""A source run's words: the notes its converter made on what it read (orders on another day in
the team's time zone, orders left out) are kept on the run's record and shown wherever runs are
(Admin → Sources, `python -m planning sync`, /api/v1/health); its error and notes read in each
reader's own language, whatever the team's is, and a run recorded before reads as written.
Run on SQLite and, with QUARTERDECK_TEST_POSTGRES_URL, on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, text
from sqlmodel import Session

from bench.shopify_export import PREFIXES
from planning import i18n
from planning.config import AppConfig, default_config
from planning.sources.config import Source, load_sources
from planning.sources.runs import FAILED, OK, run_source
from planning.sources.status import RunInfo, health_entry, source_status
from tests.sources_support import config_dir, stored

EXPORT = Path(__file__).resolve().parent / "fixtures" / "formats" / "shopify_orders_export.csv"
LEFT_OUT_EN = "4 orders counted; left out: 1 cancelled, 1 test, 0 with a skipped financial status."
LEFT_OUT_DE = (
    "Bestellungen gezählt: 4; ausgelassen: 1 storniert, 1 Test, 0 mit übersprungenem "
    "Zahlungsstatus."
)
MOVED_EN = "1 order falls on another day in the team's time zone (UTC) than in the shop's"
MOVED_DE = "1 Bestellung fällt in der Zeitzone des Teams (UTC) auf einen anderen Tag"
CURRENCY_EN = "the orders are in CAD but Quarterdeck counts money in USD"
CURRENCY_DE = "die Bestellungen sind in CAD, aber Quarterdeck rechnet Geld in USD"


@pytest.fixture
def utc_shop() -> AppConfig:
    """The shipped configuration with the fixture shop's SKU prefixes, the team's days in UTC
    (one of the shop's orders, 20:40 -0500, then falls on the next day)."""
    config = default_config()
    shopify = config.settings.imports.shopify_orders.model_copy(update={"sku_prefixes": PREFIXES})
    imports = config.settings.imports.model_copy(update={"shopify_orders": shopify})
    settings = config.settings.model_copy(update={"time_zone": "UTC", "imports": imports})
    return config.model_copy(update={"settings": settings})


def export_source(tmp_path: Path, config: AppConfig, export: Path) -> Source:
    """A shopify_orders_csv source named `orders` reading the export at `export`."""
    body = (
        f"sources:\n  orders:\n    kind: shopify_orders_csv\n    settings:\n      path: {export}\n"
    )
    return load_sources(config_dir(tmp_path, body), config.metrics).get("orders")


def an_export(tmp_path: Path, currency: str = "USD") -> Path:
    """The fixture export in a folder of the test's own, its orders in `currency`."""
    path = tmp_path / "exports" / "orders_export.csv"
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        EXPORT.read_text(encoding="utf-8").replace(",USD,", f",{currency},"), encoding="utf-8"
    )
    return path


def last_run(engine: Engine, source: Source, reader: str) -> RunInfo:
    """The source's last run as someone reading `reader` (a language code) sees it."""
    with i18n.use_locale(reader), Session(engine) as session:
        found = source_status(session=session, sources=_one(source))[0].last_run
    assert found is not None
    return found


def _one(source: Source):  # type: ignore[no-untyped-def]
    from planning.sources.config import SourcesConfig

    return SourcesConfig(path=Path("sources.yaml"), sources={source.name: source})


def test_a_runs_record_keeps_the_converters_notes(
    engine: Engine, utc_shop: AppConfig, tmp_path: Path
) -> None:
    source = export_source(tmp_path, utc_shop, an_export(tmp_path))
    outcome = run_source(engine=engine, config=utc_shop, source=source, trigger="schedule")
    assert outcome.status == OK, outcome.error
    # The same notes an import of the file shows in its preview and prints.
    assert outcome.note_texts()[0] == LEFT_OUT_EN
    assert outcome.note_texts()[1].startswith(MOVED_EN)
    shown = last_run(engine, source, "en")
    assert shown.notes == outcome.note_texts()
    with Session(engine) as session:
        health = health_entry(source_status(session=session, sources=_one(source)))
    assert health["items"][0]["last_run"]["notes"] == list(outcome.note_texts())


@pytest.mark.parametrize(("team", "reader"), [("en", "de"), ("de", "en")])
def test_a_failed_runs_reason_and_a_good_runs_notes_read_in_the_readers_language(
    engine: Engine, utc_shop: AppConfig, tmp_path: Path, team: str, reader: str
) -> None:
    i18n.use_team_locale(team, currency="USD")
    words = {"en": (CURRENCY_EN, LEFT_OUT_EN, MOVED_EN), "de": (CURRENCY_DE, LEFT_OUT_DE, MOVED_DE)}
    good = export_source(tmp_path, utc_shop, an_export(tmp_path))
    assert run_source(engine=engine, config=utc_shop, source=good, trigger="schedule").ok
    notes = last_run(engine, good, reader).notes
    assert notes[0] == words[reader][1]
    assert notes[1].startswith(words[reader][2])
    assert last_run(engine, good, team).notes[0] == words[team][1]

    before = stored(engine)
    an_export(tmp_path, currency="CAD")  # the next export is in another currency
    failed = run_source(engine=engine, config=utc_shop, source=good, trigger="schedule")
    assert failed.status == FAILED
    assert stored(engine) == before  # nothing written
    assert words[reader][0] in last_run(engine, good, reader).error
    assert words[team][0] in last_run(engine, good, team).error
    with i18n.use_locale(reader):
        assert words[reader][0] in failed.error_text()  # what the person who ran it reads
    assert words[team][0] in failed.error  # the log line's words stay the team's


def test_a_fetch_failure_and_a_cut_off_run_read_in_the_readers_language(
    engine: Engine, utc_shop: AppConfig, tmp_path: Path
) -> None:
    source = export_source(tmp_path, utc_shop, tmp_path / "nowhere.csv")
    assert run_source(engine=engine, config=utc_shop, source=source, trigger="schedule").status == (
        FAILED
    )
    nowhere = tmp_path / "nowhere.csv"
    assert last_run(engine, source, "de").error.startswith(f"{nowhere} kann nicht gelesen werden")
    assert last_run(engine, source, "en").error.startswith(f"cannot read {nowhere}")
    with engine.begin() as connection:
        connection.execute(text("UPDATE source_run SET status = 'running'"))
    run_source(engine=engine, config=utc_shop, source=source, trigger="schedule")
    with engine.connect() as connection:
        cut = connection.execute(
            text("SELECT error_words FROM source_run WHERE status = 'interrupted'")
        ).scalar_one()
    assert json.loads(cut)["de"].startswith("der Lauf wurde abgebrochen")


def test_a_run_recorded_before_reads_as_written(
    engine: Engine, utc_shop: AppConfig, tmp_path: Path
) -> None:
    source = export_source(tmp_path, utc_shop, an_export(tmp_path))
    with engine.begin() as connection:  # a row as the code before kept it: no words by language
        connection.execute(
            text(
                "INSERT INTO source_run (source, trigger, started_at, finished_at, status, rows, "
                "rows_added, rows_updated, measures, error) VALUES ('orders', 'schedule', "
                ":now, :now, 'failed', 0, 0, 0, '', :error)"
            ),
            {"now": "2026-11-26 08:00:00+00:00", "error": "die Datei fehlt"},
        )
    for reader in ("en", "de"):
        shown = last_run(engine, source, reader)
        assert (shown.error, shown.notes) == ("die Datei fehlt", ())


def test_the_sync_command_prints_the_notes_in_the_readers_language(
    cli_store: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from planning.cli.main import main
    from planning.config import CONFIG_DIR_ENV

    export = an_export(tmp_path)
    folder = config_dir(
        tmp_path,
        f"sources:\n  orders:\n    kind: shopify_orders_csv\n    settings:\n      path: {export}\n",
    )
    settings = yaml.safe_load((folder / "settings.yaml").read_text())
    settings["time_zone"] = "UTC"
    settings["imports"]["shopify_orders"]["sku_prefixes"] = PREFIXES
    (folder / "settings.yaml").write_text(yaml.safe_dump(settings))
    monkeypatch.setenv(CONFIG_DIR_ENV, str(folder))

    assert main(["sync"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("orders: 20 rows")
    assert out[1] == f"orders: note: {LEFT_OUT_EN}"
    assert out[2].startswith(f"orders: note: {MOVED_EN}")

    assert main(["sync", "--format", "json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer[0]["notes"][0] == LEFT_OUT_EN
