"""Suggested confidence from each estimator's calibration: which open initiatives get one, the
value on each framework's scale, and applying them (directors only, versioned, audited)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from planning import i18n
from planning.access.permissions import PermissionDenied
from planning.config import AppConfig
from planning.impact.calibration import (
    Calibration,
    Suggestion,
    apply_suggested_confidences,
    suggested_confidence,
    suggested_confidences,
)
from planning.store.engine import read_engine, session_scope
from planning.store.models import AuditEvent, Initiative, InitiativeStatus
from planning.store.versioning import ConflictError
from planning.validation import InputError
from planning.work.backlog import BacklogEntry, backlog_entries
from tests.planning_seed import backlog_entry, seed_team
from tests.test_permissions_matrix import fingerprint

ANA, BEN, CARL = 1, 2, 3
RICE = {"reach": 1000.0, "impact": 1.0, "confidence": 0.5}


def record(
    person_id: int, name: str, landed: int, missed: int, inconclusive: int = 0
) -> Calibration:
    return Calibration(
        person_id=person_id,
        person=name,
        predictions=landed + missed + inconclusive,
        landed=landed,
        missed=missed,
        inconclusive=inconclusive,
        waiting=0,
        hit_rate=landed / (landed + missed) if landed + missed else None,
        mean_error=None,
        suggested_confidence=suggested_confidence(landed, missed),
    )


def entry(initiative_id: int, estimator: int | None, scores: dict[str, Any]) -> BacklogEntry:
    return backlog_entry(
        initiative_id,
        title=f"Work {initiative_id}",
        scores=scores,
        version=3,
        lift_estimator_id=estimator,
    )


# Ana: 3 landed, 1 missed -> (3 + 1) / (4 + 2) = 2/3. Ben: only inconclusive predictions.
CALIBRATIONS = {ANA: record(ANA, "Ana", 3, 1), BEN: record(BEN, "Ben", 0, 0, inconclusive=2)}


def test_worked_example_on_each_scale(config: AppConfig) -> None:
    rows = [
        entry(1, ANA, {"rice": RICE, "ice": {"impact": 5, "confidence": 5}}),
        entry(2, ANA, {}),  # nothing stored: only expected value (confidence alone) can take it
    ]
    frameworks = config.scoring.frameworks
    # RICE's scale is 1.0 / 0.8 / 0.5: 2/3 is nearest 0.8.
    [rice] = suggested_confidences(rows, CALIBRATIONS, frameworks["rice"], framework_id="rice")
    assert rice == Suggestion(1, "Work 1", "Ana", 0.5, 0.8, 3)
    # ICE's 1–10 range: 1 + 2/3 × 9 = 7.
    [ice] = suggested_confidences(rows, CALIBRATIONS, frameworks["ice"], framework_id="ice")
    assert (ice.initiative_id, ice.current, ice.suggested) == (1, 5.0, 7.0)
    # Expected value's 0–1 range takes 2/3 as it is, to two decimals; unscored means current None.
    found = suggested_confidences(
        rows, CALIBRATIONS, frameworks["expected_value"], framework_id="expected_value"
    )
    assert [(s.initiative_id, s.current, s.suggested) for s in found] == [
        (1, None, 0.67),
        (2, None, 0.67),
    ]


def test_no_suggestion_without_a_track_record_a_confidence_input_or_a_change(
    config: AppConfig,
) -> None:
    frameworks = config.scoring.frameworks
    rows = [
        entry(1, None, {"rice": RICE}),  # nobody estimated a lift
        entry(2, BEN, {"rice": RICE}),  # only inconclusive predictions
        entry(3, CARL, {"rice": RICE}),  # estimator never measured
        entry(4, ANA, {"rice": {**RICE, "confidence": 0.8}}),  # already at the suggestion
    ]
    assert suggested_confidences(rows, CALIBRATIONS, frameworks["rice"], framework_id="rice") == []
    wsjf_scores = {"business_value": 5, "time_criticality": 3, "risk_reduction": 2}
    wsjf_row = [entry(5, ANA, {"wsjf": wsjf_scores})]
    assert (
        suggested_confidences(wsjf_row, CALIBRATIONS, frameworks["wsjf"], framework_id="wsjf") == []
    )
    # A missed prediction counts as a track record too: 0 landed, 1 missed -> 1/3 -> RICE 0.5.
    missed_only = {ANA: record(ANA, "Ana", 0, 1)}
    high = [entry(6, ANA, {"rice": {**RICE, "confidence": 1.0}})]
    [low] = suggested_confidences(high, missed_only, frameworks["rice"], framework_id="rice")
    assert (low.current, low.suggested) == (1.0, 0.5)


def _seed(engine: Engine) -> tuple[Any, int]:
    team = seed_team(engine)
    with session_scope(engine) as session:
        initiative = Initiative(
            title="Checkout wallets",
            owner_id=team.ana.id,
            status=InitiativeStatus.planned,
            effort_weeks=2.0,
            lift_metric="conversion_rate",
            lift_pct=0.05,
            lift_estimator_id=team.ana.id,
            scores={"rice": dict(RICE)},
        )
        session.add(initiative)
        session.flush()
        return team, int(initiative.id)  # type: ignore[arg-type]


def _suggestions(engine: Engine, config: AppConfig, estimator: int) -> list[Suggestion]:
    with Session(read_engine(engine)) as session:
        rows = backlog_entries(session=session)
    calibrations = {estimator: record(estimator, "Ana", 3, 1)}
    return suggested_confidences(
        rows, calibrations, config.scoring.frameworks["rice"], framework_id="rice"
    )


def _apply(
    engine: Engine, config: AppConfig, actor: Any, framework: str, suggestions: list[Suggestion]
) -> int:
    """Apply suggested confidences as `actor` in one transaction."""
    chosen = {"framework_id": framework, "suggestions": suggestions}
    with session_scope(engine) as session:
        return apply_suggested_confidences(session=session, actor=actor, config=config, **chosen)


def test_director_applies_and_the_change_is_versioned_and_audited(
    engine: Engine, config: AppConfig
) -> None:
    team, initiative_id = _seed(engine)
    suggestions = _suggestions(engine, config, team.ana.id)
    assert [(s.initiative_id, s.current, s.suggested) for s in suggestions] == [
        (initiative_id, 0.5, 0.8)
    ]
    assert _apply(engine, config, team.director, "rice", suggestions) == 1
    with Session(read_engine(engine)) as session:
        stored = session.get(Initiative, initiative_id)
        assert stored is not None
        assert stored.scores["rice"] == {**RICE, "confidence": 0.8}  # other inputs kept
        assert stored.version == 2
        events = session.exec(
            select(AuditEvent).where(AuditEvent.entity_id == initiative_id)  # type: ignore[arg-type]
        ).all()
    [event] = [e[0] for e in events]
    assert event.actor_id == team.director.id and event.action == "update"
    # Applied once, nothing is left to suggest.
    assert _suggestions(engine, config, team.ana.id) == []


def test_a_member_is_refused_and_nothing_changes(engine: Engine, config: AppConfig) -> None:
    team, _ = _seed(engine)
    suggestions = _suggestions(engine, config, team.ana.id)
    before = fingerprint(engine)
    with Session(engine) as session:
        with pytest.raises(PermissionDenied, match="Only a director"):
            apply_suggested_confidences(
                session=session,
                actor=team.ana,  # owns the initiative, still not a director
                config=config,
                framework_id="rice",
                suggestions=suggestions,
            )
        session.commit()
    assert fingerprint(engine) == before


def test_a_stale_suggestion_or_unknown_framework_writes_nothing(
    engine: Engine, config: AppConfig
) -> None:
    team, initiative_id = _seed(engine)
    suggestions = _suggestions(engine, config, team.ana.id)
    with session_scope(engine) as session:
        stored = session.get(Initiative, initiative_id)
        assert stored is not None
        stored.version += 1  # someone saved the initiative after the suggestion was read
        session.add(stored)
    before = fingerprint(engine)
    with pytest.raises(ConflictError):
        _apply(engine, config, team.director, "rice", suggestions)
    with pytest.raises(InputError, match="unknown scoring framework 'rcie'"):
        _apply(engine, config, team.director, "rcie", suggestions)
    with pytest.raises(InputError, match="WSJF has no confidence input"):
        _apply(engine, config, team.director, "wsjf", suggestions)
    assert fingerprint(engine) == before


def test_an_unknown_framework_or_one_without_confidence_is_refused_in_german(
    engine: Engine, config: AppConfig
) -> None:
    team, _ = _seed(engine)
    suggestions = _suggestions(engine, config, team.ana.id)
    before = fingerprint(engine)
    problems = []
    with i18n.use_locale("de"):
        for framework in ("rcie", "wsjf"):
            with pytest.raises(InputError) as refused:
                _apply(engine, config, team.director, framework, suggestions)
            problems += list(refused.value.problems)
    assert problems == [
        "unbekanntes Bewertungsmodell 'rcie'; verwenden Sie eines von rice, ice, wsjf, weighted, "
        "expected_value",
        "WSJF hat keine Zuversicht, die sich setzen ließe",
    ]
    assert fingerprint(engine) == before
