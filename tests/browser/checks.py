"""The checks every page of a browser journey goes through.

A `Visit` wraps one Playwright page. Each page the browser lands on is checked at once with
axe-core (no serious or critical violations), for Content-Security-Policy violations and script
errors, and, on Korean pages, for visible English text; its HTML as served is kept and validated
with the Nu HTML checker in one Java run when the test ends (one JVM per test keeps it quick).
Navigations that were never checked fail the test, so no page slips past.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
ARTIFACTS = ROOT / "test-artifacts"

# Names that stay in Latin letters on a Korean page: the brand, products, formats, the English
# language's own name in the switcher.
KOREAN_PAGE_ALLOWED = {
    "pictureus",
    "labs",
    "lora",
    "stripe",
    "english",
    "jpeg",
    "jpg",
    "png",
    "webp",
    "heic",
    "zip",
    "json",
    "usd",
    "krw",
    "gpc",
    "ai",
    "id",
    "sd",
    "url",
}
# Names of several words, taken out before the words are looked at.
KOREAN_PAGE_ALLOWED_PHRASES = ("Amazon Web Services",)
# Email addresses, web addresses, file names, ids and hex digests are data, not sentences.
_DATA_TOKEN = re.compile(
    r"[\w.+-]+@[\w-]+(\.[\w-]+)+|https?://\S+|\b[\w-]+\.(jpe?g|png|webp|heic|zip|json|txt)\b"
    r"|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"
    r"|\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b",
    re.IGNORECASE,
)
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")


def operator_names() -> set[str]:
    """Words of the operator's name, address, privacy officer and seller disclosure, as the
    settings give them: names, shown as they are in both languages."""
    from django.conf import settings

    values = [
        settings.PICTUREUS_COMPANY_NAME,
        settings.PICTUREUS_COMPANY_ADDRESS,
        settings.PICTUREUS_PRIVACY_OFFICER,
        settings.PICTUREUS_REPRESENTATIVE,
        settings.PICTUREUS_MAIL_ORDER_NUMBER,
        settings.PICTUREUS_HOSTING_PROVIDER,
    ]
    return {word.lower() for value in values for word in _LATIN_WORD.findall(value)}


AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: "
                                                    + (n.failureSummary || "").slice(0, 300))}));
}"""

# Everything a person can read or hear on the page: the visible text, the title, text
# alternatives and labels that assistive technology reads out, placeholders.
_READABLE_TEXT = """() => {
  const parts = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll("[alt], [aria-label], [placeholder], [title]")) {
    if (el.closest("[hidden], [aria-hidden=true]")) continue;
    for (const a of ["alt", "aria-label", "placeholder", "title"]) {
      if (el.hasAttribute(a)) parts.push(el.getAttribute(a));
    }
  }
  return parts.join("\\n");
}"""


def _safe_name(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text)


def untranslated_lines(text: str, *, allow: set[str] = frozenset()) -> list[str]:
    """Lines of `text` holding English words other than the allowed names."""
    allowed = KOREAN_PAGE_ALLOWED | {a.lower() for a in allow}
    found = []
    for line in text.splitlines():
        cleaned = _DATA_TOKEN.sub(" ", line)
        for phrase in KOREAN_PAGE_ALLOWED_PHRASES:
            cleaned = cleaned.replace(phrase, " ")
        words = [w for w in _LATIN_WORD.findall(cleaned) if w.lower().strip("'’") not in allowed]
        # Acronyms (two to five capitals, like PDF) are left alone; a word with lower case is text.
        words = [w for w in words if not (w.isupper() and len(w) <= 5)]
        if words:
            found.append(line.strip())
    return found


@dataclass
class Visit:
    """One browser tab in one language, checking every page it lands on."""

    page: object
    language: str
    base_url: str
    name: str
    allow: set[str] = field(default_factory=set)
    step: str = "start"
    documents: list[tuple[str, bytes]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    _navigated: list[str] = field(default_factory=list)
    _checked: set[str] = field(default_factory=set)
    _last_response: object = None
    _scripts_off: object = None

    def __post_init__(self):
        self.page.on("framenavigated", self._on_navigated)
        self.page.on("response", self._on_response)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"script error: {exc}"))
        # "Are you sure?" prompts are answered yes, as the customer in the journey would.
        self.page.on("dialog", lambda dialog: dialog.accept())

    # --- listeners --------------------------------------------------------------------------

    def _on_navigated(self, frame):
        if frame == self.page.main_frame:
            self._navigated.append(frame.url)

    def _on_response(self, response):
        request = response.request
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self._last_response = response

    def _on_console(self, message):
        text = message.text
        if message.type == "error" and "Content Security Policy" in text:
            self.problems.append(f"CSP violation on {self.page.url}: {text}")

    # --- moving around ----------------------------------------------------------------------

    def url(self, path: str) -> str:
        """An absolute URL for a path; `/en/...` paths are put in this visit's language."""
        if path.startswith(self.base_url):
            return path
        if path.startswith("/en/") and self.language != "en":
            path = f"/{self.language}/{path[4:]}"
        return self.base_url + path

    def goto(self, path: str):
        self.page.goto(self.url(path))
        return self.check()

    def click(self, locator):
        """Click something that loads a new page, then check that page."""
        with self.page.expect_navigation():
            locator.click()
        return self.check()

    def submit(self, locator):
        """Press a form's submit button (or its field's Enter), then check the next page."""
        return self.click(locator)

    @contextmanager
    def without_page_scripts(self):
        """Load pages as a browser without JavaScript would (the plain forms' fallback)."""
        cdp = self.page.context.new_cdp_session(self.page)
        cdp.send("Emulation.setScriptExecutionDisabled", {"value": True})
        self._scripts_off = cdp
        try:
            yield
        finally:
            cdp.send("Emulation.setScriptExecutionDisabled", {"value": False})
            self._scripts_off = None
            cdp.detach()

    def at(self, step: str):
        """Name the step the journey is at (the screenshot of a failure is named after it)."""
        self.step = step

    # --- the checks -------------------------------------------------------------------------

    def check(self):
        page = self.page
        page.wait_for_load_state("load")
        url = page.url
        self._checked.add(url)
        response = self._last_response
        if response is not None and response.url == url:
            status = response.status
            content_type = response.headers.get("content-type", "")
            if status >= 500:
                self.problems.append(f"{url} answered {status}")
            if content_type.startswith("text/html"):
                self.documents.append((url, response.body()))
        self._axe(url)
        if self.language != "en":
            self._untranslated(url)
        self.screenshot_for_docs()
        # Fail at the step where it went wrong, so that the screenshot shows that page.
        problems, self.problems = self.problems, []
        assert not problems, "\n".join(problems)
        return page

    def _axe(self, url):
        if self._scripts_off is not None:
            # axe needs timers; the page's own scripts were skipped at load and stay skipped.
            self._scripts_off.send("Emulation.setScriptExecutionDisabled", {"value": False})
            try:
                return self._axe_run(url)
            finally:
                self._scripts_off.send("Emulation.setScriptExecutionDisabled", {"value": True})
        return self._axe_run(url)

    def _axe_run(self, url):
        # A colour fading in as the page's script restyles an element is checked where it ends,
        # not halfway (axe would measure the contrast of whatever frame it lands on).
        # (An endless animation, a spinner, cannot finish and is left as it is.)
        self.page.evaluate(
            "() => document.getAnimations().forEach(a => { try { a.finish(); } catch (e) {} })"
        )
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            # Evaluated through the debugging protocol, which the page's CSP does not govern;
            # the app's own CSP stays on for everything else.
            self.page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;0")
        for violation in self.page.evaluate(AXE_RUN):
            nodes = "\n      ".join(violation["nodes"])
            self.problems.append(
                f"axe {violation['impact']} {violation['id']} on {url}: {violation['help']}"
                f"\n      {nodes}"
            )

    def _untranslated(self, url):
        text = self.page.evaluate(_READABLE_TEXT)
        for line in untranslated_lines(text, allow=self.allow | operator_names()):
            self.problems.append(f"untranslated on {url}: {line!r}")

    def screenshot_for_docs(self):
        # PICTUREUS_SCREENSHOTS=docs/screenshots makes the journeys refresh the README's pictures.
        target = os.environ.get("PICTUREUS_SCREENSHOTS")
        if not target:
            return
        path = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "session", urlsplit(self.page.url).path)
        name = _safe_name(path.strip("/").replace("/", "-")) or "root"
        folder = ROOT / target
        folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(folder / f"{name}.png"))

    def unchecked_pages(self) -> list[str]:
        return [u for u in dict.fromkeys(self._navigated) if u not in self._checked]

    def save_failure_screenshot(self):
        folder = ARTIFACTS / _safe_name(self.name)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{_safe_name(self.step)}.png"
        try:
            self.page.screenshot(path=str(target), full_page=True)
            (folder / f"{target.stem}.html").write_text(self.page.content(), encoding="utf-8")
        except Exception as exc:  # noqa: BLE001 - a dead page must not hide the real failure
            return f"(no screenshot: {exc})"
        return str(target.relative_to(ROOT))


def validate_html(documents: list[tuple[str, bytes]]) -> list[str]:
    """Errors the Nu HTML checker finds in the documents, as 'url:line: message' lines."""
    if not documents:
        return []
    java = shutil.which("java")
    assert java, "java is needed for the Nu HTML checker (apt-get install default-jre-headless)"
    assert VNU_JAR.exists(), "vnu.jar is missing: run `npm ci` in the repository root"
    with tempfile.TemporaryDirectory(prefix="vnu-") as tmp:
        names = {}
        for index, (url, body) in enumerate(documents):
            path = Path(tmp) / f"page{index:03d}.html"
            path.write_bytes(body)
            names[path.name] = url
        command = [java, "-Xss1024k", "-jar", str(VNU_JAR), "--errors-only", "--format", "json"]
        completed = subprocess.run(
            [*command, "--exit-zero-always", *(str(Path(tmp) / name) for name in names)],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    try:
        messages = json.loads(completed.stderr or completed.stdout)["messages"]
    except (ValueError, KeyError):
        return [f"the HTML checker did not answer: {completed.stderr[-2000:]}"]
    errors = []
    for message in messages:
        if message.get("type") != "error" and message.get("subType") != "fatal":
            continue
        where = message.get("url", "")
        url = names.get(where.rsplit("/", 1)[-1], where)
        errors.append(
            f"HTML {url}:{message.get('lastLine', '?')}: {message.get('message')}"
            f" [{(message.get('extract') or '').strip()[:120]}]"
        )
    return errors


# --- keyboard-only use ----------------------------------------------------------------------

_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const ring = style.boxShadow && style.boxShadow !== "none";
  return {
    tag: el.tagName.toLowerCase(),
    type: el.getAttribute("type") || "",
    name: el.getAttribute("name") || "",
    text: (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 80),
    visible: el.matches(":focus-visible") && (outline || ring),
  };
}"""


def tab_to(page, selector: str, *, limit: int = 80) -> dict:
    """Press Tab until the element matching `selector` has focus; it must show it has focus.

    Every element passed on the way must show its focus too (a visible focus indicator).
    """
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED)
        if focused is None:
            continue
        assert focused["visible"], f"focus is not visible on {focused}"
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return focused
    raise AssertionError(f"{selector} cannot be reached with the Tab key ({limit} presses)")


_ANNOUNCED_ERRORS = """() => {
  const texts = [];
  for (const field of document.querySelectorAll("[aria-invalid=true]")) {
    for (const id of (field.getAttribute("aria-describedby") || "").split(/\\s+/)) {
      const el = id && document.getElementById(id);
      if (el && el.innerText.trim()) texts.push(el.innerText.trim());
    }
  }
  const live = "[role=alert], [role=status], [aria-live=assertive], [aria-live=polite]";
  for (const el of document.querySelectorAll(live)) {
    if (el.innerText.trim()) texts.push(el.innerText.trim());
  }
  return texts;
}"""


def announced_errors(page) -> list[str]:
    """Error texts a screen reader announces: tied to an invalid field, or in a live region."""
    return page.evaluate(_ANNOUNCED_ERRORS)


# --- files ----------------------------------------------------------------------------------

_DROP = """([selector, files]) => {
  const transfer = new DataTransfer();
  for (const f of files) {
    const bytes = Uint8Array.from(atob(f.data), c => c.charCodeAt(0));
    transfer.items.add(new File([bytes], f.name, {type: f.type}));
  }
  const zone = document.querySelector(selector);
  for (const type of ["dragenter", "dragover", "drop"]) {
    zone.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true,
                                            dataTransfer: transfer}));
  }
}"""


def drop_files(page, selector: str, files: list[tuple[str, str, bytes]]):
    """Drag files from the desktop onto `selector`: (name, MIME type, bytes) each."""
    import base64

    payload = [
        {"name": name, "type": mime, "data": base64.b64encode(data).decode()}
        for name, mime, data in files
    ]
    page.evaluate(_DROP, [selector, payload])
