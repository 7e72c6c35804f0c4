"""Headless Chromium for the browser tests (Debian's ``chromium`` + ``chromium-driver``: ``make browser-deps``).

The tests are skipped, with the reason, when Chromium or its driver is missing; ``make test``
installs them first, so in CI they run. Every test writes its screenshots to
``var/screenshots/<test name>/NN-step.png``.
"""
import os
import shutil

import pytest

SCREENSHOTS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "var", "screenshots")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
DRIVER = shutil.which("chromedriver")
#: A laptop: the admin's tables must fit it.
WINDOW = (1280, 900)


@pytest.fixture(scope="session")
def browser():
    if not (CHROMIUM and DRIVER):
        pytest.skip("headless Chromium not installed (make browser-deps: apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=%d,%d" % WINDOW, "--lang=en-US"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.implicitly_wait(0)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


class Shots:
    """Numbered screenshots of one test."""

    def __init__(self, driver, name):
        self.driver = driver
        self.directory = os.path.join(SCREENSHOTS, name)
        shutil.rmtree(self.directory, ignore_errors=True)
        os.makedirs(self.directory)
        self.count = 0

    def __call__(self, step):
        self.count += 1
        path = os.path.join(self.directory, "%02d-%s.png" % (self.count, step))
        # The whole page, not only the window: grow the window to the page's height for the shot.
        height = self.driver.execute_script("return document.body.scrollHeight") or WINDOW[1]
        self.driver.set_window_size(WINDOW[0], min(max(height, WINDOW[1]), 4000))
        self.driver.save_screenshot(path)
        self.driver.set_window_size(*WINDOW)
        return path


@pytest.fixture
def shots(browser, request):
    return Shots(browser, request.node.name)


@pytest.fixture
def loopback_emulator(settings):
    """The Mailchimp emulator as a real HTTP server on loopback, the addon pointed at it."""
    from shuup_mailchimp.testing.emulator import EmulatorServer, MailchimpEmulator

    emu = MailchimpEmulator()
    server = EmulatorServer(emu, port=0).start()
    settings.SHUUP_MAILCHIMP_API_URL = server.url + "/3.0/"
    yield emu
    server.stop()
