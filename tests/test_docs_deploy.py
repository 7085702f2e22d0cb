"""docs/deploy.md's environment file and systemd unit are copied as they stand: they must work as such."""

from __future__ import annotations

import re

from tests.support import ROOT

GUIDE = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")


def _block(language: str, first_line: str) -> list[str]:
    for block in re.findall(rf"```{language}\n(.*?)```", GUIDE, flags=re.S):
        if block.startswith(first_line):
            return block.splitlines()
    raise AssertionError(f"no ```{language} block starting {first_line!r} in docs/deploy.md")


def test_the_environment_file_is_plain_key_value_lines_for_systemd_and_a_shell():
    """systemd reads neither `export` nor a comment after a value: a replica would start without its
    database URL and serve a SQLite file of its own."""
    lines = [line for line in _block("sh", "# /etc/itcap/env") if line and not line.startswith("#")]
    assert lines and all(re.fullmatch(r"[A-Z][A-Z0-9_]*=\S+", line) for line in lines), lines
    assert {line.split("=")[0] for line in lines} >= {"ITCAP_DATABASE_URL", "ITCAP_PUBLIC_URL", "STREAMLIT_SERVER_COOKIE_SECRET"}


def test_the_systemd_unit_has_no_comment_after_a_value_and_one_port_per_instance():
    unit = _block("ini", "# /etc/systemd/system/itcap@.service")
    settings = [line for line in unit[1:] if "=" in line and not line.startswith("#")]
    assert not [line for line in settings if "#" in line]
    assert "EnvironmentFile=/etc/itcap/env" in settings
    assert any(line.startswith("ExecStart=") and line.endswith("--port %i") for line in settings)


def test_the_schema_revision_the_guide_shows_is_the_current_head():
    """The guide quotes what 'itcap init' prints; a reader comparing it with their terminal after an
    upgrade must see the same revision."""
    from alembic.script import ScriptDirectory

    from itcap.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    quoted = set(re.findall(r"schema (\d{4})", (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")))
    assert quoted == {head}
