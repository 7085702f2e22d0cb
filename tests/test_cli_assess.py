"""itcap assess reliability | position | export | list: exit codes, JSON documents, bad input."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sqlmodel import select

from assessment import service
from assessment.tables import Rating
from assessment.reliability import intraclass_correlations, krippendorff_alpha
from capability_model.loader import default_model_path, load_model_file
from capability_model.store import save_model
from itcap.cli import main
from itcap.storage import session_scope
from tests.test_assessment_service import MODEL_YAML, _account

SHROUT_FLEISS = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]


def _csv(rows: list[tuple], header: str = "capability_id,assessor,level") -> str:
    return header + "\n" + "".join(",".join("" if v is None else str(v) for v in row) + "\n" for row in rows)


def _long(matrix, assessors=None, capabilities=None) -> list[tuple]:
    assessors = assessors or [f"judge{j}" for j in range(len(matrix[0]))]
    capabilities = capabilities or [f"t{i}" for i in range(len(matrix))]
    return [(capabilities[i], assessors[j], level) for i, row in enumerate(matrix) for j, level in enumerate(row)]


@pytest.fixture
def model_file(tmp_path) -> Path:
    path = tmp_path / "model.yaml"
    path.write_text(MODEL_YAML, encoding="utf-8")
    return path


def run(*argv: str, capsys) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


# -- reliability ----------------------------------------------------------------------------------
def test_reliability_writes_the_contract_document(tmp_path, capsys):
    ratings = tmp_path / "r.csv"
    ratings.write_text(_csv(_long(SHROUT_FLEISS)), encoding="utf-8")
    out = tmp_path / "rel.json"
    code, _, err = run("assess", "reliability", ratings, "--json", out, capsys=capsys)
    assert code == 0, err
    document = json.loads(out.read_text())
    assert list(document) == ["n_capabilities", "n_assessors", "n_capabilities_icc", "icc", "krippendorff_alpha_ordinal"]
    assert (document["n_capabilities"], document["n_assessors"]) == (6, 4)
    expected = intraclass_correlations(np.array(SHROUT_FLEISS, dtype=float))
    assert [e["type"] for e in document["icc"]] == ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"]
    for entry, result in zip(document["icc"], expected):
        assert entry["icc"] == pytest.approx(result.icc) and entry["ci95"] == pytest.approx(list(result.ci95))
    assert [round(e["icc"], 2) for e in document["icc"]] == [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]
    assert document["krippendorff_alpha_ordinal"] == pytest.approx(krippendorff_alpha(np.array(SHROUT_FLEISS, float)).alpha)


def test_reliability_with_missing_ratings_reports_listwise_use_on_stderr(tmp_path, capsys):
    rows = _long([[1, 2, 2], [3, 3, 4], [4, 5, 5], [2, None, 3]])
    ratings = tmp_path / "r.csv"
    ratings.write_text(_csv(rows), encoding="utf-8")
    code, out, err = run("assess", "reliability", ratings, "--json", "-", capsys=capsys)
    assert code == 0
    assert json.loads(out)["n_capabilities"] == 4
    assert "3 of 4 capabilities" in err


def test_a_semicolon_separated_ratings_file_reads_as_its_comma_twin(tmp_path, capsys):
    rows = _long(SHROUT_FLEISS)
    documents = []
    for sep in (",", ";"):
        ratings = tmp_path / f"r{sep}.csv"
        ratings.write_text(_csv(rows).replace(",", sep), encoding="utf-8")
        code, out, err = run("assess", "reliability", ratings, "--json", "-", capsys=capsys)
        assert code == 0, err
        documents.append(json.loads(out))
    assert documents[0] == documents[1]


def test_reliability_of_one_assessor_is_null_with_a_reason(tmp_path, capsys):
    ratings = tmp_path / "r.csv"
    ratings.write_text(_csv([("a", "ann", 2), ("b", "ann", 3)]), encoding="utf-8")
    code, out, err = run("assess", "reliability", ratings, "--json", "-", capsys=capsys)
    document = json.loads(out)
    assert code == 0 and document["krippendorff_alpha_ordinal"] is None
    assert all(entry["icc"] is None and entry["ci95"] is None for entry in document["icc"])
    assert "at least two assessors" in err


# -- position -------------------------------------------------------------------------------------
def test_position_writes_the_contract_document_reproducibly(tmp_path, model_file, capsys):
    rows = _long([[3, 3, 2], [2, 3, 3], [3, 4, 3]], ["ann", "bob", "lena"], ["brm", "arch", "sm"])
    ratings = tmp_path / "r.csv"
    ratings.write_text(_csv(rows), encoding="utf-8")
    code, out, err = run("assess", "position", ratings, "--model", model_file, "--json", "-", "--seed", 5, "--resamples", 300, capsys=capsys)
    assert code == 0, err
    document = json.loads(out)
    assert list(document) == ["position", "confidence", "consensus", "modes"]
    assert document["position"] == "partner"
    assert document["consensus"] == {"brm": 3, "arch": 3, "sm": 3}
    assert [m["id"] for m in document["modes"]] == ["supplier", "partner"]
    assert all(list(m) == ["id", "attainment", "rating", "achieved", "gaps"] for m in document["modes"])
    shuffled = tmp_path / "shuffled.csv"
    shuffled.write_text(_csv(list(reversed(rows))), encoding="utf-8")
    code, again, _ = run("assess", "position", shuffled, "--model", model_file, "--json", "-", "--seed", 5, "--resamples", 300, capsys=capsys)
    assert code == 0 and json.loads(again) == document  # row order does not change the bootstrap


def test_position_counts_unrated_capabilities_as_zero_and_says_so(tmp_path, model_file, capsys):
    ratings = tmp_path / "r.csv"
    ratings.write_text(_csv([("brm", "ann", 3), ("brm", "bob", 3), ("arch", "ann", 3), ("arch", "bob", "")]), encoding="utf-8")
    code, out, err = run("assess", "position", ratings, "--model", model_file, "--json", "-", capsys=capsys)
    document = json.loads(out)
    assert code == 0 and document["consensus"]["sm"] is None and document["position"] == "none"
    assert "sm" in err and "level 0" in err


def test_position_with_overrides(tmp_path, model_file, capsys):
    ratings = tmp_path / "r.csv"
    ratings.write_text(_csv(_long([[3, 3], [3, 3], [1, 1]], ["ann", "bob"], ["brm", "arch", "sm"])), encoding="utf-8")
    overrides = tmp_path / "o.csv"
    overrides.write_text("capability_id,level,rationale\nsm,3,seen the service reviews\n", encoding="utf-8")
    code, out, _ = run("assess", "position", ratings, "--model", model_file, "--json", "-", "--overrides", overrides, capsys=capsys)
    assert code == 0 and json.loads(out)["position"] == "partner" and json.loads(out)["confidence"] == 1.0
    overrides.write_text("capability_id,level\nnope,3\nsm,9\n", encoding="utf-8")
    code, _, err = run("assess", "position", ratings, "--model", model_file, "--json", "-", "--overrides", overrides, capsys=capsys)
    assert code == 1 and "line 2: unknown capability 'nope'" in err and "line 3: level 9 is out of range" in err
    # a rationale over several lines: a problem after it names the line its row starts on
    overrides.write_text('capability_id,level,rationale\nbrm,9,"first line\nsecond line"\nsm,9,x\n', encoding="utf-8")
    code, _, err = run("assess", "position", ratings, "--model", model_file, "--json", "-", "--overrides", overrides, capsys=capsys)
    assert code == 1 and "line 2: level 9 is out of range" in err and "line 4: level 9 is out of range" in err, err
    ratings.write_text('capability_id,assessor,level\nbrm,ann,"3\n"\nbrm,ann,2\n', encoding="utf-8")
    code, _, err = run("assess", "reliability", ratings, "--json", "-", capsys=capsys)
    assert code == 1 and "(first given on line 2)" in err, err
    ratings.write_text(_csv(_long([[3, 3], [3, 3], [1, 1]], ["ann", "bob"], ["brm", "arch", "sm"])), encoding="utf-8")
    # saved by a spreadsheet where ";" separates, as the ratings file may be
    overrides.write_text("capability_id;level;rationale\nsm;3;seen the service reviews\n", encoding="utf-8")
    code, out, err = run("assess", "position", ratings, "--model", model_file, "--json", "-", "--overrides", overrides, capsys=capsys)
    assert code == 0 and json.loads(out)["position"] == "partner", err


def test_position_with_the_shipped_model(tmp_path, capsys):
    model = load_model_file(default_model_path())
    rng = np.random.default_rng(0)
    rows = [(cap, name, int(rng.integers(2, 5))) for cap in model.capability_ids for name in ("ann", "bob", "cy")]
    ratings = tmp_path / "r.csv"
    ratings.write_text(_csv(rows), encoding="utf-8")
    code, out, err = run("assess", "position", ratings, "--model", default_model_path(), "--json", "-", capsys=capsys)
    assert code == 0, err
    document = json.loads(out)
    assert set(document["consensus"]) == set(model.capability_ids)
    assert document["position"] in {"none", *[m.id for m in model.modes]}


# -- bad input ------------------------------------------------------------------------------------
BAD_INPUT = [
    ("unknown capability", _csv([("brm", "ann", 2), ("brmm", "ann", 3)]), True, "line 3: unknown capability 'brmm': not in model 'svc-model' (did you mean 'brm'?)"),
    ("non-numeric level", _csv([("brm", "ann", 2), ("arch", "ann", "three")]), False, "line 3: level 'three' is not a number"),
    ("fractional level", _csv([("brm", "ann", "2.5")]), False, "line 2: level '2.5' is not a whole number"),
    ("out of range for the model", _csv([("brm", "ann", 2), ("sm", "bob", 6)]), True, "line 3: level 6 is out of range; levels run from 1 to 5"),
    ("out of range without a model", _csv([("brm", "ann", 11)]), False, "line 2: level 11 is out of range; levels run from 0 to 10"),
    ("negative level", _csv([("brm", "ann", -1)]), False, "line 2: level -1 is out of range"),
    ("duplicate row", _csv([("brm", "ann", 2), ("arch", "ann", 3), ("brm", "ann", 4)]), False,
     "line 4: duplicate rating of capability 'brm' by assessor 'ann' (first given on line 2)"),
    ("missing column", "capability_id,assessor\nbrm,ann\n", False, "line 1: missing column level"),
    ("wrong header", "cap,who,score\nbrm,ann,2\n", False, "line 1: missing columns capability_id, assessor, level"),
    ("header only", "capability_id,assessor,level\n", False, "no ratings"),
    ("every level blank", "capability_id,assessor,level\nbrm,ann,\narch,ben,\n", False, "no ratings: every level is blank"),
    ("wrong field count", _csv([("brm", "ann", 2)]) + "arch,ann,3,extra\n", False, "line 3: expected 3 fields as in the header, found 4"),
    ("blank assessor", _csv([("brm", "", 2)]), False, "line 2: assessor is blank"),
    ("blank capability", _csv([("", "ann", 2)]), False, "line 2: capability_id is blank"),
]


@pytest.mark.parametrize("command", ["reliability", "position"])
@pytest.mark.parametrize("label, text, needs_model, message", BAD_INPUT, ids=[case[0] for case in BAD_INPUT])
def test_bad_ratings_files_give_a_specific_error_with_the_line(tmp_path, model_file, capsys, command, label, text, needs_model, message):
    if command == "position" and "without a model" in label:
        message = "line 2: level 11 is out of range; levels run from 1 to 5"
    ratings = tmp_path / "bad.csv"
    ratings.write_text(text, encoding="utf-8")
    out = tmp_path / "out.json"
    # reliability takes --model optionally; without it any capability id and levels 0–10 are accepted
    extra = ["--model", model_file] if command == "position" or needs_model else []
    code, _, err = run("assess", command, ratings, *extra, "--json", out, capsys=capsys)
    assert code == 1
    assert message in err
    assert all(line.startswith("error: ") for line in err.strip().splitlines())
    assert not out.exists()


def test_reliability_with_a_model_checks_capabilities(tmp_path, model_file, capsys):
    ratings = tmp_path / "r.csv"
    ratings.write_text(_csv([("brm", "ann", 2), ("nope", "ann", 3)]), encoding="utf-8")
    code, _, err = run("assess", "reliability", ratings, "--model", model_file, "--json", "-", capsys=capsys)
    assert code == 1 and "line 3: unknown capability 'nope'" in err


@pytest.mark.parametrize("raw, message", [
    (b"", "the file is empty"),
    (b"  \n\n", "the file is empty"),
    (b"capability_id,assessor,level\nbrm,ann,2\nbrm,Jos\xe9,3\n", "line 3: not UTF-8 text"),
    ("capability_id,assessor,level\nbrm,ann,2\n".encode("utf-16"), "UTF-16"),
    (b"capability_id,assessor,level\nbrm,a\x00nn,2\n", "line 2: contains a NUL character"),
])
def test_empty_and_wrongly_encoded_files(tmp_path, model_file, capsys, raw, message):
    ratings = tmp_path / "bad.csv"
    ratings.write_bytes(raw)
    for extra in ([], ["--model", model_file]):
        command = "position" if extra else "reliability"
        code, _, err = run("assess", command, ratings, *extra, "--json", tmp_path / "o.json", capsys=capsys)
        assert code == 1 and message in err


def test_bom_is_accepted_and_missing_file_is_an_error(tmp_path, capsys):
    ratings = tmp_path / "bom.csv"
    ratings.write_bytes(b"\xef\xbb\xbf" + _csv(_long(SHROUT_FLEISS)).encode())
    code, _, _ = run("assess", "reliability", ratings, "--json", "-", capsys=capsys)
    assert code == 0
    code, _, err = run("assess", "reliability", tmp_path / "nope.csv", "--json", "-", capsys=capsys)
    assert code == 1 and "file not found" in err


@pytest.mark.parametrize("argv", [
    ["assess", "reliability"],  # the ratings file is required (--json is not: stdout by default)
    ["assess", "position", "r.csv", "--json", "-"],  # --model is required
    ["assess", "position", "r.csv", "--model", "m.yaml", "--json", "-", "--resamples", "0"],
    ["assess", "position", "r.csv", "--model", "m.yaml", "--json", "-", "--seed", "x"],
    ["assess", "export", "abc", "--out", "x.csv"],
    ["assess"],
])
def test_usage_errors_exit_2(argv, capsys):
    code, _, _ = run(*argv, capsys=capsys)
    assert code == 2


def test_bad_model_file_is_exit_1(tmp_path, capsys):
    ratings = tmp_path / "r.csv"
    ratings.write_text(_csv([("brm", "ann", 2)]), encoding="utf-8")
    model = tmp_path / "m.yaml"
    model.write_text("id: [unclosed", encoding="utf-8")
    code, _, err = run("assess", "position", ratings, "--model", model, "--json", "-", capsys=capsys)
    assert code == 1 and "not valid YAML" in err


def test_the_real_command_never_prints_a_traceback(tmp_path):
    ratings = tmp_path / "bad.csv"
    ratings.write_bytes(b"capability_id,assessor,level\nbrm,ann,x\n")
    done = subprocess.run([sys.executable, "-m", "itcap.cli", "assess", "reliability", str(ratings), "--json", "-"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "line 2: level 'x' is not a number" in done.stderr


# -- export and list: the app's figures reproduced from the command line ---------------------------
def test_export_then_position_reproduces_the_stored_assessment(db_url, tmp_path, model_file, capsys):
    with session_scope(db_url) as session:
        model_id = save_model(session, MODEL_YAML, actor="test").id
        admin = _account(session, "admin", "admin")
        lead = _account(session, "zoe", "lead_assessor assessor")
        people = [_account(session, name, "assessor") for name in ("bob", "ann", "cy")]
        assessment = service.create_assessment(session, name="Review", org_unit="IT", model_id=model_id,
                                               assessed_on=dt.date(2026, 5, 1), assessor_ids=[p.id for p in people],
                                               lead_id=lead.id, actor=admin)
        levels = {"bob": [3, 2, 4], "ann": [2, None, 3], "cy": [4, 3, 1], "zoe": [3, 3, None]}
        for person in [*people, lead]:
            for capability, level in zip(["brm", "arch", "sm"], levels[person.username]):
                service.save_rating(session, assessment.id, person, capability, level, evidence="<b>seen</b>, \"quoted\"")
        service.override_consensus(session, assessment.id, "sm", 2, "Evidence from the service reviews.", actor=lead)
        assessment_id = assessment.id
    with session_scope(db_url) as session:
        expected = service.assessment_position(session, assessment_id, seed=9, resamples=500).to_json()
        expected_reliability = service.assessment_reliability(session, assessment_id).to_json()

    ratings, overrides = tmp_path / "ratings.csv", tmp_path / "overrides.csv"
    code, out, err = run("assess", "export", assessment_id, "--out", ratings, "--overrides", overrides, capsys=capsys)
    assert code == 0, err
    assert out.strip() == f"10 ratings and 2 not rated (blank) written to {ratings}; also written: {overrides}"
    assert ratings.read_text().splitlines()[:3] == ["capability_id,assessor,level", "brm,ann,2", "brm,bob,3"]
    assert "arch,ann," in ratings.read_text()  # not rated stays blank
    assert overrides.read_text().splitlines()[1].startswith("sm,2,Evidence from the service reviews.,zoe,")
    code, out, _ = run("assess", "position", ratings, "--model", model_file, "--overrides", overrides,
                       "--seed", 9, "--resamples", 500, "--json", "-", capsys=capsys)
    assert code == 0 and json.loads(out) == json.loads(json.dumps(expected))
    code, out, _ = run("assess", "reliability", ratings, "--json", "-", capsys=capsys)
    assert code == 0 and json.loads(out) == json.loads(json.dumps(expected_reliability).replace("NaN", "null"))

    # a capability nobody has rated yet counts in the app's figures: in the file's too (a blank row each)
    with session_scope(db_url) as session:
        for rating in session.exec(select(Rating).where(Rating.assessment_id == assessment_id, Rating.capability_id == "arch")):
            session.delete(rating)
    with session_scope(db_url) as session:
        app = service.assessment_reliability(session, assessment_id)
    assert app.n_capabilities == 3
    code, _, _ = run("assess", "export", assessment_id, "--out", tmp_path / "again.csv", capsys=capsys)
    code, out, err = run("assess", "reliability", tmp_path / "again.csv", "--json", "-", capsys=capsys)
    assert code == 0 and json.loads(out) == json.loads(json.dumps(app.to_json()).replace("NaN", "null"))
    assert [line.removeprefix("note: ") for line in err.splitlines()] == app.notes

    code, out, _ = run("assess", "list", capsys=capsys)
    assert code == 0 and out.splitlines() == ["id\tdate\tstatus\tname\tunit\tmodel\tsubmitted\tlead assessor",
                                              f"{assessment_id}\t2026-05-01\topen\tReview\tIT\tsvc-model v1\t0/4 submitted\tzoe"]
    code, _, err = run("assess", "export", 999, "--out", tmp_path / "x.csv", capsys=capsys)
    assert code == 1 and "no assessment with id 999" in err
    # both files or neither: a place the overrides cannot go leaves no ratings file behind, and the other way round
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    for out, over in ((tmp_path / "r2.csv", blocked / "o.csv"), (blocked / "r.csv", tmp_path / "o2.csv")):
        code, _, err = run("assess", "export", assessment_id, "--out", out, "--overrides", over, capsys=capsys)
        assert code == 1 and "cannot write" in err
        assert not (tmp_path / "r2.csv").exists() and not (tmp_path / "o2.csv").exists()


def test_export_refuses_two_outputs_on_one_file(db_url, tmp_path, capsys, monkeypatch):
    """`--out e.csv --overrides e.csv` wrote the ratings over the overrides, and said both were written."""
    monkeypatch.chdir(tmp_path)
    for extra, option in ((["--overrides", "e.csv"], "--overrides"), (["--model", "./e.csv"], "--model"),
                          (["--overrides", "o.csv", "--model", "o.csv"], "--model")):
        code, out, err = run("assess", "export", 1, "--out", "e.csv", *extra, capsys=capsys)
        taken = "--overrides" if extra[-1] == "o.csv" else "--out"
        assert (code, out, err) == (1, "", f"error: {option} {extra[-1]}: name a file of its own (not the {taken} file)\n")
    code, out, err = run("assess", "export", 1, "--out", "-", "--model", "-", capsys=capsys)
    assert (code, err) == (1, "error: --model -: name a file of its own (not the --out file, which is stdout)\n")
    assert list(tmp_path.glob("*.csv")) == []


def test_model_validate_reports_unknown_fields_and_the_problems_behind_them_in_one_run(tmp_path, capsys):
    """A misspelt field used to hide every other problem until it was fixed: one kind per run."""
    import yaml

    from itcap.cli import main

    document = yaml.safe_load(Path("data/itil_aligned_model.yaml").read_text(encoding="utf-8"))
    first, second = document["capabilities"][0]["id"], document["capabilities"][1]["id"]
    document["capabilities"][0]["colour"] = "red"
    document["modes"][0]["targets"][second] = 9
    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    assert main(["model", "validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"capabilities[0] (id {first}) → colour: unknown field" in err
    assert f"targets → {second}: target 9 is not one of the model's levels" in err


@pytest.mark.parametrize("weight", [float("nan"), float("inf"), "heavy"])
def test_model_validate_reports_a_bad_value_and_the_cross_reference_problems_in_one_run(tmp_path, capsys, weight):
    import yaml

    from itcap.cli import main

    document = yaml.safe_load(Path("data/itil_aligned_model.yaml").read_text(encoding="utf-8"))
    first, second = document["capabilities"][0]["id"], document["capabilities"][1]["id"]
    document["capabilities"][0]["weight"] = weight
    document["capabilities"][1]["domain"] = "nowhere"
    document["modes"][0]["targets"]["ghost"] = 3
    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    assert main(["model", "validate", str(path)]) == 1
    err = capsys.readouterr().err
    said = f"must be a finite number, not {weight!r}" if isinstance(weight, float) else "must be a number, not 'heavy'"
    assert f"capabilities[0] (id {first}) → weight: {said}" in err
    assert f"capabilities[1] (id {second}) → domain: unknown domain 'nowhere'" in err
    assert "targets → ghost: unknown capability 'ghost'" in err
    assert "Field required" not in err  # the bad weight left out for the second look is not reported missing


def test_a_model_of_thousands_of_domains_is_refused_in_a_few_lines(tmp_path, capsys):
    """20,000 domains and capabilities pointing at an unknown one gave 500 messages each listing
    every known domain (74 MB of text); an empty domain passed and drew an empty table."""
    import yaml

    from itcap.cli import main

    document = yaml.safe_load(Path("data/itil_aligned_model.yaml").read_text(encoding="utf-8"))
    document["domains"] += [{"id": f"d{n}", "name": f"Domain {n}"} for n in range(20_000)]
    document["capabilities"][0]["domain"] = "nowhere"
    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    assert main(["model", "validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "domains: 20,006 of them; at most 100" in err, err[:500]
    assert len(err) < 20_000

    document = yaml.safe_load(Path("data/itil_aligned_model.yaml").read_text(encoding="utf-8"))
    document["domains"].append({"id": "spare", "name": "Nothing in it"})
    document["domains"] += [{"id": f"d{n}", "name": f"Domain {n}"} for n in range(20)]
    document["capabilities"][0]["domain"] = "nowhere"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    assert main(["model", "validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "(id spare): no capability is in this domain; give it capabilities or leave it out" in err
    # a model stored before these checks keeps opening for its assessments
    from capability_model.loader import parse_stored_model

    document = yaml.safe_load(Path("data/itil_aligned_model.yaml").read_text(encoding="utf-8"))
    document["domains"] += [{"id": f"d{n}", "name": f"Domain {n}"} for n in range(150)]
    assert len(parse_stored_model(yaml.safe_dump(document, sort_keys=False)).domains) == 156
    [unknown] = [line for line in err.splitlines() if "unknown domain 'nowhere'" in line]
    assert "… (27 in all)" in unknown and "d19" not in unknown


def test_a_misspelt_id_is_said_at_its_own_line_with_the_id_it_is_close_to(tmp_path, capsys):
    """'servce_desk: 3' in a mode's targets was said at the line of 'targets:', eight lines up, with no
    hint of the id meant; a misspelt domain or category named every known id but not the close one."""
    text = Path("data/itil_aligned_model.yaml").read_text(encoding="utf-8")
    text = text.replace("      service_desk: 3\n", "      servce_desk: 3\n", 1)
    text = text.replace("    domain: service_operations\n", "    domain: service_operation\n", 1)
    text = text.replace("    category: finance\n", "    category: Finanse\n", 1)
    lines = text.splitlines()
    typo, domain, category = (lines.index(line) + 1 for line in ("      servce_desk: 3", "    domain: service_operation",
                                                                 "    category: Finanse"))
    path = tmp_path / "model.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["model", "validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert (f"{path}: modes[0] (id supplier) → targets → servce_desk: unknown capability 'servce_desk' "
            f"(did you mean 'service_desk'?) (line {typo})") in err, err
    assert "unknown domain 'service_operation'; known: " in err
    assert f"(did you mean 'service_operations'?) (line {domain})" in err
    assert f"(did you mean 'finance'?) (line {category})" in err
    # nothing close: no suggestion
    path.write_text(text.replace("      servce_desk: 3\n", "      quantum_computing: 3\n", 1), encoding="utf-8")
    assert main(["model", "validate", str(path)]) == 1
    [unknown] = [line for line in capsys.readouterr().err.splitlines() if "quantum_computing" in line]
    assert unknown.endswith(f"unknown capability 'quantum_computing' (line {typo})")


@pytest.mark.parametrize(("written", "advice"), [("1e3", "write 1000, without quotes"), ("'2'", "write 2, without quotes")])
def test_a_number_yaml_reads_as_text_says_how_to_write_it(tmp_path, capsys, written, advice):
    """'weight: 1e3' said only "must be a number, not '1e3'": YAML 1.1 reads it as text."""
    from itcap.cli import main

    text = Path("data/itil_aligned_model.yaml").read_text(encoding="utf-8")
    path = tmp_path / "model.yaml"
    path.write_text(text.replace("weight: 1.5", f"weight: {written}", 1), encoding="utf-8")
    assert main(["model", "validate", str(path)]) == 1
    assert f"as text: {advice})" in capsys.readouterr().err


@pytest.mark.parametrize(("written", "hint"), [
    ("1.10", "not 1.1 (YAML reads 1.10 as a number: write it in quotes, '1.10')"),
    ("2.0", "not 2.0 (YAML reads 2.0 as a number: write it in quotes, '2.0')"),
    ("1.0e+3", "not 1000.0 (YAML reads 1.0e+3 as a number: write it in quotes, '1.0e+3')"),
    ("010", "not 8 (YAML reads 010 as a number: write it in quotes, '010')"),
    ("yes", "not True (YAML reads yes as true or false: write it in quotes, 'yes')"),
])
def test_a_version_yaml_reads_as_a_number_is_quoted_as_written(tmp_path, capsys, written, hint):
    """'version: 1.10' was told to write '1.1' — another version than the one meant."""
    text = Path("data/itil_aligned_model.yaml").read_text(encoding="utf-8")
    assert 'version: "1.0"\n' in text
    text = text.replace('version: "1.0"\n', f"version: {written}\n", 1)
    text = text.replace("  - level: 2\n    name: Repeatable\n", f"  - level: 2\n    name: {written}\n", 1)  # in a list too
    path = tmp_path / "model.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["model", "validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}: version: must be text, {hint} (line 39)" in err, err
    assert f"{path}: levels[1] → name: must be text, {hint} (line 56)" in err, err


def test_a_version_yaml_reads_as_text_needs_no_quotes(tmp_path, capsys):
    """1e3 is text to YAML 1.1 (a number needs a dot and a signed exponent): the version as written."""
    text = Path("data/itil_aligned_model.yaml").read_text(encoding="utf-8").replace('version: "1.0"\n', "version: 1e3\n", 1)
    path = tmp_path / "model.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["model", "validate", str(path)]) == 0
    assert "(v1e3)" in capsys.readouterr().out


def test_a_bad_top_level_value_or_a_bad_weight_no_longer_hides_the_rest(tmp_path, capsys):
    """An unquoted ``version: 1.0`` hid an unknown domain, a misspelt target and a target of 7 until
    fixed ("1 problem"); a bad weight hid its own capability's unknown domain."""
    import yaml

    from itcap.cli import main

    document = yaml.safe_load(Path("data/itil_aligned_model.yaml").read_text(encoding="utf-8"))
    first, second = document["capabilities"][0]["id"], document["capabilities"][1]["id"]
    document["version"] = 1.0
    document["capabilities"][0].update(weight=-1.5, domain="strategy_relationship")
    document["modes"][0]["targets"][second] = 7
    document["modes"][1]["targets"]["ghost"] = 3
    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    assert main(["model", "validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "version: must be text, not 1.0" in err
    assert f"capabilities[0] (id {first}) → weight: must be greater than 0, not -1.5" in err
    assert f"capabilities[0] (id {first}) → domain: unknown domain 'strategy_relationship'" in err
    assert f"targets → {second}: target 7 is not one of the model's levels" in err
    assert "targets → ghost: unknown capability 'ghost'" in err
    assert len(err.strip().splitlines()) == 5, err


@pytest.mark.parametrize(("value", "message"), [(True, "must be a whole number, not True"), ("3", "must be a whole number, not '3'"),
                                                (2.5, "must be a whole number, not 2.5")])
def test_a_target_must_be_a_whole_number_not_something_yaml_turns_into_one(tmp_path, capsys, value, message):
    import yaml

    from itcap.cli import main

    document = yaml.safe_load(Path("data/itil_aligned_model.yaml").read_text(encoding="utf-8"))
    capability = document["capabilities"][1]["id"]
    document["modes"][0]["targets"][capability] = value
    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    assert main(["model", "validate", str(path)]) == 1
    assert f"targets → {capability}: {message}" in capsys.readouterr().err


def _shipped_model_changed(change) -> dict:
    import yaml

    document = yaml.safe_load(Path("data/itil_aligned_model.yaml").read_text(encoding="utf-8"))
    change(document)
    return document


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.update(version=1.0), "version: must be text, not 1.0 (YAML reads 1.0 as a number: write it in quotes, '1.0') (line 3)"),
    (lambda d: d.update(levels=d["levels"][:2]), "levels: needs at least 3 entries, has 2 (line "),
    (lambda d: d.update(name=""), "name: must not be empty (line 2)"),
    (lambda d: d["capabilities"][0].update(weight=0), "capabilities[0] (id business_relationship_management) → weight: must be "
                                                      "greater than 0, not 0 (line "),
    (lambda d: d["modes"][1]["targets"].update(business_relationship_management=1),
     "modes[1] (id business_partner) → targets → business_relationship_management: target 1 is below the lower mode "
     "supplier's target 2 (line "),
])
def test_model_problems_are_said_in_the_model_s_own_words_with_their_line(tmp_path, capsys, change, message):
    """Not the schema library's "Input should be a valid string": what to write instead, and where."""
    import yaml

    from itcap.cli import main

    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(_shipped_model_changed(change), sort_keys=False), encoding="utf-8")
    assert main(["model", "validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}: {message}" in err, err
    assert "Input should" not in err and "List should" not in err


def test_lists_on_an_empty_database_say_what_to_do_on_stderr_and_keep_stdout_a_table(db_url, capsys):
    code, out, err = run("assess", "list", capsys=capsys)
    assert code == 0 and out == "id\tdate\tstatus\tname\tunit\tmodel\tsubmitted\tlead assessor\n"
    assert err.startswith("no assessments yet: ") and "itcap demo" in err
    code, out, err = run("campaign", "list", capsys=capsys)
    assert code == 0 and out.count("\n") == 1 and err.startswith("no campaigns yet: ")
