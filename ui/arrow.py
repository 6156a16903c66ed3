"""Tables in Arrow form, made once inside cached reads.

st.dataframe sends its data to the browser as Arrow. Given a pandas frame, Streamlit converts it
on every rerun (through pandas, about half a millisecond per small table); given a pyarrow table,
one of the inputs st.dataframe takes, it only serialises it. Cached reads therefore return what
table() makes, and a warm rerun costs what drawing costs. Charts do the same with their rows
(ui/charts.py).

Conversion runs on the calling thread (nthreads=1). Left to choose, pyarrow converts a frame of
more than a hundred rows a column with a new pool of threads each time: slower for the tables a
page draws (0.12 against 0.34 ms for 1,400 rows of four columns), and under load every new thread
queues for the interpreter lock behind the sessions' script runs.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa


def table(frame: pd.DataFrame) -> pa.Table:
    """A frame as an Arrow table for st.dataframe (the index is left out, as pages hide it)."""
    return pa.Table.from_pandas(frame, preserve_index=False, nthreads=1)
