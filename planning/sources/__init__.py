"""Connecting a shop's own data: the file formats ecommerce teams already have (a Shopify orders
export, a GA4 report exported as CSV), saved column mappings for any wide file, and the sources
that bring them in. Each format turns into the interchange format that
planning/metrics/importer.py validates and writes, with the same all-or-nothing rule.

It may import the kernel, `store`, `access` and `metrics`.
"""
