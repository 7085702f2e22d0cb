"""Streamlit helpers shared by the pages (the only itcap code besides pages/ that imports streamlit)."""
