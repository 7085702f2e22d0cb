"""The leadership report: HTML and PDF content, threshold, escaping, the CLI."""

import html
import re

import pandas as pd
import pytest
from pypdf import PdfReader

from itcap.cli import main
from itcap.report import NothingToReport, build_report, render_html, render_pdf, summary_points
from itcap.storage import session_scope
from surveys.campaigns import close_campaign
from tests import builders
from tests.survey_testdata import IT_STAFF_ANSWER_NO_SCALE_ITEM, THREE_GROUPS_YAML, import_and_close


@pytest.fixture
def populated(db_url):
    ids = builders.people(db_url)
    assessment_id = builders.supplier_assessment(db_url, ids)
    campaign_id = builders.perception_campaign(db_url)
    return db_url, assessment_id, campaign_id


def _content(populated, **options):
    """The report of the populated database's assessment and campaign."""
    url, assessment_id, campaign_id = populated
    with session_scope(url) as session:
        return build_report(session, assessment_id, campaign_id, **options)


def _pdf_text(pdf: bytes) -> str:
    """A PDF's text, its whitespace runs as single spaces (words that wrap stay findable)."""
    import io

    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def test_html_report_states_position_verdicts_and_methods(populated):
    url, assessment_id, campaign_id = populated
    content = _content(populated)
    page = render_html(content)
    assert page.startswith("<!doctype html>") and "</html>" in page
    assert "Supplier, stable in" in page and "resamples of the assessors" in page
    assert "Gaps to Business Partner, the furthest short first (levels short, then the capability" in html.unescape(page)
    # the survey's reading says which scales keep it from the next mode (the builder's partner scales sit near 3)
    assert "Survey reading: Supplier (short of Business Partner: " in html.unescape(page)
    assert "Communication" in page and "The groups differ on: Communication" in page
    # which way: the board's question is who rates IT lower (the builder's IT staff rate Communication a point higher)
    communication = next(s for s in content.campaign.comparison["scales"] if s["name"] == "Communication")
    assert (f"The groups differ on: Communication (IT staff rate it higher: mean score {communication['mean_b']:.2f} "
            f"against {communication['mean_a']:.2f}).") in html.unescape(page)
    assert "First 100 days" in page
    # each recommendation says its gap as levels, not as its ranking number ("priority 1.5")
    assert "(priority " not in page and re.search(r"</strong> \(level [\d.]+ → \d", page)
    # the campaign is open: its figures leave out the newest 5 (k) of each group (surveys.release)
    assert "reporting threshold k = 5" in page and "Business users n = 55" in page and "IT staff n = 25" in page
    # the appendix says plainly that nothing was suppressed, and where what it names but does not show is
    assert "No group was suppressed: every group that answered had at least 5 responses." in page
    assert "the item results, the Mann–Whitney and Benjamini–Hochberg figures" in html.unescape(page)
    assert set(content.campaign.rates_table()["results"]) == {"reported"}
    assert "itcap assess position" in page and "itcap analyze" in page
    assert page.count("data:image/svg+xml;base64,") >= 5  # radar, gaps, perception, IPA, rates, heatmap


def test_the_summary_states_the_margin_and_names_equivalent_scales_that_still_differ_significantly(populated):
    """With thousands of respondents a difference inside the equivalence margin is significant too:
    "equivalent" stays the verdict (DESIGN.md), but the board hears the margin and the difference."""
    url, assessment_id, campaign_id = populated
    content = _content(populated)
    comparison = content.campaign.comparison
    [perception] = [p for p in summary_points(content) if p.startswith("Perception")]
    assert f"equivalent (within ±{comparison['margin']:g} points)" in perception
    assert "Equivalent, yet statistically significant" not in perception  # none is, in this data
    for scale in comparison["scales"]:  # as a large survey gives: every scale equivalent, one also significant
        scale.update(verdict="equivalent", p_holm=0.5)
    scale = comparison["scales"][0]
    scale.update(mean_a=3.41, mean_b=3.70, p_holm=3e-26)
    [perception] = [p for p in summary_points(content) if p.startswith("Perception")]
    assert "On every scale the two groups' means are within ±0.5 points of each other." in perception
    assert (f"Equivalent, yet statistically significant (Holm p < .05): {scale['name']} (Business users 3.41, IT staff 3.70)"
            " — a real difference, smaller than the equivalence margin of ±0.5 points set for this analysis.") in perception


def test_each_ipa_point_lies_in_its_quadrant_of_its_own_group_s_drawn_lines(populated):
    """The chart drew one pair of lines at the average of the groups while `itcap analyze` reads each
    group against its own means: points sat in another quadrant than the one reported."""
    import json

    from itcap import charts
    from surveys.ipa import quadrant

    url, assessment_id, campaign_id = populated
    with session_scope(url) as session:
        campaign = build_report(session, assessment_id, campaign_id).campaign
    ipa, cross = campaign.ipa_frame(), campaign.ipa_crosshairs()
    assert len(ipa) and set(cross) == set(ipa["group"]) == {"Business users", "IT staff"}
    for row in ipa.to_dict("records"):
        mine = cross[row["group"]]
        assert quadrant(row["importance"], row["performance"], mine["importance"], mine["performance"]) == row["quadrant"]
        # the table says what the quadrant was read against, and on how many answers
        assert (row["importance line"], row["performance line"]) == (mine["importance"], mine["performance"])
        assert row["n importance"] > 0 and row["n performance"] > 0
    spec = json.loads(charts.ipa_chart(ipa, cross, 1, 5).to_json())
    drawn = pd.DataFrame(spec["datasets"][spec["layer"][0]["data"]["name"]]).set_index("group")
    for group, point in cross.items():
        assert drawn.loc[group].to_dict() == point


def test_the_report_says_what_its_terms_mean_before_it_uses_them_at_length(populated):
    """A board member reads two pages: the modes, N/P/L/F, what 'confidence' is (and is not), how gaps
    are ranked, how the survey reading and the verdicts are made — in words, in HTML and PDF."""

    url, assessment_id, campaign_id = populated
    content = _content(populated)
    page = html.unescape(render_html(content))
    guide = page.split("<h2>How to read this report</h2>", 1)[1].split("<h2>", 1)[0]
    for mode in content.assessment.model.ordered_modes:  # each its own entry, not one paragraph of three
        assert f"<dt><strong>{mode.name}</strong></dt><dd>{mode.description}</dd>" in guide
    for words in ("N not achieved (up to 15%)", "F fully (over 85%)", "It is not a statistical confidence level",
                  "ranks them by levels short, then by the capability's weight", "priority = levels short × weight",
                  "a tie, not a ranking", "differs: not shown equivalent",
                  "at least 3.5 on 1–5 (five eighths of the way up; each group counts equally", "within ±0.5 points",
                  "Hedges' g is the difference Business users − IT staff",
                  "evidences: the operating mode the scale is evidence for", "TOST p: the same for the groups lying",
                  "alpha: Cronbach's α, how consistently"):
        assert words in guide, words
    assert page.index("How to read this report") < page.index("Maturity and position")
    summary = page.split("<h2>Executive summary</h2>", 1)[1].split("<h2>", 1)[0]
    assert ("Survey 'Perception survey' (open), responses analysed: Business users 55, IT staff 25 — 80 of 90 responses "
            "(10 held back until the survey closes).") in summary
    assert "batches" not in summary  # the count is in the summary, the how in the methods
    methods = page.split("<h2>Methods</h2>", 1)[1]
    assert "Until the survey closes, the figures take in new responses in batches" in methods
    text = _pdf_text(render_pdf(content))
    assert "How to read this report" in text and "It is not a statistical confidence level" in text


def test_a_board_pack_numbers_the_assessors_rather_than_naming_them(populated):
    """Board papers are often published: where one assessor differed is shown, not who."""
    import base64
    import re as regex

    url, assessment_id, campaign_id = populated
    content = _content(populated)
    page = render_html(content)
    pictures = " ".join(base64.b64decode(b).decode("utf-8", "replace")
                        for b in regex.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", page))
    assert "Assessor 1" in pictures and "Assessor 3" in pictures
    for name in content.assessment.assessors:  # (as a label of its own: "ana" is also in "management")
        assert not regex.search(rf">\s*{regex.escape(name)}\s*<", pictures), name
    assert "assessors numbered, not named" in page
    # the PDF has the same section (it went from Recommendations straight to Methods)
    pdf_text = _pdf_text(render_pdf(content))
    assert pdf_text.index("Recommendations") < pdf_text.index("Where the assessors disagree") < pdf_text.index("Methods")
    assert "assessors numbered, not named" in " ".join(pdf_text.split())


def test_the_assessors_numbers_are_the_same_in_every_copy_and_not_in_the_names_order(populated):
    """They were drawn afresh at every render: two copies of a board paper (a second download, another
    replica, the CLI) gave one person's levels to different numbers. Ordered by an HMAC of the
    account id keyed with the assessment's creation time to the microsecond: fixed per assessment,
    unrelated to the names, and not to be worked out from guessable ids alone."""
    import hashlib
    import hmac

    from itcap.report import numbered_heatmap, assessor_numbers

    url, assessment_id, campaign_id = populated
    a = _content(populated).assessment
    charts_drawn = [numbered_heatmap(_content(populated).assessment)[1].to_dict()["datasets"] for _ in range(5)]
    assert all(drawn == charts_drawn[0] for drawn in charts_drawn[1:])  # (by chance the same: 1 in 6⁴)
    ids = {p.username: p.account_id for p in a.progress}
    secret = f"assessment {assessment_id} created {a.assessment.created_at.isoformat()}".encode()
    by_hash = sorted(ids, key=lambda u: hmac.new(secret, f"account {ids[u]}".encode(), hashlib.sha256).hexdigest())
    names = a.assessor_names()
    assert assessor_numbers(a) == {names[u]: f"Assessor {n}" for n, u in enumerate(by_hash, start=1)}
    heat = numbered_heatmap(a)[1].to_dict()
    [cells] = [rows for rows in heat["datasets"].values()]
    by_capability = {}
    for cell in cells:
        by_capability.setdefault(cell["capability"], {})[cell["assessor"]] = cell["level"]
    for item in a.consensus:  # each number carries its own assessor's levels
        name = a.model.capability(item.capability_id).name
        assert {assessor_numbers(a)[names[u]]: level for u, level in item.levels.items()} == by_capability[name]


def test_with_one_assessor_the_report_says_there_is_no_confidence_rather_than_a_share_of_nothing(populated):
    import dataclasses

    from itcap.report import methods_points, reading_guide

    url, assessment_id, campaign_id = populated
    content = _content(populated)
    content.assessment.result = dataclasses.replace(content.assessment.result, confidence=None, resamples=0)
    guide = dict(reading_guide(content))
    assert guide["Stable in …%"].endswith("it needs at least two assessors, so none is given here.")
    assert "Stability: none (a bootstrap of the assessors needs at least two)." in methods_points(content)
    assert not any("share of 0" in text for text in [*guide.values(), *methods_points(content)])


def test_a_list_cut_inside_a_tie_says_the_model_s_order_chose_not_the_ranking(populated):
    """Seven gaps of one level and equal weight, five named: the summary named five as "largest" with
    no word that the other two were as large."""
    from itcap.report import _cut_tie

    tied = pd.DataFrame({"shortfall": [2.0, 1, 1, 1, 1, 1, 1, 1], "weight": [1.0] * 8})
    assert _cut_tie(tied, 5) == (" (8 gaps; the last 4 named were taken in the model's order from 7 equally pressing: "
                                 "1 level short, weight 1)")
    flat = pd.DataFrame({"shortfall": [1.0] * 7, "weight": [1.0] * 7})
    assert _cut_tie(flat, 5) == " (7 gaps; all named were taken in the model's order from 7 equally pressing: 1 level short, weight 1)"
    apart = pd.DataFrame({"shortfall": [2.0, 1, 1, 1, 1, 1], "weight": [1.0, 1.5, 1.5, 1.5, 1.5, 1.0]})
    assert _cut_tie(apart, 5) == "" and _cut_tie(tied.head(5), 5) == ""
    # the populated assessment's fifth and sixth gaps differ in weight (1.5, 1): the summary ranks, no note
    points = summary_points(_content(populated))
    assert "model's order" not in next(p for p in points if p.startswith("Gaps to Business Partner"))
    assert "equally urgent" not in next(p for p in points if p.startswith("First 100 days"))


def test_the_headline_s_confidence_is_said_to_be_stability_not_statistical_confidence(populated):
    """"Supplier, with 100% confidence" (as it said once) beside assessors who agree only moderately reads as certainty."""
    content = _content(populated)
    page = html.unescape(render_html(content))
    lead = page.index("<p class='lead'>")
    assert "stable in " in page[lead:lead + 200] and "confidence;" not in page[lead:lead + 200]
    note = page.index("Stable in … = the share of all 27 possible resamples of the 3 assessors (every draw of 3 with "
                      "repeats, each once) that give the same position: how much the position depends on which "
                      "assessors rated, not a statistical confidence level")
    assert lead < note < page.index("<ul>", lead)  # right under the headline, before the points
    assert "not a statistical confidence level" in _pdf_text(render_pdf(content))


def test_the_methods_tell_a_level_set_in_place_of_the_median_from_the_median_confirmed():
    """Both are decisions in force; the methods counted a confirmed median as an override of itself."""
    from types import SimpleNamespace

    from itcap.report import _decisions

    names = {"ea": "Enterprise architecture", "slm": "Service level management", "sd": "Service desk"}
    model = SimpleNamespace(capability=lambda i: SimpleNamespace(name=names[i]))
    decision = SimpleNamespace(level=3)
    a = SimpleNamespace(model=model, consensus=[
        SimpleNamespace(capability_id="ea", override=decision, median_confirmed=False),
        SimpleNamespace(capability_id="sd", override=None, median_confirmed=False),
        SimpleNamespace(capability_id="slm", override=decision, median_confirmed=True)])
    assert _decisions(a) == ("2 in force: Enterprise architecture, set in place of the median; Service level management, "
                             "the median confirmed — see 'Consensus set by the lead assessor'")
    assert _decisions(SimpleNamespace(model=model, consensus=[])) == "none in force"


def test_report_tables_read_as_prose_for_a_board(populated):
    """yes/no rather than True/False, names rather than ids, p-values to three places, the assessors'
    agreement with its CIs, and no more than REPORT_COMMENTS comments per question."""
    from itcap.report import REPORT_COMMENTS

    url, assessment_id, campaign_id = populated
    many = builders.perception_campaign(url, comments=REPORT_COMMENTS + 5, name="Many comments")
    with session_scope(url) as session:
        close_campaign(session, many, "admin")  # every comment in the figures (while open, the released ones)
    with session_scope(url) as session:
        content = build_report(session, assessment_id, campaign_id + 1)
    page = render_html(content)
    cells = page.split("<table>", 1)[1]
    assert ">True<" not in cells and ">False<" not in cells and "<td>no</td>" in cells
    assert "business_partner" not in page and "<td>Business Partner</td>" in page
    assert "e-0" not in page and "&lt; 0.001" in page
    assert "How far the assessors agree" in page and "ICC2k" in page and " to " in page.split("How far the assessors agree")[1]
    assert page.count("<div class='comment'>") == REPORT_COMMENTS
    assert f"{REPORT_COMMENTS} of {REPORT_COMMENTS + 5} comments" in page
    pdf = render_pdf(content)

    text = _pdf_text(pdf)
    assert "How far the assessors agree" in text and "True" not in text and "business_partner" not in text


def test_a_comment_several_people_wrote_is_listed_once_with_their_number(db_url):
    """"Friendly and professional people." was quoted four times among the report's 20: read as four
    voices, and it crowded out others. Once, with "(5 people)" (spaces around a comment do not make
    it another); the threshold still counts people (13 comments, 9 different: over 10)."""
    texts = ["Friendly and professional people."] * 4 + [f"Comment number {n}" for n in range(8)] + [" Friendly and professional people. "]
    builders.people(db_url)
    campaign_id = builders.perception_campaign(db_url, comment_texts=texts)
    with session_scope(db_url) as session:
        close_campaign(session, campaign_id, "admin")  # every comment in the figures
    with session_scope(db_url) as session:
        content = build_report(session, campaign_id=campaign_id, include_assessment=False)
    page = render_html(content)
    assert page.count("<div class='comment'>") == 9
    assert page.count("Friendly and professional people.") == 1
    assert "<div class='comment'>Friendly and professional people. <span class='muted'>— 5 people</span></div>" in page
    assert "<div class='comment'>Comment number 3</div>" in page  # one person: no count
    assert "a comment several people wrote once, with their number" in page
    text = _pdf_text(render_pdf(content))
    assert text.count("Friendly and professional people.") == 1 and "Friendly and professional people. 5 people wrote this" in text


def test_a_long_list_of_comments_counts_different_comments_and_people():
    from itcap.report import REPORT_COMMENTS, _more_comments
    from surveys.exports import counted_comments

    assert counted_comments(["b", "a", " b", "c", "a"]) == [("b", 2), ("a", 2), ("c", 1)]
    every = counted_comments(["same"] * 3 + [f"other {n}" for n in range(25)])
    assert _more_comments(REPORT_COMMENTS, every).startswith("20 of 26 different comments (by 28 people), picked at random")
    assert _more_comments(REPORT_COMMENTS, every[1:]).startswith("20 of 25 comments, picked at random")


def test_html_report_never_renders_people_text_as_markup(populated):
    url, assessment_id, campaign_id = populated
    content = _content(populated)
    page = render_html(content)
    assert "<script>alert" not in page
    assert html.escape("<script>alert('x')</script> **faster** laptops") in page


def test_text_the_pdf_font_cannot_draw_is_marked_and_said_and_control_characters_never_reach_a_file(populated):
    """A comment in Chinese vanished from the PDF without a word, and a NUL went into the HTML."""

    from itcap.report import MISSING_GLYPH
    from surveys.imports import add_responses

    url, assessment_id, campaign_id = populated
    with session_scope(url) as session:
        add_responses(session, campaign_id, [{"group": "business", "answers": {"comment_improve_first": "更快的 laptops\x00\tplease"}}],
                      actor="admin", source="import")
        close_campaign(session, campaign_id, "admin")  # every response in the figures (open: whole batches only)
    with session_scope(url) as session:
        content = build_report(session, assessment_id, campaign_id)
    page = render_html(content)
    assert "\x00" not in page and "更快的 laptops" in page
    text = _pdf_text(render_pdf(content))
    # 13 comments, fewer than REPORT_COMMENTS: all of them are in the report
    assert f"{MISSING_GLYPH * 3} laptops" in text
    assert f"Characters this PDF's font cannot draw (in people's comments, typically) appear as {MISSING_GLYPH}" in " ".join(text.split())
    # a report with nothing of the kind does not say it
    with session_scope(url) as session:
        plain = build_report(session, assessment_id, include_campaign=False)
    assert "cannot draw" not in _pdf_text(render_pdf(plain))


def test_a_survey_only_report_names_the_reading_by_the_shipped_model_s_modes(populated):
    url, _, campaign_id = populated
    with session_scope(url) as session:
        content = build_report(session, campaign_id=campaign_id, include_assessment=False)
    assert content.assessment is None and content.campaign.reading.position == "supplier"
    assert any(p.startswith("Survey reading: Supplier (short of Business Partner: ") for p in summary_points(content))


def test_comments_below_their_threshold_are_left_out(db_url):
    ids = builders.people(db_url)
    builders.supplier_assessment(db_url, ids)
    campaign_id = builders.perception_campaign(db_url, comments=9)  # threshold is 10
    with session_scope(db_url) as session:
        content = build_report(session, campaign_id=campaign_id)
    assert content.comments == {}
    assert "Comment number" not in render_html(content)


def test_a_group_below_the_threshold_is_not_reported(db_url):
    ids = builders.people(db_url)
    builders.supplier_assessment(db_url, ids)
    campaign_id = builders.perception_campaign(db_url, n_business=40, n_it=4)
    with session_scope(db_url) as session:
        content = build_report(session, campaign_id=campaign_id)
    page = render_html(content)
    assert content.campaign.comparison is None
    assert "Nothing to compare: IT staff has fewer than 5 responses" in page
    assert "IT staff n =" not in page and "mean IT staff" not in page
    # Participation: the small group shows how many were invited, nothing of how many took part (DESIGN.md:
    # suppressed everywhere), and no total counts it, so no subtraction finds it.
    rates = content.campaign.rates_table().set_index("group")
    assert rates.loc["IT staff", "results"] == "withheld (fewer than 5 responses)"
    assert rates.loc["IT staff", ["started", "completed", "imported", "responses", "response rate %"]].isna().all()
    assert rates.loc["Business users", "responses"] == 40
    assert set(content.campaign.rates_frame().query("group == 'IT staff'")["stage"]) <= {"invited"}
    assert content.campaign.responses_note() == ("35 of 40 responses (5 held back until the survey closes); groups with "
                                                 "fewer than 5 responses are not counted")
    assert "44" not in " ".join(summary_points(content))
    # nothing to compare it with: reported on its own, and said so
    assert rates.loc["Business users", "results"] == "reported on its own (no other group to compare it with)"
    assert "withheld (fewer than 5 responses)" in page and "only how many were personally invited is shown" in page


def test_the_methods_name_a_withheld_third_group_and_one_left_out_of_the_comparison_without_counts(db_url):
    """The appendix listed only groups suppressed inside the comparison: a third group under k, or a
    third large one the comparison did not take, went unmentioned."""
    from itcap.report import methods_points
    from surveys.imports import import_responses
    from tests.survey_testdata import INSTRUMENT_YAML, make_campaign

    three = INSTRUMENT_YAML.replace("  - {id: it_staff, name: IT staff}\n",
                                    "  - {id: it_staff, name: IT staff}\n  - {id: contractors, name: Contractors}\n"
                                    "  - {id: partners, name: Partner staff}\n")
    campaign_id = make_campaign(db_url, min_group_size=3, yaml=three.replace("id: test_perception", "id: test_four", 1))
    sizes = (("business", 6), ("it_staff", 5), ("contractors", 2), ("partners", 4))
    rows = [f"{group},{1 + i % 5},3,2,4,5,{2 + i % 4},,1," for group, n in sizes for i in range(n)]
    with session_scope(db_url) as session:
        import_responses(session, campaign_id, ("group,rel1,rel2,rel3,rel4,logon_minutes,par1,itp1,directorate,comments\n"
                                                + "\n".join(rows) + "\n").encode(), actor="t", where="seed.csv")
        close_campaign(session, campaign_id, "t")  # every response in the figures (open: whole batches only)
    with session_scope(db_url) as session:
        points = methods_points(build_report(session, campaign_id=campaign_id))
    # named once, never counted
    assert [p for p in points if "Contractors" in p] == [
        "Withheld, fewer than 3 responses: Contractors. Their responses are in no figure of this report."]
    assert "Also answered but not in the comparison (it compares two groups): Partner staff." in points


def test_pdf_report_opens_and_carries_the_same_summary(populated):
    url, assessment_id, campaign_id = populated
    content = _content(populated)
    pdf = render_pdf(content)
    assert pdf.startswith(b"%PDF-")
    import io

    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert len(reader.pages) >= 4
    assert "Executive summary" in text and "Supplier, stable in" in text
    assert "First 100 days" in text and "Methods" in text
    assert "reporting threshold k = 5" in text


def test_nothing_to_report_is_a_clear_error(db_url):
    builders.people(db_url)
    with session_scope(db_url) as session, pytest.raises(NothingToReport, match="no assessment and no survey campaign"):
        build_report(session)


def test_cli_writes_html_and_pdf_and_refuses_bad_requests(populated, tmp_path, capsys):
    url, assessment_id, campaign_id = populated
    assert main(["report", str(assessment_id), "--campaign", str(campaign_id), "--out", str(tmp_path / "r.html")]) == 0
    assert main(["report", "--out", str(tmp_path / "r.pdf")]) == 0
    assert (tmp_path / "r.html").read_text().count("<h2>") >= 5
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF-")
    capsys.readouterr()
    assert main(["report", "--out", str(tmp_path / "r.docx")]) == 1
    assert "written as .html or .pdf" in capsys.readouterr().err
    assert main(["report", "999", "--out", str(tmp_path / "x.html")]) == 1
    assert "no assessment with id 999" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["report"])
    assert usage.value.code == 2


def test_cli_on_an_empty_database_says_there_is_nothing_to_report(db_url, tmp_path, capsys):
    builders.people(db_url)
    assert main(["report", "--out", str(tmp_path / "r.html")]) == 1
    assert "nothing to report" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_a_report_onto_a_folder_says_it_is_a_folder_not_a_badly_named_file(db_url, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--out", "./"]) == 1
    assert capsys.readouterr().err == "error: ./: cannot write: it is a folder; give a file name\n"


def test_a_campaign_without_responses_and_no_assessment_says_both(db_url, tmp_path, capsys):
    """It blamed the campaign alone, with a capital letter mid-sentence ("…campaign 1: No responses yet.")."""
    from surveys.campaigns import create_campaign
    from surveys.store import ensure_default_instrument

    with session_scope(db_url) as session:
        campaign_id = create_campaign(session, instrument_id=ensure_default_instrument(session).id, name="P", actor="t").id
    assert main(["report", "--out", str(tmp_path / "r.pdf")]) == 1
    assert capsys.readouterr().err.strip() == (f"error: nothing to report: there is no assessment with ratings, and "
                                               f"campaign {campaign_id} has no results: no group has 5 responses yet")


def test_report_shows_progress_since_the_previous_round_of_the_same_function(populated):
    """An earlier assessment of the same unit and an earlier campaign: a progress section with the
    change in words (from each round's own figures) and charts, in HTML and PDF. A later assessment
    and another unit's are not part of this report's progress."""
    import datetime as dt

    from assessment import service
    from itcap import insights
    from surveys.campaigns import update_campaign

    url, assessment_id, campaign_id = populated
    ids = builders.people(url)
    earlier = builders.supplier_assessment(url, ids, assessed_on=dt.date(2025, 10, 1), seed=11)
    builders.supplier_assessment(url, ids, assessed_on=dt.date(2026, 3, 1), seed=12, org_unit="Schools IT")
    builders.supplier_assessment(url, ids, assessed_on=dt.date(2027, 10, 1), seed=13, uplift=1)
    earlier_campaign = builders.perception_campaign(url, name="Perception survey 2025", seed=21)
    with session_scope(url) as session:
        update_campaign(session, earlier_campaign, "admin", opens_on=dt.date(2025, 10, 1))
        update_campaign(session, campaign_id, "admin", opens_on=dt.date(2026, 10, 1))
    with session_scope(url) as session:
        content = build_report(session, assessment_id, campaign_id)
        before = service.assessment_position(session, earlier, resamples=200).modes[0]
        now = service.assessment_position(session, assessment_id, resamples=200).modes[0]
        then_scale = insights.campaign_insight(session, earlier_campaign).reading.scales[0]
        now_scale = insights.campaign_insight(session, campaign_id).reading.scales[0]
    page = html.unescape(render_html(content))
    assert "<h2>Progress since earlier rounds</h2>" in page
    assert (f"Since the previous assessment, Review 2025-10 (01 Oct 2025): position Supplier → Supplier; attainment "
            f"{before.name} {100 * before.attainment:.0f}% ({before.rating}) → {100 * now.attainment:.0f}% ({now.rating})") in page
    # nobody has submitted this round yet, and the campaigns are open: both are said to be moving
    assert "The latest assessment is still open, so its figures are provisional." in page
    assert "The latest campaign is still open: its figures change as responses come in, in batches." in page
    assert f"{now_scale.name} {then_scale.score:.2f} → {now_scale.score:.2f}" in page
    assert "Review 2027-10" not in page and "Schools IT" not in page
    assert "the rounds are not tested against each other" in page
    text = _pdf_text(render_pdf(content))
    assert "Progress since earlier rounds" in text and "Since the previous assessment" in text


def test_a_campaign_without_results_has_no_survey_progress_borrowed_from_earlier_rounds(populated):
    """Two earlier campaigns with results, then one with no group at k: "since the previous survey"
    would compare the two earlier ones as if the chosen campaign had those scores."""
    import datetime as dt

    from surveys.campaigns import update_campaign

    url, assessment_id, campaign_id = populated
    earlier = builders.perception_campaign(url, name="Perception survey 2025", seed=21)
    small = builders.perception_campaign(url, name="Small pulse", n_business=4, n_it=3, seed=22)
    with session_scope(url) as session:
        for cid, year in ((earlier, 2024), (campaign_id, 2025), (small, 2026)):
            update_campaign(session, cid, "admin", opens_on=dt.date(year, 10, 1))
    with session_scope(url) as session:
        content = build_report(session, assessment_id, small)
        with_results = build_report(session, assessment_id, campaign_id)
    assert content.campaign.reading is None
    assert content.campaign_trend.empty and content.campaign_trend.attrs["no_reading"] == "Small pulse"
    assert not any("Since the previous survey" in p for p in summary_points(content))
    assert any("Since the previous survey, Perception survey 2025" in p for p in summary_points(with_results))
    # the open round is drawn hollow, and the report (no caption under its charts) says so in the title
    from itcap.report import report_charts

    [survey_trend] = [title for title, _ in report_charts(with_results) if title.startswith("Progress: scale scores")]
    assert survey_trend.endswith("Hollow points are rounds still open: their figures can still change.")


def test_a_first_round_report_has_no_progress_section(populated):
    url, assessment_id, campaign_id = populated
    with session_scope(url) as session:
        page = render_html(build_report(session, assessment_id, campaign_id))
    assert "Progress since earlier rounds" not in page and "Since the previous" not in page


def test_an_open_assessment_is_reported_as_provisional_until_the_lead_closes_it(populated):
    """A director must not present a draft as the result: the report (and the dashboard) say the
    position can still change while assessors have not submitted — and, once all have, while the
    lead can still decide the consensus, until the assessment is closed."""
    from assessment import service
    from itcap import accounts

    url, assessment_id, campaign_id = populated
    with session_scope(url) as session:
        page = html.unescape(render_html(build_report(session, assessment_id, campaign_id)))
    assert ("Provisional: the assessment is still open — 3 of 3 assessors have not submitted; the levels given so far "
            "count in the position.") in page
    with session_scope(url) as session:
        for username in ("lead", "ana"):
            service.submit(session, assessment_id, accounts.get_by_username(session, username))
    with session_scope(url) as session:
        page = html.unescape(render_html(build_report(session, assessment_id, campaign_id)))
    assert "1 of 3 assessors has not submitted" in page
    with session_scope(url) as session:
        service.submit(session, assessment_id, accounts.get_by_username(session, "ben"))
    with session_scope(url) as session:
        page = html.unescape(render_html(build_report(session, assessment_id, campaign_id)))
    assert ("Provisional: the assessment is still open — every assessor has submitted, and the lead assessor can "
            "still decide the consensus. The position can change until the lead assessor closes the assessment.") in page
    with session_scope(url) as session:
        service.set_status(session, assessment_id, service.CLOSED, actor=accounts.get_by_username(session, "lead"))
    with session_scope(url) as session:
        page = render_html(build_report(session, assessment_id, campaign_id))
    assert "Provisional" not in page and "open: provisional" not in page


def test_statistics_read_to_two_decimals_in_every_row_and_p_values_to_three():
    from itcap.insights import readable_cell as _cell

    assert [_cell("Hedges g", v) for v in (-0.0105, 0.84, 1.0)] == ["-0.01", "0.84", "1.00"]
    assert [_cell("alpha", 0.8), _cell("mean IT staff", 3.456)] == ["0.80", "3.46"]
    assert [_cell("TOST p", 0.0004), _cell("Welch p (Holm)", 0.6571)] == ["< 0.001", "0.657"]
    assert [_cell("weight", 1.0), _cell("shortfall", 0.5), _cell("blocking", True)] == ["1", "0.5", "yes"]


def test_pdf_table_columns_fit_the_page_without_breaking_a_word():
    from fpdf import FPDF

    from itcap.report import _column_widths, _font_dir

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", str(_font_dir() / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(_font_dir() / "DejaVuSans-Bold.ttf"))
    page = pdf.w - pdf.l_margin - pdf.r_margin
    columns = ["scale", "evidences", "n Business users", "mean Business users", "Hedges g", "verdict", "note"]
    cells = [["Business understanding", "Business Partner", "200", "2.78", "-0.94", "equivalent",
              "A long explanatory sentence that could take the whole width of the page if it were allowed to. " * 3]]
    widths = _column_widths(pdf, columns, cells, page)
    assert sum(widths) == pytest.approx(page)
    pdf.set_font("DejaVu", "", 7.5)
    for width, column, text in zip(widths, columns, cells[0]):
        assert width >= max(pdf.get_string_width(w) for w in text.split()), column  # no word broken
    assert widths[-1] == max(widths)  # the sentence takes what is left
    # a table too wide even for its single words shrinks evenly rather than overflowing the page
    assert sum(_column_widths(pdf, [f"c{i}" for i in range(60)], [["wordy-value"] * 60], page)) == pytest.approx(page)


def test_the_report_follows_the_choice_to_leave_out_flagged_responses(populated, capsys, tmp_path):
    """The dashboard's 'Exclude flagged responses' reaches the report (and `itcap report
    --exclude-flagged`): the figures, the n per group and the trend rest on the same responses."""
    from surveys.imports import add_responses
    from surveys.instrument import load_default_instrument

    url, assessment_id, campaign_id = populated
    instrument = load_default_instrument()
    # five straight-liners in each group, answering every item: leaving them out changes no figure by
    # fewer than k (else the exclusion is refused: the difference would give those few people's answers)
    straight = {group: {item.id: 4 for item in instrument.items_for_group(group) if item.type in ("likert", "numeric")}
                for group in ("business", "it")}
    with session_scope(url) as session:
        add_responses(session, campaign_id, [{"group": group, "answers": straight[group], "duration_seconds": 600}
                                             for group in ("business", "it") for _ in range(5)], actor="admin", source="web")
        close_campaign(session, campaign_id, "admin")  # every response in the figures (open: whole batches only)
    with session_scope(url) as session:
        everyone = build_report(session, assessment_id, campaign_id)
        kept = build_report(session, assessment_id, campaign_id, exclude_flagged=True)
    assert everyone.campaign.comparison["groups"]["business"]["n"] == 65
    business = kept.campaign.comparison["groups"]["business"]["n"]
    assert business <= 60 and kept.campaign.comparison["excluded"]["flagged_rows"] >= 5
    assert f"Business users n = {business}" in render_html(kept) and "Business users n = 65" in render_html(everyone)
    # the comments are everyone's, flagged or not (leaving theirs out would single them out): said where the figures are not
    unlike = "Unlike the figures, the comments include those of responses flagged for data quality"
    assert unlike in html.unescape(render_html(kept)) and unlike in _pdf_text(render_pdf(kept))
    assert unlike not in html.unescape(render_html(everyone))
    assert kept.campaign_trend["value"].tolist() != everyone.campaign_trend["value"].tolist()
    out = tmp_path / "r.html"
    assert main(["report", str(assessment_id), "--campaign", str(campaign_id), "--exclude-flagged", "--out", str(out)]) == 0
    assert f"Business users n = {business}" in out.read_text(encoding="utf-8")


def test_the_reproduce_commands_give_the_report_s_figures(populated, tmp_path, monkeypatch, capsys):
    """The methods appendix promises that its commands reproduce the figures: run them as printed."""
    import json
    import shlex

    from assessment import service
    from itcap import accounts
    from itcap.report import methods_points

    url, assessment_id, campaign_id = populated
    with session_scope(url) as session:
        lead = accounts.get_by_username(session, "lead")
        service.override_consensus(session, assessment_id, "enterprise_architecture", 3, "Roadmap seen", actor=lead)
    with session_scope(url) as session:
        content = build_report(session, assessment_id, campaign_id)
    page = render_html(content)  # the board sees the override, who set it and why
    assert "Consensus set by the lead assessor" in page and "Roadmap seen" in page
    assert "1 in force: Enterprise architecture, set in place of the median" in page
    pdf_text = "".join(p.extract_text() for p in PdfReader(__import__("io").BytesIO(render_pdf(content))).pages)
    assert "Consensus set by the lead assessor" in pdf_text and "Roadmap seen" in pdf_text
    commands = [p.removeprefix("Reproduce: ") for p in methods_points(content) if p.startswith("Reproduce: ")]
    assert len(commands) == 2
    a, b = content.campaign.compared_groups()  # named: with a third group present analyze took the first two
    assert f"--group-col group --groups {a} {b} --min-group-size" in commands[1]
    monkeypatch.chdir(tmp_path)
    outputs = []
    for line in commands:
        for command in line.split(" && "):
            argv = shlex.split(command)
            assert argv[0] == "itcap"
            capsys.readouterr()
            assert main(argv[1:]) == 0, capsys.readouterr().err
            outputs.append(capsys.readouterr().out)
    position = json.loads(outputs[1])
    result = content.assessment.result
    assert (position["position"], position["confidence"]) == (result.position, result.confidence)
    assert position["consensus"]["enterprise_architecture"] == 3 == result.consensus["enterprise_architecture"]
    analysis = json.loads(outputs[3])
    expected = {s["id"]: (s["mean_a"], s["mean_b"], s["verdict"]) for s in content.campaign.comparison["scales"]}
    assert {s["id"]: (s["mean_a"], s["mean_b"], s["verdict"]) for s in analysis["scales"]} == expected


@pytest.mark.browser
def test_on_a_phone_the_html_report_draws_charts_at_a_readable_size_and_only_they_scroll(populated, browser, tmp_path):
    """Shrunk to a 390-pixel screen, a chart's labels were about 7 pixels high; it keeps its drawn
    size and scrolls sideways inside its frame, while the page itself never scrolls sideways."""
    path = tmp_path / "report.html"
    path.write_text(render_html(_content(populated)), encoding="utf-8")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(path.as_uri())
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    images = page.locator("figure.chart img")
    assert images.count() >= 5
    for image in images.all():
        drawn, natural = image.evaluate("i => [i.getBoundingClientRect().width, i.naturalWidth]")
        assert drawn == pytest.approx(natural, abs=1), image.get_attribute("alt")
    figure = page.locator("figure.chart").first
    assert figure.evaluate("f => f.scrollWidth > f.clientWidth && f.clientWidth <= 390")
    definition = page.locator("dd").first.bounding_box()
    assert definition["width"] > 330  # not indented by a tenth of the screen
    context.close()
    desktop = browser.new_context(viewport={"width": 1280, "height": 900})
    page = desktop.new_page()
    page.goto(path.as_uri())
    assert all(i.evaluate("i => i.getBoundingClientRect().width <= i.parentElement.clientWidth") for i in page.locator("figure.chart img").all())
    desktop.close()


def test_the_decisions_table_has_a_check_column_only_when_a_decision_is_to_be_checked(populated):
    """An empty "check" column in the board pack raised the question it exists to answer."""
    from assessment import service
    from itcap import accounts

    url, assessment_id, _ = populated
    with session_scope(url) as session:
        lead = accounts.get_by_username(session, "lead")
        ana = accounts.get_by_username(session, "ana")
        capability = service.model_for(session, assessment_id).capability_ids[0]
        service.override_consensus(session, assessment_id, capability, 3, "Seen in the board pack", actor=lead)
    table = render_html(_content(populated)).split("Consensus set by the lead assessor", 1)[1].split("</table>", 1)[0]
    assert "Seen in the board pack" in table and ">check</th>" not in table
    with session_scope(url) as session:
        service.save_rating(session, assessment_id, ana, capability, 5)  # after the decision (ana has not submitted)
    table = render_html(_content(populated)).split("Consensus set by the lead assessor", 1)[1].split("</table>", 1)[0]
    assert ">check</th>" in table and "the lead assessor is asked to check it" in table


def test_a_column_of_sentences_keeps_a_readable_width_on_a_phone():
    """Squeezed to its share of 375 px, "why not achieved" ran a page tall; the table scrolls instead."""
    import pandas as pd

    from itcap.report import _table_html

    html = _table_html(pd.DataFrame({"mode": ["Supplier", "Business Leader"],
                                     "why not achieved": ["", "rated L (attainment 61%; F needs more than 85%); 8 capabilities "
                                                              "more than one level short"]}))
    assert "<th>mode</th>" in html and "<th class=prose>why not achieved</th>" in html
    assert html.count("<td class=prose>") == 2


def test_in_the_pdf_the_survey_heading_stays_with_its_chart_and_the_gap_table_has_a_title(populated):
    """A heading at a page's foot with its chart on the next, and a table starting a page untitled
    (its title was the chart's caption on the page before), read as layout errors in a board pack."""
    import io

    import pypdf

    from itcap.report import _perception_heading

    content = _content(populated)
    pages = [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(render_pdf(content))).pages]
    heading = _perception_heading(content.campaign)
    [with_heading] = [i for i, text in enumerate(pages) if heading in text]
    assert "Perception by scale" in pages[with_heading]
    assert any("Gaps to Business Partner rank capability domain" in text for text in pages)  # title, then the header row


def test_the_pdf_says_the_scale_notes_the_tables_leave_out(db_url):
    """The PDF printed the scales and all-groups tables without their note column (the HTML the
    all-groups one too): a blank Welch's ANOVA beside 'groups differ: yes' (Kruskal–Wallis decided,
    a group's answers not varying) and α beside a constant item went unexplained."""
    from tests.survey_testdata import make_campaign

    campaign_id = make_campaign(db_url, min_group_size=3, yaml=THREE_GROUPS_YAML)
    # contractors answer par1 the same every time; par2 is 3 for everyone
    rows = [f"{group},{1 + i % 5},{2 + i % 3},2,4,5,{3 if group == 'contractors' else 1 + (i + shift) % 5},3,,1,"
            for group, shift in (("business", 0), ("it_staff", 2), ("contractors", 0)) for i in range(12)]
    import_and_close(db_url, campaign_id, rows)
    with session_scope(db_url) as session:
        content = build_report(session, campaign_id=campaign_id)
    every = content.campaign.all_groups_table().set_index("scale")
    assert pd.isna(every.loc["Business understanding", "Welch ANOVA F"])  # the case: nothing in the F column
    pdf, page = _pdf_text(render_pdf(content)), html.unescape(render_html(content))
    undefined = ("Business understanding: no variation within Contractors (every answer 3): Welch's ANOVA "
                 "undefined, so Kruskal–Wallis says whether the groups differ")
    assert undefined in pdf and undefined in page
    assert "Business understanding: α: constant item(s) par2: no item–total correlation" in pdf


def test_the_all_groups_f_reads_to_two_decimals_as_on_the_dashboard():
    """The report printed Welch's ANOVA F to three significant figures — '2.15e-29' where the groups'
    means were equal, '12.3' where the dashboard, which shows it to two decimals, said 12.35."""
    from itcap.insights import readable_cell as _cell

    assert [_cell("Welch ANOVA F", v) for v in (2.15e-29, 12.345, 0.0123)] == ["0.00", "12.35", "0.01"]


def test_the_all_groups_figures_have_a_command_that_reproduces_them(db_url, tmp_path, monkeypatch, capsys):
    """The methods' commands reproduced the pair only (--groups a b): the 'All N groups at once' table
    (Welch's ANOVA, Holm across scales) and the survey reading, from every group, had none."""
    import json
    import shlex

    from itcap.report import methods_points
    from tests.survey_testdata import make_campaign

    campaign_id = make_campaign(db_url, min_group_size=3, yaml=THREE_GROUPS_YAML)
    rows = [f"{group},{1 + (i + shift) % 5},{2 + i % 3},{1 + (i * shift) % 5},4,5,{1 + (i + 2 * shift) % 5},{1 + i % 4},,1,"
            for group, shift in (("business", 0), ("it_staff", 1), ("contractors", 3)) for i in range(9)]
    import_and_close(db_url, campaign_id, rows)
    with session_scope(db_url) as session:
        content = build_report(session, campaign_id=campaign_id)
    lines = methods_points(content)
    export = next(p for p in lines if p.startswith("Reproduce: ")).removeprefix("Reproduce: ").split(" && ")[0]
    every = [p for p in lines if p.startswith("Reproduce 'All 3 groups at once' and the survey reading")]
    assert len(every) == 1
    monkeypatch.chdir(tmp_path)
    for command in (export, every[0].split("): ", 1)[1]):
        argv = shlex.split(command)
        assert argv[0] == "itcap"
        capsys.readouterr()
        assert main(argv[1:]) == 0, capsys.readouterr().err
    analysis = json.loads(capsys.readouterr().out)
    table = content.campaign.all_groups_table()
    assert [(s["name"], s["welch_anova_f"], s["p_holm"]) for s in analysis["scales"]] == list(
        zip(table["scale"], table["Welch ANOVA F"], table["p (Holm)"]))


def test_the_summary_says_when_kruskal_wallis_not_welch_s_anova_found_the_groups_differ(db_url):
    """'All 3 groups at once (Welch's ANOVA, Holm p < .05): the means differ on …' named a scale whose
    Welch's ANOVA has no value (a group answered alike throughout): the rank test decided it."""
    from tests.survey_testdata import make_campaign

    campaign_id = make_campaign(db_url, min_group_size=3, yaml=THREE_GROUPS_YAML)
    partnership = {"business": lambda i: (1 + i % 2, 1 + (i // 2) % 2), "it_staff": lambda i: (4 + i % 2, 5 - (i // 3) % 2),
                   "contractors": lambda i: (3, 3)}  # contractors: no variation
    rows = [f"{group},{1 + i % 5},{2 + i % 3},{1 + (i * 2) % 5},4,5,{partnership[group](i)[0]},{partnership[group](i)[1]},,1,"
            for group in partnership for i in range(12)]
    import_and_close(db_url, campaign_id, rows)
    with session_scope(db_url) as session:
        content = build_report(session, campaign_id=campaign_id)
    every = content.campaign.all_groups_table().set_index("scale")
    assert every.loc["Business understanding", "groups differ"] == "yes"
    assert pd.isna(every.loc["Business understanding", "Welch ANOVA F"])
    line = next(p for p in summary_points(content) if p.startswith("All 3 groups at once"))
    assert "Business understanding (" in line
    assert "by Kruskal–Wallis, Holm p < .05: Welch's ANOVA is undefined where a group's answers do not vary" in line
    assert "Kruskal–Wallis" in _pdf_text(render_pdf(content))


def test_in_the_pdf_the_all_groups_table_of_many_groups_breaks_no_word(db_url):
    """With eight groups the all-groups table had a mean column each and no longer fitted the page:
    its columns shrank evenly and the PDF printed 'Busines s users', 'ANOV A F', 'socia l care'. It is
    now printed as consecutive tables that fit, each led by the scale."""
    from tests.survey_testdata import INSTRUMENT_YAML, make_campaign

    names = ["Adult social care", "Children's services", "Environment and highways", "Finance and corporate resources",
             "Housing and regeneration", "Public health"]
    eight = INSTRUMENT_YAML.replace("  - {id: it_staff, name: IT staff}\n", "  - {id: it_staff, name: IT staff}\n"
                                    + "".join(f"  - {{id: d{i}, name: \"{n}\"}}\n" for i, n in enumerate(names)))
    campaign_id = make_campaign(db_url, min_group_size=3, yaml=eight.replace("id: test_perception", "id: test_eight", 1))
    groups = ["business", "it_staff"] + [f"d{i}" for i in range(len(names))]
    rows = [f"{group},{1 + (i + g) % 5},{2 + i % 3},{1 + (i * 2) % 5},4,5,{1 + (i + 2 * g) % 5},{1 + (i + g) % 4},,1,"
            for g, group in enumerate(groups) for i in range(6)]
    import_and_close(db_url, campaign_id, rows)
    with session_scope(db_url) as session:
        content = build_report(session, campaign_id=campaign_id)
    every = content.campaign.all_groups_table()
    assert len(content.campaign.all_groups["groups"]) == 8
    text = _pdf_text(render_pdf(content))
    section = text[text.index("All 8 groups at once Per scale"):text.index("Participation")]
    words = set(section.split())
    for column in every.columns.drop(["note", "Kruskal–Wallis p (Holm)"], errors="ignore"):
        assert set(column.split()) <= words, column  # every header word whole
    for scale, mean in zip(every["scale"], every["mean Public health"]):
        assert f"{mean:.2f}" in section and set(scale.split()) <= words


def test_an_alpha_below_zero_is_explained_not_left_as_a_low_number(db_url):
    """A scale whose two items were answered in opposite directions (one worded the other way round,
    not marked reverse) showed 'alpha -0.9' with only '0.7 or more is adequate' to read it by."""
    import pingouin

    from tests.survey_testdata import make_campaign

    campaign_id = make_campaign(db_url)
    answers = [(1, 5), (2, 4), (3, 3), (4, 2), (5, 1), (1, 4), (2, 5), (3, 2), (4, 3), (5, 2)] * 2  # par2 ≈ 6 − par1
    rows = [f"{group},{1 + (i + g) % 5},3,2,4,5,{par1},{par2},,1," for g, group in enumerate(("business", "it_staff"))
            for i, (par1, par2) in enumerate(answers)]
    import_and_close(db_url, campaign_id, rows)
    expected, _ = pingouin.cronbach_alpha(pd.DataFrame(answers * 2, columns=["par1", "par2"]))
    assert expected < 0
    with session_scope(db_url) as session:
        content = build_report(session, campaign_id=campaign_id)
    scales = content.campaign.scale_table().set_index("scale")
    assert scales.loc["Business understanding", "alpha"] == pytest.approx(expected)
    said = ("α below 0 (both groups together, Business users, IT staff): the scale's items pull in opposite directions, "
            "so its score does not measure one thing — check for an item worded the other way round and not marked reverse")
    assert said in scales.loc["Business understanding", "note"]
    assert said in html.unescape(render_html(content)) and said in _pdf_text(render_pdf(content))
    assert "α below 0" not in (scales.loc["Service reliability", "note"] or "")


def test_in_the_pdf_the_scales_table_of_two_long_group_names_breaks_no_number(db_url):
    """Two directorates with long names put six long headers in the scales table: its columns shrank
    evenly and a TOST p of 0.154 was printed as '0.15' over '4', 'Environment' as 'Environme nt'."""
    from itcap.insights import readable_cell
    from tests.survey_testdata import INSTRUMENT_YAML, make_campaign

    long = INSTRUMENT_YAML.replace("name: Business users}", "name: Environment and highways}").replace(
        "name: IT staff}", "name: Finance and corporate resources}")
    campaign_id = make_campaign(db_url, yaml=long.replace("id: test_perception", "id: test_long", 1))
    rows = [f"{group},{1 + (i + g) % 5},{2 + i % 3},{1 + (i * 2) % 5},4,5,{1 + (i + 2 * g) % 5},{1 + (i + g) % 4},,1,"
            for g, group in enumerate(("business", "it_staff")) for i in range(12)]
    import_and_close(db_url, campaign_id, rows)
    with session_scope(db_url) as session:
        content = build_report(session, campaign_id=campaign_id)
    scales = content.campaign.scale_table().drop(columns=["note"], errors="ignore")
    text = _pdf_text(render_pdf(content))
    section = text[text.index("Scales scale"):text.index("Participation")]
    words = set(section.split())
    for column in scales.columns:
        assert set(column.split()) <= words, column  # every header word whole
    for column in ("TOST p", "Welch p (Holm)", "Hedges g", "mean Environment and highways"):
        for value in scales[column]:
            assert readable_cell(column, value) in words, (column, value)


def test_with_every_mode_achieved_the_report_says_so_where_the_gap_table_was(db_url):
    """At the top mode there is no next mode and no gap: the HTML printed 'Gaps to the next mode' over
    'No data.', the PDF a bare 'No data.' under the maturity chart's caption, as if the chart had none."""
    ids = builders.people(db_url)
    assessment_id = builders.supplier_assessment(db_url, ids, uplift=5)  # every capability at the top level
    with session_scope(db_url) as session:
        content = build_report(session, assessment_id, include_campaign=False)
    assert content.assessment.result.next_mode is None
    page, pdf = html.unescape(render_html(content)), _pdf_text(render_pdf(content))
    said = "Every operating mode is achieved: no capability is below any mode's target, so there are no gaps to rank."
    assert said in page and said in pdf
    assert "No data." not in page and "No data." not in pdf and "Gaps to the next mode" not in page


@pytest.mark.browser
def test_on_a_desktop_a_table_wider_than_the_page_scrolls_in_its_frame_and_its_note_stays_readable(db_url, browser, tmp_path):
    """Two long group names and a note made the scales table wider than the page: it ran past the
    page's right edge (the page scrolled sideways) and squeezed the note column to a word a line."""
    from tests.survey_testdata import INSTRUMENT_YAML, make_campaign

    long = INSTRUMENT_YAML.replace("name: Business users}", "name: Environment and highways}").replace(
        "name: IT staff}", "name: Finance and corporate resources}")
    campaign_id = make_campaign(db_url, yaml=long.replace("id: test_perception", "id: test_long", 1))
    pairs = [(1, 5), (2, 4), (3, 3), (4, 2), (5, 1), (1, 4), (2, 5), (3, 2), (4, 3), (5, 2)]  # par2 against par1: a note
    rows = [f"{group},{1 + (i + g) % 5},{2 + i % 3},{1 + (i * 2) % 5},4,5,{p1},{p2},,1,"
            for g, group in enumerate(("business", "it_staff")) for i, (p1, p2) in enumerate(pairs)]
    import_and_close(db_url, campaign_id, rows)
    with session_scope(db_url) as session:
        path = tmp_path / "report.html"
        path.write_text(render_html(build_report(session, campaign_id=campaign_id)), encoding="utf-8")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(path.as_uri())
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    note = page.locator("td.prose", has_text="α below 0").first
    assert note.evaluate("td => td.getBoundingClientRect().width") >= 250  # a readable column, not a word a line
    frame = note.locator("xpath=ancestor::div[@class='table']")
    assert frame.evaluate("f => f.scrollWidth > f.clientWidth")  # the table scrolls inside its frame
    context.close()


def test_a_survey_reading_without_a_score_names_the_group_not_its_id(db_url):
    """'Survey reading: none — … no answers from group it_staff' put an instrument id in the board's
    summary (and on the dashboard's banner), where every other line names the group."""
    from tests.survey_testdata import make_campaign

    campaign_id = make_campaign(db_url)
    import_and_close(db_url, campaign_id, IT_STAFF_ANSWER_NO_SCALE_ITEM)
    with session_scope(db_url) as session:
        content = build_report(session, campaign_id=campaign_id)
    [reading] = [p for p in summary_points(content) if p.startswith("Survey reading")]
    assert reading.startswith("Survey reading: none — ") and "IT staff" in reading and "it_staff" not in reading
