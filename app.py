"""itcap — Streamlit entry point: builds the navigation for whoever is here, nothing else.

Respondents arrive with ``?token=…`` and see only the survey. Everyone else logs in and sees the
pages their roles allow; other pages are not registered, so they can be neither listed nor served.
"""

from itcap.ui.app_shell import build_navigation, ensure_database, page_setup, sidebar, title_page

page_setup()
ensure_database()
navigation = build_navigation()
title_page(navigation)
sidebar()
navigation.run()
