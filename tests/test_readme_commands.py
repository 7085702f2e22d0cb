"""The README's command-line section, run as it stands, in order, on a fresh database: a new user
copies these lines, and each step makes the next one's input."""

from __future__ import annotations

import re
import shlex
import shutil

from itcap.cli import main
from itcap.storage import dispose_engines
from tests.support import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[list[str]]:
    block = next(b for b in re.findall(r"```sh\n(.*?)```", README, flags=re.S) if b.startswith("itcap init"))
    return [shlex.split(line.split("  #")[0]) for line in block.splitlines() if line.strip()]


def test_the_readme_s_commands_run_in_order_on_a_fresh_database(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "data", tmp_path / "data")
    monkeypatch.setenv("ITCAP_DATABASE_URL", f"sqlite:///{tmp_path / 'itcap.db'}")
    monkeypatch.delenv("ITCAP_PUBLIC_URL", raising=False)
    commands = _commands()
    assert [c[0] for c in commands] == ["itcap"] * len(commands) and len(commands) >= 15
    printed = {}
    try:
        for command in commands:
            code = main(command[1:])
            out, err = capsys.readouterr()
            assert code == 0, f"{shlex.join(command)} → exit {code}: {err.strip()}"
            printed[tuple(command[1:3])] = out
    finally:
        dispose_engines()
    # the README says how many responses the walk imports again: what the import prints
    said = re.search(r"imported again \(the (\d+) the\s+dashboard uses", README).group(1)
    assert f"imported {said} responses" in printed[("responses", "import")]
    for made in ("ratings.csv", "overrides.csv", "model.yaml", "responses.csv", "instrument.yaml", "report.pdf", "links.csv"):
        assert (tmp_path / made).stat().st_size > 0, made
