"""What the benchmark (python -m planning bench) needs around Streamlit's AppTest; never imported
by the app itself."""
