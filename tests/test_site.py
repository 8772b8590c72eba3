"""The course website: built from the stored notebooks, served locally, read in a browser.

A session fixture builds the site into a temporary folder with the command
`make book` uses and serves it from a local HTTP server on a free port. The
static checks read the built files. The browser checks drive a headless
Chromium through Playwright, which uses the system's browser and downloads
none; where Chromium or Playwright is missing they skip and say how to get it.
LOSSBOOK_CHROMIUM names another Chromium binary to use.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import os
import re
import shutil
import struct
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import nbformat
import pytest
import yaml

from coursetools import course

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
REPOSITORY = CONFIG["repository"]["url"].rstrip("/")
BRANCH = CONFIG["repository"]["branch"]

#: Every page of the table of contents, plus the pages Sphinx adds.
PAGES = [f"{name}.html" for name in course.toc_files(ROOT)] + ["genindex.html", "search.html"]
#: Chapters written as notebooks: the pages with launch and download buttons.
NOTEBOOKS = [name for name in course.toc_files(ROOT) if (ROOT / f"{name}.ipynb").exists()]

#: A page, with the images it shows, must stay below this many bytes.
MAX_PAGE_BYTES = 3_000_000
#: Everything a first visit downloads (uncompressed), shared scripts and fonts included.
MAX_FIRST_VISIT_BYTES = 6_000_000
#: Figures are stored at twice their displayed width (matplotlib's "retina").
MIN_PIXELS_PER_CSS_PIXEL = 1.9
#: Headless Chromium that talks to nothing but the page it is given.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_CHROMIUM = "install it with `apt-get install chromium chromium-driver` (Debian, as root)"


# --------------------------------------------------------------------------- the built site


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """Build the website as `make book` does, into a temporary folder."""
    out = tmp_path_factory.mktemp("site")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [
        str(jupyter_book if jupyter_book.exists() else shutil.which("jupyter-book")),
        "build",
        str(ROOT),
        "--builder",
        "html",
        "--warningiserror",
        "--keep-going",
        "--path-output",
        str(out),
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).splitlines()
        problems = [line for line in output if re.search(r"WARNING|ERROR|Error|Exception", line)]
        pytest.fail("the site does not build (`make book` shows the same):\n" + "\n".join(problems[:20] or output[-40:]))
    return out / "_build" / "html"


class _Page(HTMLParser):
    """The parts of a built page the static checks read."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.inline_scripts: list[str] = []
        self.figures: list[dict] = []
        self._figure: dict | None = None
        self._script: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v or "") for k, v in attrs}
        self.tags.append((tag, attrs))
        if tag == "script" and "src" not in attrs:
            self._script = []
        elif tag == "figure":
            self._figure = {"id": attrs.get("id", ""), "numbered": False, "caption": False}
            self.figures.append(self._figure)
        elif self._figure is not None and tag == "figcaption":
            self._figure["caption"] = True
        elif self._figure is not None and "caption-number" in attrs.get("class", "").split():
            self._figure["numbered"] = True

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.inline_scripts.append("".join(self._script))
            self._script = None
        elif tag == "figure":
            self._figure = None

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _html_files(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if not {"_static", "_sources"} & set(p.relative_to(site).parts))


def _local_file(page: Path, url: str) -> Path | None:
    """The built file a relative URL on `page` points to, or None for another host."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    return (page.parent / unquote(parts.path)).resolve()


_FOREIGN = re.compile(r"^(https?:)?//", re.IGNORECASE)
#: Attributes through which a page loads something (links <a href> merely point).
_LOADING = {
    "script": ["src"],
    "link": ["href"],
    "img": ["src", "srcset"],
    "source": ["src", "srcset"],
    "iframe": ["src"],
    "video": ["src", "poster"],
    "audio": ["src"],
    "embed": ["src"],
    "object": ["data"],
}


def test_no_page_loads_anything_from_another_host(site):
    found = []
    for path in _html_files(site):
        page = _parse(path)
        where = path.relative_to(site)
        for tag, attrs in page.tags:
            for name in _LOADING.get(tag, []):
                if _FOREIGN.match(attrs.get(name, "").strip()):
                    found.append(f"{where}: <{tag} {name}={attrs[name]!r}>")
        for script in page.inline_scripts:
            found += [f"{where}: inline script names {url}" for url in re.findall(r"https?://[^\s\"'`]+", script)]
    for css in sorted(site.rglob("*.css")):
        text = css.read_text(encoding="utf-8", errors="replace")
        for url in re.findall(r"(?:url\(|@import)\s*[\"']?((?:https?:)?//[^\"')\s]+)", text):
            found.append(f"{css.relative_to(site)}: {url}")
    assert found == [], "the site must be self-contained:\n" + "\n".join(found)


def test_mathjax_is_served_by_the_site(site):
    path = site / "chapters" / "03_entropy_cross_entropy_kl.html"
    scripts = [attrs["src"] for tag, attrs in _parse(path).tags if tag == "script" and "mathjax" in attrs.get("src", "")]
    assert scripts, "no MathJax script on a page full of formulas"
    for src in scripts:
        target = _local_file(path, src)
        assert target is not None and target.is_file(), src


def test_launch_download_and_repository_buttons_are_plain_links(site):
    assert NOTEBOOKS, "no notebook chapters in _toc.yml"
    org_repo = REPOSITORY.split("github.com/")[1]
    for name in NOTEBOOKS:
        path = site / f"{name}.html"
        links = {attrs.get("href", "") for tag, attrs in _parse(path).tags if tag == "a"}
        expected = {
            f"https://colab.research.google.com/github/{org_repo}/blob/{BRANCH}/{name}.ipynb",
            f"https://mybinder.org/v2/gh/{org_repo}/{BRANCH}?urlpath=lab/tree/{name}.ipynb",
            REPOSITORY,
        }
        assert expected <= links, f"{name}: missing {sorted(expected - links)}"
        assert any(link.startswith(f"{REPOSITORY}/issues/new") for link in links), name
        downloads = [link for link in links if link.endswith(f"_sources/{name}.ipynb")]
        assert downloads, f"{name}: no .ipynb download link"
        assert _local_file(path, downloads[0]).is_file()
        html = path.read_text(encoding="utf-8")
        assert "thebe-launch-button" not in html and "thebelab" not in html


def test_every_figure_is_numbered_captioned_and_has_alt_text(site):
    figures = 0
    for path in _html_files(site):
        page = _parse(path)
        for figure in page.figures:
            figures += 1
            where = f"{path.relative_to(site)} figure {figure['id']!r}"
            assert figure["caption"] and figure["numbered"], f"{where}: no numbered caption"
        for tag, attrs in page.tags:
            if tag == "img":
                assert attrs.get("alt", "").strip(), f"{path.relative_to(site)}: <img src={attrs.get('src')!r}> has no alt text"
    assert figures > 0


def _png_width(path: Path) -> int:
    with open(path, "rb") as fh:
        header = fh.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">I", header[16:20])[0]


def test_figures_are_stored_at_twice_their_displayed_width(site):
    checked = 0
    for path in _html_files(site):
        for tag, attrs in _parse(path).tags:
            shown = re.search(r"width:\s*([\d.]+)px", attrs.get("style", ""))
            if tag != "img" or not attrs.get("src", "").endswith(".png") or not shown:
                continue
            pixels = _png_width(_local_file(path, attrs["src"]))
            assert pixels >= MIN_PIXELS_PER_CSS_PIXEL * float(shown.group(1)), (
                f"{path.relative_to(site)}: {attrs['src']} is {pixels} px wide, shown at {shown.group(1)} px"
            )
            checked += 1
    assert checked > 0


def test_page_weight_with_images_stays_small(site, capsys):
    weights = []
    for path in _html_files(site):
        images = set()
        for tag, attrs in _parse(path).tags:
            if tag == "img" and attrs.get("src"):
                target = _local_file(path, attrs["src"])
                if target is not None and target.is_file():
                    images.add(target)
        size = path.stat().st_size + sum(p.stat().st_size for p in images)
        weights.append((size, path.relative_to(site), len(images)))
    weights.sort(reverse=True)
    size, heaviest, count = weights[0]
    with capsys.disabled():
        print(
            f"\n[page weight] heaviest page: {heaviest}, {size / 1e6:.2f} MB with its {count} images "
            f"(limit {MAX_PAGE_BYTES / 1e6:.0f} MB); next: " + ", ".join(f"{p} {s / 1e6:.2f} MB" for s, p, _ in weights[1:4])
        )
    assert size < MAX_PAGE_BYTES, f"{heaviest} weighs {size / 1e6:.2f} MB with its images"


def test_the_glossary_defines_the_course_terms_and_chapters_link_to_it(site):
    glossary = site / "chapters" / "glossary.html"
    ids = {attrs.get("id") for tag, attrs in _parse(glossary).tags}
    assert {"term-cross-entropy", "term-KL-divergence", "term-loss"} <= ids
    linked = [
        path for path in _html_files(site) if path != glossary and "glossary.html#term-" in path.read_text(encoding="utf-8")
    ]
    assert len(linked) >= 3, linked


# --------------------------------------------------------------------------- exercises


def _chapter_labels(name):
    from lossbook import exercises

    number = Path(name).name.split("_")[0]
    return [label for label in exercises.labels() if label[3:5] == number]


def test_exercises_are_numbered_and_each_solution_is_a_dropdown(site):
    checked = 0
    for name in NOTEBOOKS:
        labels = _chapter_labels(name)
        if not labels:
            continue
        page = _parse(site / f"{name}.html")
        divs = [attrs for tag, attrs in page.tags if tag == "div"]
        exercises_on_page = [a["id"] for a in divs if "exercise" in a.get("class", "").split()]
        solutions = [a for a in divs if "solution" in a.get("class", "").split()]
        assert exercises_on_page == labels, name
        assert len(solutions) == len(labels), name
        assert all("dropdown" in a["class"].split() for a in solutions), name
        html = (site / f"{name}.html").read_text(encoding="utf-8")
        # Numbered through the book, like the figures.
        assert len(re.findall(r'caption-number">Exercise \d+ </span>', html)) == len(labels), name
        checked += 1
    assert checked >= 5


# --------------------------------------------------------------------------- Colab and Binder


def _first_code_cell(name):
    nb = nbformat.read(ROOT / f"{name}.ipynb", as_version=4)
    return next(c for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_chapter_installs_lossbook_first_when_it_is_missing(name, site):
    cell = _first_code_cell(name)
    assert "remove-cell" in cell.metadata.get("tags", []), "the install cell must be hidden on the website"
    assert 'importlib.util.find_spec("lossbook") is None' in cell.source
    assert f"lossbook @ git+{REPOSITORY}" in cell.source
    assert cell.outputs == [], "the install cell must print nothing when lossbook is installed"
    assert "find_spec" not in (site / f"{name}.html").read_text(encoding="utf-8")


# Binder's environment (the runtime alone, pinned from the lock) is checked in tests/test_binder.py.


# --------------------------------------------------------------------------- in a browser


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a browser closing a connection early is not a failure of the site


@pytest.fixture(scope="session")
def base_url(site):
    server = _Server(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def _chromium() -> str | None:
    for name in (os.environ.get("LOSSBOOK_CHROMIUM"), "chromium", "chromium-browser"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


@pytest.fixture(scope="session")
def browser():
    executable = _chromium()
    if executable is None:
        # .ci/run installs Chromium, so under CI a missing browser is a failure, not a skip.
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"the browser tests need Chromium: {INSTALL_CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the browser tests need Playwright: pip install -e '.[test]'")
    with sync_api.sync_playwright() as playwright:
        # Playwright starts the browser with a fresh temporary profile.
        chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@dataclass
class Visit:
    """What loading one page in the browser showed."""

    url: str
    console_errors: list = field(default_factory=list)
    failed_requests: list = field(default_factory=list)
    foreign_requests: list = field(default_factory=list)
    maths: int = 0
    maths_untypeset: int = 0
    maths_errors: int = 0
    broken_images: list = field(default_factory=list)
    links: list = field(default_factory=list)
    bytes_loaded: int = 0
    extra: object = None
    #: axe-core's violations per colour scheme (:func:`_axe_run`), when the visit ran it.
    axe: dict | None = None
    axe_error: str = ""


_COLLECT = """() => {
  const maths = [...document.querySelectorAll('.math')];
  return {
    maths: maths.length,
    maths_untypeset: maths.filter(m => !m.querySelector('mjx-container')).length,
    maths_errors: document.querySelectorAll('mjx-merror').length,
    broken_images: [...document.images]
      .filter(img => !img.complete || img.naturalWidth === 0)
      .map(img => img.getAttribute('src')),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  };
}"""


def _settle(page) -> None:
    """Wait until a loaded page has typeset its formulas and stopped loading."""
    if page.locator(".math").count():
        # MathJax loads deferred; wait for its first typeset and then for all of it.
        page.wait_for_function("document.querySelectorAll('mjx-container').length > 0", timeout=30_000)
        page.evaluate("() => MathJax.startup.promise")


def _visit(browser, url, origin, ready=None, extra=None, axe=()) -> Visit:
    """Load `url` in a fresh page, wait until it is settled, and record what happened.

    With ``axe``, colour schemes, axe-core then checks the same loaded page in
    them (:func:`_axe_run`), after what the page did by itself has been recorded.
    The page loads in the first of them, or in the light scheme.
    """
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    visit = Visit(url)
    host = urlsplit(origin).netloc
    page = browser.new_page()
    errors, failed, foreign, sizes = [], [], [], {}
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.on("requestfailed", lambda req: failed.append(f"{req.url}: {req.failure}"))
    page.on("response", lambda res: res.status >= 400 and failed.append(f"{res.url}: HTTP {res.status}"))
    page.on("response", lambda res: sizes.__setitem__(res.url, int(res.headers.get("content-length", 0))))
    page.on(
        "request",
        lambda req: (
            urlsplit(req.url).scheme in ("http", "https", "ws", "wss")
            and urlsplit(req.url).netloc != host
            and foreign.append(req.url)
        ),
    )
    try:
        settled = False
        try:
            page.emulate_media(color_scheme=(axe or AXE_SCHEMES)[0])
            page.goto(url, wait_until="load")
            _settle(page)
            if ready:
                page.wait_for_function(ready, timeout=30_000)
            page.wait_for_load_state("networkidle")
            for key, value in page.evaluate(_COLLECT).items():
                setattr(visit, key, value)
            if extra:
                visit.extra = page.evaluate(extra)
            visit.bytes_loaded = sum(sizes.values())
            settled = True
        except PlaywrightTimeout as exc:
            errors.append(f"timed out: {exc}".splitlines()[0])
        finally:
            # Copies, taken now: what axe-core does next and closing the page are not the
            # page's own doing (axe-core re-fetches the style sheets and resolves the theme's
            # `@import "../basic.css"` against the wrong folder, a 404 the page never asks for).
            visit.console_errors, visit.failed_requests, visit.foreign_requests = list(errors), list(failed), list(foreign)
        if axe and settled:
            try:
                visit.axe = _axe_run(page, axe)
            except PlaywrightError as exc:
                visit.axe_error = str(exc).splitlines()[0]
        elif axe:
            visit.axe_error = "the page did not settle: " + "; ".join(visit.console_errors[-1:])
    finally:
        page.close()
    return visit


def _axe_pages(session) -> set[str]:
    """The pages whose axe-core test this session runs."""
    return {
        item.callspec.params["path"]
        for item in session.items
        if getattr(item, "originalname", "") == "test_every_page_passes_axe_core_in_light_and_dark_mode"
    }


@pytest.fixture(scope="session")
def visit(browser, base_url, request):
    """Load each page once per session and remember what happened.

    A page whose axe-core test is selected is checked by axe-core in the same
    load, so that the browser loads each page once.
    """
    cache = {}
    # Without axe-core installed, its tests skip (see _axe_script) and the visits do not run it.
    axe_pages = _axe_pages(request.session) if importlib.util.find_spec("axe_playwright_python") else set()

    def get(path):
        if path not in cache:
            cache[path] = _visit(browser, base_url + path, base_url, axe=AXE_SCHEMES if path in axe_pages else ())
        return cache[path]

    return get


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_without_errors_or_outside_requests(visit, path):
    result = visit(path)
    assert result.console_errors == [], f"console errors: {result.console_errors}"
    assert result.failed_requests == [], f"failed requests: {result.failed_requests}"
    assert result.foreign_requests == [], f"requests to other hosts: {result.foreign_requests}"


@pytest.mark.parametrize("path", PAGES)
def test_maths_is_typeset(visit, path):
    result = visit(path)
    assert result.maths_untypeset == 0, f"{result.maths_untypeset} of {result.maths} formulas not typeset"
    assert result.maths_errors == 0, "MathJax could not typeset some formulas"


def test_the_maths_check_sees_formulas(visit):
    with_maths = [path for path in PAGES if visit(path).maths > 0]
    assert len(with_maths) >= 3, with_maths


@pytest.mark.parametrize("path", PAGES)
def test_every_image_loads(visit, path):
    assert visit(path).broken_images == []


def test_first_visit_weight(visit, capsys):
    weights = sorted(((visit(path).bytes_loaded, path) for path in PAGES), reverse=True)
    size, heaviest = weights[0]
    with capsys.disabled():
        print(
            f"\n[page weight] heaviest first visit: {heaviest}, {size / 1e6:.2f} MB uncompressed with every "
            f"script, style sheet, font and image (limit {MAX_FIRST_VISIT_BYTES / 1e6:.0f} MB; "
            "the theme's scripts and MathJax are shared by all pages and cached)"
        )
    assert size < MAX_FIRST_VISIT_BYTES, f"a first visit of {heaviest} downloads {size / 1e6:.2f} MB"


def _fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            body = response.read()
            is_html = response.headers.get_content_type() == "text/html"
            return response.status, body.decode("utf-8", "replace") if is_html else None
    except urllib.error.HTTPError as exc:
        return exc.code, None


def test_every_internal_link_resolves(visit, base_url):
    links = {}
    for path in PAGES:
        for href in visit(path).links:
            if href.startswith(base_url):
                links.setdefault(href, path)
    assert len(links) > 20
    fetched, broken = {}, []
    for href, source in sorted(links.items()):
        url, fragment = urldefrag(href)
        if url not in fetched:
            fetched[url] = _fetch(url)
        status, body = fetched[url]
        if status != 200:
            broken.append(f"{source}: {href} (HTTP {status})")
        elif fragment and body is not None and not re.search(rf'\bid="{re.escape(unquote(fragment))}"', body):
            broken.append(f"{source}: {href} (no element with id {unquote(fragment)!r})")
    assert broken == [], "broken internal links:\n" + "\n".join(broken)


def test_search_finds_cross_entropy(browser, base_url):
    result = _visit(
        browser,
        base_url + "search.html?q=cross-entropy",
        base_url,
        ready="() => document.querySelector('#search-results h2')?.textContent === 'Search Results'",
        extra="() => [...document.querySelectorAll('#search-results ul.search li a')].map(a => a.getAttribute('href'))",
    )
    problems = result.console_errors + result.failed_requests + result.foreign_requests
    assert problems == [], problems
    hits = result.extra or []
    assert any("03_entropy_cross_entropy_kl" in hit for hit in hits), hits
    assert any("glossary" in hit for hit in hits), hits


def test_the_site_root_opens_the_course(browser, base_url):
    page = browser.new_page()
    try:
        page.goto(base_url)
        page.wait_for_url("**/chapters/intro.html", timeout=30_000)
        assert "Loss functions for neural networks" in page.title()
    finally:
        page.close()


def test_a_solution_toggle_opens(browser, base_url):
    page = browser.new_page()
    try:
        page.goto(base_url + "chapters/01_training_as_optimisation.html", wait_until="load")
        page.wait_for_function(
            "document.querySelectorAll('div.solution.dropdown button.toggle-button').length > 0", timeout=30_000
        )
        solution = page.locator("div.solution.dropdown").first
        code = solution.locator(".highlight").first
        assert not code.is_visible(), "a solution must be hidden until its toggle is clicked"
        solution.locator("button.toggle-button").click()
        code.wait_for(state="visible", timeout=10_000)
        assert "def one_step" in code.inner_text()
    finally:
        page.close()


# --------------------------------------------------------------------------- accessibility

#: axe-core impacts the site must not have at all; "minor" findings are listed but allowed.
BLOCKING_IMPACTS = ("critical", "serious", "moderate")


def _axe_script() -> str:
    axe = pytest.importorskip("axe_playwright_python", reason="the accessibility tests need axe-core: pip install -e '.[test]'")
    return (Path(axe.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


#: What axe-core checks: WCAG 2.0 and 2.1, levels A and AA, and its best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
#: The rules whose result can depend on the colour scheme: a second scheme changes colours and nothing else.
AXE_COLOUR_RULES = ["color-contrast", "link-in-text-block"]


#: The colour schemes a reader's system may ask for; the first is the one pages load in.
AXE_SCHEMES = ("light", "dark")

#: Marks each syntax-highlighted token of a code block that looks exactly like an earlier
#: one: the same token class, text colour, font size and weight, whether it has visible
#: text, and the same chain of ancestors (tag, classes, background colour and opacity of
#: each). Such a copy would be checked against the same colours, so axe-core's contrast
#: rule checks the first token of each look and skips the copies, which carry this
#: attribute. Code blocks hold most of a page's elements, and the contrast rule takes
#: most of axe-core's time.
SAME_LOOK = "data-same-look"
_MARK_COPIES = """(mark) => {
  const ancestors = new Map();
  const context = el => {
    if (!el) return '';
    if (!ancestors.has(el)) {
      const s = getComputedStyle(el);
      ancestors.set(el, [el.tagName, el.className, s.backgroundColor, s.backgroundImage, s.opacity].join(' ')
                        + '<' + context(el.parentElement));
    }
    return ancestors.get(el);
  };
  const seen = new Set();
  let copies = 0;
  for (const el of document.querySelectorAll('div.highlight pre span')) {
    el.removeAttribute(mark);
    const s = getComputedStyle(el);
    const key = [el.className, el.textContent.trim() === '', s.color, s.fontSize, s.fontWeight,
                 context(el.parentElement)].join('|');
    if (seen.has(key)) { el.setAttribute(mark, ''); copies += 1; } else { seen.add(key); }
  }
  return copies;
}"""


def _axe_run(page, schemes=AXE_SCHEMES) -> dict[str, list[dict]]:
    """axe-core's WCAG A and AA violations (and best practices) on a loaded, settled page, per colour scheme.

    The page was loaded in the first scheme; the theme follows the reader's
    colour scheme, so each other scheme is the same page switched as a reader's
    system would switch it. Every rule runs in the first scheme; the others
    re-run the rules that read colours (:data:`AXE_COLOUR_RULES`), since only
    colours change. In each scheme the contrast rule checks one code token of
    each look (:data:`SAME_LOOK`).
    """
    found = {}
    # The theme fades colours when the scheme changes; measure the settled colours.
    page.add_style_tag(content="*, *::before, *::after { transition: none !important; animation: none !important; }")
    page.evaluate(_axe_script())
    page.evaluate(f"() => axe.configure({{rules: [{{id: 'color-contrast', selector: '*:not([{SAME_LOOK}])'}}]}})")
    for number, scheme in enumerate(schemes):
        page.emulate_media(color_scheme=scheme)
        page.wait_for_function(f"document.documentElement.dataset.theme === '{scheme}'", timeout=30_000)
        # Colours change with the scheme: which tokens are copies is decided again in each.
        page.evaluate(_MARK_COPIES, SAME_LOOK)
        run_only = {"type": "tag", "values": AXE_TAGS} if number == 0 else {"type": "rule", "values": AXE_COLOUR_RULES}
        result = page.evaluate("(runOnly) => axe.run(document, {runOnly, resultTypes: ['violations']})", run_only)
        found[scheme] = [
            {"id": v["id"], "impact": v["impact"], "nodes": [" ".join(map(str, n["target"])) for n in v["nodes"]][:3]}
            for v in result["violations"]
        ]
    return found


def _axe_violations(browser, base_url, path, schemes=AXE_SCHEMES) -> dict[str, list[dict]]:
    """axe-core's findings on one page, loaded and checked as the site's pages are (:func:`_visit`)."""
    result = _visit(browser, base_url + path, base_url, axe=schemes)
    assert result.axe is not None, f"{path}: axe-core did not run: {result.axe_error}"
    return result.axe


@pytest.mark.parametrize("path", PAGES)
def test_every_page_passes_axe_core_in_light_and_dark_mode(visit, path):
    _axe_script()  # skips, saying how to install it, where axe-core is missing
    result = visit(path)
    assert result.axe is not None, f"{path}: axe-core did not run: {result.axe_error}"
    blocking = {scheme: [v for v in found if v["impact"] in BLOCKING_IMPACTS] for scheme, found in result.axe.items()}
    assert blocking == {"light": [], "dark": []}, f"{path}: {blocking}"


def test_the_accessibility_check_sees_a_violation(browser, base_url, site, tmp_path):
    """A page with an unlabelled image and low-contrast text fails, so the passing pages mean something."""
    bad = site / "axe-probe.html"
    bad.write_text(
        '<!DOCTYPE html><html lang="en" data-theme="light"><head><title>probe</title></head><body><main>'
        '<p style="color:#bbbbbb;background:#ffffff">faint text</p><img src="_static/favicon.svg"></main></body></html>',
        encoding="utf-8",
    )
    try:
        found = {v["id"] for v in _axe_violations(browser, base_url, "axe-probe.html", ("light",))["light"]}
    finally:
        bad.unlink()
    assert {"color-contrast", "image-alt"} <= found, found


def test_the_dark_scheme_check_sees_a_contrast_only_the_dark_scheme_has(browser, base_url, site):
    """Text that is faint in the dark scheme alone is found by the second pass, which re-runs the colour rules."""
    probe = site / "axe-dark-probe.html"
    probe.write_text(
        '<!DOCTYPE html><html lang="en"><head><title>probe</title>'
        "<style>p { color: #000; background: #fff } "
        "@media (prefers-color-scheme: dark) { p { color: #333; background: #000 } }</style>"
        "<script>const m = matchMedia('(prefers-color-scheme: dark)');"
        "const set = () => { document.documentElement.dataset.theme = m.matches ? 'dark' : 'light'; };"
        "set(); m.addEventListener('change', set);</script>"
        "</head><body><main><p>faint only in the dark</p></main></body></html>",
        encoding="utf-8",
    )
    try:
        found = _axe_violations(browser, base_url, "axe-dark-probe.html")
    finally:
        probe.unlink()
    assert "color-contrast" not in {v["id"] for v in found["light"]}, found
    assert "color-contrast" in {v["id"] for v in found["dark"]}, found


def test_a_code_token_is_checked_again_where_it_stands_on_another_background(browser, base_url, site):
    """Copies of a code token are skipped only where they look the same (:data:`SAME_LOOK`).

    The same grey token passes on white and fails on a dark block: the
    contrast rule must check it there once, and skip its copy beside it.
    """
    probe = site / "axe-code-probe.html"
    probe.write_text(
        '<!DOCTYPE html><html lang="en" data-theme="light"><head><title>probe</title>'
        "<style>.highlight pre { background: transparent } .n { color: #595959 }</style></head><body><main>"
        '<div class="highlight"><pre><span class="n">alpha</span> <span class="n">beta</span> <span class="n">gamma</span></pre></div>'
        '<div style="background: #333333"><div class="highlight"><pre><span class="n">delta</span> <span class="n">epsilon</span>'
        "</pre></div></div></main></body></html>",
        encoding="utf-8",
    )
    try:
        found = _axe_violations(browser, base_url, "axe-code-probe.html", ("light",))["light"]
    finally:
        probe.unlink()
    contrast = [v for v in found if v["id"] == "color-contrast"]
    assert len(contrast) == 1 and len(contrast[0]["nodes"]) == 1, found
