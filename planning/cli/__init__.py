"""The command line, `python -m planning COMMAND`: one module per command group.

The outermost layer of the domain: it may import any of `planning`, and reaches the benchmark
tool (`bench/`) only inside the `bench` command.
"""
