"""Placeholder until its issue lands."""

import streamlit as st

from itcap.ui import auth

auth.require_role()
st.info("This page is being built.")
