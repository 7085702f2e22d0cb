"""Log in with a local account."""

import streamlit as st

from itcap.ui.login_form import login_form

st.title("itcap", anchor=False)
st.caption("IT capability maturity and perception — Supplier, Business Partner or Business Leader?")
login_form()
st.caption("Answering a survey? Use the link from your invitation — no account is needed.")
