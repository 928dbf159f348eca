"""End to end in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright):
the server runs as `python -m rosenblatt playground` on a free port of 127.0.0.1.

Outside CI the test skips when Chromium or Playwright is missing; with CI=true it fails instead.
It saves a screenshot of the trained page in pytest's temporary folder, or, with
ROSENBLATT_SCREENSHOTS=docs/images, the README's docs/images/playground.png (so that `make test`
does not rewrite a tracked file).
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = os.environ.get("ROSENBLATT_SCREENSHOTS")
CHROMIUM = os.environ.get("ROSENBLATT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def _need(ok, why):
    if ok:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI: the browser test cannot run: {why}")
    pytest.skip(why)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-m", "rosenblatt", "playground", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/api/stats", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"the playground server did not start: {proc.stdout.read()}")
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def _stats(url):
    with urllib.request.urlopen(url + "/api/stats", timeout=5) as r:
        return json.load(r)


def _loss(page, hook):
    text = page.get_by_test_id(hook).inner_text()
    m = re.search(r"\d+\.\d+", text)
    return float(m.group()) if m else float("nan")


def _boundary(page):
    return page.get_by_test_id("boundary").evaluate("c => c.toDataURL()")


def test_xor_in_the_browser(server, tmp_path):
    _need(os.path.exists(CHROMIUM), f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _need(False, "Playwright is not installed (pip install playwright)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1360, "height": 820})
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server + "/")
            expect(page.get_by_test_id("test-loss")).to_have_text(re.compile(r"\d+\.\d+"), timeout=30_000)

            # XOR, two hidden layers, tanh
            page.get_by_test_id("dataset").select_option(label="XOR")
            expect(page).to_have_url(re.compile(r"dataset=xor"))
            page.get_by_test_id("hidden-layers").select_option("2")
            page.get_by_test_id("activation").select_option("tanh")
            expect(page).to_have_url(re.compile(r"layers=\d,\d&"))
            expect(page.get_by_test_id("epoch")).to_have_text("000000")
            page.wait_for_timeout(300)
            before = _boundary(page)

            page.get_by_test_id("play").click()
            page.wait_for_function(
                "() => { const m = document.querySelector('[data-testid=test-loss]').textContent"
                ".match(/\\d+\\.\\d+/); return m && parseFloat(m[0]) < 0.1; }", timeout=120_000)
            page.get_by_test_id("play").click()                       # pause
            assert _loss(page, "test-loss") < 0.1
            assert _loss(page, "train-loss") < 0.2
            assert _boundary(page) != before, "the decision boundary did not change"
            page.get_by_test_id("node-0-0").hover()                   # hover shows a neuron's values
            expect(page.get_by_test_id("tooltip")).to_contain_text("bias")
            page.mouse.move(5, 5)
            page.wait_for_timeout(200)
            shots = ROOT / SCREENSHOT_DIR if SCREENSHOT_DIR else tmp_path
            page.screenshot(path=str(shots / "playground.png"))

            # the URL holds the settings: a new tab finds the same ones
            url = page.url
            assert "dataset=xor" in url and "activation=tanh" in url
            tab = context.new_page()
            tab.goto(url)
            expect(tab.get_by_test_id("test-loss")).to_have_text(re.compile(r"\d+\.\d+"), timeout=30_000)
            expect(tab.get_by_test_id("dataset")).to_have_value("xor")
            expect(tab.get_by_test_id("activation")).to_have_value("tanh")
            expect(tab.get_by_test_id("hidden-layers")).to_have_value("2")
            assert tab.get_by_test_id("dataset").evaluate("s => s.selectedOptions[0].text") == "XOR"

            # 中文
            tab.get_by_test_id("lang").click()
            expect(tab.get_by_test_id("play")).to_have_text("运行")
            expect(tab.get_by_test_id("reset")).to_have_text("重置")
            expect(tab.locator("h2").first).to_have_text("数据")
            assert "异或" in tab.get_by_test_id("dataset").evaluate("s => s.selectedOptions[0].text")
            assert "lang=zh" in tab.url

            # one step, a feature clicked on, a neuron added: each lands in the URL
            tab.get_by_test_id("step").click()
            expect(tab.get_by_test_id("epoch")).to_have_text(re.compile(r"0*[1-9]\d*$"))
            tab.get_by_test_id("feature-x1x2").click()
            expect(tab).to_have_url(re.compile(r"features=x1,x2,x1x2"))
            tab.get_by_test_id("add-neuron-1").click()
            expect(tab).to_have_url(re.compile(r"layers=\d,3"))
            tab.get_by_test_id("link-0-0-1").hover()
            expect(tab.get_by_test_id("tooltip")).to_contain_text("权重")

            # a bad setting in the URL: a clear message, and its default is used
            tab.goto(server + "/?dataset=xor&lr=fast&layers=4,4")
            expect(tab.locator("#message")).to_contain_text("'lr'", timeout=30_000)
            expect(tab.get_by_test_id("lr")).to_have_value("0.03")
            expect(tab.get_by_test_id("dataset")).to_have_value("xor")

            # sessions end when their pages go away
            deadline = time.monotonic() + 10           # the replaced page's beacon ended its session
            while _stats(server)["sessions"] != 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert _stats(server)["sessions"] == 2
            tab.close(run_before_unload=True)       # the page's close beacon
            page.close()                            # no beacon: its event stream ends, the session expires
            deadline = time.monotonic() + 40
            while _stats(server)["sessions"] and time.monotonic() < deadline:
                time.sleep(0.2)
            assert _stats(server)["sessions"] == 0
            assert not errors, errors
        finally:
            browser.close()
