"""Free text with script, HTML or markdown never renders as markup: pages, report, exports.

* Pages: every name or title people type (display names, usernames, assessment and campaign names,
  organisation units) goes into markdown through :func:`itcap.ui.text.md_escape`; longer text
  (comments, evidence, rationales) through ``st.text``. AppTest shows the markdown *source* each
  element was given, so the tests check the source: the payload appears escaped, never raw.
* The HTML report escapes everything and holds no ``<script`` at all (charts are SVG images).
* Exports: XLSX cells holding text are text, never formulas. CSV is written verbatim — a decision,
  see docs/surveys.md: it is the re-importable, analysis-tool format, thresholded CSV files carry no
  free text at all, and the privileged CSV round-trips every comment exactly. SAV stores strings.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import re

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import text

from itcap.report import build_report, render_html
from itcap.storage import session_scope
from itcap.ui.text import WORD_JOINER, md_code, md_escape
from surveys import exports
from surveys.imports import add_responses, import_responses
from tests import builders
from tests.support import DASHBOARD_TABS, app_test, dashboard_test, show_tab, stored_answers

PAYLOAD = "<script>alert('x')</script> **bold** _em_ [link](https://evil.example/x) ![img](https://evil.example/t.png) :red[red] $x^2$ ~~s~~ `c`"
# What must never reach a markdown element unescaped.
RAW_MARKUP = ("<script", "**bold**", "_em_", "[link](", "![img]", ":red[", "$x^2$", "~~s~~", "`c`")


# -- the helper --------------------------------------------------------------------------------------
def _unescape(markdown: str) -> str:
    """What a reader sees: escapes resolved, the invisible word joiners that stop autolinks gone."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace(WORD_JOINER, "")


def _live(markdown: str) -> str:
    """The source with every backslash-escaped character made inert (a NUL stands in for it)."""
    return re.sub(r"\\[!-/:-@\[-`{-~]", "\x00", markdown)


def _has_live_markup(markdown: str) -> str | None:
    """The first markdown construct that would still do something, or None (a check of the escaped
    source against the rules md_escape promises, without a markdown renderer)."""
    live = _live(markdown)
    checks = {
        "emphasis/code/link/image/html/strike/maths": r"[*`\[\]<~$]",
        "underscore emphasis": r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])",
        "directive, icon or autolink": r":(?=[0-9A-Za-z/])",
        "www autolink": r"(?i)\bwww\.",
        "bare web address autolink": r"(?i)\b(?:https?|ftp)\x00?//|\bwww\x00",
        "entity": r"&#?[0-9A-Za-z]+;",
        "block start": r"^(#{1,6}(\s|$)|[-+](\s|$)|>|\d{1,9}[.)](\s|$)|[-=]+\s*$)",
    }
    for name, pattern in checks.items():
        if re.search(pattern, live):
            return name
    # Streamlit expands emoji shortcodes and icons (":smile:", ":material/key:") even after a
    # backslash-escaped colon: only something between the colon and the name stops them
    if re.search(r":(?=[0-9A-Za-z/+_-])", markdown):
        return "emoji shortcode or icon"
    return None


one_line = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)


@settings(max_examples=300, deadline=None)
@given(value=one_line | st.sampled_from([PAYLOAD, "# x", "1. x", "---", "> x", "www.x.org", "&lt;b&gt;", "a_b_c", "_x_",
                                          "x\n\n    code", "\\*", "a  b", ":material/key:", "http://x.org", ":smile: :+1:",
                                          ":streamlit:", "a :_x_: b",
                                          "mail ana@example.org", "see https://x.org and www.y.org"]))
def test_md_escape_shows_exactly_the_text_and_nothing_is_live(value):
    escaped = md_escape(value)
    expected = re.sub(r"\s*[\r\n]+\s*", " ", value).strip()
    # (a word joiner typed by someone is as invisible as those md_escape adds, which _unescape takes out)
    assert _unescape(escaped) == expected.replace(WORD_JOINER, "")
    assert _has_live_markup(escaped) is None, (value, escaped)
    assert "\n" not in escaped and "\r" not in escaped


def test_md_escape_leaves_ordinary_prose_alone():
    for prose in ("Finance & HR: 12.5% (draft)", "Review 2026-10", "min_group_size", "v1.0 - final", "Ana O'Neil"):
        assert md_escape(prose) == prose


@pytest.mark.parametrize("value", ["plain", "a`b", "``x``", "`", "x`", ""])
def test_md_code_fences_any_backticks(value):
    code = md_code(value)
    fence = re.match(r"`+", code).group(0)
    assert code.endswith(fence) and fence not in code[len(fence):-len(fence)].replace(fence + "`", "")
    assert code[len(fence):-len(fence)].strip(" ") == value.strip(" ") or not value.strip()


# -- pages ---------------------------------------------------------------------------------------------
MARKDOWN_KINDS = ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success", "error", "toast")


def _markdown_sources(at) -> list[str]:
    sources = [str(e.value) for kind in MARKDOWN_KINDS for e in getattr(at, kind)]
    sources += [str(e.label) for e in at.get("expander")]
    sources += [str(m.label) for m in at.metric]
    return sources


def _assert_no_raw_payload(at) -> None:
    for source in _markdown_sources(at):
        for raw in RAW_MARKUP:
            assert raw not in _live(source), f"unescaped {raw!r} in a markdown element: {source[:200]!r}"


@pytest.fixture
def hostile(db_url):
    """The builders' organisation with every typed name replaced by the payload (and variants)."""
    ids = builders.people(db_url)
    assessment_id = builders.supplier_assessment(db_url, ids)
    campaign_id = builders.perception_campaign(db_url)
    with session_scope(db_url) as session:
        session.execute(text("UPDATE account SET display_name = :p || ' ' || username"), {"p": PAYLOAD})
        session.execute(text("UPDATE assessment SET name = :p, org_unit = :u"), {"p": PAYLOAD, "u": "# " + PAYLOAD})
        session.execute(text("UPDATE campaign SET name = :p"), {"p": "1. " + PAYLOAD})
        session.execute(text("UPDATE rating SET evidence = :p"), {"p": PAYLOAD + "\n\nsecond paragraph"})
        # what uploaded files name: the operating modes of the model and the instrument itself
        for table in ("capability_model", "instrument"):
            for row_id, source in session.execute(text(f"SELECT id, source_yaml FROM {table}")).all():
                document = yaml.safe_load(source)
                for mode in document.get("modes", []):
                    mode["name"] = f"{PAYLOAD} {mode['id']}"
                document["name"] = PAYLOAD
                session.execute(text(f"UPDATE {table} SET source_yaml = :s, name = :n WHERE id = :i"),
                                {"s": yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "n": PAYLOAD, "i": row_id})
    return db_url, ids, assessment_id, campaign_id


def test_dashboard_shows_typed_names_escaped(hostile):
    _, ids, _, _ = hostile
    at = app_test(ids["lee"]).run()  # the whole app (with its sidebar): leadership's home is the dashboard
    assert not at.exception
    assert [t.value for t in at.title] == ["Where IT stands"]
    sidebar = [c.value for c in at.sidebar.caption]
    assert any(f"Signed in as **{md_escape(PAYLOAD + ' lee')}**" in c for c in sidebar), sidebar
    captions = [c.value for c in at.caption]
    assert any(c.startswith(f"{md_escape(PAYLOAD)} · {md_escape('# ' + PAYLOAD)} · ") for c in captions)
    assert any(c.startswith(f"{md_escape('1. ' + PAYLOAD)} · ") for c in captions)
    for tab in DASHBOARD_TABS:  # each tab is drawn when it is opened
        show_tab(at, tab)
        assert not at.exception
        _assert_no_raw_payload(at)
    show_tab(at, "Participation")
    assert any(m.value == f"##### Response rates — {md_escape('1. ' + PAYLOAD)}" for m in at.markdown)
    # people's comments: cells of a one-column table, exactly as typed
    show_tab(at, "Perception")
    comments = [c for d in at.dataframe if list(d.value.columns) == ["Comment"] for c in d.value["Comment"]]
    assert "<script>alert('x')</script> **faster** laptops" in comments


def test_dashboard_with_flagged_responses_left_out_is_still_escaped(hostile):
    from surveys.campaigns import close_campaign

    db_url, ids, _, campaign_id = hostile
    with session_scope(db_url) as session:  # flagged responses are left out of a closed campaign's figures
        close_campaign(session, campaign_id, "admin")
    at = dashboard_test(ids["lee"], "Perception")
    at.toggle(key="dashboard_exclude_flagged").set_value(True).run()
    assert not at.exception and "Flagged responses excluded." in " ".join(c.value for c in at.caption)
    for tab in DASHBOARD_TABS:
        show_tab(at, tab)
        assert not at.exception
        _assert_no_raw_payload(at)


def test_consensus_page_evidence_is_plain_text_and_names_escaped(hostile):
    _, ids, _, _ = hostile
    at = app_test(ids["lead"], page="pages/consensus.py").run()
    assert not at.exception
    _assert_no_raw_payload(at)
    assert PAYLOAD + "\n\nsecond paragraph" in [t.value for t in at.text]
    assert any(m.value.startswith(f"**{md_escape(PAYLOAD + ' ana')}** (ana)") for m in at.markdown)


def test_rate_page_escapes_the_assessment_label(hostile):
    _, ids, _, _ = hostile
    at = app_test(ids["ana"], page="pages/rate.py").run()
    assert not at.exception
    _assert_no_raw_payload(at)


@pytest.mark.parametrize("page", ["pages/admin_accounts.py", "pages/admin_assessments.py", "pages/admin_campaigns.py",
                                  "pages/account.py"])
def test_admin_and_account_pages_escape_typed_names(hostile, page):
    _, ids, _, _ = hostile
    at = app_test(ids["admin"], page=page).run()
    assert not at.exception
    _assert_no_raw_payload(at)


def test_usernames_with_backticks_stay_in_their_code_span(db_url):
    ids = builders.people(db_url)
    with session_scope(db_url) as session:
        session.execute(text("UPDATE account SET username = 'a`b**c**', display_name = '**Admin**' WHERE id = :i"), {"i": ids["admin"]})
    at = app_test(ids["admin"], page="pages/account.py").run()
    assert not at.exception
    line = next(m.value for m in at.markdown if "username" in m.value)
    assert line == "**\\*\\*Admin\\*\\*** — username ``a`b**c**``"


# -- the report ------------------------------------------------------------------------------------------
def test_html_report_escapes_every_typed_text_and_runs_no_script(hostile):
    url, _, assessment_id, campaign_id = hostile
    with session_scope(url) as session:
        page = render_html(build_report(session, assessment_id, campaign_id))
    assert "<script" not in page.lower() and "javascript:" not in page.lower()
    assert html.escape(PAYLOAD, quote=True) in page  # the assessment name, as text
    assert "<a " not in page and "<img src='http" not in page and '<img src="http' not in page
    for image in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", page):
        svg = base64.b64decode(image).decode("utf-8")
        assert "<script" not in svg.lower() and "<foreignobject" not in svg.lower()


# -- exports -------------------------------------------------------------------------------------------------
FORMULAS = ["=1+1", "=HYPERLINK(\"https://evil.example\",\"click\")", "=cmd|' /C calc'!A0", "+SUM(1,2)", "-2+3", "@SUM(1)",
            "\t=1+1", PAYLOAD]


@pytest.fixture
def formula_campaign(db_url):
    campaign_id = builders.perception_campaign(db_url, comments=0, min_group_size=3, comment_threshold=3)
    with session_scope(db_url) as session:
        campaign = session.execute(text("SELECT id FROM campaign WHERE id = :c"), {"c": campaign_id}).scalar_one()
        from surveys.campaigns import campaign_instrument

        instrument = campaign_instrument(session, campaign)
        item = next(i for i in instrument.items if i.type == "text" and "improve" in i.id)
        add_responses(session, campaign, [{"group": "business", "answers": {item.id: f, instrument.items_for_group("business")[0].id: 3}}
                                          for f in FORMULAS], actor="test")
    return db_url, campaign_id, item.id


def test_xlsx_keeps_formula_like_comments_as_text(formula_campaign, tmp_path):
    url, campaign_id, item_id = formula_campaign
    for privileged, sheet_name, column in ((True, "data", item_id), (False, "comments", "comment")):
        with session_scope(url) as session:
            data = exports.prepare_export(session, campaign_id, privileged=privileged)
        path = tmp_path / f"{privileged}.xlsx"
        exports.write_export(data, "xlsx", path)
        sheet = load_workbook(path)[sheet_name]
        header = [c.value for c in next(sheet.iter_rows(max_row=1))]
        cells = [row[header.index(column)] for row in sheet.iter_rows(min_row=2)]
        values = {c.value for c in cells if c.value is not None}
        assert set(FORMULAS) <= values, sorted(values)[:5]
        assert all(c.data_type == "s" for c in cells if isinstance(c.value, str)), "a text cell became a formula"
        for sheet in load_workbook(path).worksheets:  # and nowhere else in the workbook
            assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


def test_csv_defuses_formulas_privileged_only_and_round_trips(formula_campaign):
    """Decision (docs/surveys.md): CSV puts an apostrophe before text a spreadsheet would run as a
    formula; only the privileged CSV carries free text; importing the export again gives back the
    comments exactly as the respondents typed them."""
    url, campaign_id, item_id = formula_campaign
    with session_scope(url) as session:
        privileged = exports.export_bytes(exports.prepare_export(session, campaign_id, privileged=True), "csv")
        thresholded = exports.export_bytes(exports.prepare_export(session, campaign_id, privileged=False), "csv")
    rows = list(csv.DictReader(io.StringIO(privileged.decode("utf-8"))))
    from itcap.spreadsheet import FORMULA_START

    written = {r[item_id] for r in rows}
    formulas = {f for f in FORMULAS if f.startswith(FORMULA_START)}
    assert formulas and {"'" + f for f in formulas} <= written and not formulas & written
    assert set(FORMULAS) - formulas <= written  # other text exactly as typed
    assert item_id not in thresholded.decode("utf-8").splitlines()[0].split(",")
    for formula in FORMULAS:
        assert formula not in thresholded.decode("utf-8")
    # an export imported again gives the same comments
    with session_scope(url) as session:
        from surveys.campaigns import create_campaign, open_campaign
        from surveys.tables import Campaign

        instrument_id = session.get(Campaign, campaign_id).instrument_id
        copy = create_campaign(session, instrument_id=instrument_id, name="copy", actor="test")
        open_campaign(session, copy.id, "test")
        import_responses(session, copy.id, privileged, actor="test")
        copy_id = copy.id
    stored = [answers.get(item_id) for (answers,) in stored_answers(None, copy_id)]
    assert set(FORMULAS) <= set(stored)


def test_sav_stores_comments_as_strings(formula_campaign, tmp_path):
    import pyreadstat  # a dependency of the project: never skipped
    url, campaign_id, item_id = formula_campaign
    with session_scope(url) as session:
        data = exports.prepare_export(session, campaign_id, privileged=True)
    exports.write_export(data, "sav", tmp_path / "out.sav")
    frame, _ = pyreadstat.read_sav(str(tmp_path / "out.sav"))
    assert set(FORMULAS) <= set(frame[item_id]) and pd.api.types.is_string_dtype(frame[item_id])


def _hostile_instrument_yaml() -> str:
    """The shared test instrument with the payload (and a bare address) in every text a respondent reads."""
    import yaml as pyyaml

    from tests.survey_testdata import INSTRUMENT_YAML

    doc = pyyaml.safe_load(INSTRUMENT_YAML)
    hostile = PAYLOAD + " http://evil.example/x"
    doc["name"] = "# " + hostile
    doc["welcome"] = hostile + "\n\n" + hostile
    doc["privacy_statement"] = hostile
    doc["thank_you"] = hostile + "\n\n" + hostile
    doc["response_scales"][0]["labels"][5] = hostile
    for section in doc["sections"]:
        section["title"] = hostile
        section["intro"] = hostile
        for item in section["items"]:
            item["text"] = hostile
            item["help"] = hostile
            for n, option in enumerate(item.get("options", [])):
                option["label"] = f"{n} {hostile}"
    return pyyaml.safe_dump(doc, allow_unicode=True)


def _widget_markdown(at) -> list[str]:
    """Widget labels, help texts and option labels: Streamlit renders markdown in them too."""
    sources = []
    for kind in ("radio", "text_input", "text_area", "button"):
        for widget in getattr(at, kind):
            sources += [str(widget.label), str(getattr(widget, "help", "") or "")]
            sources += [str(option) for option in getattr(widget, "options", [])]  # as formatted for the page
    return sources


def _assert_nothing_live(sources: list[str]) -> None:
    for source in sources:
        for raw in RAW_MARKUP:
            assert raw not in _live(source), f"unescaped {raw!r}: {source[:200]!r}"
        assert not re.search(r"(?i)https?://|\bwww\.", _live(source)), f"a live address: {source[:200]!r}"


def test_an_uploaded_instrument_reaches_respondents_as_typed(db_url):
    """An administrator's preview shows an instrument's texts as typed; respondents saw them as markdown
    (a live link, a remote image fetched by their browsers). Every screen, every text."""
    from tests.survey_testdata import invite, make_campaign

    campaign_id = make_campaign(db_url, yaml=_hostile_instrument_yaml())
    (token,) = invite(db_url, campaign_id)
    at = app_test(query={"token": token}).run()
    screens = 0
    while not at.exception:
        _assert_nothing_live(_markdown_sources(at) + _widget_markdown(at))
        screens += 1
        keys = [b.key for b in at.button]
        step = next((k for k in ("survey_start", "survey_next", "survey_submit") if k in keys), None)
        if step is None or screens > 8:
            break
        if step == "survey_next":  # answer what is required, so that Next moves on
            for radio in at.radio:
                radio.set_value(1)  # the first code of every scale and choice here
        at.button(key=step).click().run()
    assert not at.exception
    assert screens >= 6  # welcome, four sections, review (and the thank-you when submitted)


def test_a_phone_lists_comments_as_escaped_paragraphs_and_says_when_it_shows_only_some(monkeypatch):
    from itcap.ui import widgets

    body = []
    monkeypatch.setattr(widgets.st, "html", body.append)
    texts = ["<img src=x onerror=alert(1)>", "*bold* [link](http://x)"] + [f"comment {i}" for i in range(widgets.PHONE_COMMENTS + 3)]
    # (the headings are a capability's or a person's name: escaped as the texts are)
    widgets.records_for_phone([("<b>Ana</b> · 3", text) for text in texts])
    [shown] = body
    assert "<img" not in shown and "&lt;img src=x onerror=alert(1)&gt;" in shown and "*bold* [link](http://x)" in shown
    assert "<b>Ana" not in shown and "<strong>&lt;b&gt;Ana&lt;/b&gt; · 3</strong>" in shown
    assert shown.count("<p style=\"margin") == widgets.PHONE_COMMENTS
    assert f"The first {widgets.PHONE_COMMENTS:,} of {len(texts):,}" in shown


def test_a_table_on_screen_has_no_ids_sort_keys_empty_columns_none_or_minus_zero():
    """What only a program needs stays in the CSV; a director reads names, two decimals, whole counts, blanks."""
    import pandas as pd

    from itcap.ui.downloads import readable

    table = pd.DataFrame({"capability_id": ["brm", "ea"], "capability": ["Business relationship management", "EA"],
                          "Hedges g": [-0.001, 0.456], "completion rate %": [62.5, 40.0], "gap": [-0.4666, 0.1],
                          "n IT staff": [200.0, None], "share": [0.625, 0.4],
                          "note": [None, "not asked of IT staff"], "position": [None, None], "order": [1, 2], "n": [3, 4]})
    shown, formats = readable(table, formatted=["share"])
    assert list(shown.columns) == ["capability", "Hedges g", "completion rate %", "gap", "n IT staff", "share", "note", "n"]
    assert shown["Hedges g"].tolist() == [0.0, 0.46] and str(shown["Hedges g"].iloc[0]) == "0.0"  # not -0.0
    assert shown["note"].tolist() == ["", "not asked of IT staff"] and shown["n"].tolist() == [3, 4]
    format_of = {c: f["type_config"]["format"] for c, f in formats.items() if f.get("type_config", {}).get("format")}
    assert format_of == {"Hedges g": "%.2f", "completion rate %": "%.1f", "gap": "%.2f", "n IT staff": "%d"}
    assert shown["share"].tolist() == [0.625, 0.4] and "share" not in formats  # the caller formats it (a percent)
    assert list(table.columns)[0] == "capability_id" and table["Hedges g"].iloc[0] == -0.001  # the CSV keeps everything
    # no rows: the header stays; nullable and categorical columns with gaps do not break it
    assert list(readable(table.iloc[0:0])[0].columns) == [c for c in table.columns if c not in ("capability_id", "order")]
    odd = pd.DataFrame({"a": pd.array([1, None], dtype="Int64"), "b": pd.array([True, None], dtype="boolean"),
                        "c": pd.Categorical(["x", None]), "d": pd.array([None, None], dtype="Float64")})
    shown, _ = readable(odd)
    assert list(shown.columns) == ["a", "b", "c"] and shown["c"].tolist() == ["x", ""]


@given(st.text(max_size=200))
@settings(max_examples=200, deadline=None)
def test_a_name_said_to_screen_readers_stays_a_javascript_string(name):
    """The Rate page says "Level 4 saved for <capability name>" from a script: a name from an
    uploaded model holding '</script>' or '<!--' must neither end the script nor open a comment."""
    import json

    from itcap.ui.widgets import announce_script

    script = announce_script(f"Level 4 saved for {name}")
    assert "<" not in script
    said = re.search(r"r\.textContent = (\".*\"); \}, 150\);$", script, flags=re.S).group(1)
    assert json.loads(said) == f"Level 4 saved for {name}"


def test_the_current_capability_is_found_by_the_class_streamlit_gives_its_key():
    """A capability id may hold a '.', which Streamlit's class names turn into '-': the selector
    must name that class (a '.' made it invalid, and nothing was marked current)."""
    from itcap.ui.widgets import mark_current_script

    script = mark_current_script("rate_jumplist", "rate_jump_SM.1")
    assert "document.querySelector('.st-key-rate_jump_SM-1 button')" in script
