"""Every table, gathered so that Alembic and tests see one metadata.

Tables live beside the code that owns them (accounts and audit here in ``itcap``, assessments in
``assessment``, surveys in ``surveys``); importing this module registers them all.
"""

from sqlmodel import SQLModel

import assessment.tables  # noqa: F401
import capability_model.tables  # noqa: F401
import itcap.accounts  # noqa: F401
import itcap.audit  # noqa: F401
import itcap.login_sessions  # noqa: F401
import surveys.tables  # noqa: F401

metadata = SQLModel.metadata
