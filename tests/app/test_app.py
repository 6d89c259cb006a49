"""``moodtalk app`` in a real browser: the Debian chromium, headless, driven by Playwright.

One server (the real command, in its own process, with a token and small limits) serves every test here;
each test opens its own page. Screenshots go to ``$MOODTALK_SCREENSHOTS`` when that is set.
"""

from __future__ import annotations

import csv
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import soundfile as sf

from tests.helpers import shared_file

CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "correct horse battery staple"
MAX_AUDIO_S = 10.0
SPEECH = "emotion_speech/evp__M003_neutral.wav"  # 3.2 s of real speech (MEAD actor M003, via EVP)
LONG_SPEECH = "speech/styletalk__Obama_clip1.wav"  # 20 s: over this server's limit
PORTRAIT = "portraits/makeittalk__aya.jpg"

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[serve]')")
if not CHROMIUM.is_file():
    pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium)", allow_module_level=True)


@dataclass
class App:
    url: str
    process: subprocess.Popen
    tmp: Path
    """The server's TMPDIR: its temporary files must all be gone when it stops."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    tmp = tmp_path_factory.mktemp("app-tmp")
    port = _free_port()
    env = {**os.environ, "TMPDIR": str(tmp), "MOODTALK_TOKEN": TOKEN}
    cmd = [sys.executable, "-m", "moodtalk.cli", "app", "--port", str(port), "--max-audio-s", str(MAX_AUDIO_S)]
    process = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            pytest.fail(f"moodtalk app exited with {process.returncode}: {process.stderr.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail("moodtalk app did not listen within 60 s")
            time.sleep(0.2)
    app = App(f"http://127.0.0.1:{port}/", process, tmp)
    try:
        yield app
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def browser(app: App) -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


def _open(browser, app: App):  # noqa: ANN001, ANN202 - a Playwright Page
    """A new page, logged in (any user name, the token as password), the app loaded."""
    page = browser.new_page(viewport={"width": 1280, "height": 1100}, accept_downloads=True)
    page.goto(app.url)
    page.get_by_label("username").fill("me")
    page.get_by_label("password").fill(TOKEN)
    page.get_by_role("button", name="Login").click()
    page.wait_for_selector("#generate", timeout=30_000)
    return page


def _shot(page, name: str) -> None:  # noqa: ANN001
    folder = os.environ.get("MOODTALK_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _status(page) -> str:  # noqa: ANN001
    return page.locator("#status").inner_text()


def _wait_status(page, text: str) -> str:  # noqa: ANN001
    page.wait_for_function("t => document.querySelector('#status').innerText.includes(t)", arg=text, timeout=20_000)
    return _status(page)


def test_generate_plays_the_video_and_downloads_the_motion(app: App, browser, tmp_path: Path) -> None:  # noqa: ANN001
    speech, portrait = shared_file(SPEECH), shared_file(PORTRAIT)
    seconds = sf.info(str(speech)).duration
    page = _open(browser, app)
    _shot(page, "1_opened")
    page.locator("#portrait input[type=file]").set_input_files(str(portrait))
    page.locator("#audio input[type=file]").set_input_files(str(speech))
    assert f"Speech: {seconds:.1f} s." in _wait_status(page, "Speech:")
    page.locator("#emotion").get_by_label("happy").check()
    page.locator("#size").get_by_label("256").check()
    page.locator("#generate").click()
    # The video element gets the mp4 and plays it (autoplay, muted by the page's policy or not).
    page.wait_for_function(
        "() => { const v = document.querySelector('#video video');"
        " return v && v.readyState >= 2 && v.duration > 0 && v.currentTime > 0.3 && !v.paused; }",
        timeout=60_000,
    )
    duration = page.evaluate("document.querySelector('#video video').duration")
    assert abs(duration - seconds) < 0.1, (duration, seconds)
    assert _status(page).startswith("Done:"), _status(page)
    _shot(page, "2_generated")

    def download(button: str) -> Path:
        with page.expect_download() as info:
            page.locator(button).click()
        target = tmp_path / info.value.suggested_filename
        info.value.save_as(target)
        return target

    motion = download("#download-csv")
    rows = list(csv.reader(motion.open()))
    header, body = rows[0], rows[1:]
    assert header[0] == "time" and "jawOpen" in header and "mouthSmileLeft" in header
    assert abs(len(body) - round(seconds * 25)) <= 1
    values = {name: [float(r[i]) for r in body] for i, name in enumerate(header)}
    assert max(values["jawOpen"]) > 0.2, "the mouth never opens on real speech"
    assert min(values["mouthSmileLeft"]) > 0.2, "happy at intensity 1 should smile throughout"
    llf = download("#download-llf")
    llf_rows = list(csv.reader(llf.open()))
    assert llf_rows[0][:3] == ["Timecode", "BlendShapeCount", "EyeBlinkLeft"]
    assert len(llf_rows) == len(rows)
    video = download("#download-mp4")
    assert video.suffix == ".mp4" and video.stat().st_size > 10_000
    page.close()


def test_bad_inputs_are_refused_in_the_page(app: App, browser, tmp_path: Path) -> None:  # noqa: ANN001
    long_speech = shared_file(LONG_SPEECH)
    page = _open(browser, app)
    text = tmp_path / "notes.wav"
    text.write_text("these are my notes, not a recording\n")
    page.locator("#audio input[type=file]").set_input_files(str(text))
    assert "notes.wav: not a readable media file" in _wait_status(page, "Error")
    _shot(page, "3_not_media")
    page.locator("#generate").click()  # generating with it says the same, and no video appears
    page.wait_for_timeout(1500)
    assert "not a readable media file" in _status(page)
    assert page.locator("#video video").count() == 0
    page.locator("#audio button[aria-label=Clear]").click()
    page.locator("#audio input[type=file]").set_input_files(str(long_speech))
    assert f"this page takes at most {MAX_AUDIO_S:g} s" in _wait_status(page, "at most")
    _shot(page, "4_too_long")
    page.close()


def test_the_token_is_required(app: App) -> None:
    """Without the login nothing runs: the page's API answers 401; a wrong password is refused."""
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(app.url + "config", timeout=10)
    assert e.value.code == 401
    wrong = urllib.parse.urlencode({"username": "me", "password": "guess"}).encode()
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(app.url + "login", data=wrong, timeout=10)
    assert e.value.code in (400, 401)


def test_stopping_removes_the_temporary_files(app: App, browser) -> None:  # noqa: ANN001 - runs last
    assert any(app.tmp.iterdir()), "the server keeps its files under TMPDIR while it runs"
    app.process.send_signal(signal.SIGTERM)
    assert app.process.wait(20) == 0
    assert list(app.tmp.iterdir()) == []
