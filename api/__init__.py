"""Quarterdeck's HTTP API: Starlette routes served beside the Streamlit app (see server.py).

The handlers translate HTTP to calls into planning/ (tokens, imports, OKR evaluation) and back;
planning/ knows nothing of HTTP, and nothing here imports Streamlit.
"""
