"""Tables and chart data in Arrow form, made once inside cached reads.

st.dataframe and st.vega_lite_chart send their data to the browser as Arrow. Given a pandas
frame or a chart spec whose data are lists of rows, Streamlit converts on every rerun (through
pandas, about half a millisecond per small table and more per chart dataset); given an Arrow
table or Arrow bytes it only passes them on. Cached reads therefore return what these helpers
make, and a warm rerun costs what drawing costs.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa


def table(frame: pd.DataFrame) -> pa.Table:
    """A frame as an Arrow table for st.dataframe (the index is left out, as pages hide it)."""
    return pa.Table.from_pandas(frame, preserve_index=False)


def ipc_bytes(data: pa.Table) -> bytes:
    """An Arrow table as the IPC stream bytes a chart dataset is sent as."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, data.schema) as writer:
        writer.write_table(data)
    return bytes(sink.getvalue().to_pybytes())


def chart_datasets(spec: dict[str, Any]) -> dict[str, Any]:
    """A Vega-Lite spec with its named datasets (lists of rows) turned into Arrow bytes."""
    datasets = spec.get("datasets")
    if not datasets:
        return spec
    converted: dict[str, Any] = {}
    for name, rows in datasets.items():
        if isinstance(rows, list):
            converted[name] = ipc_bytes(table(pd.DataFrame.from_records(rows)))
        else:
            converted[name] = rows
    return {**spec, "datasets": converted}
