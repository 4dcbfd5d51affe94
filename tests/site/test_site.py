"""The built site, read in a real browser: headless Chromium driven by Playwright.

`make test` runs these after the build (`make site-test` runs them alone on `_build/html`). Every
page of `_toc.yml` is opened twice, served from 127.0.0.1 and as a file, and must load nothing from
any other host, raise no JavaScript error, render its math and load every figure. Chapter pages must
show figures and math and link to their own notebook in Colab; the Reproducibility page must list every chapter and fit a
1280 px window; the offline search must find a chapter from a word of its title. Screenshots of one
chapter and of the Reproducibility page are saved under `_build/screenshots/` for a person to look at.

Without Chromium or Playwright the tests are skipped with a message saying how to install them,
except in CI (CI=true), where a missing browser is a failure.
"""

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

# The site under test (default: this book's); its book folder holds the _toc.yml and _config.yml.
SITE = Path(
    os.environ.get(
        "KEXUE_SITE", Path(__file__).resolve().parents[2] / "_build" / "html"
    )
)
ROOT = SITE.parents[1]
SCREENSHOTS = SITE.parent / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WIDTH = 1280
# Chromium's flags for a closed network: no background connections to Google's services.
BROWSER_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _missing(what, how):
    message = f"{what} is missing: {how}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the browser test, but {message}")
    pytest.skip(message)


def toc_pages():
    """Every document of _toc.yml, as its path in the built site."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [entry["file"] for entry in part["chapters"]]
    return pages


def chapter_pages():
    return [p for p in toc_pages() if re.fullmatch(r"chapters/\d{4}-[a-z0-9-]+", p)]


@pytest.fixture(scope="module")
def browser():
    if not (SITE / "index.html").exists():
        _missing("the built site", f"no {SITE / 'index.html'}; run `make book` first")
    if CHROMIUM is None:
        _missing("Chromium", "install Debian's package with `apt-get install chromium`")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright", "`make env` installs it from requirements.txt")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=BROWSER_ARGS
        )
        yield browser
        browser.close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    handler = functools.partial(_Quiet, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _local(url, base):
    scheme = urlparse(url).scheme
    if scheme in ("data", "blob", "about"):
        return True
    return url.startswith(base)


WAIT_FOR_MATH = """
() => new Promise((resolve) => {
  const started = Date.now();
  (function poll() {
    if (!document.querySelector('.math.notranslate')) {
      resolve(true);  // no math on this page, so nothing to wait for
    } else if (window.MathJax && MathJax.Hub && MathJax.isReady) {
      MathJax.Hub.Queue(() => resolve(true));
    } else if (Date.now() - started > 20000) {
      resolve(false);
    } else {
      setTimeout(poll, 50);
    }
  })();
})
"""

PAGE_FACTS = """
() => {
  const text = (root) => {
    const copy = root.cloneNode(true);
    copy.querySelectorAll('pre, code, script, style, .MathJax_Preview').forEach((e) => e.remove());
    return copy.innerText;
  };
  const article = document.querySelector('article') || document.body;
  return {
    mathSource: document.querySelectorAll('.math.notranslate').length,
    mathUnrendered: [...document.querySelectorAll('.math.notranslate')]
      .filter((e) => !e.querySelector('.MathJax, .MathJax_Display, .MathJax_SVG'))
      .map((e) => e.innerText.slice(0, 60)),
    mathErrors: document.querySelectorAll('.MathJax_Error, merror').length
      + (document.body.innerText.includes('Math Processing Error') ? 1 : 0),
    rawDollars: (text(article).match(/\\$\\$/g) || []).length,
    brokenImages: [...document.images].filter((i) => !(i.complete && i.naturalWidth > 0)).map((i) => i.src),
    figures: article.querySelectorAll('img').length,
    scrollingCode: [...article.querySelectorAll('div.cell_input pre')]
      .filter((p) => p.scrollWidth > p.clientWidth)
      .map((p) => p.innerText.split('\\n').reduce((a, b) => (b.length > a.length ? b : a), '')),
    colab: [...document.querySelectorAll('a[href*="colab.research.google.com"]')].map((a) => a.href),
    pageWidth: document.documentElement.scrollWidth,
    tooWideTables: [...article.querySelectorAll('table')]
      .filter((t) => t.getBoundingClientRect().right > article.getBoundingClientRect().right + 1)
      .map((t) => t.innerText.slice(0, 60)),
    articleText: article.innerText,
  };
}
"""


def visit(browser, url, base):
    """Open `url`; return what the page did and showed."""
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    errors, foreign = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: None if _local(r.url, base) else foreign.append(r.url))
    page.goto(url, wait_until="load")
    math_ready = page.evaluate(WAIT_FOR_MATH)
    facts = page.evaluate(PAGE_FACTS)
    facts.update(errors=errors, foreign=foreign, math_ready=math_ready, page=page)
    return facts


def check_page(facts, name):
    assert not facts["foreign"], f"{name} asked other hosts for {facts['foreign'][:5]}"
    assert not facts["errors"], (
        f"{name} raised JavaScript errors: {facts['errors'][:5]}"
    )
    if facts["mathSource"]:
        assert facts["math_ready"], f"{name}: MathJax never finished"
        assert not facts["mathUnrendered"], (
            f"{name}: formulas MathJax did not render: {facts['mathUnrendered'][:3]}"
        )
    assert facts["mathErrors"] == 0, f"{name}: MathJax reported errors"
    assert facts["rawDollars"] == 0, f"{name}: raw $$ left in the text"
    assert not facts["brokenImages"], (
        f"{name}: figures that did not load: {facts['brokenImages']}"
    )


def check_chapter(facts, doc):
    """A chapter shows figures and math, and its Colab button opens this very notebook."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    repository = urlparse(config["repository"]["url"]).path.strip("/")
    branch = config["repository"].get("branch", "main")
    assert facts["figures"] > 0, f"{doc} shows no figure"
    assert facts["mathSource"] > 0, f"{doc} shows no math"
    expected = f"https://colab.research.google.com/github/{repository}/blob/{branch}/{doc}.ipynb"
    assert facts["colab"] == [expected], f"{doc}: Colab links {facts['colab']}"
    assert not facts["scrollingCode"], (
        f"{doc}: code that scrolls sideways at {WIDTH} px, e.g. {facts['scrollingCode'][0]!r}"
    )


@pytest.mark.parametrize("doc", toc_pages())
def test_page_served_from_localhost(browser, server, doc):
    facts = visit(browser, f"{server}/{doc}.html", server)
    try:
        check_page(facts, f"{doc}.html (served)")
        if doc in chapter_pages():
            check_chapter(facts, doc)
        if doc == (chapter_pages() or [None])[0]:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            facts["page"].screenshot(path=str(SCREENSHOTS / "chapter.png"))
    finally:
        facts["page"].close()


@pytest.mark.parametrize("doc", toc_pages())
def test_page_opened_as_a_file(browser, doc):
    base = SITE.as_uri()
    facts = visit(browser, f"{base}/{doc}.html", base)
    try:
        check_page(facts, f"{doc}.html (file)")
    finally:
        facts["page"].close()


def test_reproducibility_page_lists_every_chapter_and_fits_the_window(browser, server):
    facts = visit(browser, f"{server}/reproducibility.html", server)
    try:
        for doc in chapter_pages():
            post = doc.split("/")[1][:4]
            assert post in facts["articleText"], (
                f"the Reproducibility page misses chapter {post}"
            )
        assert facts["pageWidth"] <= WIDTH, f"the page is {facts['pageWidth']} px wide"
        assert not facts["tooWideTables"], (
            f"tables wider than the text: {facts['tooWideTables']}"
        )
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        facts["page"].screenshot(
            path=str(SCREENSHOTS / "reproducibility.png"), full_page=True
        )
    finally:
        facts["page"].close()


def test_offline_search_finds_a_chapter_from_a_word_of_its_title(browser, server):
    doc = chapter_pages()[0]
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    try:
        page.goto(f"{server}/{doc}.html", wait_until="load")
        title = page.locator("article h1").first.inner_text()
        word = max(re.findall(r"[A-Za-z]{5,}", title), key=len)
        page.goto(f"{server}/search.html?q={word}", wait_until="load")
        page.wait_for_selector("#search-results li", timeout=20000)
        hrefs = page.eval_on_selector_all(
            "#search-results li a", "(as) => as.map((a) => a.href)"
        )
        assert any(f"{doc}.html" in h for h in hrefs), (
            f"searching {word!r} gave {hrefs[:5]}"
        )
    finally:
        page.close()
