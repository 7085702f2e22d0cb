"""Which pages each role sees. ``app.py`` builds ``st.navigation`` from this table."""

from __future__ import annotations

from dataclasses import dataclass

from itcap.accounts import ADMIN, ASSESSOR, LEAD_ASSESSOR, LEADERSHIP


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    section: str
    roles: frozenset[str]
    url_path: str


def _page(path: str, title: str, icon: str, section: str, roles: tuple[str, ...], url_path: str) -> PageSpec:
    return PageSpec(path, title, icon, section, frozenset(roles), url_path)


ROLE_PAGES: tuple[PageSpec, ...] = (
    _page("pages/dashboard.py", "Dashboard", ":material/insights:", "Leadership", (LEADERSHIP, ADMIN), "dashboard"),
    _page("pages/rate.py", "Score capabilities", ":material/checklist:", "Assessment", (ASSESSOR, LEAD_ASSESSOR), "rate"),
    _page("pages/consensus.py", "Consensus", ":material/balance:", "Assessment", (LEAD_ASSESSOR, ADMIN), "consensus"),
    _page("pages/admin_accounts.py", "Accounts", ":material/group:", "Administration", (ADMIN,), "admin-accounts"),
    _page("pages/admin_models.py", "Models & instruments", ":material/schema:", "Administration", (ADMIN,), "admin-models"),
    _page("pages/admin_assessments.py", "Assessments", ":material/assignment:", "Administration", (ADMIN,), "admin-assessments"),
    _page("pages/admin_campaigns.py", "Campaigns", ":material/campaign:", "Administration", (ADMIN,), "admin-campaigns"),
    _page("pages/admin_audit.py", "Audit log", ":material/history:", "Administration", (ADMIN,), "admin-audit"),
)

ACCOUNT_PAGE = _page("pages/account.py", "My account", ":material/person:", "Account", (), "account")
LOGIN_PAGE = _page("pages/login.py", "Log in", ":material/login:", "", (), "login")
SURVEY_PAGE = _page("pages/survey.py", "Survey", ":material/quiz:", "", (), "survey")


def pages_for(roles: frozenset[str]) -> list[PageSpec]:
    """The pages a set of roles may see, in menu order."""
    return [spec for spec in ROLE_PAGES if spec.roles & roles]
