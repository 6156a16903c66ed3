"""The API's OpenAPI 3.1 document, written by hand and kept true by tests/test_api.py (every route
and every status code it answers is described, and every answer validates against it).

The observation schema is built from metrics.yaml, so its measures and dimension values are the
ones this server accepts.
"""

from __future__ import annotations

from typing import Any

from planning.access.api_tokens import READ_OKRS, SCOPES, WRITE_OBSERVATIONS
from planning.config import MetricsConfig
from planning.metrics.import_checks import NON_NEGATIVE_UNITS
from planning.metrics.import_file import SAMPLE_CSV
from planning.periods import FIRST_YEAR, LAST_YEAR
from planning.store.engine import CALENDAR_FIRST, CALENDAR_LAST

API_VERSION = "1.0.0"


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


def _error(description: str) -> dict[str, Any]:
    return _json("Error", description)


UNAVAILABLE = _error(
    "The store cannot be reached or used (the detail says which store, what is wrong and what "
    "to do), or stayed locked; retry after Retry-After seconds."
)
INTERNAL = _error("A bug in the server; the server log has the details.")
UNAUTHORISED = _error(
    "No bearer token, a malformed Authorization header, or an unknown or revoked token."
)
FORBIDDEN = _error(
    "The token lacks the scope this operation needs, or the director who created it is no "
    "longer an active director."
)


def _year_pattern(first: int, last: int) -> str:
    """A regular expression alternative matching the four-digit years first to last."""
    return "|".join(str(year) for year in range(first, last + 1))


# Quarter ids the API reads: YEAR-Qn in the supported years (case and surrounding spaces aside).
PERIOD_PATTERN = rf"^\s*({_year_pattern(FIRST_YEAR, LAST_YEAR)})-[Qq][1-4]\s*$"


def _measure_branch(config: MetricsConfig, measure: str) -> dict[str, Any]:
    """What one measure's observations must hold: its dimensions filled, the others empty, and
    a value in its plausible range (min_value and max_value in metrics.yaml)."""
    spec = config.measures[measure]
    lowest = max(spec.min_value, 0.0) if spec.unit in NON_NEGATIVE_UNITS else spec.min_value
    properties: dict[str, Any] = {
        "measure": {"const": measure},
        "value": {"type": "number", "minimum": lowest, "maximum": spec.max_value},
    }
    for name, dimension in config.dimensions.items():
        if name in spec.dimensions:
            properties[name] = {"type": "string", "enum": list(dimension.values)}
        else:
            properties[name] = {"enum": [None, ""]}
    return {
        "title": measure,
        "properties": properties,
        "required": ["date", "measure", "value", *spec.dimensions],
    }


def _observation_schema(config: MetricsConfig) -> dict[str, Any]:
    years = _year_pattern(CALENDAR_FIRST.year, CALENDAR_LAST.year)
    properties: dict[str, Any] = {
        "date": {
            "type": "string",
            "format": "date",
            "pattern": rf"^({years})-[0-9]{{2}}-[0-9]{{2}}$",
            "description": f"The day observed, YYYY-MM-DD, from {CALENDAR_FIRST.isoformat()} "
            f"to {CALENDAR_LAST.isoformat()}.",
            "examples": ["2026-11-25"],
        },
        "measure": {
            "type": "string",
            "enum": list(config.measures),
            "description": "A base measure declared in metrics.yaml.",
        },
        "value": {
            "type": "number",
            "description": "The day's value, within its measure's plausible range "
            "(min_value and max_value in metrics.yaml); counts and money cannot be negative.",
        },
    }
    for name, dimension in config.dimensions.items():
        properties[name] = {
            "type": ["string", "null"],
            "enum": [*dimension.values, None, ""],
            "description": f"{dimension.label}: required for measures that declare it, "
            'empty (absent, null or "") for the others.',
        }
    declared = "; ".join(
        f"{m}: {', '.join(spec.dimensions) or 'none'}" for m, spec in config.measures.items()
    )
    return {
        "type": "object",
        "description": "One observation of a base measure on a day. Dimensions each measure "
        f"declares — {declared}. A body may hold each measure, date and dimensions once.",
        "properties": properties,
        "required": ["date", "measure", "value"],
        "oneOf": [_measure_branch(config, m) for m in config.measures],
        "additionalProperties": False,
    }


def _key_result_schema() -> dict[str, Any]:
    number = _nullable("number")
    text = _nullable("string")
    return {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "kind": {"type": "string", "enum": ["metric", "guardrail", "milestone", "manual"]},
            "owner": {"type": "string"},
            "weight": {"type": "number"},
            "metric": text,
            "metric_label": {"type": "string"},
            "filters": {"type": "object", "additionalProperties": {"type": "string"}},
            "direction": text,
            "window": {"type": "string"},
            "window_start": _nullable("string", format="date"),
            "window_end": _nullable("string", format="date"),
            "total_target": {"type": "boolean"},
            "start": number,
            "target": number,
            "rule": text,
            "threshold": number,
            "unit": text,
            "current": number,
            "progress": {
                **number,
                "description": "Raw progress: 1 is the target, above 1 overachievement; null "
                "when there is none yet (status_reason says why, e.g. no data yet in this "
                "window).",
            },
            "expected": {**number, "description": "Where progress should be by as_of."},
            "status": {"type": "string"},
            "status_reason": {"type": "string"},
            "forecast": number,
            "forecast_low": {**number, "description": "Lower end of the 80 % forecast band."},
            "forecast_high": {**number, "description": "Upper end of the 80 % forecast band."},
            "probability": number,
            "confidence": _nullable("integer", minimum=0, maximum=10),
            "confidence_gap": number,
            "gap_flagged": {"type": "boolean"},
            "met": _nullable(
                "boolean",
                description="Guardrails: whether the window's value holds (threshold "
                "inclusive); null before the window has data.",
            ),
            "days_in_breach": _nullable(
                "integer",
                description="Guardrails: days of the quarter so far on which the window's value "
                "as of that day was past the threshold.",
            ),
            "done": _nullable("boolean"),
            "grade": number,
        },
        "required": [
            "id",
            "title",
            "kind",
            "owner",
            "current",
            "progress",
            "expected",
            "status",
            "forecast",
            "probability",
        ],
        "additionalProperties": False,
    }


def _schemas(config: MetricsConfig) -> dict[str, Any]:
    return {
        "Observation": _observation_schema(config),
        "ImportResult": {
            "type": "object",
            "properties": {
                "added": {"type": "integer", "minimum": 0},
                "updated": {"type": "integer", "minimum": 0},
                "unchanged": {"type": "integer", "minimum": 0},
                "rows": {"type": "integer", "minimum": 1},
                "batch_id": {"type": "integer"},
            },
            "required": ["added", "updated", "unchanged", "rows", "batch_id"],
            "additionalProperties": False,
        },
        "Error": {
            "type": "object",
            "properties": {
                "detail": {"type": "string"},
                "required_scope": {"type": "string", "enum": list(SCOPES)},
                "status": {
                    "type": "string",
                    "enum": ["unavailable"],
                    "description": "On a 503: the store cannot be used until it is repaired.",
                },
            },
            "required": ["detail"],
            "additionalProperties": False,
        },
        "CsvProblem": {
            "type": "object",
            "description": "A bad cell or row of a CSV body; line null for the body as a whole.",
            "properties": {
                "line": _nullable("integer", minimum=1),
                "column": {"type": "string"},
                "reason": {"type": "string"},
            },
            "required": ["line", "column", "reason"],
            "additionalProperties": False,
        },
        "JsonProblem": {
            "type": "object",
            "description": "A bad field or item of a JSON body (index from 0); index null for "
            "the body as a whole.",
            "properties": {
                "index": _nullable("integer", minimum=0),
                "field": {"type": "string"},
                "reason": {"type": "string"},
            },
            "required": ["index", "field", "reason"],
            "additionalProperties": False,
        },
        "ParameterProblem": {
            "type": "object",
            "properties": {"parameter": {"type": "string"}, "reason": {"type": "string"}},
            "required": ["parameter", "reason"],
            "additionalProperties": False,
        },
        "Problems": {
            "type": "object",
            "description": "Every problem found; nothing was written.",
            "properties": {
                "detail": {"type": "string"},
                "problems": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "anyOf": [
                            _ref("CsvProblem"),
                            _ref("JsonProblem"),
                            _ref("ParameterProblem"),
                        ]
                    },
                },
            },
            "required": ["detail", "problems"],
            "additionalProperties": False,
        },
        "Health": {
            "type": "object",
            "properties": {
                "status": {"type": "string", "enum": ["ok", "degraded"]},
                "latest_observation_day": _nullable("string", format="date"),
                "last_import_at": _nullable("string", format="date-time"),
                "observations": {"type": "integer", "minimum": 0},
                "schema": {
                    "type": "object",
                    "properties": {
                        "ok": {"type": "boolean"},
                        "revision": _nullable("string"),
                        "expected": {"type": "string"},
                    },
                    "required": ["ok", "revision", "expected"],
                    "additionalProperties": False,
                },
            },
            "required": [
                "status",
                "latest_observation_day",
                "last_import_at",
                "observations",
                "schema",
            ],
            "additionalProperties": False,
        },
        "KeyResult": _key_result_schema(),
        "Objective": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "title": {"type": "string"},
                "description": {"type": "string"},
                "owner": {"type": "string"},
                "parent_id": _nullable("integer"),
                "weight": {"type": "number"},
                "progress": _nullable("number"),
                "expected": _nullable("number"),
                "status": {
                    "type": "string",
                    "description": "Weighted progress against the weighted expected pace.",
                },
                "status_reason": {
                    "type": "string",
                    "description": "The worst key result behind pace, e.g. 'Refunds is off "
                    "track'; empty when none is.",
                },
                "grade": _nullable("number"),
                "key_results": {"type": "array", "items": _ref("KeyResult")},
            },
            "required": ["id", "title", "owner", "progress", "status", "key_results"],
            "additionalProperties": False,
        },
        "OkrReport": {
            "type": "object",
            "properties": {
                "period": {
                    "type": "string",
                    "pattern": rf"^({_year_pattern(FIRST_YEAR, LAST_YEAR)})-Q[1-4]$",
                },
                "first_day": {"type": "string", "format": "date"},
                "last_day": {"type": "string", "format": "date"},
                "as_of": {"type": "string", "format": "date"},
                "elapsed_days": {"type": "integer", "minimum": 0},
                "total_days": {"type": "integer", "minimum": 1},
                "closed": {"type": "boolean"},
                "closed_at": _nullable("string", format="date-time"),
                "objectives": {"type": "array", "items": _ref("Objective")},
            },
            "required": [
                "period",
                "first_day",
                "last_day",
                "as_of",
                "elapsed_days",
                "total_days",
                "closed",
                "closed_at",
                "objectives",
            ],
            "additionalProperties": False,
        },
    }


def openapi_document(config: MetricsConfig, *, max_body_bytes: int) -> dict[str, Any]:
    """The OpenAPI 3.1 description of every /api/v1 route this server answers."""
    limit = f"{max_body_bytes / 1_000_000:g} MB"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Quarterdeck API",
            "version": API_VERSION,
            "description": "Send metric observations in and read the quarter's OKRs. Write and "
            "read endpoints take a bearer token (`Authorization: Bearer qd_…`) created by a "
            "director in Admin or with `python -m planning token create`.",
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/api/v1/health": {
                "get": {
                    "operationId": "health",
                    "summary": "Is the server up, is the schema current, how fresh is the data?",
                    "security": [],
                    "responses": {
                        "200": _json("Health", "The server answers and the store is readable."),
                        "500": INTERNAL,
                        "503": UNAVAILABLE,
                    },
                }
            },
            "/api/v1/observations": {
                "post": {
                    "operationId": "importObservations",
                    "summary": "Import observations: validated whole, written in one "
                    "transaction, idempotent.",
                    "description": "Send a JSON list of observations or a CSV in the "
                    "interchange format (`date,measure,value` plus a column per dimension). "
                    "Any bad row means nothing is written and every problem is listed. Rows "
                    "already stored with the same value are left as they are, so repeating a "
                    f"request changes nothing. Bodies over {limit} are refused.",
                    "security": [{"bearer": [WRITE_OBSERVATIONS]}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "minItems": 1,
                                    "items": _ref("Observation"),
                                }
                            },
                            "text/csv": {
                                "schema": {"type": "string"},
                                "example": SAMPLE_CSV,
                            },
                        },
                    },
                    "responses": {
                        "200": _json(
                            "ImportResult", "Written: rows added, updated and left unchanged."
                        ),
                        "401": UNAUTHORISED,
                        "403": FORBIDDEN,
                        "413": _error(f"The body is larger than {limit}."),
                        "415": _error("The body is neither application/json nor text/csv."),
                        "422": _json("Problems", "Every problem in the body; nothing written."),
                        "500": INTERNAL,
                        "503": UNAVAILABLE,
                    },
                }
            },
            "/api/v1/okrs": {
                "get": {
                    "operationId": "okrs",
                    "summary": "A quarter's objectives and key results, evaluated now.",
                    "security": [{"bearer": [READ_OKRS]}],
                    "parameters": [
                        {
                            "name": "period",
                            "in": "query",
                            "required": False,
                            "description": "The quarter, e.g. 2026-Q4 (default: the current one), "
                            f"in the years {FIRST_YEAR} to {LAST_YEAR}.",
                            "schema": {
                                "type": "string",
                                "pattern": PERIOD_PATTERN,
                                "examples": ["2026-Q4"],
                            },
                        }
                    ],
                    "responses": {
                        "200": _json("OkrReport", "The quarter's evaluation."),
                        "401": UNAUTHORISED,
                        "403": FORBIDDEN,
                        "422": _json("Problems", "The period is not a quarter id."),
                        "500": INTERNAL,
                        "503": UNAVAILABLE,
                    },
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document.",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The OpenAPI 3.1 document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Scopes: "
                    + "; ".join(f"`{s}` to {what}" for s, what in SCOPES.items()),
                }
            },
            "schemas": _schemas(config),
        },
    }
