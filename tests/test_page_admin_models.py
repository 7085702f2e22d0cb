"""AppTest: Models & instruments — lists, upload (check only / check and store) with every validator
problem shown inline and nothing stored, previews, the stored YAML for download."""

from __future__ import annotations

import shutil

import pytest

from capability_model.store import list_models
from itcap import audit
from itcap.storage import dispose_engines, session_scope
from surveys.store import list_instruments
from tests import download_capture
from tests.builders import people
from tests.support import ROOT, app_test, database_copy

downloads = download_capture.downloads  # fixture: what the download buttons serve
PAGE = "pages/admin_models.py"
COBIT = (ROOT / "docs" / "examples" / "cobit_style_model.yaml").read_bytes()
INSTRUMENT = (ROOT / "data" / "it_perception_survey.yaml").read_bytes()
YAML = "application/x-yaml"


@pytest.fixture(scope="module")
def populated(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("admin-models") / "itcap.db"
    shutil.copyfile(sqlite_template, path)
    ids = people(f"sqlite:///{path}")
    dispose_engines()
    return path, ids


@pytest.fixture
def setup(populated, tmp_path, monkeypatch):
    path, ids = populated
    with database_copy(path, tmp_path, monkeypatch) as url:
        yield {"url": url, **ids}


def _stored(setup) -> tuple[list[str], list[str]]:
    with session_scope(setup["url"]) as session:
        return ([f"{r.key} v{r.version}" for r in list_models(session)],
                [f"{r.key} v{r.version}" for r in list_instruments(session)])


def _upload(setup, name: str, raw: bytes, *, kind: str = "model", store: bool):
    at = app_test(setup["admin"], page=PAGE).run()
    at.radio(key="models_kind").set_value(kind)
    at.file_uploader[0].upload(name, raw, YAML).run()  # as a browser reruns on an upload: the buttons wake up
    at.button(key="models_store" if store else "models_check").click().run()
    assert not at.exception
    return at


def test_check_only_of_a_file_already_stored_says_so_rather_than_inviting_a_store(setup):
    _upload(setup, "cobit.yaml", COBIT, store=True)
    at = _upload(setup, "cobit.yaml", COBIT, store=False)
    assert not at.error and not at.success
    assert any("`cobit-style-example` version 0.1 is already stored with exactly this content" in i.value for i in at.info)


def test_the_buttons_wait_for_a_file(setup):
    at = app_test(setup["admin"], page=PAGE).run()
    assert at.button(key="models_check").disabled and at.button(key="models_store").disabled
    at.file_uploader[0].upload("cobit.yaml", COBIT, YAML).run()
    assert not at.button(key="models_check").disabled and not at.button(key="models_store").disabled


def test_lists_the_stored_models_and_instruments(setup):
    at = app_test(setup["admin"], page=PAGE).run()
    assert not at.exception
    models, instruments = at.dataframe[0].value, at.dataframe[1].value
    assert list(models.columns) == ["Id", "Key", "Version", "Name", "Assessments", "Loaded", "By"]
    assert models.iloc[0][["Key", "Version", "Assessments", "By"]].tolist() == ["itil-aligned", "1.0", 0, "system"]
    assert instruments.iloc[0][["Key", "Version", "Campaigns"]].tolist() == ["it_perception", "1.2", 0]


BROKEN_MODEL = b"""\
id: broken
name: Broken model
levels:
  - {level: 1, name: Initial}
  - {level: 2, name: Repeatable}
  - {level: 3, name: Defined}
domains:
  - {id: core, name: Core}
capabilities:
  - id: brm
    name: Relationship management
    domain: core
    category: business_alignment
    levels: {1: a, 2: b}
  - id: brm
    name: Duplicate
    domain: nowhere
    category: business_alignment
    levels: {1: a, 2: b, 3: c}
modes:
  - id: supplier
    name: Supplier
    order: 1
    targets: {brm: 2, ghost: 3}
"""


def test_a_broken_model_upload_lists_every_problem_inline_and_stores_nothing(setup):
    before = _stored(setup)
    at = _upload(setup, "broken.yaml", BROKEN_MODEL, store=True)
    assert len(at.error) == 1
    message = at.error[0].value
    assert message.startswith("**broken.yaml** is not a valid capability model:") and "nothing was stored" in message
    for expected in ("capabilities: id 'brm' is used more than once",
                     "capabilities[1] (id brm) → domain: unknown domain 'nowhere'",
                     "capabilities[0] (id brm) → levels: no descriptor for level 3",
                     "modes[0] (id supplier) → targets → ghost: unknown capability 'ghost'"):
        assert expected in message, expected
    assert all(line.startswith("- `broken.yaml: ") for line in message.split("\n\n", 1)[1].splitlines())
    assert _stored(setup) == before
    assert not any(e.action == "model.load" and "broken" in e.detail for e in _audit(setup))


def _audit(setup):
    with session_scope(setup["url"]) as session:
        return audit.recent(session)


@pytest.mark.parametrize("raw, expected", [
    (b"", "empty.yaml: the file is empty"),
    (b"id: [unclosed\n", "empty.yaml: line 2, column 1: not valid YAML"),
    (b"- just\n- a list\n", "empty.yaml: expected a YAML mapping at the top level, found list"),
    ("name: Caf\u00e9\n".encode("latin-1"), "empty.yaml: line 1: not UTF-8 text (byte 0xe9)"),
    (b"x: " + b"a" * (3 * 1024 * 1024), "empty.yaml: file is 3.0 MB, over the limit of 2 MB"),
    (b"x: " + b"a" * (2 * 1024 * 1024 - 2), "empty.yaml: file is 2,097,153 bytes, over the limit of 2 MB (2,097,152 bytes)"),
])
def test_unreadable_files_get_a_specific_error(setup, raw, expected):
    at = _upload(setup, "empty.yaml", raw, store=False)
    assert len(at.error) == 1 and expected in at.error[0].value


def test_an_instrument_uploaded_as_a_model_is_recognised(setup):
    at = _upload(setup, "survey.yaml", INSTRUMENT, kind="model", store=True)
    assert [e.value for e in at.error] == [
        "**survey.yaml** is not a valid capability model: it is a survey instrument. Nothing was stored."]
    shown = [m.value for kind in ("error", "info", "markdown", "caption") for m in getattr(at, kind)]
    assert not any("itcap survey validate" in text for text in shown)  # a command line is no help on this page
    assert any("valid **survey instrument**" in i.value for i in at.info)


def test_an_instrument_uploaded_as_a_model_is_stored_as_an_instrument_with_one_click(setup):
    """It was "choose 'Survey instrument' above and upload it again": the file is already here."""
    raw = INSTRUMENT.replace(b'version: "1.2"', b'version: "1.4"')
    before = _stored(setup)
    at = _upload(setup, "survey.yaml", raw, kind="model", store=True)
    assert _stored(setup) == before  # nothing stored as what the admin did not choose
    assert not any("above and upload it again" in i.value for i in at.info)
    button = at.button(key="models_other_kind")
    assert button.label == "Check and store it as a survey instrument"
    button.click().run()
    assert not at.exception and not at.error
    assert any("Stored `it_perception` version 1.4 as survey instrument" in s.value for s in at.success)
    assert _stored(setup) == (before[0], [*before[1], "it_perception v1.4"])
    assert at.radio(key="models_kind").value == "instrument"  # the choice above says what the file was taken for
    assert any(e.action == "instrument.load" and e.actor == "admin" and "it_perception v1.4" in e.detail for e in _audit(setup))


def test_a_model_checked_as_an_instrument_is_checked_as_a_model_with_one_click(setup):
    before = _stored(setup)
    at = _upload(setup, "cobit.yaml", COBIT, kind="instrument", store=False)
    assert [e.value for e in at.error] == [
        "**cobit.yaml** is not a valid survey instrument: it is a capability model. Nothing was stored."]
    button = at.button(key="models_other_kind")
    assert button.label == "Check it as a capability model"
    button.click().run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == [
        "**cobit.yaml** is a valid capability model. Nothing was stored: press *Check and store* to keep it."]
    assert at.radio(key="models_kind").value == "model"
    assert _stored(setup) == before  # "Check only" stays a check
    at.button(key="models_store").click().run()  # and the next press stores it as the model it is
    assert "cobit-style-example v0.1" in _stored(setup)[0]


def test_check_only_validates_and_previews_without_storing(setup):
    before = _stored(setup)
    at = _upload(setup, "cobit.yaml", COBIT, store=False)
    assert not at.error
    assert [s.value for s in at.success] == [
        "**cobit.yaml** is a valid capability model. Nothing was stored: press *Check and store* to keep it."]
    assert _stored(setup) == before
    preview = " ".join(m.value for m in at.markdown)
    assert "**COBIT-style example model** · `cobit-style-example` version 0.1 · 8 capabilities in 3 domains" in preview


def test_check_only_shows_the_level_descriptors_as_assessors_read_them_and_points_out_markup(setup):
    marked = COBIT.replace(b"0: No one can describe how technology decisions are made.",
                           b"0: <b>No one</b> can describe how technology decisions are made.")
    at = _upload(setup, "cobit.yaml", marked, store=False)
    (note,) = [i.value for i in at.info if "HTML tags" in i.value]
    assert note.startswith("1 text holds HTML tags (GOV-01 → level 0): assessors see them as typed")
    choice = at.selectbox(key="upload_preview_descriptor_capability")
    assert choice.value == "GOV-01"
    shown = next(m.value for m in at.markdown if "\\<b>No one" in m.value)
    assert shown.endswith("— \\<b>No one\\</b> can describe how technology decisions are made.")  # escaped: shown as typed
    choice.set_value("GOV-02").run()
    assert not any("\\<b>No one" in m.value for m in at.markdown)  # GOV-01's descriptors are gone
    clean = _upload(setup, "cobit.yaml", COBIT, store=False)
    assert not any("HTML tags" in i.value for i in clean.info)


def test_check_and_store_keeps_the_model_once_and_audits_who(setup):
    at = _upload(setup, "cobit.yaml", COBIT, store=True)
    assert not at.error
    assert any("Stored `cobit-style-example` version 0.1" in s.value for s in at.success)
    assert "cobit-style-example v0.1" in _stored(setup)[0]
    entry = next(e for e in _audit(setup) if e.action == "model.load" and "cobit" in e.detail)
    assert entry.actor == "admin"
    # The new model is listed (the run after the callback already shows it).
    assert "cobit-style-example" in at.dataframe[0].value["Key"].tolist()
    # The same file again changes nothing; the same version with other content is refused.
    again = _upload(setup, "cobit.yaml", COBIT, store=True)
    assert any("already stored with exactly this content" in i.value for i in again.info)
    changed = _upload(setup, "cobit.yaml", COBIT.replace(b"COBIT-style example model", b"Renamed model"), store=True)
    assert changed.error and "already loaded with different content; change 'version'" in changed.error[0].value
    # the file is valid: what stops it is the version it claims, not a problem in the file
    assert "is a valid capability model, but it cannot be stored as it is" in changed.error[0].value
    assert "not a valid" not in changed.error[0].value
    assert _stored(setup)[0].count("cobit-style-example v0.1") == 1
    # "Check only" says so too: it called the file valid, and storing it then failed
    checked = _upload(setup, "cobit.yaml", COBIT.replace(b"COBIT-style example model", b"Renamed model"), store=False)
    assert not checked.success and "already loaded with different content; change 'version'" in checked.error[0].value
    assert "not a valid" not in checked.error[0].value
    same = INSTRUMENT.replace(b"IT perception survey", b"Renamed survey", 1)
    checked = _upload(setup, "survey.yaml", same, kind="instrument", store=False)
    assert same != INSTRUMENT and "instrument 'it_perception' version '1.2' is already loaded with different content" in checked.error[0].value


def test_store_an_instrument_with_a_new_version(setup):
    raw = INSTRUMENT.replace(b'version: "1.2"', b'version: "1.3"')
    at = _upload(setup, "survey-1.3.yaml", raw, kind="instrument", store=True)
    assert not at.error
    assert "it_perception v1.3" in _stored(setup)[1]
    assert any("It can now be chosen for new campaigns" in s.value for s in at.success)


def test_a_scale_tag_no_model_here_has_is_warned_with_its_line_and_the_instrument_still_stored(setup):
    raw = INSTRUMENT.replace(b'version: "1.2"', b'version: "1.4"').replace(b"mode: supplier", b"mode: suplier", 1)
    line = raw[: raw.index(b"mode: suplier")].count(b"\n") + 1
    at = _upload(setup, "survey-1.4.yaml", raw, kind="instrument", store=True)
    assert not at.error and "it_perception v1.4" in _stored(setup)[1]
    [warning] = at.warning
    assert "1 scale tag no capability model here has" in warning.value
    assert ("mode: 'suplier' is not an operating mode of ITIL-aligned IT capability model (supplier, business_partner, "
            "business_leader) (did you mean 'supplier'?)") in warning.value and f"(line {line})" in warning.value
    assert not _upload(setup, "survey.yaml", INSTRUMENT, kind="instrument", store=False).warning
    # the modes of every stored model count: once the COBIT-style model is stored, its mode is no typo
    cobit_tagged = INSTRUMENT.replace(b"mode: supplier", b"mode: compliant", 1)  # (its version taken: refused, and warned)
    assert "'compliant' is not an operating mode" in _upload(setup, "survey.yaml", cobit_tagged, kind="instrument",
                                                            store=False).warning[0].value
    _upload(setup, "cobit.yaml", COBIT, store=True)
    assert not _upload(setup, "survey.yaml", cobit_tagged, kind="instrument", store=False).warning


def test_preview_of_stored_model_and_instrument_and_the_yaml_download(setup):
    at = app_test(setup["admin"], page=PAGE).run()
    frames = [d.value for d in at.dataframe]
    capabilities = [f for f in frames if "Capability" in f.columns and "Finding category" in f.columns]
    assert sum(len(f) for f in capabilities) == 18  # the shipped model, by domain
    targets = next(f for f in frames if list(f.columns) == ["Capability", "Supplier", "Business Partner", "Business Leader"])
    assert len(targets) == 18 and (targets["Business Leader"] >= targets["Supplier"]).all()
    sections = next(f for f in frames if "Section" in f.columns)
    assert sections["Questions"].sum() > 30 and "Asked of" in sections.columns
    scales = next(f for f in frames if "Evidences mode" in f.columns)
    assert set(scales["Evidences mode"]) == {"supplier", "business_partner", "business_leader"}
    labels = [b.label for b in at.download_button]
    assert labels == ["Download YAML", "Download YAML"]


def test_the_yaml_download_is_the_stored_text(setup, downloads):
    app_test(setup["admin"], page=PAGE).run()
    assert downloads.get("itil-aligned-v1.0.yaml") == (ROOT / "data" / "itil_aligned_model.yaml").read_bytes()
    assert downloads.get("it_perception-v1.2.yaml") == INSTRUMENT
