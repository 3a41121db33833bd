"""The Streamlit chat app. It only renders: answering, storing and exporting live in `assistant`."""
