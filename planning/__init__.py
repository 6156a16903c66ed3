"""Quarterdeck's domain: everything the product knows and decides, with no Streamlit in it.

The top level holds the kernel every subpackage may use: `clock` (the one reader of today),
`config` (the validated YAML files), `periods` (quarters and fiscal years), `validation` (refused
input), `formatting` (numbers by unit, and people's text escaped for Markdown) and `palette`
(each status's label, colour and icon). The subpackages are layered, lowest first: `store`,
`access`, `metrics`, then `okrs`, `work` and `sources` (data sources synced into the metrics),
`impact`, `reports`, `notify` (reminders and digests sent out), `demo`, `startup`, `cli`; each
may import the kernel and the layers below it, never `ui`, `api`, `bench` or Streamlit
(tests/test_layering.py keeps it so; docs/architecture.md draws the map).
"""
