"""Data sources: named, scheduled readers of a shop's own data (config/sources.yaml).

A source has a kind (`sql`, `csv_url`, …: see `kinds`), the kind's settings, a schedule and an
expected freshness. Running one (`runs`) fetches a table in the interchange format, validates it
with the metrics importer and writes it with the observations in one transaction, as an import
batch named after the source; each run is recorded in source_run, and a database lock keeps one
runner per source across processes. `schedule` runs due sources in the server. Credentials are
named, never written: `secrets` resolves them at run time from the environment or
.streamlit/secrets.toml.

It may import the kernel, `store`, `access` and `metrics`.
"""
