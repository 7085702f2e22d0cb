"""``itcap serve``: the project's Streamlit settings hold wherever it is started from."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tomllib
import urllib.request

import pytest

from itcap.cli import main
from tests.support import ROOT, free_port, wait_for_app


@pytest.fixture
def launched(monkeypatch):
    commands: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda path, command: commands.append(command))
    return commands


def _options(command: list[str]) -> dict[str, str]:
    start = command.index("run") + 2
    return dict(zip(command[start::2], command[start + 1::2]))


def test_the_project_config_turns_the_file_watcher_off():
    """A source file changed under a running server (an upgrade) re-imported the storage models with
    the watcher on: "Table 'account' is already defined", and every page failed until a restart."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["fileWatcherType"] == "none"
    assert config["client"]["showErrorDetails"] == "none"


def test_serving_from_another_directory_passes_the_project_settings(launched, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # Streamlit reads .streamlit/config.toml from the working directory only
    port = str(free_port())  # a port in use is refused before the launch
    assert main(["serve", "--port", port]) == 0
    options = _options(launched[0])
    assert options["--server.port"] == port
    assert options["--server.fileWatcherType"] == "none" and options["--client.showErrorDetails"] == "none"
    assert options["--server.maxUploadSize"] == "50"


def test_a_config_in_the_working_directory_is_left_to_streamlit(launched, tmp_path, monkeypatch):
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "config.toml").write_text("[server]\nmaxUploadSize = 10\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["serve", "--port", str(free_port())]) == 0
    assert "--server.maxUploadSize" not in launched[0]


def test_streamlit_options_after_a_double_dash_are_passed_on_last(launched, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["serve", "--port", str(free_port()), "--", "--server.fileWatcherType", "auto"]) == 0
    assert launched[0][-2:] == ["--server.fileWatcherType", "auto"]


def test_stopping_itcap_serve_stops_the_server(tmp_path):
    """kill, Docker or a supervisor signal the process they started: that must be the server (it
    was a parent that ended and left Streamlit serving on the port)."""
    process, port = _serve_until_healthy(tmp_path)
    try:
        process.send_signal(signal.SIGTERM)
        process.wait(20)
        assert not _healthy(port)
    finally:
        if process.poll() is None:
            process.kill()


@pytest.mark.browser
def test_a_stray_module_in_the_working_directory_is_not_imported(tmp_path, page):
    """"python -m streamlit" put the working directory first on sys.path: an html.py in the folder
    the server was started from shadowed the standard library (and ran), and the app crashed."""
    marker = tmp_path / "stray-imported"
    for name in ("html", "stray"):
        (tmp_path / f"{name}.py").write_text(f"open({str(marker)!r}, 'a').write({name!r})\n", encoding="utf-8")
    # PYTHONPATH: this checkout's itcap and app.py, whichever checkout the venv was installed from
    process, port = _serve_until_healthy(tmp_path, PYTHONPATH=str(ROOT))
    try:
        # the app itself runs: its own imports (itcap, pages) resolve from app.py's folder
        page.goto(f"http://127.0.0.1:{port}/")
        wait_for_app(page)
        page.get_by_label("Username", exact=True).wait_for()
        assert not marker.exists(), marker.read_text()
    finally:
        process.terminate()
        process.wait(20)


@pytest.mark.browser
def test_a_page_opened_first_after_a_start_is_served_through_the_app(tmp_path, page):
    """A server's first visitor who opened /rate (a bookmark, a tab reloaded after a restart) got the
    page file run on its own: every file in pages/ listed in the sidebar — 'admin accounts' to anyone —
    and not the app's layout or sidebar, until somebody opened /."""
    from itcap import accounts
    from itcap.bootstrap import bootstrap
    from itcap.storage import dispose_engines, session_scope

    url = f"sqlite:///{tmp_path / 'itcap.db'}"
    bootstrap(url)
    with session_scope(url) as session:
        accounts.create_account(session, "ana", "correct horse battery", ["assessor"], "Ana Assessor")
    dispose_engines()
    process, port = _serve_until_healthy(tmp_path, PYTHONPATH=str(ROOT))
    try:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"http://127.0.0.1:{port}/rate")
        wait_for_app(page)
        page.get_by_label("Username", exact=True).wait_for()  # the page asks to log in there, as after a reload
        assert page.locator('[data-testid="stSidebarNavLink"]').all_inner_texts() == []
        page.get_by_label("Username", exact=True).fill("ana")
        page.get_by_label("Password", exact=True).fill("correct horse battery")
        page.get_by_role("button", name="Log in").click()
        wait_for_app(page)
        page.get_by_role("heading", name="Score capabilities").wait_for()
        # the app's own navigation and sidebar: the pages this account may open, and Log out (waited
        # for: the sidebar can be drawn a moment after the page's heading)
        page.get_by_role("button", name="Log out").wait_for()
        wait_for_app(page)
        links = page.locator('[data-testid="stSidebarNavLink"]').all_inner_texts()
        assert [link.splitlines()[-1] for link in links] == ["Score capabilities", "My account"]  # (after the icon's name)
    finally:
        process.terminate()
        process.wait(20)


def _serve_until_healthy(folder, **env: str) -> tuple[subprocess.Popen, int]:
    """The installed ``itcap serve`` started from ``folder`` (its own SQLite file there), once its
    health check answers; killed if it does not come up."""
    port = free_port()
    env = {**os.environ, "ITCAP_DATABASE_URL": f"sqlite:///{folder / 'itcap.db'}", **env}
    itcap = os.path.join(os.path.dirname(sys.executable), "itcap")
    process = subprocess.Popen([itcap, "serve", "--port", str(port), "--", "--server.headless", "true"], cwd=folder,
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not _healthy(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError("the server did not come up")
        time.sleep(0.25)
    return process, port


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.parametrize("port", ["0", "70000"])
def test_a_port_out_of_range_is_a_usage_error_not_passed_on_to_streamlit(launched, capsys, port):
    with pytest.raises(SystemExit) as exc:
        main(["serve", "--port", port])
    assert exc.value.code == 2 and f"argument --port: must be between 1 and 65,535, not {int(port):,}" in capsys.readouterr().err
    assert launched == []


@pytest.mark.parametrize(("address", "said"), [
    ("not an address", "--address 'not an address': not an address of this machine or a name that resolves"),
    ("10.99.99.99", "cannot listen on 10.99.99.99 port"),  # a valid address, not this machine's
])
def test_an_address_the_server_cannot_listen_on_is_said_in_one_line(launched, capsys, address, said):
    assert main(["serve", "--address", address, "--port", str(free_port())]) == 1
    assert launched == []  # Streamlit, which would end in a traceback, is not started
    err = capsys.readouterr().err
    assert err.startswith(f"error: {said}") and len(err.splitlines()) == 1


def test_a_port_in_use_is_said_before_the_server_starts(launched, capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 1
    assert launched == []
    assert capsys.readouterr().err == f"error: port {port} on 127.0.0.1 is in use by another program: choose another with --port\n"
