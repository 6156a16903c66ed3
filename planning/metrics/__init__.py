"""Live metrics: the engine that turns observations into KPI values (`engine`, with its SQL in
`metric_query`, its arithmetic in `metric_maths` and "data through" in `completeness`), metric
shapes, the observation tables, the importer (`import_file`, `import_checks`, `importer`,
`import_records`), the Metrics page's dashboard and the baselines that initiatives' expected
lifts are measured from.

It may import the kernel, `store` and `access`.
"""
