"""Load and validate capability models from YAML files or text."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from capability_model.schema import CapabilityModel, cross_reference_problems, new_model_problems
from itcap.validation import decode_upload, one_line_field_problems, parse_document, read_text

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_MODEL_FILE = "itil_aligned_model.yaml"


def data_path(name: str) -> Path:
    """A shipped data file, whether running from a checkout or an installed package."""
    candidate = DATA_DIR / name
    if candidate.exists():
        return candidate
    import itcap.data

    return Path(itcap.data.__file__).resolve().parent / name


def default_model_path() -> Path:
    return data_path(DEFAULT_MODEL_FILE)


def parse_model(text: str, where: str = "<model>") -> CapabilityModel:
    """Validate model YAML text; raises DocumentInvalid listing every problem found."""
    return parse_document(text, where, "model", CapabilityModel, _new_document_problems)


def parse_stored_model(text: str) -> CapabilityModel:
    """A stored model: checked when it was stored; a check added since (one-line names) must not lock
    its assessments out of it."""
    return parse_document(text, "<stored model>", "model", CapabilityModel, cross_reference_problems)


def _new_document_problems(model: CapabilityModel, where: str) -> list[str]:
    return one_line_field_problems(model, where) + new_model_problems(model, where) + cross_reference_problems(model, where)


def parse_model_bytes(raw: bytes, where: str) -> CapabilityModel:
    return parse_model(decode_upload(raw, where), where)


def load_model_file(path: str | Path) -> CapabilityModel:
    return parse_model(read_text(path), str(path))


@lru_cache(maxsize=1)
def load_default_model() -> CapabilityModel:
    return load_model_file(default_model_path())
