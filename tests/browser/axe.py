"""Accessibility checks with axe-core (npm, vendored by `make install`) and screenshots for browser tests."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

REPO = Path(__file__).resolve().parents[2]
AXE_SCRIPT = REPO / "web" / "static" / "vendor" / "axe.min.js"
SCREENSHOTS = REPO / "var" / "screenshots"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = {"serious", "critical"}

# preload: false: axe would parse the page's stylesheets into inline <style> elements, which the CSP blocks
_RUN_AXE = """async ([tags, within]) => {
    const options = {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"], preload: false};
    const result = await axe.run(within ?? document, options);
    return result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
        targets: v.nodes.map(n => n.target.join(" ")),
    }));
}"""


@functools.cache
def _axe_source() -> str:
    if not AXE_SCRIPT.exists():
        raise AssertionError(f"{AXE_SCRIPT} is missing: run `make install` (it copies axe-core from npm)")
    return AXE_SCRIPT.read_text(encoding="utf-8")


def _inject_axe(page: Page) -> None:
    """Load axe-core into the page. Not with `page.add_script_tag`: that adds an inline script, which the pages'
    CSP (`script-src 'self'`) blocks; Playwright's own evaluation is exempt from the page's CSP."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate("(() => {\n" + _axe_source() + "\n})()")


def axe_violations(page: Page, within: str | None = None) -> list[dict[str, Any]]:
    """Every WCAG 2.0/2.1 A+AA violation axe-core finds on the page (or inside the `within` selector)."""
    _inject_axe(page)
    violations: list[dict[str, Any]] = page.evaluate(_RUN_AXE, [WCAG_TAGS, within])
    return violations


def assert_accessible(page: Page, context: str, *, within: str | None = None) -> None:
    """Fail listing every serious or critical WCAG 2.1 AA violation. `context` names the page in the message
    (e.g. "inbox"); `within` optionally limits the check to a CSS selector."""
    serious = [v for v in axe_violations(page, within) if v["impact"] in FAILING_IMPACTS]
    if serious:
        lines = [f"{len(serious)} serious/critical accessibility violation(s) on {context} ({page.url}):"]
        for violation in serious:
            lines.append(f"- {violation['id']} [{violation['impact']}]: {violation['help']} ({violation['helpUrl']})")
            lines.extend(f"    {target}" for target in violation["targets"])
        raise AssertionError("\n".join(lines))


def save_screenshot(page: Page, name: str) -> Path:
    """Full-page screenshot to var/screenshots/<name>.png (relative to the repository root); returns its path."""
    if not re.fullmatch(r"[\w.-]+", name):
        raise ValueError(f"screenshot name must be a plain file name: {name!r}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path
