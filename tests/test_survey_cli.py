"""itcap survey | campaign | responses, through itcap.cli.main (DESIGN.md's CLI contract)."""

import csv
import json
import os
import stat
import sys

import pytest
from openpyxl import load_workbook
from sqlmodel import func, select

from itcap.cli import main
from itcap.storage import session_scope
from surveys import respondent
from surveys.instrument import default_instrument_path
from surveys.tables import Invitation
from tests.support import ROOT
from tests.survey_testdata import INSTRUMENT_YAML
from tests.test_survey_invitations import _all_stored_text


@pytest.fixture
def instrument_file(tmp_path):
    path = tmp_path / "survey.yaml"
    path.write_text(INSTRUMENT_YAML, encoding="utf-8")
    return str(path)


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def campaign(db_url, instrument_file, capsys):
    code, out, err = _run(capsys, "campaign", "create", "--instrument", instrument_file, "--name", "Staff survey 2026",
                          "--min-group-size", "3", "--comment-threshold", "3")
    assert (code, err) == (0, "")
    return out.strip()


# -- survey -----------------------------------------------------------------------------------------
def test_survey_validate_good_and_shipped(instrument_file, capsys):
    code, out, _ = _run(capsys, "survey", "validate", instrument_file)
    assert code == 0 and "valid — Test IT perception survey (v1): 10 items in 4 sections" in out
    if default_instrument_path().exists():
        assert _run(capsys, "survey", "validate", str(default_instrument_path()))[::2] == (0, "")  # and no warning


def test_survey_validate_reports_every_error_with_its_location(tmp_path, capsys):
    bad = INSTRUMENT_YAML.replace("response_scale: agree5, scale: reliability, required: true",
                                  "response_scale: agree7, scale: reliability, required: true")
    bad = bad.replace("min: 0, max: 60, unit: minutes", "unit: minutes")
    path = tmp_path / "bad.yaml"
    path.write_text(bad, encoding="utf-8")
    code, out, err = _run(capsys, "survey", "validate", str(path))
    lines = err.strip().splitlines()
    assert code == 1 and out == "" and len(lines) == 2
    rel1 = 1 + next(i for i, line in enumerate(bad.splitlines()) if "{id: rel1," in line)  # the line an editor jumps to
    assert (f"error: {path}: sections[0] (id services) → items[0] (id rel1) → response_scale: unknown response scale "
            f"'agree7' (did you mean 'agree5'?) (line {rel1})") in lines
    assert any("items[4] (id logon_minutes): a numeric item needs min and max" in line for line in lines)


def test_survey_validate_warns_of_a_scale_tagged_with_a_mode_or_category_the_model_lacks(tmp_path, capsys):
    """Valid (an instrument may be written for a model loaded later), but a typo would silently
    leave the scale out of the survey's reading of the mode: warned, with the line, on stderr."""
    text = INSTRUMENT_YAML.replace("mode: supplier}", "mode: suplier, category: alignmnet}")
    path = tmp_path / "typo.yaml"
    path.write_text(text, encoding="utf-8")
    line = 1 + next(i for i, row in enumerate(text.splitlines()) if "mode: suplier" in row)
    code, out, err = _run(capsys, "survey", "validate", str(path))
    assert code == 0 and "valid" in out
    assert err.splitlines() == [
        f"warning: {path}: scales[0] (id reliability) → mode: 'suplier' is not an operating mode of ITIL-aligned IT "
        "capability model (supplier, business_partner, business_leader) (did you mean 'supplier'?); the survey's "
        f"reading of the mode leaves this scale out (line {line})",
        f"warning: {path}: scales[0] (id reliability) → category: 'alignmnet' is not a finding category of ITIL-aligned "
        "IT capability model (alignment, architecture, organisation, governance, finance) (did you mean 'alignment'?); "
        f"a weak result on this scale would be left out of the recommendations (line {line})"]
    # against the model it is written for, the shipped survey's modes are what is unknown
    cobit = str(ROOT / "docs" / "examples" / "cobit_style_model.yaml")
    code, _, err = _run(capsys, "survey", "validate", str(default_instrument_path()), "--model", cobit)
    assert code == 0 and "'business_leader' is not an operating mode of" in err
    assert _run(capsys, "survey", "validate", str(path), "--model", str(tmp_path / "none.yaml"))[0] == 1


def test_survey_validate_refuses_a_misspelt_placeholder_that_respondents_would_read_as_written(tmp_path, capsys):
    from surveys.instrument import parse_instrument_cached

    text = default_instrument_path().read_text(encoding="utf-8")
    misspelt = text.replace("at least {min_group_size} people, and hide", "at least {min_grp_size} people, and hide", 1)
    assert misspelt != text
    path = tmp_path / "survey.yaml"
    path.write_text(misspelt, encoding="utf-8")
    code, _, err = _run(capsys, "survey", "validate", str(path))
    line = 1 + text[:text.index("privacy_statement:")].count("\n")
    assert code == 1 and err == (f"error: {path}: privacy_statement: unknown placeholder {{min_grp_size}}: the placeholders "
                                 f"are {{min_group_size}} and {{comment_threshold}} (line {line})\n")
    # an instrument stored before this check still opens for its campaigns (the page adds the true thresholds)
    assert parse_instrument_cached(misspelt).privacy_statement.count("{min_grp_size}") == 1
    # beside a schema error too: every problem at once, not the placeholder only once the other is fixed
    path.write_text(misspelt.replace("type: likert", "type: likertx", 1), encoding="utf-8")
    code, _, err = _run(capsys, "survey", "validate", str(path))
    assert code == 1 and "unknown placeholder {min_grp_size}" in err and "likertx" in err


def test_survey_validate_refuses_labels_an_import_would_confuse(tmp_path, capsys):
    """An import reads a cell as a code, else as a label (case ignored): a label shared by two
    options, or one that reads as another option's code, would store another answer than given."""
    bad = INSTRUMENT_YAML.replace("2: Disagree,", "2: strongly DISAGREE ,")
    bad = bad.replace("{code: 1, label: Finance}, {code: 2, label: Operations}, {code: 3, label: Digital}",
                      "{code: 1, label: '0'}, {code: 2, label: '1'}, {code: 3, label: 2 to 5}")
    path = tmp_path / "bad.yaml"
    path.write_text(bad, encoding="utf-8")
    code, out, err = _run(capsys, "survey", "validate", str(path))
    assert code == 1 and out == ""
    assert (f"error: {path}: response_scales[0] (id agree5) → labels: label 'Strongly disagree' is used for 2 codes (1, 2); "
            "each option needs its own label") in err
    assert (f"error: {path}: sections[3] (id about) → items[0] (id directorate) → options: the label '1' of code 2 reads as "
            "code 1; an import could not tell them apart — use codes that match such labels, or words") in err
    assert "label '0' of code 1" not in err  # 0 is no code of this item: nothing to confuse it with
    fine = INSTRUMENT_YAML.replace("{code: 1, label: Finance}, {code: 2, label: Operations}, {code: 3, label: Digital}",
                                   "{code: 0, label: '0'}, {code: 1, label: '1'}, {code: 2, label: 2 to 5}")
    path.write_text(fine, encoding="utf-8")
    assert _run(capsys, "survey", "validate", str(path))[0] == 0  # labels that read as their own code are fine


@pytest.mark.parametrize(("groups", "clash"), [
    ("  - {id: staff, name: Managers}\n  - {id: managers, name: Staff}\n",
     "groups[0] (id staff) → name: 'Managers' is also what group 'managers' is called"),
    ("  - {id: business, name: IT staff}\n  - {id: it_staff, name: it STAFF }\n",
     "groups[1] (id it_staff) → name: 'it STAFF' is also what group 'business' is called"),
    ("  - {id: it_staff, name: IT staff}\n  - {id: IT_STAFF, name: Contractors}\n",
     "groups[1] (id IT_STAFF): the same id as group 'it_staff' but for letter case"),
])
def test_survey_validate_refuses_group_names_an_import_would_confuse(tmp_path, capsys, groups, clash):
    """Groups {id: staff, name: Managers} and {id: managers, name: Staff} loaded, and an import filed
    the 'managers' rows under staff and the 'staff' row under managers, without a word."""
    bad = INSTRUMENT_YAML.replace("  - {id: business, name: Business users}\n  - {id: it_staff, name: IT staff}\n", groups)
    bad = bad.replace("groups: [business]", f"groups: [{groups.split('id: ')[1].split(',')[0]}]")
    bad = bad.replace("groups: [it_staff]", f"groups: [{groups.split('id: ')[2].split(',')[0]}]")
    path = tmp_path / "bad.yaml"
    path.write_text(bad, encoding="utf-8")
    code, out, err = _run(capsys, "survey", "validate", str(path))
    assert code == 1 and clash in err, err
    # an instrument stored before this check keeps opening for its campaigns; the readers let an id win
    from surveys.instrument import parse_instrument_cached

    assert len(parse_instrument_cached(bad).groups) == 2


def test_survey_show_json(instrument_file, capsys):
    code, out, _ = _run(capsys, "survey", "show", instrument_file, "--json", "-")
    document = json.loads(out)
    assert code == 0 and set(document) == {"id", "name", "groups", "scales", "items"}
    assert document["groups"] == [{"id": "business", "name": "Business users"}, {"id": "it_staff", "name": "IT staff"}]
    rel3 = next(i for i in document["items"] if i["id"] == "rel3")
    assert rel3 == {"id": "rel3", "type": "likert", "scale": "reliability", "reverse": True, "min": 1, "max": 5,
                    "groups": ["business", "it_staff"]}


def test_survey_load_and_list(db_url, instrument_file, capsys):
    code, out, _ = _run(capsys, "survey", "load", instrument_file)
    assert code == 0 and "instrument test_perception v1 stored as id" in out
    code, again, _ = _run(capsys, "survey", "load", instrument_file)  # idempotent, and says so
    assert code == 0 and again == out.replace("stored as id", "is already stored with exactly this content as id").rstrip("\n") + ": nothing changed\n"
    code, out, _ = _run(capsys, "survey", "list")
    assert code == 0 and "test_perception\tv1\tTest IT perception survey" in out


def test_missing_file_is_one_line(capsys):
    code, _, err = _run(capsys, "survey", "validate", "/nonexistent/x.yaml")
    assert code == 1 and err == "error: /nonexistent/x.yaml: file not found\n"


@pytest.mark.parametrize("argv", [["model", "validate", "{input}"], ["survey", "validate", "{input}"],
                                  ["analyze", "{input}", "--instrument", "{instrument}", "--group-col", "group"],
                                  ["responses", "import", "1", "{input}"], ["responses", "import", "1", "-"]])
def test_input_from_a_pipe_is_held_to_the_size_limit_of_a_file(instrument_file, tmp_path, capsys, monkeypatch, argv):
    """A pipe, <(…) or /dev/zero has size 0: read whole, /dev/zero ran the command out of memory. At
    most one byte over the limit is read, and the input is refused as a file over the limit is."""
    import io
    import threading

    from itcap.cli import common

    monkeypatch.setattr(common, "MAX_INPUT_BYTES", 64 * 1024)  # the CSV inputs' 512 MB, made small
    limit = "2 MB" if argv[0] in ("model", "survey") else "0.0625 MB"
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def feed() -> None:  # 3 MB, over either limit; the reader may stop early
        try:
            with open(fifo, "wb") as pipe:
                pipe.write(b"x" * (3 * 1024 * 1024))
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    if "-" in argv:
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(open(fifo, "rb")))  # noqa: SIM115 - closed below
    code, out, err = _run(capsys, *[a.replace("{input}", str(fifo)).replace("{instrument}", instrument_file) for a in argv])
    if "-" in argv:
        sys.stdin.close()
    if writer.is_alive():  # never opened for reading: let the writer through
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
    writer.join(5)
    where = "<stdin>" if "-" in argv else fifo
    assert (code, out, err) == (1, "", f"error: {where}: file is over the limit of {limit}\n")


# -- campaign ---------------------------------------------------------------------------------------
def test_create_prints_only_the_id(campaign):
    assert campaign.isdigit()


def test_create_notes_a_past_closing_date_and_a_namesake_but_prints_only_the_id(db_url, campaign, instrument_file, capsys):
    """Last year's paper round is created with past dates on purpose; a slip in the year is not. Both
    are said (on stderr: scripts read the id), as is a second campaign with the same name."""
    code, out, err = _run(capsys, "campaign", "create", "--instrument", instrument_file, "--name", "staff SURVEY 2026 ",
                          "--closes", "2020-01-01", "--min-group-size", "3", "--comment-threshold", "3")
    assert code == 0 and out.strip().isdigit()
    new = out.strip()
    assert err == (f"note: campaign {new}: its closing date, 01 Jan 2020, has passed: it cannot be opened to respondents, "
                   "though it can take imported responses — change the closing date if that was a slip\n"
                   f"note: campaign {new}: campaign {campaign} has the same name: give one another name to tell them apart\n")


def test_create_refuses_bad_settings(db_url, instrument_file, capsys):
    code, out, err = _run(capsys, "campaign", "create", "--instrument", instrument_file, "--name", "x",
                          "--opens", "2030-02-01", "--closes", "2030-01-01", "--min-group-size", "3", "--comment-threshold", "2")
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 2 and "error: Comment threshold: must be" in err and "opens on 01 Feb 2030" in err


@pytest.mark.parametrize("argv", [["create", "--instrument", "x.yaml", "--name", "x", "--min-group-size", "1"],
                                  ["create", "--instrument", "x.yaml", "--name", "x", "--comment-threshold", "0"],
                                  ["update", "1", "--min-group-size", "1001"],
                                  ["update", "1", "--comment-threshold", "-3"]])
def test_a_threshold_out_of_range_is_a_usage_error_as_analyze_and_invite_say_it(argv, capsys):
    """campaign create --min-group-size 1 exited 1, analyze --min-group-size 1 and invite --count 0 exit 2."""
    with pytest.raises(SystemExit) as exc:
        main(["campaign", *argv])
    assert exc.value.code == 2 and "must be between 2 and " in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["analyze", "r.csv", "--instrument", "x.yaml", "--group-col", "g", "--min-group-size", "1"])
    assert exc.value.code == 2 and "argument --min-group-size: must be between 2 and 1,000, not 1" in capsys.readouterr().err


def test_create_with_a_model_for_the_instrument_names_the_mix_up_and_stores_nothing(db_url, capsys):
    from capability_model.loader import default_model_path
    from surveys.tables import Campaign, InstrumentRecord

    model = str(default_model_path())
    code, out, err = _run(capsys, "campaign", "create", "--instrument", model, "--name", "x")
    assert (code, out) == (1, "")
    assert err.strip().splitlines() == [
        f"error: {model}: this is a capability model (it has 'capabilities'), not a survey instrument; "
        f"check it with 'itcap model validate {model}'"]
    with session_scope() as session:
        assert session.exec(select(func.count()).select_from(Campaign)).one() == 0
        assert session.exec(select(func.count()).select_from(InstrumentRecord)).one() == 0


def test_bad_date_is_a_usage_error(db_url, instrument_file, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["campaign", "create", "--instrument", instrument_file, "--name", "x", "--opens", "1 May"])
    assert exc.value.code == 2
    assert "is not a date in the form YYYY-MM-DD" in capsys.readouterr().err


def test_open_close_and_status(campaign, capsys):
    assert _run(capsys, "campaign", "open", campaign)[1] == f"campaign {campaign} is open\n"
    assert _run(capsys, "campaign", "open", campaign)[1] == f"campaign {campaign} is already open\n"
    code, out, _ = _run(capsys, "campaign", "invite", campaign, "--group", "business", "--count", "4", "--out", "-")
    assert code == 0 and len(out.strip().splitlines()) == 5
    code, out, _ = _run(capsys, "campaign", "status", campaign, "--json", "-")
    status = json.loads(out)
    assert status["status"] == "open" and status["accepting"] is True
    assert status["groups"]["business"] == {"invited": 4, "started": 0, "completed": 0, "open_link_visits": 0,
                                            "responses": 0, "completion_rate": 0.0}
    assert status["groups"]["it_staff"]["invited"] == 0
    code, out, _ = _run(capsys, "campaign", "status", campaign)
    table = out.splitlines()
    assert code == 0 and "open, accepting responses" in table[1]
    assert table[3].split()[:2] == ["group", "invited"]
    assert table[4].split() == ["business", "4", "0", "0", "0%", "0"]
    assert table[5].split() == ["it_staff", "0", "0", "0", "–", "0"]
    assert _run(capsys, "campaign", "close", campaign)[1] == f"campaign {campaign} is closed\n"
    code, out, _ = _run(capsys, "campaign", "list")
    header, row = out.splitlines()
    assert header == "id\tstatus\taccepting\tdates\tthresholds\tinstrument\tresponses\tname"
    assert row.split("\t")[:3] == [str(campaign), "closed", "no"] and row.split("\t")[-3:] == [
        "test_perception v1", "0", "Staff survey 2026"]


@pytest.mark.parametrize(("shell_end", "said"), [
    ("| true", "the links could not all be written to standard output"),  # the reader is gone before the links come
    (">&-", "standard output is closed"),
])
def test_links_to_standard_output_that_nobody_receives_create_no_invitations(campaign, db_url, shell_end, said):
    """Tokens are stored only as hashes: links that never arrived could not be withdrawn, and would
    count as invited forever (lowering every response rate)."""
    import subprocess
    import sys

    folder = os.path.dirname(db_url.split("///", 1)[1])
    command = (f"{sys.executable} -m itcap.cli campaign invite {campaign} --group business --count 5000 --out - "
               f"2>{folder}/err.txt {shell_end}; echo $? > {folder}/rc.txt")
    env = {**os.environ, "ITCAP_DATABASE_URL": db_url, "ITCAP_PUBLIC_URL": "http://survey.example"}
    subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=folder, env=env, check=False, timeout=120)
    err = open(os.path.join(folder, "err.txt"), encoding="utf-8").read()
    assert said in err and "no invitations were created" in err and "Traceback" not in err
    assert open(os.path.join(folder, "rc.txt")).read().strip() == "1"
    with session_scope(db_url) as session:
        assert session.exec(select(func.count()).select_from(Invitation)).one() == 0


def test_invite_writes_a_private_mail_merge_file(campaign, tmp_path, capsys, db_url):
    emails = tmp_path / "emails.txt"
    emails.write_text("ann@example.org\nbob@example.org\ncy@example.org\n", encoding="utf-8")
    out_file = tmp_path / "links.csv"
    code, out, err = _run(capsys, "campaign", "invite", campaign, "--group", "it_staff", "--emails", str(emails),
                          "--out", str(out_file), "--base-url", "https://survey.example.org")
    assert (code, err) == (0, "") and "3 invitation links for group it_staff" in out
    rows = list(csv.DictReader(out_file.open(encoding="utf-8")))
    assert [r["email"] for r in rows] == ["ann@example.org", "bob@example.org", "cy@example.org"]
    assert all(r["group"] == "it_staff" and r["link"].startswith("https://survey.example.org/?token=") for r in rows)
    assert stat.S_IMODE(os.stat(out_file).st_mode) == 0o600
    stored = _all_stored_text(db_url)
    assert "example.org" not in stored and rows[0]["link"].split("=", 1)[1] not in stored

    # Run again with the same file: the first links must survive (they exist nowhere else), and no
    # invitation is created whose link nobody could ever send.
    before = out_file.read_bytes()
    with session_scope(db_url) as session:
        invited = session.exec(select(func.count()).select_from(Invitation)).one()
    code, _, err = _run(capsys, "campaign", "invite", campaign, "--group", "it_staff", "--count", "2", "--out", str(out_file))
    assert code == 1 and "links.csv already exists" in err and "nothing was created" in err
    assert out_file.read_bytes() == before
    with session_scope(db_url) as session:
        assert session.exec(select(func.count()).select_from(Invitation)).one() == invited


def test_invite_problems(campaign, tmp_path, capsys):
    emails = tmp_path / "emails.txt"
    emails.write_text("ann@example.org\nnot-an-address\n", encoding="utf-8")
    code, _, err = _run(capsys, "campaign", "invite", campaign, "--group", "it_staff", "--emails", str(emails), "--out", "-")
    assert code == 1 and "line 2: 'not-an-address' is not an e-mail address" in err
    code, _, err = _run(capsys, "campaign", "invite", campaign, "--group", "finance", "--count", "2", "--out", "-")
    assert code == 1 and "group 'finance' is not a group" in err


def test_invite_onto_a_folder_or_through_a_file_says_so_not_that_earlier_links_are_there(campaign, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "clean.csv").write_text("")
    for out, problem in ((str(tmp_path), "it is a folder; give a file name"), ("./", "it is a folder; give a file name"),
                         ("clean.csv/links.csv", "clean.csv is a file, not a folder")):
        code, printed, err = _run(capsys, "campaign", "invite", campaign, "--group", "it_staff", "--count", "2", "--out", out)
        assert (code, printed, err) == (1, "", f"error: {out}: cannot write: {problem}\n")
    status = json.loads(_run(capsys, "campaign", "status", campaign, "--json", "-")[1])
    assert status["groups"]["it_staff"]["invited"] == 0


def test_a_links_file_that_cannot_be_written_whole_leaves_no_file_and_no_invitations(campaign, tmp_path, capsys, monkeypatch):
    """A full disk half-way: no file of links that lead nowhere, nothing that blocks the retry."""
    import errno

    from itcap.cli import campaign_cmd

    folder = tmp_path / "merge"
    folder.mkdir()
    out = folder / "links.csv"
    real_fsync = campaign_cmd.os.fsync

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(campaign_cmd.os, "fsync", disk_full)
    code, _, err = _run(capsys, "campaign", "invite", campaign, "--group", "it_staff", "--count", "3", "--out", str(out))
    assert code == 1 and "No space left on device" in err and "no invitations were created and no file was left" in err
    assert list(folder.iterdir()) == []  # neither the file nor its temporary
    code, printed, _ = _run(capsys, "campaign", "status", campaign, "--json", "-")
    assert json.loads(printed)["groups"]["it_staff"]["invited"] == 0
    monkeypatch.setattr(campaign_cmd.os, "fsync", real_fsync)
    code, printed, _ = _run(capsys, "campaign", "invite", campaign, "--group", "it_staff", "--count", "3", "--out", str(out))
    assert code == 0 and len(out.read_text(encoding="utf-8").splitlines()) == 4
    assert [p.name for p in folder.iterdir()] == ["links.csv"]


def test_a_group_is_named_by_its_id_or_name_in_any_case(campaign, tmp_path, capsys):
    """As the response import and analyze read groups: "IT Staff" and "IT_STAFF" are it_staff."""
    out = tmp_path / "links.csv"
    code, printed, _ = _run(capsys, "campaign", "invite", campaign, "--group", "IT Staff", "--count", "2", "--out", str(out))
    assert code == 0 and "2 invitation links for group it_staff written" in printed
    code, printed, _ = _run(capsys, "campaign", "open-link", campaign, "--group", "BUSINESS")
    assert code == 0 and "token=" in printed
    code, printed, _ = _run(capsys, "campaign", "status", campaign, "--json", "-")
    assert code == 0 and json.loads(printed)["groups"]["it_staff"]["invited"] == 2


@pytest.mark.parametrize(("argv", "message"), [
    (["invite", "{id}", "--group", "it_staff", "--out", "-"], "one of the arguments --count --emails is required"),
    (["invite", "{id}", "--group", "it_staff", "--count", "0", "--out", "-"], "argument --count: must be between 1 and 100,000, not 0"),
    (["invite", "{id}", "--group", "it_staff", "--count", "2", "--emails", "e.txt", "--out", "-"], "not allowed with argument"),
    (["update", "{id}", "--opens", "2026-01-01", "--no-opens"], "argument --no-opens: not allowed with argument --opens"),
    (["update", "{id}", "--closes", "2026-01-01", "--no-closes"], "argument --no-closes: not allowed with argument --closes"),
])
def test_options_that_do_not_go_together_are_usage_errors(campaign, capsys, argv, message):
    """Exit 2, as for every other usage error: the command line is wrong, not the data."""
    with pytest.raises(SystemExit) as exc:
        main(["campaign", *[a.replace("{id}", campaign) for a in argv]])
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_update_with_nothing_to_change_is_a_usage_error(campaign, capsys):
    code, _, err = _run(capsys, "campaign", "update", campaign)
    assert code == 2 and err == "error: nothing to change: give --name, --opens, --closes, --min-group-size or --comment-threshold\n"


def test_update_help_says_what_an_opened_campaign_s_thresholds_may_do_and_update_does_it(campaign, capsys):
    with pytest.raises(SystemExit):
        main(["campaign", "update", "--help"])
    assert "can go up but never down" in " ".join(capsys.readouterr().out.split())
    assert _run(capsys, "campaign", "open", campaign)[0] == 0
    assert _run(capsys, "campaign", "update", campaign, "--comment-threshold", "5")[0] == 0
    code, _, err = _run(capsys, "campaign", "update", campaign, "--min-group-size", "2")
    assert code == 1 and "cannot go down (3 → 2)" in err


def test_open_link(campaign, capsys):
    code, out, _ = _run(capsys, "campaign", "open-link", campaign, "--group", "business")
    assert code == 0 and out.startswith("http://localhost:8501/?token=") and len(out.strip().split("=", 1)[1]) == 43


def test_open_link_with_a_cap_says_how_many_places_are_left(campaign, capsys):
    with pytest.raises(SystemExit) as refused:
        main(["campaign", "open-link", campaign, "--group", "business", "--max-visits", "0"])
    assert refused.value.code == 2 and "must be between 1 and 1,000,000, not 0" in capsys.readouterr().err
    code, out, _ = _run(capsys, "campaign", "open-link", campaign, "--group", "business", "--max-visits", "2")
    assert code == 0
    assert _run(capsys, "campaign", "open", campaign)[0] == 0
    with session_scope() as session:
        respondent.begin(session, out.strip().split("token=")[1])
    code, out, _ = _run(capsys, "campaign", "status", campaign)
    assert "open link of business: live, 1 more visitor may start" in out
    code, out, _ = _run(capsys, "campaign", "status", campaign, "--json", "-")
    assert json.loads(out)["open_links"] == {"business": {"visits_left": 1}}
    _run(capsys, "campaign", "open-link", campaign, "--group", "IT staff", "--max-visits", "2")
    _run(capsys, "campaign", "open-link", campaign, "--group", "it_staff")  # replaced: no cap now
    code, out, _ = _run(capsys, "campaign", "status", campaign, "--json", "-")
    assert json.loads(out)["open_links"] == {"business": {"visits_left": 1}, "it_staff": {"visits_left": None}}


def test_unknown_campaign_is_exit_1(db_url, capsys):
    for argv in (["campaign", "open", "99"], ["campaign", "status", "99", "--json", "-"], ["responses", "export", "99",
                 "--format", "csv", "--out", "-"]):
        code, _, err = _run(capsys, *argv)
        assert (code, err) == (1, "error: campaign 99 not found\n")


def test_update(campaign, capsys):
    code, _, err = _run(capsys, "campaign", "update", campaign, "--min-group-size", "4")
    assert code == 1 and "Comment threshold: must be a whole number at least the reporting threshold k = 4" in err
    code, out, _ = _run(capsys, "campaign", "update", campaign, "--closes", "2099-12-31", "--min-group-size", "4",
                        "--comment-threshold", "8")
    assert code == 0
    status = json.loads(_run(capsys, "campaign", "status", campaign, "--json", "-")[1])
    assert (status["closes_on"], status["min_group_size"]) == ("2099-12-31", 4)


# -- responses --------------------------------------------------------------------------------------
CSV_ROWS = ("group,rel1,rel2,rel3,rel4,par1,itp1,directorate,comments\n"
            + "business,4,3,2,4,4,,1,ok\n" * 4 + "IT staff,Agree,3,2,5,2,4,1,\n" * 3)


def test_a_privileged_export_replaces_what_is_at_its_path_never_following_a_link(campaign, tmp_path, capsys):
    """Over an existing world-readable file, or a link to someone else's file: the link is replaced
    (its target untouched), the file ends up owner-only, and no temporary file is left behind."""
    source = tmp_path / "responses.csv"
    source.write_text(CSV_ROWS, encoding="utf-8")
    assert _run(capsys, "responses", "import", campaign, str(source))[0] == 0
    readable, elsewhere, link = tmp_path / "readable.csv", tmp_path / "elsewhere.txt", tmp_path / "link.csv"
    readable.write_text("old")
    os.chmod(readable, 0o644)
    elsewhere.write_text("not yours")
    link.symlink_to(elsewhere)
    for target in (readable, link):
        assert _run(capsys, "responses", "export", campaign, "--format", "csv", "--out", str(target))[0] == 0
        assert not target.is_symlink() and stat.S_IMODE(os.stat(target).st_mode) == 0o600
        assert target.read_text(encoding="utf-8").startswith("response_id")
    assert elsewhere.read_text() == "not yours"
    assert not list(tmp_path.glob(".*.part"))


@pytest.mark.parametrize("to_stdout", [False, True])
def test_a_privileged_export_whose_audit_entry_cannot_commit_puts_out_no_data(campaign, tmp_path, capsys, monkeypatch, to_stdout):
    """The audit entry commits before the personal data is out: with the database busy at that
    moment, the command fails leaving no file (nor a part file) and nothing on stdout — not a file
    of every response that no audit entry accounts for. Once it can commit, the export is written."""
    import sqlite3

    from sqlalchemy.exc import OperationalError
    from sqlmodel import Session

    from itcap import audit

    source = tmp_path / "responses.csv"
    source.write_text(CSV_ROWS, encoding="utf-8")
    assert _run(capsys, "responses", "import", campaign, str(source))[0] == 0
    commit = Session.commit

    def busy_for_the_audit_entry(session):
        if any(isinstance(entry, audit.AuditEntry) and entry.action == "responses.export" for entry in session.new):
            raise OperationalError("COMMIT", {}, sqlite3.OperationalError("database is locked"))
        return commit(session)

    monkeypatch.setattr(Session, "commit", busy_for_the_audit_entry)
    target = tmp_path / "out.csv"
    out = "-" if to_stdout else str(target)
    code, stdout, err = _run(capsys, "responses", "export", campaign, "--format", "csv", "--out", out)
    assert (code, stdout) == (1, "") and err.startswith("error: the database is busy")
    assert not target.exists() and not list(tmp_path.glob(".*.part"))

    def exported() -> int:
        with session_scope() as session:
            return sum(e.action == "responses.export" for e in audit.recent(session))

    assert exported() == 0
    monkeypatch.setattr(Session, "commit", commit)
    code, stdout, err = _run(capsys, "responses", "export", campaign, "--format", "csv", "--out", out)
    assert code == 0 and exported() == 1
    written = stdout if to_stdout else target.read_text(encoding="utf-8")
    assert written.startswith("response_id,") and len(written.splitlines()) == 8


def test_import_and_export(campaign, tmp_path, capsys):
    source = tmp_path / "responses.csv"
    source.write_text(CSV_ROWS, encoding="utf-8")
    code, out, err = _run(capsys, "responses", "import", campaign, str(source))
    assert (code, err) == (0, "") and out.startswith(f"imported 7 responses into campaign {campaign} (business 4, it_staff 3)")
    for fmt in ("csv", "xlsx", "sav"):
        target = tmp_path / f"out.{fmt}"
        code, out, err = _run(capsys, "responses", "export", campaign, "--format", fmt, "--out", str(target))
        assert (code, err) == (0, "") and out.startswith(f"7 responses written to {target}")
        assert stat.S_IMODE(os.stat(target).st_mode) == 0o600  # privileged data: owner only
    rows = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8")))
    assert len(rows) == 7 and rows[0]["response_id"] and {r["comments"] for r in rows} == {"ok", ""}
    assert load_workbook(tmp_path / "out.xlsx").sheetnames == ["data", "codebook", "notes"]
    code, out, _ = _run(capsys, "responses", "export", campaign, "--format", "csv", "--out", str(tmp_path / "t.csv"),
                        "--apply-threshold")
    rows = list(csv.DictReader((tmp_path / "t.csv").open(encoding="utf-8")))
    assert code == 0 and len(rows) == 7 and "response_id" not in rows[0] and "comments" not in rows[0]
    assert "note: reporting threshold k = 3" in out
    # every privileged export is in the audit log (personal data taken); the thresholded one is not
    from itcap import audit

    with session_scope() as session:
        logged = [(e.actor, e.target, e.detail) for e in audit.recent(session) if e.action == "responses.export"]
    import getpass

    who = f"cli:{getpass.getuser()}"  # the operating-system account that ran the command
    assert sorted(logged) == sorted((who, f"campaign:{campaign}", f"{fmt}: every response (7), free text included")
                                    for fmt in ("csv", "xlsx", "sav"))
    # the export imported back would count every response twice: its response ids give it away
    code, _, err = _run(capsys, "responses", "import", campaign, str(tmp_path / "out.csv"))
    assert code == 1 and "7 rows (lines 2, 3, 4, 5, 6 …) are responses this campaign already holds" in err
    # a closed campaign takes no more responses
    _run(capsys, "campaign", "close", campaign)
    code, _, err = _run(capsys, "responses", "import", campaign, str(source))
    assert (code, err) == (1, f"error: campaign {campaign} (Staff survey 2026) is closed: it takes no more responses; to "
                              "import responses collected on paper, reopen it first and close it again afterwards\n")
    status = json.loads(_run(capsys, "campaign", "status", campaign, "--json", "-")[1])
    assert sum(g["responses"] for g in status["groups"].values()) == 7


def test_a_comment_longer_than_an_excel_cell_holds_is_cut_visibly_in_the_xlsx_and_whole_in_the_csv(db_url, tmp_path, capsys):
    """20,000 emoji are 40,000 UTF-16 units, where an Excel cell holds 32,767: the XLSX was cut silently.
    Now the cell ends saying so, the notes sheet and a warning on stderr name the cell; CSV has it whole."""
    from xlsxwriter.utility import xl_col_to_name

    instrument = tmp_path / "long.yaml"
    instrument.write_text(INSTRUMENT_YAML.replace("max_length: 500", "max_length: 20000"), encoding="utf-8")
    code, campaign, err = _run(capsys, "campaign", "create", "--instrument", str(instrument), "--name", "Long answers",
                               "--min-group-size", "3", "--comment-threshold", "3")
    campaign, comment = campaign.strip(), "😀" * 20_000
    source = tmp_path / "responses.csv"
    source.write_text(CSV_ROWS.replace(",ok\n", f",{comment}\n", 1), encoding="utf-8")
    assert _run(capsys, "responses", "import", campaign, str(source))[0] == 0
    target = tmp_path / "out.xlsx"
    code, out, err = _run(capsys, "responses", "export", campaign, "--format", "xlsx", "--out", str(target))
    book = load_workbook(target)
    rows = list(book["data"].iter_rows(values_only=True))
    column = rows[0].index("comments")
    [(line, written)] = [(n, row[column]) for n, row in enumerate(rows, start=1) if row[column] and len(row[column]) > 100]
    kept, marker = written.rsplit("… [cut: ", 1)
    removed = 20_000 - len(kept)
    assert kept == comment[:len(kept)] and marker == f"{removed:,} characters; the CSV and SPSS exports hold the full text]"
    said = (f"sheet data, cell {xl_col_to_name(column)}{line} (column comments): 20,000 characters (40,000 as Excel counts "
            f"them: an emoji counts two), more than an Excel cell holds (32,767); the last {removed:,} are cut and the cell "
            "says so at its end")
    assert code == 0 and err == f"warning: {target}: {said}\n"
    assert [row[0] for row in book["notes"].iter_rows(values_only=True)][-1] == f"Cut: {said}"
    assert _run(capsys, "responses", "export", campaign, "--format", "csv", "--out", str(tmp_path / "out.csv"))[0] == 0
    assert comment in (tmp_path / "out.csv").read_text(encoding="utf-8")


def test_import_errors_store_nothing(campaign, tmp_path, capsys):
    source = tmp_path / "bad.csv"
    source.write_bytes("group,rel1,comments\nbusiness,7,\nbusiness,3,café\n".encode("latin-1"))
    code, out, err = _run(capsys, "responses", "import", campaign, str(source))
    assert code == 1 and out == "" and err == (f"error: {source}: line 3: not UTF-8 text (byte 0xe9); save the file as CSV UTF-8\n"
                                               "error: nothing was imported: fix the problems above and import the whole file again\n")
    source.write_text("group,rel1,colour\nbusiness,7,\nfinance,3,\n", encoding="utf-8")
    code, _, err = _run(capsys, "responses", "import", campaign, str(source))
    assert code == 1 and err.splitlines() == [
        f"error: {source}: line 1, column 3: 'colour' is not an item of instrument 'test_perception'",
        f"error: {source}: line 2, column rel1: 7 is outside the scale 1–5",
        f"error: {source}: line 3: group 'finance' is not a group of this instrument (business, it_staff)",
        "error: nothing was imported: fix the problems above and import the whole file again",
    ]
    with session_scope() as s:
        from sqlalchemy import func, select

        from surveys.tables import Response

        assert s.execute(select(func.count()).select_from(Response)).scalar_one() == 0


def test_an_export_path_through_a_file_or_onto_a_folder_says_which(campaign, tmp_path, capsys, monkeypatch):
    """Not "unexpected failure: NotADirectoryError" (the part file's clean-up failing in turn) nor
    "ValueError: PosixPath('.') has an empty name"."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "clean.csv").write_text("")
    code, out, err = _run(capsys, "responses", "export", campaign, "--format", "csv", "--out", "clean.csv/x.csv")
    assert (code, out, err) == (1, "", "error: clean.csv/x.csv: cannot write: clean.csv is a file, not a folder\n")
    for folder in ("./", "."):
        code, out, err = _run(capsys, "responses", "export", campaign, "--format", "csv", "--out", folder)
        assert (code, out, err) == (1, "", f"error: {folder}: cannot write: it is a folder; give a file name\n")
    assert (tmp_path / "clean.csv").read_text() == "" and not list(tmp_path.glob(".*.part"))


def test_export_needs_a_format(campaign, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["responses", "export", campaign, "--out", "x.csv"])
    assert exc.value.code == 2


def test_export_refuses_a_file_name_of_another_format(campaign, tmp_path, capsys):
    target = tmp_path / "responses.xlsx"
    code, _, err = _run(capsys, "responses", "export", campaign, "--format", "csv", "--out", str(target))
    assert code == 1 and "the name ends in .xlsx but --format is csv" in err and not target.exists()


def test_report_takes_a_campaign_or_none_not_both(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["report", "--campaign", "2", "--no-campaign", "--out", "r.html"])
    assert exc.value.code == 2 and "not allowed with argument --campaign" in capsys.readouterr().err


def test_help_for_every_command(capsys):
    for argv in (["survey"], ["campaign"], ["responses"], ["campaign", "invite"], ["responses", "export"]):
        with pytest.raises(SystemExit) as exc:
            main([*argv, "--help"])
        assert exc.value.code == 0
    assert "mail-merge" in capsys.readouterr().out


def test_each_command_group_s_summary_names_all_its_subcommands():
    """`itcap --help` said "campaign: create, open, close, invite, status" — leaving out update,
    anonymise, withdraw, open-link and list."""
    import argparse
    import re

    from itcap.cli import build_parser

    top = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    summaries = {action.dest: action.help for action in top._choices_actions}
    for name, parser in top.choices.items():
        groups = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        for subcommand in (groups[0].choices if groups else ()):
            assert re.search(rf"(?<![\w-]){re.escape(subcommand)}(?![\w-])", summaries[name]), (name, subcommand)


def test_every_help_text_reads_cleanly():
    """Every command's --help, walked from the top: no unformatted '%%' (a description is printed as
    written, a help string is %-formatted), no traceback."""
    import argparse

    from itcap.cli import build_parser

    def walk(parser, path):
        yield path, parser.format_help()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from walk(sub, [*path, name])

    for path, text in walk(build_parser(), ["itcap"]):
        assert "%%" not in text and "%(" not in text, " ".join(path)


ID_ARGUMENTS = [  # every argument that names a stored record by its id, as the command line gives it
    (["campaign", "update", "{id}", "--name", "x"], "id"), (["campaign", "open", "{id}"], "id"),
    (["campaign", "close", "{id}"], "id"), (["campaign", "anonymise", "{id}"], "id"),
    (["campaign", "invite", "{id}", "--group", "business", "--count", "1", "--out", "-"], "id"),
    (["campaign", "withdraw", "{id}", "--links", "-"], "id"), (["campaign", "open-link", "{id}", "--group", "business"], "id"),
    (["campaign", "status", "{id}"], "id"), (["responses", "import", "{id}", "x.csv"], "id"),
    (["responses", "export", "{id}", "--format", "csv", "--out", "-"], "id"), (["report", "{id}", "--out", "r.html"], "ID"),
    (["report", "--campaign", "{id}", "--out", "r.html"], "--campaign"), (["assess", "export", "{id}", "--out", "-"], "ASSESSMENT_ID"),
]


@pytest.mark.parametrize(("argv", "name"), ID_ARGUMENTS)
@pytest.mark.parametrize("given", ["3000000000", "99999999999999999999", "0", "-1"])
def test_an_id_no_record_can_have_is_a_usage_error_naming_the_argument(capsys, argv, name, given):
    """Ids are PostgreSQL INTEGERs: 3000000000 was "cannot use the database (integer out of range)" on
    PostgreSQL and "not found" on SQLite, 99999999999999999999 "unexpected failure: OverflowError"."""
    with pytest.raises(SystemExit) as exc:
        main([a.replace("{id}", given) for a in argv])
    assert exc.value.code == 2
    shown = f"{int(given):,}"
    assert f"error: argument {name}: must be between 1 and 2,147,483,647, not {shown}\n" in capsys.readouterr().err


def test_every_id_argument_is_parsed_as_an_id():
    """A new subcommand's id argument is held to the same range (and listed above)."""
    import argparse

    from itcap.cli import build_parser
    from itcap.cli.common import record_id

    def walk(parser):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    yield from walk(sub)
            else:
                yield parser.prog, action

    ids = [(prog, action) for prog, action in walk(build_parser())
           if action.dest in ("id", "campaign") or action.dest.endswith("_id")]
    assert len(ids) == len(ID_ARGUMENTS)
    for prog, action in ids:
        assert action.type is record_id, (prog, action.dest)


@pytest.mark.parametrize("argv", [["campaign", "status", "2147483647"], ["responses", "export", "2147483647", "--format", "csv",
                                                                          "--out", "-"]])
def test_the_largest_id_is_looked_up_on_either_database(any_db_url, capsys, argv):
    code, out, err = _run(capsys, *argv)
    assert (code, out, err) == (1, "", "error: campaign 2147483647 not found\n")


def test_exported_csv_feeds_itcap_analyze(campaign, instrument_file, tmp_path, capsys):
    source = tmp_path / "responses.csv"
    source.write_text(CSV_ROWS, encoding="utf-8")
    assert _run(capsys, "responses", "import", campaign, str(source))[0] == 0
    assert _run(capsys, "responses", "export", campaign, "--format", "csv", "--out", str(tmp_path / "e.csv"))[0] == 0
    code, out, err = _run(capsys, "analyze", str(tmp_path / "e.csv"), "--instrument", instrument_file, "--group-col", "group",
                          "--min-group-size", "3", "--json", "-")
    assert code == 0, err
    assert json.loads(out)["groups"]["business"]["n"] == 4


def test_export_to_stdout(campaign, tmp_path, capsys):
    source = tmp_path / "responses.csv"
    source.write_text(CSV_ROWS, encoding="utf-8")
    assert _run(capsys, "responses", "import", campaign, str(source))[0] == 0
    code, out, err = _run(capsys, "responses", "export", campaign, "--format", "csv", "--out", "-")
    assert code == 0 and out.startswith("response_id,group,source,flags,") and len(out.splitlines()) == 8
    assert "7 responses written to -" in err


def test_a_command_run_where_there_is_no_database_says_so_and_creates_none(tmp_path, monkeypatch, capsys):
    """Run from the wrong directory, the default itcap.db is not there: say where itcap looked,
    instead of creating an empty database that answers "campaign 1 not found"."""
    from itcap.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ITCAP_DATABASE_URL", raising=False)
    assert main(["campaign", "status", "1", "--json", "-"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: no itcap database at {tmp_path / 'itcap.db'}: run 'itcap init'")
    assert not (tmp_path / "itcap.db").exists()


def test_links_on_the_default_address_come_with_a_note(db_url, tmp_path, monkeypatch, capsys):
    from itcap.cli import main
    from tests.survey_testdata import make_campaign

    campaign_id = make_campaign(db_url)
    monkeypatch.delenv("ITCAP_PUBLIC_URL", raising=False)
    assert main(["campaign", "invite", str(campaign_id), "--group", "business", "--count", "2", "--out", str(tmp_path / "l.csv")]) == 0
    assert "note: the links start with http://localhost:8501, the default" in capsys.readouterr().err
    monkeypatch.setenv("ITCAP_PUBLIC_URL", "https://survey.example.org")
    assert main(["campaign", "invite", str(campaign_id), "--group", "business", "--count", "2", "--out", str(tmp_path / "m.csv")]) == 0
    assert "note:" not in capsys.readouterr().err
    assert "https://survey.example.org/?token=" in (tmp_path / "m.csv").read_text()


def test_a_mistyped_database_url_is_named_as_such(tmp_path, monkeypatch, capsys):
    from itcap.cli import main

    missing = tmp_path / "typo" / "itcap.db"
    monkeypatch.setenv("ITCAP_DATABASE_URL", f"sqlite:///{missing}")
    assert main(["campaign", "list"]) == 1
    assert capsys.readouterr().err.startswith(f"error: no itcap database at {missing} (from ITCAP_DATABASE_URL): check the path")
    assert not missing.exists()


@pytest.mark.parametrize("command", [["campaign", "list"], ["init"]])
def test_another_applications_database_is_left_alone(tmp_path, monkeypatch, capsys, command):
    import sqlite3

    from itcap.cli import main
    from itcap.storage import dispose_engines

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("create table invoices (id integer)")
    monkeypatch.setenv("ITCAP_DATABASE_URL", f"sqlite:///{other}")
    assert main(command) == 1
    assert "is not an itcap database (it holds other tables: invoices); nothing was changed" in capsys.readouterr().err
    dispose_engines()
    with sqlite3.connect(other) as connection:
        assert connection.execute("select name from sqlite_master").fetchall() == [("invoices",)]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request, tmp_path, monkeypatch):
    """A database with nothing in it: a zero-byte SQLite file, or a new PostgreSQL database."""
    from itcap.storage import dispose_engines

    if request.param == "sqlite":
        path = tmp_path / "empty.db"
        path.write_bytes(b"")
        monkeypatch.setenv("ITCAP_DATABASE_URL", f"sqlite:///{path}")
        yield f"sqlite:///{path}"
        dispose_engines()
        return
    from tests.conftest import PG_ADMIN_URL
    from tests.support import scratch_pg_database

    if not PG_ADMIN_URL:
        pytest.skip("ITCAP_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    with scratch_pg_database(PG_ADMIN_URL) as url:
        monkeypatch.setenv("ITCAP_DATABASE_URL", url)
        yield url
        dispose_engines()


def test_an_empty_database_is_no_itcap_database_and_a_command_does_not_set_it_up(empty_database, capsys):
    """README: only 'itcap init' and 'itcap demo' create the database; 'campaign list' made the schema
    in an empty PostgreSQL database or a zero-byte file and answered with an empty list."""
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.engine import make_url

    from itcap.cli import main
    from itcap.storage import dispose_engines

    assert main(["campaign", "list"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no itcap database at ") and "(from ITCAP_DATABASE_URL)" in err
    assert ("the file is empty; run 'itcap init'" if empty_database.startswith("sqlite")
            else "the database is empty; run 'itcap init'") in err
    assert make_url(empty_database).password is None or make_url(empty_database).password not in err
    dispose_engines()
    if empty_database.startswith("sqlite"):
        assert os.path.getsize(make_url(empty_database).database) == 0  # not even made a WAL database
    engine = create_engine(empty_database)
    with engine.connect() as connection:
        assert inspect(connection).get_table_names() == []
    engine.dispose()
    assert main(["init"]) == 0  # and init is what sets it up
    capsys.readouterr()
    assert main(["campaign", "list"]) == 0


def test_a_file_that_is_no_database_and_an_unknown_scheme_are_named(tmp_path, monkeypatch, capsys):
    from itcap.cli import main

    junk = tmp_path / "notes.db"
    junk.write_text("these are my notes, not a database\n" * 100)
    monkeypatch.setenv("ITCAP_DATABASE_URL", f"sqlite:///{junk}")
    for argv in (["campaign", "list"], ["init"]):  # not "run 'itcap init'", which fails on it the same way
        assert main(argv) == 1
        assert capsys.readouterr().err == (
            f"error: {junk} is not a SQLite database (file is not a database): point ITCAP_DATABASE_URL at itcap's "
            "database, or move that file away and run 'itcap init' to create a new one there\n")
    monkeypatch.setenv("ITCAP_DATABASE_URL", "foo://bar")
    assert main(["campaign", "list"]) == 1
    assert capsys.readouterr().err.startswith("error: ITCAP_DATABASE_URL: 'foo' is not a database itcap can use")
    # a database SQLAlchemy knows but itcap does not run on: named, not "unexpected failure: ModuleNotFoundError"
    monkeypatch.setenv("ITCAP_DATABASE_URL", "mysql://x@localhost/y")
    for argv in (["campaign", "list"], ["init"]):
        assert main(argv) == 1
        assert capsys.readouterr().err.startswith("error: ITCAP_DATABASE_URL: 'mysql' is not a database itcap can use "
                                                  "(itcap runs on SQLite and PostgreSQL, not mysql); use sqlite:///")
    monkeypatch.setenv("ITCAP_DATABASE_URL", "postgresql+psycopg2://x@localhost/y")
    assert main(["campaign", "list"]) == 1
    assert "(itcap talks to PostgreSQL through psycopg 3, not psycopg2); use sqlite:///path/to/itcap.db or postgresql+psycopg://" in capsys.readouterr().err


def test_a_database_busy_past_the_wait_says_so_not_to_run_init(tmp_path, monkeypatch, capsys):
    """SQLite waits 30 s for a lock, then fails with "database is locked": the message says the
    database is busy (running 'itcap init', as for a missing database, would not help)."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from itcap.cli import campaign_cmd, main

    def busy(args):
        raise OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(campaign_cmd, "_list", busy)
    monkeypatch.setenv("ITCAP_DATABASE_URL", f"sqlite:///{tmp_path / 'itcap.db'}")
    code = main(["campaign", "list"])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: the database is busy") and "itcap init" not in err


@pytest.mark.parametrize("reserved", ["group", "response_id", "Flags"])
def test_an_item_may_not_take_the_name_of_an_export_column(tmp_path, capsys, reserved):
    """Exports and imports have these columns beside the items: an item named so broke both."""
    path = tmp_path / "clash.yaml"
    path.write_text(INSTRUMENT_YAML.replace("id: rel1,", f"id: {reserved},", 1), encoding="utf-8")
    code, _, err = _run(capsys, "survey", "validate", str(path))
    assert code == 1 and f"(id {reserved}) → id: '{reserved}' is the name of a column" in err


def test_a_reader_that_stops_early_is_no_failure(campaign, db_url):
    """`itcap campaign status 1 | head -0`: the command ends quietly when the reader has gone (status
    141, as a process ended by SIGPIPE), not with "unexpected failure: BrokenPipeError"."""
    import os
    import subprocess
    import sys as system

    env = {**os.environ, "ITCAP_DATABASE_URL": db_url}
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the command writes a byte
    try:
        done = subprocess.run([system.executable, "-m", "itcap.cli", "campaign", "status", campaign], stdout=write_end,
                              stderr=subprocess.PIPE, env=env, timeout=60)
    finally:
        os.close(write_end)
    assert done.returncode == 141 and done.stderr == b"", done.stderr


@pytest.mark.parametrize("value", [float("nan"), "0"])
def test_a_bad_min_is_reported_once_not_as_a_missing_min_as_well(tmp_path, capsys, value):
    """A bad value left out for the second look is replaced by its default: the cross-checks must not
    then report the default ("a numeric item needs min and max") as if the file said it."""
    import yaml

    document = yaml.safe_load(default_instrument_path().read_text(encoding="utf-8"))
    item = next(i for s in document["sections"] for i in s["items"] if i.get("type") == "numeric")
    item["min"] = value
    path = tmp_path / "survey.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    code, _, err = _run(capsys, "survey", "validate", str(path))
    assert code == 1 and len(err.strip().splitlines()) == 1 and f"(id {item['id']}) → min: must be a" in err


def test_a_demographic_must_be_a_choice_with_bands(tmp_path, capsys):
    """`demographic: true` on a number kept exact ages in the thresholded export, which coarsens
    demographics by their options only."""
    bad = INSTRUMENT_YAML.replace('min: 0, max: 60, unit: minutes}', 'min: 0, max: 60, unit: minutes, demographic: true}')
    path = tmp_path / "bad.yaml"
    path.write_text(bad, encoding="utf-8")
    code, out, err = _run(capsys, "survey", "validate", str(path))
    assert code == 1 and (f"error: {path}: sections[0] (id services) → items[4] (id logon_minutes) → demographic: "
                          "demographics are coarse — a choice item with bands (e.g. age 16–29, 30–49, 50+), not a numeric item") in err


def test_withdraw_takes_the_links_file_invite_wrote(campaign, tmp_path, capsys):
    out = tmp_path / "links.csv"
    assert _run(capsys, "campaign", "invite", campaign, "--group", "business", "--count", "3", "--out", str(out))[0] == 0
    code, printed, err = _run(capsys, "campaign", "withdraw", campaign, "--links", str(out))
    assert (code, printed, err) == (0, "3 personal links withdrawn (business 3)\n", "")
    code, printed, err = _run(capsys, "campaign", "withdraw", campaign, "--links", str(out))
    assert code == 0 and printed.startswith("0 personal links withdrawn") and "3 links withdrawn before" in err
    code, printed, _ = _run(capsys, "campaign", "status", campaign, "--json", "-")
    assert json.loads(printed)["groups"]["business"]["invited"] == 0
    (tmp_path / "other.txt").write_text("A" * 43 + "\n", encoding="utf-8")  # no link of this campaign
    code, _, err = _run(capsys, "campaign", "withdraw", campaign, "--links", str(tmp_path / "other.txt"))
    assert code == 1 and "none of its 1 link is a personal link of campaign" in err
    (tmp_path / "junk.csv").write_text("email\nann@example.org\n", encoding="utf-8")
    code, _, err = _run(capsys, "campaign", "withdraw", campaign, "--links", str(tmp_path / "junk.csv"))
    assert code == 1 and "no invitation links (…?token=…) found in 2 lines: choose the links file" in err


def test_import_allow_repeats_takes_rows_that_repeat_stored_answers(db_url, tmp_path, capsys):
    from tests.test_survey_import import LONG_HEADER, LONG_SURVEY, _paper_forms

    instrument = tmp_path / "long.yaml"
    instrument.write_text(LONG_SURVEY, encoding="utf-8")
    code, out, _ = _run(capsys, "campaign", "create", "--instrument", str(instrument), "--name", "Paper")
    campaign = out.strip().split()[-1]
    _run(capsys, "campaign", "open", campaign)
    forms = _paper_forms(3, seed=1)
    (tmp_path / "a.csv").write_text(LONG_HEADER + "".join(forms), encoding="utf-8")
    (tmp_path / "b.csv").write_text(LONG_HEADER + forms[0], encoding="utf-8")
    assert _run(capsys, "responses", "import", campaign, str(tmp_path / "a.csv"))[0] == 0
    code, _, err = _run(capsys, "responses", "import", campaign, str(tmp_path / "b.csv"))
    assert code == 1 and "line 2 gives exactly the answers of a response this campaign already holds" in err
    code, out, _ = _run(capsys, "responses", "import", campaign, str(tmp_path / "b.csv"), "--allow-repeats")
    assert code == 0 and out.startswith("imported 1 response into campaign")


def test_a_thresholded_export_before_the_close_says_whether_the_campaign_is_open_or_a_draft(campaign, tmp_path, capsys):
    source = tmp_path / "paper.csv"
    source.write_text("group,rel1,par1\n" + "business,4,3\n" * 3 + "it_staff,2,2\n" * 3, encoding="utf-8")
    assert _run(capsys, "responses", "import", campaign, str(source))[0] == 0  # a draft takes imports
    out_file = str(tmp_path / "t.csv")
    code, out, _ = _run(capsys, "responses", "export", campaign, "--format", "csv", "--out", out_file, "--apply-threshold")
    assert code == 0 and "note: the campaign is a draft, not yet closed (imports may still add to it): two thresholded" in out
    _run(capsys, "campaign", "open", campaign)
    code, out, _ = _run(capsys, "responses", "export", campaign, "--format", "csv", "--out", out_file, "--apply-threshold")
    assert code == 0 and "note: the campaign is still open: two thresholded" in out
    _run(capsys, "campaign", "close", campaign)
    code, out, _ = _run(capsys, "responses", "export", campaign, "--format", "csv", "--out", out_file, "--apply-threshold")
    assert code == 0 and "two thresholded" not in out
