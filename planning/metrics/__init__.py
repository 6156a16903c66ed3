"""Live metrics: the engine that turns observations into KPI values, metric shapes, the
observation tables, the file importer, the Metrics page's dashboard and the baselines that
initiatives' expected lifts are measured from.

It may import the kernel, `store` and `access`.
"""
