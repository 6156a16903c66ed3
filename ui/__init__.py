"""Streamlit-side helpers shared by pages: cached engine and config, cached reads, live refresh."""
