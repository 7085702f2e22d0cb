"""Models & instruments: the capability models assessments use and the survey instruments campaigns
use. Upload a YAML file to check it (every problem listed with its location, nothing stored) or to
check and store it; preview what is stored; download its YAML.

Validation and storage are the domain's (``capability_model.loader``/``store``,
``surveys.instrument``/``store``): a stored model or instrument version never changes, because
assessments and campaigns refer to it — a changed file needs a new ``version``.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from assessment.service import list_assessments
from capability_model.loader import load_default_model, parse_model, parse_model_bytes
from capability_model.schema import CapabilityModel
from capability_model.store import get_record, list_models, load_stored_model, save_model
from capability_model.store import stored_conflict as model_conflict
from itcap.accounts import ADMIN
from itcap.storage import session_scope
from itcap.ui import auth, widgets
from itcap.ui.text import md_code, md_escape
from itcap.validation import DocumentInvalid, decode_upload
from surveys.campaigns import list_campaigns
from surveys.instrument import Instrument, model_fit_warnings, parse_instrument, parse_instrument_bytes
from surveys.store import list_instruments, load_stored_instrument, save_instrument
from surveys.store import stored_conflict as instrument_conflict

account = auth.require_role(ADMIN)

MODEL, INSTRUMENT = "model", "instrument"
KIND_LABELS = {MODEL: "Capability model", INSTRUMENT: "Survey instrument"}
OUTCOME_KEY = "models_outcome"
UPLOAD_COUNTER = "models_upload_counter"
TYPE_LABELS = {"likert": "Likert", "numeric": "Numeric", "choice": "Choice", "text": "Free text"}


# -- previews (drawing only) ------------------------------------------------------------------------
_MARKUP = re.compile(r"</?[A-Za-z][^<>]*>")
def model_preview(model: CapabilityModel, key: str) -> None:
    st.markdown(f"**{md_escape(model.name)}** · {md_code(model.id)} version {md_escape(model.version)} · {len(model.capabilities)} capabilities in "
                f"{len(model.domains)} domains · levels {model.min_level}–{model.max_level} · "
                f"{len(model.modes)} operating modes")
    if model.description:
        st.caption(md_escape(model.description))
    marked_up = [f"{c.id} → {where}" for c in model.capabilities
                 for where, text in [("name", c.name), ("description", c.description),
                                     *((f"level {lv}", t) for lv, t in c.levels.items()),
                                     *((f"facet {f}", t) for f, t in c.facets.items())] if _MARKUP.search(text or "")]
    if marked_up:  # shown as typed, never rendered: say so before an admin expects bold text
        st.info(f"{len(marked_up)} {'texts hold' if len(marked_up) != 1 else 'text holds'} HTML tags ("
                + ", ".join(md_escape(m) for m in marked_up[:3]) + (", …" if len(marked_up) > 3 else "")
                + "): assessors see them as typed, tags included, never formatted.", icon=":material/code:")
    levels, capabilities, descriptors, modes = st.tabs(
        ["Levels", "Capabilities by domain", "Level descriptors", "Operating modes and targets"])
    with descriptors:  # what an assessor reads on the rating page, before it is stored
        shown = st.selectbox("Capability", [c.id for c in model.capabilities], key=f"{key}_descriptor_capability",
                             format_func=lambda i: f"{model.capability(i).name} ({i})")
        capability = model.capability(shown)
        if capability.description:
            st.caption(md_escape(capability.description))
        for lv in model.level_values:
            st.markdown(f"**{lv} · {md_escape(model.level_name(lv))}** — {md_escape(capability.levels.get(lv, ''))}")
    with levels:
        for lv in model.levels:
            st.markdown(f"**{lv.level} · {md_escape(lv.name)}** — {md_escape(lv.description)}" if lv.description
                        else f"**{lv.level} · {md_escape(lv.name)}**")
    with capabilities:
        for domain in model.domains:
            members = [c for c in model.capabilities if c.domain == domain.id]
            st.markdown(f"**{md_escape(domain.name)}** ({len(members)})")
            st.dataframe(pd.DataFrame([{"Id": c.id, "Capability": c.name, "Finding category": model.category_name(c.category),
                                        "Weight": c.weight, "Facets": ", ".join(c.facets)} for c in members]),
                         hide_index=True, width="stretch", key=f"{key}_domain_{domain.id}")
    with modes:
        ordered = model.ordered_modes
        for mode in ordered:
            st.markdown(f"**{mode.order}. {md_escape(mode.name)}** — {md_escape(mode.description)}" if mode.description
                        else f"**{mode.order}. {md_escape(mode.name)}**")
        targets = pd.DataFrame([{"Capability": c.name, **{m.name: m.targets.get(c.id) for m in ordered}} for c in model.capabilities])
        st.dataframe(targets, hide_index=True, width="stretch", key=f"{key}_targets")


def instrument_preview(instrument: Instrument, key: str) -> None:
    items = instrument.items
    st.markdown(f"**{md_escape(instrument.name)}** · {md_code(instrument.id)} version {md_escape(instrument.version)} · {len(items)} questions in "
                f"{len(instrument.sections)} sections · groups: "
                + ", ".join(f"{md_escape(g.name)} ({md_code(g.id)})" for g in instrument.groups))
    if instrument.description:
        st.caption(md_escape(instrument.description))
    sections, scales, answers = st.tabs(["Sections", "Scales", "Answer scales"])
    with sections:
        rows = []
        for section in instrument.sections:
            counts = {label: sum(1 for i in section.items if i.type == t) for t, label in TYPE_LABELS.items()}
            rows.append({"Section": section.title, "Questions": len(section.items), **counts,
                         "Required": sum(1 for i in section.items if i.required),
                         "Asked of": ", ".join(sorted({instrument.group_name(g) for i in section.items for g in instrument.item_groups(i)}))})
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key=f"{key}_sections")
        if instrument.ipa_pairs:
            st.caption(f"{len(instrument.ipa_pairs)} importance–performance pairs: "
                       + ", ".join(md_escape(p.name) for p in instrument.ipa_pairs))
    with scales:
        if instrument.scales:
            st.dataframe(pd.DataFrame([{
                "Id": s.id, "Scale": s.name, "Evidences mode": s.mode or "", "Finding category": s.category or "",
                "Items": len(instrument.scale_items(s.id)),
                "Reverse-coded": sum(1 for i in instrument.scale_items(s.id) if i.reverse),
            } for s in instrument.scales]), hide_index=True, width="stretch", key=f"{key}_scales")
        else:
            st.caption("No scales: items are analysed one by one.")
    with answers:
        if instrument.response_scales:
            st.dataframe(pd.DataFrame([{
                "Id": rs.id, "Range": f"{rs.min}–{rs.max}",
                "Labels": "; ".join(f"{code} = {label}" for code, label in sorted(rs.labels.items())),
            } for rs in instrument.response_scales]), hide_index=True, width="stretch", key=f"{key}_answers")
        else:
            st.caption("No answer scales.")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "document"


# -- checking and storing an upload ---------------------------------------------------------------------
def check_upload(kind: str, raw: bytes, where: str) -> tuple[CapabilityModel | Instrument | None, list[str]]:
    """Validate without storing: (the parsed document, []) or (None, every problem)."""
    try:
        document = parse_model_bytes(raw, where) if kind == MODEL else parse_instrument_bytes(raw, where)
    except DocumentInvalid as exc:
        return None, exc.problems
    return document, []


def _other_kind_fits(kind: str, raw: bytes, where: str) -> bool:
    """Whether a file refused as one kind is a valid document of the other (a common slip)."""
    other = INSTRUMENT if kind == MODEL else MODEL
    return check_upload(other, raw, where)[0] is not None


def _handle(store: bool) -> None:
    actor = auth.current_account()
    if actor is None or actor.id != account.id or not actor.has_role(ADMIN):
        return
    kind = st.session_state.get("models_kind", MODEL)
    upload = st.session_state.get(f"models_upload_{st.session_state.get(UPLOAD_COUNTER, 0)}")
    if upload is None:  # (the buttons wait for a file; a click that raced its removal)
        return
    raw, where = upload.getvalue(), upload.name
    outcome = {"kind": kind, "name": where, "problems": [], "stored": None, "existed": False, "text": None,
               "other_kind": False, "store": store}
    document, problems = check_upload(kind, raw, where)
    if problems:
        outcome["problems"] = problems
        outcome["other_kind"] = _other_kind_fits(kind, raw, where)
    else:  # a valid document: what follows can only refuse to store it (its id and version taken)
        outcome["valid"] = True
        outcome["text"] = decode_upload(raw, where)
        if kind == INSTRUMENT:  # modes and categories no model here has: warned, not refused
            with session_scope() as session:
                models = [load_default_model()] + [load_stored_model(session, r.id) for r in list_models(session)]
            outcome["warnings"] = model_fit_warnings(document, models, where, outcome["text"])
        if not store:  # say what storing would: its id and version may be taken, by other content or by this
            with session_scope() as session:
                conflict = (model_conflict if kind == MODEL else instrument_conflict)(session, document, outcome["text"], where)
                same = [r for r in (list_models(session) if kind == MODEL else list_instruments(session))
                        if (r.key, r.version, r.source_yaml) == (document.id, document.version, outcome["text"])]
            outcome["problems"] = [conflict] if conflict else []
            if same:
                outcome["stored"], outcome["existed"] = (same[0].id, same[0].key, same[0].version), True
        if store:
            try:
                with session_scope() as session:
                    before = {r.id for r in (list_models(session) if kind == MODEL else list_instruments(session))}
                    saver = save_model if kind == MODEL else save_instrument
                    record = saver(session, outcome["text"], actor.username, where)
                    outcome["stored"] = (record.id, record.key, record.version)
                    outcome["existed"] = record.id in before
            except DocumentInvalid as exc:
                outcome["problems"] = exc.problems
        if store and not outcome["problems"] and not outcome["existed"]:
            st.session_state[UPLOAD_COUNTER] = st.session_state.get(UPLOAD_COUNTER, 0) + 1  # clear the uploader
    st.session_state[OUTCOME_KEY] = outcome


def _handle_as(kind: str, store: bool) -> None:
    """The same upload, and the same press (check, or check and store), as ``kind`` — chosen above
    too, so that the page says what the file was taken for."""
    st.session_state["models_kind"] = kind
    _handle(store)


def _show_model_fit_warnings(outcome: dict) -> None:
    if outcome.get("warnings"):
        count = len(outcome["warnings"])
        st.warning(f"{count} scale tag{'s' if count != 1 else ''} no capability model here has — a typo, or a model "
                   "still to be loaded:\n\n" + "\n".join(f"- {md_code(w)}" for w in outcome["warnings"]),
                   icon=":material/warning:")


def _show_outcome(outcome: dict) -> None:
    what = KIND_LABELS[outcome["kind"]].lower()
    if outcome["problems"] and outcome.get("other_kind"):  # the parser's one line names a CLI command: not here
        other_kind = INSTRUMENT if outcome["kind"] == MODEL else MODEL
        other = KIND_LABELS[other_kind]
        st.error(f"**{md_escape(outcome['name'] or 'The upload')}** is not a valid {what}: it is a {other.lower()}. "
                 "Nothing was stored.", icon=":material/error:")
        # one click, never on its own: it is the admin's press that takes the file as the other kind
        press = "Check and store" if outcome.get("store") else "Check"
        st.info(f"This file is a valid **{other.lower()}**; the button below takes it as one, with no need to upload it again.")
        st.button(f"{press} it as a {other.lower()}", key="models_other_kind", icon=":material/swap_horiz:",
                  on_click=_handle_as, args=(other_kind, bool(outcome.get("store"))))
        return
    if outcome["problems"] and outcome.get("valid"):
        st.error(f"**{md_escape(outcome['name'])}** is a valid {what}, but it cannot be stored as it is; nothing was stored.\n\n"
                 + "\n".join(f"- {md_code(p)}" for p in outcome["problems"]), icon=":material/error:")
        _show_model_fit_warnings(outcome)
        return
    if outcome["problems"]:
        count = len(outcome["problems"])
        st.error(f"**{md_escape(outcome['name'] or 'The upload')}** is not a valid {what}: {count} problem{'s' if count != 1 else ''}, "
                 f"nothing was stored. Fix {'them' if count != 1 else 'it'} and upload the file again.\n\n"
                 + "\n".join(f"- {md_code(p)}" for p in outcome["problems"]), icon=":material/error:")
        return
    if outcome["stored"] is None:
        st.success(f"**{md_escape(outcome['name'])}** is a valid {what}. Nothing was stored: press *Check and store* to keep it.",
                   icon=":material/check_circle:")
    elif outcome["existed"]:
        record_id, key, version = outcome["stored"]
        st.info(f"{md_code(key)} version {md_escape(version)} is already stored with exactly this content (id {record_id}): nothing changed.")
    else:
        record_id, key, version = outcome["stored"]
        use = "assessments (Administration → Assessments)" if outcome["kind"] == MODEL else "campaigns (Administration → Campaigns)"
        st.success(f"Stored {md_code(key)} version {md_escape(version)} as {what} {record_id}. It can now be chosen for new {use}.",
                   icon=":material/check_circle:")
    _show_model_fit_warnings(outcome)
    with st.expander("Preview of the uploaded file", expanded=outcome["stored"] is None):
        if outcome["kind"] == MODEL:
            model_preview(parse_model(outcome["text"], outcome["name"]), key="upload_preview")
        else:
            instrument_preview(parse_instrument(outcome["text"], outcome["name"]), key="upload_preview")


# -- the page ------------------------------------------------------------------------------------------
st.title("Models & instruments", anchor=False)
st.caption("Capability models say what assessors score (capabilities, level descriptors, operating-mode targets); "
           "survey instruments say what respondents are asked. Both are YAML files; what is stored never changes.")

with session_scope() as session:
    models = list_models(session)
    instruments = list_instruments(session)
    model_use: dict[int, int] = {}
    for assessment in list_assessments(session):
        model_use[assessment.model_id] = model_use.get(assessment.model_id, 0) + 1
    instrument_use: dict[int, int] = {}
    for campaign in list_campaigns(session):
        instrument_use[campaign.instrument_id] = instrument_use.get(campaign.instrument_id, 0) + 1


def _records_table(records, use: dict[int, int], use_label: str, key: str) -> None:
    st.dataframe(pd.DataFrame([{
        "Id": r.id, "Key": r.key, "Version": r.version, "Name": r.name, use_label: use.get(r.id, 0),
        "Loaded": widgets.when(r.created_at), "By": r.created_by,
    } for r in records], columns=["Id", "Key", "Version", "Name", use_label, "Loaded", "By"]),
        hide_index=True, width="stretch", key=key)


st.subheader("Capability models", anchor=False)
if models:
    _records_table(models, model_use, "Assessments", "models_table")
else:
    st.info("No capability model is stored. Upload one below, or restart the app to load the shipped model.")
if len(models) == 1:
    st.caption("Only the shipped ITIL-aligned model is stored. To assess against your own (for example a "
               "COBIT-style model — `docs/examples/cobit_style_model.yaml` is a worked example), upload its YAML below.")
st.subheader("Survey instruments", anchor=False)
if instruments:
    _records_table(instruments, instrument_use, "Campaigns", "instruments_table")
else:
    st.info("No survey instrument is stored. Upload one below, or restart the app to load the shipped instrument.")
if len(instruments) == 1:
    st.caption("Only the shipped IT perception survey is stored. To ask your own questions, copy "
               "`data/it_perception_survey.yaml`, change it (and its `id` or `version`) and upload it below.")

st.subheader("Upload a YAML file", anchor=False)
with st.container(border=True):
    st.radio("What is it?", list(KIND_LABELS), format_func=KIND_LABELS.get, key="models_kind", horizontal=True)
    st.file_uploader("YAML file", type=None, key=f"models_upload_{st.session_state.get(UPLOAD_COUNTER, 0)}",
                     max_upload_size=2,
                     help="UTF-8 text, at most 2 MB. *Check* lists every problem with its location and stores nothing.")
    no_file = st.session_state.get(f"models_upload_{st.session_state.get(UPLOAD_COUNTER, 0)}") is None
    waiting = "Choose a YAML file above first." if no_file else None
    buttons = st.container(horizontal=True)
    buttons.button("Check only", icon=":material/fact_check:", key="models_check", on_click=_handle, args=(False,),
                   disabled=no_file, help=waiting)
    buttons.button("Check and store", icon=":material/upload:", key="models_store", type="primary", on_click=_handle, args=(True,),
                   disabled=no_file, help=waiting)
    outcome = st.session_state.pop(OUTCOME_KEY, None)
    if outcome is not None:
        _show_outcome(outcome)

st.subheader("What is stored", anchor=False)
tab_models, tab_instruments = st.tabs(["Capability models", "Survey instruments"])
with tab_models:
    if models:
        model_by_id = {r.id: r for r in models}
        chosen = st.selectbox("Model", list(model_by_id), key="models_preview_model",
                              format_func=lambda i: f"{model_by_id[i].name} · {model_by_id[i].key} v{model_by_id[i].version} (id {i})")
        with session_scope() as session:
            record = get_record(session, chosen)
            model = load_stored_model(session, chosen)
        model_preview(model, key=f"stored_model_{chosen}")
        st.download_button("Download YAML", data=record.source_yaml.encode("utf-8"),
                           file_name=f"{_slug(record.key)}-v{_slug(record.version)}.yaml", mime="application/x-yaml",
                           key=f"models_download_{chosen}", on_click="ignore", icon=":material/download:")
    else:
        st.caption("Nothing stored yet.")
with tab_instruments:
    if instruments:
        instrument_by_id = {r.id: r for r in instruments}
        chosen = st.selectbox("Instrument", list(instrument_by_id), key="models_preview_instrument",
                              format_func=lambda i: f"{instrument_by_id[i].name} · {instrument_by_id[i].key} v{instrument_by_id[i].version} (id {i})")
        record = instrument_by_id[chosen]
        with session_scope() as session:
            instrument = load_stored_instrument(session, chosen)
        instrument_preview(instrument, key=f"stored_instrument_{chosen}")
        st.download_button("Download YAML", data=record.source_yaml.encode("utf-8"),
                           file_name=f"{_slug(record.key)}-v{_slug(record.version)}.yaml", mime="application/x-yaml",
                           key=f"instruments_download_{chosen}", on_click="ignore", icon=":material/download:")
    else:
        st.caption("Nothing stored yet.")
