"""The jobs page (``GET /ui/``) in headless Chromium against a real server.

Debian's ``chromium`` and ``chromium-driver`` drive it through selenium (``make test`` installs
them when missing and it runs as root). Without them the browser test fails: CI must prove
the page, never skip it. A screenshot is kept in ``test-artifacts/ui.png``.
"""

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

import loadmaster
from loadmaster.instance import Instance
from loadmaster.operations.job_control import JOB_TYPES
from loadmaster.server.jobs_page import CONTENT_SECURITY_POLICY
from loadmaster.server.serve import BackgroundServer
from tests.conftest import ADMIN_AUTH, ADMIN_PASSWORD, ARTIFACTS, basic

pytestmark = pytest.mark.e2e
UI = Path(loadmaster.__file__).parent / "server" / "ui"
#: Markup in job fields: it must be shown as text, never run.
HOSTILE_USER = "<img src=x onerror=\"document.title='owned'\">"
HOSTILE_VALUE = "<script>document.title='owned'</script>"
WAIT = 15


# --- the route, without a browser ----------------------------------------------------------


def test_the_page_is_served_with_safe_headers_and_no_auth(server: BackgroundServer) -> None:
    redirect = httpx.get(server.url + "/ui")
    assert (redirect.status_code, redirect.headers["location"]) == (308, "/ui/")
    for path, media_type in (
        ("/ui/", "text/html"),
        ("/ui/app.js", "text/javascript"),
        ("/ui/app.css", "text/css"),
        ("/ui/favicon.svg", "image/svg+xml"),
    ):
        answer = httpx.get(server.url + path)
        assert answer.status_code == 200, path
        assert answer.headers["content-type"].startswith(media_type)
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    for name in ("jobs_page.py", "nothing.js", "..%2fjobs_page.py", "%2e%2e%2fapp.py"):
        missing = httpx.get(f"{server.url}/ui/{name}")
        assert missing.status_code == 404, name
    assert httpx.get(server.url + "/ui/nothing.js").json() == {
        "error": "No file 'nothing.js' in /ui/"
    }
    paths = httpx.get(server.url + "/openapi.json").json()["paths"]
    assert {"/ui", "/ui/", "/ui/{name}"} <= set(paths)


def test_the_page_has_no_inline_script_and_never_writes_html() -> None:
    html = (UI / "index.html").read_text()
    script = (UI / "app.js").read_text()
    assert re.findall(r"<script[^>]*>", html) == ['<script src="app.js" defer>']
    assert re.search(r"\son[a-z]+\s*=", html) is None  # no inline event handlers
    assert re.search(r"\sstyle\s*=", html) is None
    for sink in (".innerHTML", ".outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
    for job_type in JOB_TYPES:  # the type filter offers every job type
        assert f'"{job_type}"' in script, job_type


# --- the page in Chromium --------------------------------------------------------------------


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebDriver]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        pytest.fail(
            "the jobs page test needs Debian's chromium and chromium-driver: "
            "`apt-get install chromium chromium-driver` (make test does it as root)"
        )
    monkeypatch.setenv("SE_OFFLINE", "true")  # never let selenium download a browser or driver
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path / 'chromium'}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console errors, CSP
    chrome = webdriver.Chrome(service=Service(driver), options=options)
    try:
        yield chrome
    finally:
        chrome.quit()


def until(browser: WebDriver, check: Callable[[WebDriver], object], what: str) -> object:
    """Wait for ``check`` to return something truthy (elements may be replaced meanwhile)."""
    waiting = WebDriverWait(
        browser,
        WAIT,
        ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
    )
    return waiting.until(check, message=what)


def row(browser: WebDriver, job_id: str) -> WebElement:
    return browser.find_element(By.CSS_SELECTOR, f'#jobs-body tr[data-job-id="{job_id}"]')


def shown(browser: WebDriver) -> list[str]:
    """Return the ids of the jobs in the table, top to bottom."""
    rows = browser.find_elements(By.CSS_SELECTOR, "#jobs-body tr")
    return [str(r.get_attribute("data-job-id")) for r in rows]


def cell(browser: WebDriver, job_id: str, name: str) -> str:
    return row(browser, job_id).find_element(By.CLASS_NAME, f"job-{name}").text


def test_sign_in_upload_watch_cancel_and_hostile_fields(
    browser: WebDriver,
    quick_stop_server: BackgroundServer,
    stalled_url: str,
    tmp_path: Path,
) -> None:
    server = quick_stop_server
    api = httpx.Client(base_url=server.url, headers={"authorization": ADMIN_AUTH})

    browser.get(server.url + "/ui")
    assert browser.current_url == server.url + "/ui/"
    browser.find_element(By.ID, "username").send_keys("HDB_ADMIN")
    browser.find_element(By.ID, "password").send_keys(ADMIN_PASSWORD)
    browser.find_element(By.ID, "sign-in-button").click()
    until(browser, lambda b: b.find_element(By.ID, "app").is_displayed(), "signed in")
    assert browser.find_element(By.ID, "whoami").text == "signed in as HDB_ADMIN"
    stored = browser.execute_script("return sessionStorage.getItem('loadmaster.session')")
    assert ADMIN_PASSWORD not in stored  # a token is kept, never the password
    assert browser.execute_script("return localStorage.length") == 0

    # A load through the upload form: a CSV whose one faulty row holds markup.
    csv = tmp_path / "dogs.csv"
    csv.write_text(
        "id,name\n" + "".join(f"{i},dog{i}\n" for i in range(1, 300)) + f"300,x,{HOSTILE_VALUE}\n"
    )
    browser.find_element(By.ID, "upload-database").clear()
    browser.find_element(By.ID, "upload-database").send_keys("dev")
    browser.find_element(By.ID, "upload-table").send_keys("dog")
    browser.find_element(By.ID, "upload-file").send_keys(str(csv))
    browser.find_element(By.ID, "upload-button").click()
    uploaded = str(
        until(
            browser,
            lambda b: b.find_element(By.ID, "upload-status").get_attribute("data-job-id"),
            "the upload's job id",
        )
    )
    until(browser, lambda b: cell(b, uploaded, "status") == "COMPLETE", "the upload COMPLETE")
    bar = row(browser, uploaded).find_element(By.CSS_SELECTOR, ".job-progress progress")
    assert bar.get_attribute("value") == "100"
    assert cell(browser, uploaded, "percent") == "100.0%"
    assert cell(browser, uploaded, "message") == "successfully loaded 300 of 300 records"
    assert cell(browser, uploaded, "type") == "csv_upload_load"

    # A load from a source that stalls: followed live, then cancelled from its detail.
    slow = api.post(
        "/",
        json={
            "operation": "csv_url_load",
            "database": "dev",
            "table": "dog",
            "csv_url": stalled_url,
        },
    ).json()["job_id"]
    browser.find_element(By.ID, "refresh").click()
    until(browser, lambda b: cell(b, slow, "status") == "IN_PROGRESS", "the slow job running")
    row(browser, slow).find_element(By.CLASS_NAME, "job-open").click()
    until(browser, lambda b: b.find_element(By.ID, "detail-id").text == slow, "its detail")
    browser.find_element(By.ID, "cancel-job").click()
    until(browser, lambda b: cell(b, slow, "status") == "ERROR", "the cancelled job ERROR")
    assert cell(browser, slow, "message").startswith("Job was cancelled by HDB_ADMIN")
    until(
        browser,
        lambda b: b.find_element(By.ID, "detail-status").text == "ERROR (cancelled)",
        "the detail shows the cancel",
    )
    assert browser.find_element(By.ID, "cancel-job").get_attribute("disabled") is not None

    # Markup in a user name and in a faulty row is text, and nothing ran.
    api.post(
        "/",
        json={
            "operation": "add_user",
            "role": "super_user",
            "username": HOSTILE_USER,
            "password": "hostile-pw",
            "active": True,
        },
    ).raise_for_status()
    hostile = httpx.post(
        server.url,
        json={"operation": "csv_data_load", "database": "dev", "table": "dog", "data": "id\n9\n"},
        headers={"authorization": basic(HOSTILE_USER, "hostile-pw")},
    ).json()["job_id"]
    Select(browser.find_element(By.ID, "filter-type")).select_by_visible_text("csv_data_load")
    browser.find_element(By.ID, "apply-filters").click()
    # A read with the old filters may still be on its way: wait for the filtered page.
    until(browser, lambda b: shown(b) == [hostile], "only the csv_data_load job")
    assert cell(browser, hostile, "user") == HOSTILE_USER
    Select(browser.find_element(By.ID, "filter-type")).select_by_visible_text("any")
    browser.find_element(By.ID, "apply-filters").click()
    until(browser, lambda b: shown(b) == [hostile, slow, uploaded], "every job again")
    row(browser, uploaded).find_element(By.CLASS_NAME, "job-open").click()
    until(
        browser,
        lambda b: b.find_element(By.ID, "errors-summary").text == "1 faulty row.",
        "the upload's faulty row",
    )
    faults = browser.find_elements(By.CSS_SELECTOR, "#errors-body td")
    assert [f.text for f in faults] == ["301", "", "too many fields", HOSTILE_VALUE]
    assert browser.find_elements(By.CSS_SELECTOR, "#jobs-body img, #errors-body script") == []
    assert browser.title == "loadmaster jobs"
    # No script error and no Content-Security-Policy violation on the console.
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "ui.png"  # its path is named in the run's summary
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000

    browser.find_element(By.ID, "sign-out").click()
    until(browser, lambda b: b.find_element(By.ID, "sign-in").is_displayed(), "signed out")
    assert browser.execute_script("return sessionStorage.length") == 0
    api.close()


def sign_in(browser: WebDriver, **fields: str) -> None:
    for name, value in fields.items():
        box = browser.find_element(By.ID, name)
        box.clear()
        box.send_keys(value)
    browser.find_element(By.ID, "sign-in-button").click()


def test_token_sign_in_paging_filters_and_refusals(
    browser: WebDriver, server: BackgroundServer, h1: httpx.Client, instance: Instance
) -> None:
    instance.operation(
        {"operation": "create_table", "database": "dev", "table": "dog", "primary_key": "id"}
    )
    jobs = [
        h1.post(
            "/",
            json={
                "operation": "csv_data_load",
                "table": "dog",
                "database": "dev",
                "data": "id\n1\n",
            },
        ).json()["job_id"]
        for _ in range(22)  # a page and a bit
    ]
    for job_id in jobs:
        assert instance.wait_for_job(job_id, timeout=30) is not None
    tokens = h1.post("/", json={"operation": "create_authentication_tokens"}).json()

    browser.get(server.url + "/ui/")
    sign_in(browser, username="HDB_ADMIN", password="wrong")
    until(
        browser,
        lambda b: b.find_element(By.ID, "notice").text == "Sign-in failed: Login failed",
        "a refused password",
    )
    assert not browser.find_element(By.ID, "app").is_displayed()
    browser.find_element(By.ID, "method-token").click()
    sign_in(browser, token="not-a-token")
    until(
        browser,
        lambda b: b.find_element(By.ID, "notice").text.startswith("Sign-in failed: "),
        "a refused token",
    )
    sign_in(browser, token=tokens["operation_token"])
    until(browser, lambda b: b.find_element(By.ID, "app").is_displayed(), "signed in by token")
    assert browser.find_element(By.ID, "whoami").text == "signed in as HDB_ADMIN"

    newest_first = jobs[::-1]
    until(browser, lambda b: shown(b) == newest_first[:20], "the first page")
    browser.find_element(By.ID, "next-page").click()
    until(browser, lambda b: shown(b) == newest_first[20:], "the second page")
    assert browser.find_element(By.ID, "page-number").text == "page 2"
    assert browser.find_element(By.ID, "next-page").get_attribute("disabled") is not None
    browser.find_element(By.ID, "previous-page").click()
    until(browser, lambda b: shown(b) == newest_first[:20], "back on the first page")

    Select(browser.find_element(By.ID, "filter-status")).select_by_visible_text("ERROR")
    browser.find_element(By.ID, "apply-filters").click()
    until(browser, lambda b: b.find_element(By.ID, "jobs-empty").is_displayed(), "no ERROR jobs")
    assert shown(browser) == []

    # A reload keeps the session (the tab's storage); a revoked token ends it.
    browser.refresh()
    until(browser, lambda b: b.find_element(By.ID, "app").is_displayed(), "still signed in")
    browser.execute_script(
        "const s = JSON.parse(sessionStorage.getItem('loadmaster.session'));"
        "s.token = 'revoked'; sessionStorage.setItem('loadmaster.session', JSON.stringify(s));"
    )
    browser.refresh()
    until(browser, lambda b: b.find_element(By.ID, "sign-in").is_displayed(), "signed out")
    assert browser.find_element(By.ID, "notice").text.startswith("Signed out: ")
    assert browser.execute_script("return sessionStorage.length") == 0
