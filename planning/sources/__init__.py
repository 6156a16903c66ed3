"""Connecting a shop's own data: the file formats ecommerce teams already have (a Shopify orders
export, a GA4 report exported as CSV, `shopify_orders`, `ga4`), saved column mappings for any wide
file (`mappings`), and named, scheduled sources (config/sources.yaml). Each turns into the
interchange format that planning/metrics/importer.py validates and writes, all or nothing.

A source has a kind (`sql`, `csv_url`, …: see `kinds`), the kind's settings, a schedule and an
expected freshness. Running one (`runs`) fetches a table in the interchange format, validates it
with the metrics importer and writes it with the observations in one transaction, as an import
batch named after the source; each run is recorded in source_run, and a database lock keeps one
runner per source across processes. `schedule` runs due sources in the server. Credentials are
named, never written: `secrets` resolves them at run time from the environment or
.streamlit/secrets.toml.

It may import the kernel, `store`, `access` and `metrics`.

It may import the kernel, `store`, `access` and `metrics`.
"""
