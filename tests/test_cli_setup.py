"""itcap init, demo and --version as an operator runs them: what they print, what they refuse."""

from __future__ import annotations

import pytest

from itcap import accounts
from itcap.cli import main
from itcap.migrate import upgrade
from itcap.storage import dispose_engines, session_scope
from tests.support import ROOT


@pytest.fixture
def new_database(tmp_path, monkeypatch):
    path = tmp_path / "new.db"
    monkeypatch.setenv("ITCAP_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.delenv("ITCAP_ADMIN_PASSWORD", raising=False)
    yield path
    dispose_engines()


def _head() -> str:
    from alembic.script import ScriptDirectory

    from itcap.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def test_init_says_how_the_schema_moved(new_database, capsys):
    head = _head()
    assert main(["init"]) == 0
    out = capsys.readouterr().out
    assert f"(created at schema {head})" in out and "created administrator 'admin' with password" in out
    assert main(["init"]) == 0
    assert f"(schema {head}, up to date)" in capsys.readouterr().out


def test_init_names_an_upgrade_from_the_previous_revision(new_database, capsys):
    upgrade(f"sqlite:///{new_database}", "0001")
    dispose_engines()
    assert main(["init"]) == 0
    assert f"(schema upgraded 0001 → {_head()})" in capsys.readouterr().out


def test_a_too_short_admin_password_is_refused_before_anything_is_written(new_database, capsys, monkeypatch):
    monkeypatch.setenv("ITCAP_ADMIN_PASSWORD", "short")
    assert main(["init"]) == 1
    assert capsys.readouterr().err == ("error: ITCAP_ADMIN_PASSWORD: password must be at least 10 characters; "
                                       "nothing was changed\n")
    assert not new_database.exists()


def test_an_admin_password_left_in_the_environment_is_not_checked_once_accounts_exist(new_database, capsys, monkeypatch):
    """ITCAP_ADMIN_PASSWORD is used only to create the first administrator: a short one left in a
    replica's environment file afterwards must not keep init (or the app) from starting."""
    assert main(["init"]) == 0
    monkeypatch.setenv("ITCAP_ADMIN_PASSWORD", "short")
    assert main(["init"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_commands_other_than_init_never_upgrade_the_schema(new_database, capsys):
    """A status check or a cron job on a newly installed release must not migrate production: it
    says to back up and run 'itcap init', and leaves the schema as it was."""
    from itcap.migrate import current_revision

    upgrade(f"sqlite:///{new_database}", "0001")
    dispose_engines()
    assert main(["campaign", "status", "1", "--json", "-"]) == 1
    err = capsys.readouterr().err
    assert f"is at schema 0001; this release of itcap needs {_head()}: back it up, then run 'itcap init'" in err
    assert current_revision(f"sqlite:///{new_database}") == "0001"
    assert main(["init"]) == 0
    capsys.readouterr()
    assert main(["campaign", "status", "1", "--json", "-"]) == 1
    assert "campaign 1 not found" in capsys.readouterr().err  # past the schema check, once upgraded


def test_a_schema_from_a_newer_release_is_refused_by_every_command(new_database, capsys):
    from sqlalchemy import text

    from itcap.storage import get_engine

    assert main(["init"]) == 0
    capsys.readouterr()
    with get_engine(f"sqlite:///{new_database}").begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    for command in (["init"], ["campaign", "status", "1"]):
        assert main(command) == 1
        err = capsys.readouterr().err
        assert "the database is at schema 9999_future, which this release of itcap" in err and "Traceback" not in err


def test_demo_on_a_new_database_prints_the_administrators_password(new_database, capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    password = out.split("created administrator 'admin' with password (shown once, store it now):\n")[1].split()[0]
    with session_scope() as session:
        assert accounts.authenticate(session, "admin", password).ok


def test_demo_seed_must_be_a_whole_number_and_nothing_is_written(new_database, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--seed", "-5"])
    assert exit_.value.code == 2 and "argument --seed: must be between 0 and" in capsys.readouterr().err
    assert not new_database.exists()


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    out = capsys.readouterr()
    assert exit_.value.code == 0 and out.out.startswith("itcap 0.")
    assert out.out.endswith(f"(database schema {_head()})\n")


def test_an_unencoded_at_sign_in_the_password_is_named(monkeypatch, capsys):
    monkeypatch.setenv("ITCAP_DATABASE_URL", "postgresql+psycopg://itcap:p@ss:x@127.0.0.1/itcap")
    assert main(["init"]) == 1
    assert "must be percent-encoded in the URL (@ as %40)" in capsys.readouterr().err


def test_an_output_path_through_a_file_or_onto_a_folder_says_which(tmp_path, capsys):
    from itcap.cli.common import CliError, write_text

    blocker = tmp_path / "report.pdf"
    blocker.write_text("")
    with pytest.raises(CliError) as refused:
        write_text("x", str(blocker / "sub" / "out.json"))
    assert refused.value.problems == [f"{blocker / 'sub' / 'out.json'}: cannot write: {blocker} is a file, not a folder"]
    with pytest.raises(CliError) as refused:
        write_text("x", str(tmp_path))
    assert refused.value.problems == [f"{tmp_path}: cannot write: it is a folder; give a file name"]


def test_an_output_into_a_folder_that_is_not_there_is_refused_and_no_folder_is_made(tmp_path, capsys):
    """A typo in a folder name (`--json reprots/st.json`) made that folder, and the file went unnoticed in it."""
    from itcap.cli.common import CliError, write_text

    missing = tmp_path / "nonexistent_dir" / "sub"
    with pytest.raises(CliError) as refused:
        write_text("x", str(missing / "st.json"))
    assert refused.value.problems == [f"{missing / 'st.json'}: cannot write: folder {missing} does not exist; "
                                      "check the path, or create the folder first"]
    model = str(ROOT / "data" / "itil_aligned_model.yaml")
    assert main(["model", "show", model, "--json", str(missing / "m.json")]) == 1
    assert capsys.readouterr().err == f"error: {missing / 'm.json'}: cannot write: folder {missing} does not exist; " \
                                      "check the path, or create the folder first\n"
    assert not (tmp_path / "nonexistent_dir").exists()


def test_commands_that_work_before_writing_check_the_output_folder_first(db_url, tmp_path, capsys):
    """The report, an export, new invitation links, an analysis: refused before the work (or the
    invitations), not after it; and nothing is made on the way."""
    from tests.survey_testdata import INSTRUMENT_YAML

    instrument = tmp_path / "survey.yaml"
    instrument.write_text(INSTRUMENT_YAML, encoding="utf-8")
    assert main(["campaign", "create", "--instrument", str(instrument), "--name", "x"]) == 0
    campaign = capsys.readouterr().out.strip()
    missing = tmp_path / "nope"
    for argv in (["report", "--out", str(missing / "r.html")],
                 ["responses", "export", campaign, "--format", "csv", "--out", str(missing / "e.csv")],
                 ["responses", "export", campaign, "--format", "csv", "--out", str(tmp_path / "e.csv"),
                  "--instrument", str(missing / "i.yaml")],
                 ["campaign", "invite", campaign, "--group", "it_staff", "--count", "2", "--out", str(missing / "l.csv")],
                 ["assess", "export", "1", "--out", str(missing / "a.csv")],
                 ["analyze", str(tmp_path / "no.csv"), "--instrument", str(instrument), "--group-col", "group",
                  "--json", str(missing / "st.json")]):
        assert main(argv) == 1, argv
        assert capsys.readouterr().err.endswith(f"cannot write: folder {missing} does not exist; check the path, "
                                                "or create the folder first\n"), argv
    assert not missing.exists() and not (tmp_path / "e.csv").exists()
    assert main(["campaign", "status", campaign, "--json", "-"]) == 0
    assert '"invited": 0' in capsys.readouterr().out


def test_an_output_name_ending_in_a_slash_is_refused_not_written_as_a_file(tmp_path, capsys, monkeypatch):
    """`--json foo.json/` wrote a file foo.json: the slash says a folder was meant."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exited:
        main(["model", "show", str(ROOT / "data" / "itil_aligned_model.yaml"), "--json", "foo.json/"])
    assert exited.value.code == 2
    assert "'foo.json/' ends with '/', which names a folder; give a file name (did you mean 'foo.json'?)" in capsys.readouterr().err
    assert not (tmp_path / "foo.json").exists()


def test_a_document_of_the_other_kind_is_named_not_listed_as_a_dozen_schema_errors(capsys):
    survey, model = ROOT / "data" / "it_perception_survey.yaml", ROOT / "data" / "itil_aligned_model.yaml"
    assert main(["model", "validate", str(survey)]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        f"error: {survey}: this is a survey instrument (it has 'sections'), not a capability model; "
        f"check it with 'itcap survey validate {survey}'"]
    assert main(["survey", "validate", str(model)]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        f"error: {model}: this is a capability model (it has 'capabilities'), not a survey instrument; "
        f"check it with 'itcap model validate {model}'"]


def test_a_new_sqlite_database_is_readable_by_its_owner_only(new_database, capsys):
    """It holds password hashes and survey answers: created 0600 whatever the umask (0022 makes
    sqlite3's own files 0644), and SQLite gives its write-ahead log the database file's mode."""
    import os

    previous = os.umask(0o022)
    try:
        assert main(["init"]) == 0
        with session_scope() as session:  # a write: the -wal file exists while the connection is open
            accounts.create_account(session, "someone", "a long enough password", roles=["assessor"])
            session.flush()
            assert (new_database.stat().st_mode & 0o777) == 0o600
            wal = new_database.with_name(new_database.name + "-wal")
            assert wal.exists() and (wal.stat().st_mode & 0o777) == 0o600
    finally:
        os.umask(previous)
    assert "note:" not in capsys.readouterr().out


def test_init_says_when_others_can_read_an_existing_database(new_database, capsys):
    assert main(["init"]) == 0
    capsys.readouterr()
    new_database.chmod(0o644)
    assert main(["init"]) == 0
    out = capsys.readouterr().out
    assert f"note: {new_database} can be read by other accounts on this machine (mode 644)" in out
    assert (new_database.stat().st_mode & 0o777) == 0o644  # said, not changed behind the operator's back


def test_a_sqlite_url_with_options_creates_the_file_it_names_private(tmp_path, monkeypatch, capsys):
    """sqlite:///itcap.db?timeout=5 is itcap.db: not a file named 'itcap.db?timeout=5' beside it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ITCAP_DATABASE_URL", "sqlite:///itcap.db?timeout=5")
    monkeypatch.delenv("ITCAP_ADMIN_PASSWORD", raising=False)
    try:
        assert main(["init"]) == 0
        assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("itcap.db-")) == ["itcap.db"]
        assert ((tmp_path / "itcap.db").stat().st_mode & 0o777) == 0o600
        assert main(["assess", "list"]) == 0  # the CLI finds it too
    finally:
        dispose_engines()


def test_no_output_option_writes_over_an_input_or_the_database(db_url, tmp_path, capsys):
    """`survey show i.yaml --json i.yaml` left the instrument holding JSON; `--out itcap.db` replaced
    the database with a CSV of its responses. Both are refused before any work, and nothing changes."""
    from tests.survey_testdata import INSTRUMENT_YAML

    instrument = tmp_path / "survey.yaml"
    instrument.write_text(INSTRUMENT_YAML, encoding="utf-8")
    assert main(["survey", "show", str(instrument), "--json", str(instrument)]) == 1
    assert capsys.readouterr().err == (f"error: {instrument}: is also this command's input; writing there would destroy "
                                       "it — give the output another file name\n")
    assert instrument.read_text(encoding="utf-8") == INSTRUMENT_YAML
    alias = tmp_path / "alias.yaml"
    alias.symlink_to(instrument)  # the same file under another name
    assert main(["survey", "show", str(instrument), "--json", str(alias)]) == 1
    assert f"is also this command's input ({instrument})" in capsys.readouterr().err
    database = db_url.removeprefix("sqlite:///")
    before = open(database, "rb").read()
    for command in (["campaign", "status", "1", "--json", database], ["responses", "export", "1", "--format", "csv", "--out", database],
                    ["assess", "export", "1", "--out", "-", "--overrides", database]):
        assert main(command) == 1
        assert capsys.readouterr().err == (f"error: {database}: is the itcap database ({database}); writing there would "
                                           "destroy it — give the output another file name\n")
    assert open(database, "rb").read() == before


def test_an_export_into_a_named_pipe_is_written_into_it_not_over_it(db_url, tmp_path, capsys):
    """`--out` a FIFO (or /dev/stdout): the CSV goes down the pipe, and the pipe stays a pipe — renamed
    over, it became a plain file holding every response."""
    import os
    import stat
    import threading

    from itcap.storage import session_scope
    from surveys.campaigns import close_campaign
    from surveys.imports import add_responses
    from tests.survey_testdata import make_campaign

    campaign_id = make_campaign(db_url)
    with session_scope(db_url) as session:
        add_responses(session, campaign_id, [{"group": "business", "answers": {"rel1": 4, "par1": 3}}] * 6, actor="test")
        close_campaign(session, campaign_id, "test")
    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    received = []
    reader = threading.Thread(target=lambda: received.append(open(pipe, "rb").read()), daemon=True)
    reader.start()
    assert main(["responses", "export", str(campaign_id), "--format", "csv", "--out", str(pipe)]) == 0
    reader.join(timeout=30)
    assert received and received[0].decode("utf-8").splitlines()[0].startswith("response_id,") and len(received[0].splitlines()) == 7
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)
    # reached through a link, as /dev/stdout (→ /proc/self/fd/1) and `>(gpg …)`'s /dev/fd/63 are
    link = tmp_path / "stdout"
    link.symlink_to(pipe)
    received.clear()
    reader = threading.Thread(target=lambda: received.append(open(pipe, "rb").read()), daemon=True)
    reader.start()
    assert main(["responses", "export", str(campaign_id), "--format", "sav", "--out", str(link)]) == 0
    reader.join(timeout=30)
    assert received and received[0].startswith(b"$FL2") and link.is_symlink() and stat.S_ISFIFO(os.stat(pipe).st_mode)


def test_a_database_file_that_cannot_be_created_is_said_as_such(monkeypatch, capsys):
    monkeypatch.setenv("ITCAP_DATABASE_URL", "sqlite:////proc/itcap-test.db")
    monkeypatch.delenv("ITCAP_ADMIN_PASSWORD", raising=False)
    assert main(["init"]) == 1
    assert capsys.readouterr().err == "error: cannot create the database file /proc/itcap-test.db: No such file or directory\n"


def test_a_database_folder_that_cannot_be_created_is_said_as_such(monkeypatch, capsys):
    monkeypatch.setenv("ITCAP_DATABASE_URL", "sqlite:////proc/no-such-folder/itcap.db")
    monkeypatch.delenv("ITCAP_ADMIN_PASSWORD", raising=False)
    assert main(["init"]) == 1
    assert capsys.readouterr().err.startswith("error: cannot create the database file /proc/no-such-folder/itcap.db: ")
