"""The console in a real headless browser (Debian's chromium and
chromium-driver through selenium) against a live daemon and SMSC simulator:
log in, watch a bind go down when the simulator stops and come back, see
the traffic chart with data, and find a message by sid.  One browser
session for all of it; waits are WebDriverWait on the page's own state
(their timeout only bounds a test that already failed).  The screenshot
it takes is the README's."""
from __future__ import annotations

import os
import re
import shutil

import pytest

from .live import OPERATOR, PASSWORD, Live

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                reason="needs Debian's chromium and chromium-driver "
                                       "(apt-get install chromium chromium-driver; .ci/run does)")
SCREENSHOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "conf", "console.png")


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'chromium'}", "--window-size=1280,1100"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=DRIVER))
    yield driver
    driver.quit()


@pytest.fixture
def live(tmp_path):
    running = Live(tmp_path).start()
    yield running
    running.stop()


def _bind_state(driver) -> str:
    """Read in one script: the page redraws its tables every few seconds."""
    return driver.execute_script(
        'const c = document.querySelector(\'tr[data-bind="sim-1"] td.state\'); return c ? c.textContent : "";')


def _state_is(prefix: str):
    return lambda d: (lambda text: text if text.startswith(prefix) else False)(_bind_state(d))


def _chart_peak(driver) -> float:
    """The highest point the chart draws (SVG y grows downwards: lower is more)."""
    ds = driver.execute_script(
        'return Array.from(document.querySelectorAll("#chart path")).map(p => p.getAttribute("d"));')
    ys = [float(y) for d in ds for y in re.findall(r"[ML][\d.]+,([\d.]+)", d or "")]
    return min(ys, default=999.0)


def test_console_in_a_browser(browser, live):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 20, poll_frequency=0.1)
    sids = [live.send(body=f"console {n}")["sid"] for n in range(12)]
    browser.get(live.url + "/console")
    wait.until(lambda d: d.find_element(By.ID, "login").is_displayed())
    browser.find_element(By.ID, "user").send_keys(OPERATOR)
    browser.find_element(By.ID, "password").send_keys("wrong")
    browser.find_element(By.ID, "login-button").click()
    wait.until(lambda d: "operator" in d.find_element(By.ID, "login-error").text)
    browser.find_element(By.ID, "password").clear()
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login-button").click()
    wait.until(_state_is("up"))

    live.stop_smsc()
    down = wait.until(_state_is("down"))
    assert "connection lost" in down or "bind failed" in down
    live.start_smsc()
    wait.until(_state_is("up"))

    sids += [live.send(body=f"after {n}")["sid"] for n in range(12)]
    wait.until(lambda d: _chart_peak(d) < 150.0)  # a line well above the baseline (196)

    browser.find_element(By.ID, "search").send_keys(sids[0])
    browser.find_element(By.ID, "search-button").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'#history h3[data-sid="{sids[0]}"]'))
    history = browser.find_element(By.ID, "history").text  # drawn once per search: not redrawn
    assert "Status events" in history and "created" in history and "sent" in history
    assert re.search(r"1/1 sim \S+ \S+ (delivered|undelivered) (DELIVRD|UNDELIV)", history), history
    wait.until(lambda d: d.execute_script('return document.querySelectorAll("#failures tbody tr").length'))
    browser.save_screenshot(SCREENSHOT if os.environ.get("CONSOLE_SCREENSHOT") else
                            str(live.tmp_path / "console.png"))
