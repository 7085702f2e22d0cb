"""What the download buttons of an AppTest run would serve.

AppTest renders ``st.download_button`` but has no browser to click it. Recording what the buttons
hand to Streamlit's media file manager — bytes given directly, or the callable of a lazy download —
lets a test read the file a person would get, and so check the wiring of each button, not only
that it exists. The real-browser tests click the buttons for real.
"""

from __future__ import annotations

import io

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager


class Downloads:
    def __init__(self) -> None:
        self.files: dict[str, object] = {}  # file name → bytes/str, or the callable of a lazy download

    def names(self) -> list[str]:
        return list(self.files)

    def get(self, file_name: str) -> bytes:
        data = self.files[file_name]
        if callable(data):
            data = data()
        if isinstance(data, str):
            return data.encode("utf-8")
        if isinstance(data, io.IOBase):
            return data.read()
        return data

    def clear(self) -> None:
        self.files.clear()


@pytest.fixture
def downloads(monkeypatch) -> Downloads:
    captured = Downloads()
    add, add_deferred = MediaFileManager.add, MediaFileManager.add_deferred

    def record_add(self, path_or_data, mimetype, coordinates, file_name=None, is_for_static_download=False):
        if is_for_static_download and file_name:
            captured.files[file_name] = path_or_data
        return add(self, path_or_data, mimetype, coordinates, file_name, is_for_static_download)

    def record_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        if file_name:
            captured.files[file_name] = data_callable
        return add_deferred(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add", record_add)
    monkeypatch.setattr(MediaFileManager, "add_deferred", record_deferred)
    return captured
