"""Accessibility users notice: colour contrast (WCAG 2.1 AA, 1.4.3) and keyboard use.

Contrast is measured in the page: for every visible element with text of its
own, the text colour and the effective background (ancestors' background
colours composited, alpha included) give the WCAG contrast ratio, which must
be at least 4.5:1, or 3:1 for large text (>= 24px, or >= 18.66px bold).
Disabled controls are exempt (WCAG 1.4.3 excludes inactive components).

Keyboard: from the obligation list, Tab / Shift+Tab / Enter / Space (and
typing) reach the filters, filter the list, and Enter / ArrowDown / Escape
open and walk the Settings menu (a <details> element: Enter opens it, Tab walks it, Escape closes it). Every focus stop shows a focus indicator that
differs from the element's unfocused look, and whose colour (an outline's, or
a box-shadow ring's composited over it) has at least 3:1 against the effective
background it is drawn on, the parent's (WCAG 2.1 SC 1.4.11, non-text contrast).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_ADMIN
from tests.factories import make_event, make_obligation, make_source

pytestmark = pytest.mark.browser

PREFIX = "A11y"
SEEDED = {  # title -> what it shows
    f"{PREFIX} open": "open, firm, due later",
    f"{PREFIX} in progress": "in progress, firm",
    f"{PREFIX} done": "done",
    f"{PREFIX} waived": "waived with a note",
    f"{PREFIX} not applicable": "not applicable",
    f"{PREFIX} projected": "tentative: counts from an expected event",
    f"{PREFIX} undated": "counts from an event with no date yet",
    f"{PREFIX} overdue": "open and past its due date, moved once (history)",
}
FOCUS_STOPS = 25
RING_CONTRAST = 3.0  # WCAG 2.1 SC 1.4.11: a focus indicator against the colours next to it


# ---------------------------------------------------------------- seeding

@pytest.fixture
def seeded(live_server, tmp_path):
    """The live server's database (the conftest's tmp_path/browser.db) with obligations in every state.

    Returns {"ids": {title: id}, "total": obligations in the register (the demo pack's and these)}.
    """
    from tracker import create_app
    from tracker.audit import SYSTEM
    from tracker.db import db
    from tracker.models import Obligation, Team
    from tracker.register.obligations import ObligationInput, set_status, update_obligation

    path = tmp_path / "browser.db"
    assert path.exists(), "the live_server fixture no longer keeps its database at tmp_path/browser.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "browser-test",
                      "TRACKER_SCHEDULER": "off", "TRACKER_BASE_URL": "http://127.0.0.1"})
    ids = {}
    with app.app_context():
        team = db.session.scalar(db.select(Team).where(Team.key == "procurement"))
        assert team is not None, "the demo pack has no 'procurement' team any more"
        today = date.today()
        source = make_source(key="a11y-source", title=f"{PREFIX} source")
        expected = make_event(source=source, status="expected", on=today + timedelta(days=75),
                              key="a11y-expected", title=f"{PREFIX} act expected")
        dateless = make_event(source=source, status="expected", on=None, precision="day",
                              key="a11y-dateless", title=f"{PREFIX} rule not yet published")

        def ob(title, **fields):
            key = "a11y-" + title.split(" ", 1)[1].replace(" ", "-")
            made = make_obligation(team=team, key=key, title=title, **fields)
            ids[title] = made.id
            return made

        ob(f"{PREFIX} open", rule_date=today + timedelta(days=20))
        set_status(ob(f"{PREFIX} in progress", rule_date=today + timedelta(days=50)), "in_progress", SYSTEM)
        set_status(ob(f"{PREFIX} done", rule_date=today + timedelta(days=10)), "done", SYSTEM, note="Filed.")
        set_status(ob(f"{PREFIX} waived", rule_date=today + timedelta(days=30)), "waived", SYSTEM,
                   note="We do not sell in this market.")
        set_status(ob(f"{PREFIX} not applicable", rule_date=today + timedelta(days=40)), "not_applicable",
                   SYSTEM, note="Out of scope.")
        ob(f"{PREFIX} projected", rule="relative", anchor=expected, rule_offset=30,
           event_ids=[expected.id])
        ob(f"{PREFIX} undated", rule="relative", anchor=dateless, rule_offset=30, event_ids=[dateless.id])
        overdue = ob(f"{PREFIX} overdue", rule_date=today - timedelta(days=30),
                     description="Moved once so the page has a deadline history.")
        update_obligation(overdue, ObligationInput(
            key=overdue.key, title=overdue.title, team_id=team.id, rule="fixed",
            description=overdue.description, rule_date=today - timedelta(days=12)), SYSTEM)
        total = db.session.scalar(db.select(db.func.count(Obligation.id)).where(Obligation.deleted_at.is_(None)))
        db.session.remove()
        db.engine.dispose()
    return {"ids": ids, "total": total}


def sign_in(page):
    page.goto("/login")
    page.get_by_label("Email").fill(DEMO_ADMIN[0])
    page.get_by_label("Password").fill(DEMO_ADMIN[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()


# ---------------------------------------------------------------- contrast

# Colour helpers shared by the page scripts below (pasted into each script's body).
HELPERS_JS = r"""
  const unparsed = [];
  const ctx = document.createElement("canvas").getContext("2d", {willReadFrequently: true});
  // Waits for the CSS transitions and finite animations to end (hover colours, a focus ring fading in).
  async function settle() {
    const finite = document.getAnimations().filter(a => Number.isFinite(a.effect.getComputedTiming().endTime));
    await Promise.all(finite.map(a => a.finished.catch(() => null)));
  }
  function parse(text) {
    let m = text.match(/^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)$/);
    if (m) {
      const a = m[4] === undefined ? 1 : (m[4].endsWith("%") ? parseFloat(m[4]) / 100 : parseFloat(m[4]));
      return {r: +m[1], g: +m[2], b: +m[3], a: a};
    }
    if (text === "transparent") return {r: 0, g: 0, b: 0, a: 0};
    m = text.match(/^color\(srgb\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)(?:\s*\/\s*([\d.]+))?\s*\)$/);
    if (m) return {r: m[1] * 255, g: m[2] * 255, b: m[3] * 255, a: m[4] === undefined ? 1 : +m[4]};
    // Any other colour syntax (oklch, color-mix...): let a canvas convert it to sRGB, and say so.
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = "rgba(0, 0, 0, 0)";
    ctx.fillStyle = text;
    ctx.fillRect(0, 0, 1, 1);
    const d = ctx.getImageData(0, 0, 1, 1).data;
    unparsed.push(text);
    return {r: d[0], g: d[1], b: d[2], a: d[3] / 255};
  }
  function over(top, bottom) {  // `top` composited over an opaque `bottom`
    const a = top.a;
    return {r: top.r * a + bottom.r * (1 - a), g: top.g * a + bottom.g * (1 - a),
            b: top.b * a + bottom.b * (1 - a), a: 1};
  }
  function luminance(c) {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  }
  function ratio(a, b) {
    const la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }
  function hex(c) {
    const h = v => Math.round(v).toString(16).padStart(2, "0");
    return "#" + h(c.r) + h(c.g) + h(c.b);
  }
  function describe(el) {
    const names = typeof el.className === "string" ? el.className.trim() : "";
    const cls = names ? "." + names.split(/\s+/).join(".") : "";
    return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + cls;
  }
  // Computed box-shadow list: [{color, x, y, blur, spread, inset}].
  function shadows(text) {
    if (!text || text === "none") return [];
    return text.split(/,(?![^(]*\))/).map(part => {
      const color = part.match(/(rgba?\([^)]*\)|color\([^)]*\))/);
      const sizes = part.replace(/(rgba?\([^)]*\)|color\([^)]*\))/, "").match(/-?[\d.]+px/g) || [];
      const [x, y, blur, spread] = sizes.map(parseFloat).concat([0, 0, 0, 0]);
      return {color: color ? parse(color[1]) : null, x: x, y: y, blur: blur, spread: spread,
              inset: /\binset\b/.test(part)};
    });
  }
  // Bootstrap tables paint row variants with a huge inset box-shadow over the cell's background colour.
  function insetLayer(style, el) {
    const r = el.getBoundingClientRect();
    const cover = shadows(style.boxShadow).find(s => s.inset && s.color && s.spread >= Math.max(r.width, r.height) / 2);
    return cover ? cover.color : null;
  }
  // What the element is painted on: its own and its ancestors' background colours, composited, down to
  // the first opaque one (the page canvas, white, when there is none).
  function background(el) {
    const layers = [];
    const images = [];
    let from = "the page canvas";
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.backgroundImage && s.backgroundImage !== "none") {
        images.push(describe(e) + ": " + s.backgroundImage.slice(0, 50) + "… " + s.backgroundRepeat +
                    " at " + s.backgroundPosition);
      }
      const shadow = insetLayer(s, e);
      if (shadow && shadow.a > 0) layers.push(shadow);
      const bg = parse(s.backgroundColor);
      if (bg.a > 0) layers.push(bg);
      if ((shadow && shadow.a >= 1) || bg.a >= 1) {
        from = (e.parentElement ? describe(e.parentElement) + " > " : "") + describe(e);
        break;
      }
    }
    let base = {r: 255, g: 255, b: 255, a: 1};
    for (let i = layers.length - 1; i >= 0; i--) base = over(layers[i], base);
    return {color: base, images: images, from: from};
  }
  function opacity(el) {
    let o = 1;
    for (let e = el; e; e = e.parentElement) o *= parseFloat(getComputedStyle(e).opacity);
    return o;
  }
  function visuallyHidden(el) {
    for (let e = el; e && e !== document.documentElement; e = e.parentElement) {
      const s = getComputedStyle(e);
      const clipped = s.position === "absolute" &&
                      (s.clip === "rect(0px, 0px, 0px, 0px)" || /inset\(50%\)/.test(s.clipPath));
      const helper = e.classList.contains("visually-hidden") || e.classList.contains("sr-only") ||
                     (e.classList.contains("visually-hidden-focusable") && !e.matches(":focus, :focus-within"));
      if (clipped || helper) return true;
    }
    return false;
  }
  function visible(el) {
    if (!el.checkVisibility({opacityProperty: true, visibilityProperty: true})) return false;
    const r = el.getBoundingClientRect();
    return r.width >= 1 && r.height >= 1 && !visuallyHidden(el);
  }
"""

# Returns {checked, failures, backgroundImages, unparsed, disabled} for the page as it is now.
CONTRAST_JS = "async () => {" + HELPERS_JS + r"""
  await settle();
  const SKIP = new Set(["SCRIPT", "STYLE", "TITLE", "NOSCRIPT", "TEMPLATE", "OPTION", "OPTGROUP", "HEAD"]);
  const TEXT_INPUTS = new Set(["text", "search", "email", "password", "url", "tel", "number", "date", "month",
                               "week", "time", "datetime-local"]);
  const failures = [], backgroundImages = [], disabled = [];
  let checked = 0;
  function check(el, text, style, what) {
    const bg = background(el);
    let fg = parse(what === "placeholder" ? getComputedStyle(el, "::placeholder").color : style.color);
    fg = {...fg, a: fg.a * opacity(el)};
    const shown = over(fg, bg.color);
    const size = parseFloat(style.fontSize);
    const weight = parseInt(style.fontWeight, 10);
    const need = size >= 24 || (size >= 18.66 && weight >= 700) ? 3 : 4.5;
    const r = ratio(shown, bg.color);
    checked++;
    if (bg.images.length) backgroundImages.push({element: describe(el), text: text, images: bg.images});
    if (r + 1e-9 < need) {
      failures.push({element: describe(el), what: what, text: text, color: style.color, shown: hex(shown),
                     background: hex(bg.color), from: bg.from, ratio: Math.floor(r * 100) / 100, need: need,
                     font: size + "px/" + weight});
    }
  }
  for (const el of document.body.querySelectorAll("*")) {
    if (SKIP.has(el.tagName) || el.closest("svg")) continue;
    const own = Array.from(el.childNodes).filter(n => n.nodeType === Node.TEXT_NODE)
                     .map(n => n.textContent).join(" ").replace(/\s+/g, " ").trim();
    const entries = [];
    if (own) entries.push([own, "text"]);
    if (el.tagName === "INPUT") {
      const type = (el.getAttribute("type") || "text").toLowerCase();
      if (["submit", "button", "reset"].includes(type) && el.value.trim()) entries.push([el.value.trim(), "value"]);
      if (TEXT_INPUTS.has(type) && el.value.trim()) entries.push([el.value.trim(), "value"]);
      if (TEXT_INPUTS.has(type) && !el.value && el.placeholder.trim()) {
        entries.push([el.placeholder.trim(), "placeholder"]);
      }
    }
    if (el.tagName === "TEXTAREA") {
      if (el.value.trim()) entries.push([el.value.trim(), "value"]);
      else if (el.placeholder.trim()) entries.push([el.placeholder.trim(), "placeholder"]);
    }
    if (el.tagName === "SELECT" && el.selectedOptions.length) {
      entries.push([el.selectedOptions[0].text.trim(), "selected option"]);
    }
    if (!entries.length || !visible(el)) continue;
    if (el.matches(":disabled") || el.closest("[aria-disabled=true], fieldset:disabled")) {
      disabled.push(describe(el));  // inactive controls are exempt from 1.4.3
      continue;
    }
    const style = getComputedStyle(el);
    for (const [text, what] of entries) check(el, text.slice(0, 60), style, what);
  }
  return {checked: checked, failures: failures, backgroundImages: backgroundImages,
          unparsed: Array.from(new Set(unparsed)), disabled: disabled};
}"""


def contrast_report(page, label: str) -> dict:
    # Styles are computed from the stylesheets loaded so far: on a busy machine an element can be
    # visible before the page's own stylesheet has arrived. Measure the page as it is meant to look.
    page.wait_for_load_state("load")
    result = page.evaluate(CONTRAST_JS)
    result["label"] = label
    return result


def format_failures(results: list[dict]) -> str:
    """A summary by colour pair, then every offending element, page by page."""
    pairs: dict[tuple, list] = {}
    lines = []
    for result in results:
        for f in result["failures"]:
            pairs.setdefault((f["shown"], f["background"], f["ratio"], f["need"]), []).append(result["label"])
            lines.append(f"  [{result['label']}] <{f['element']}> {f['what']} “{f['text']}”: text {f['shown']}"
                         f" (computed {f['color']}) on {f['background']} (background of {f['from']}),"
                         f" font {f['font']}: {f['ratio']}:1 < {f['need']}:1")
    summary = [f"  {fg} on {bg}: {ratio}:1 < {need}:1, {len(pages)} element(s) on: {' | '.join(dict.fromkeys(pages))}"
               for (fg, bg, ratio, need), pages in pairs.items()]
    return "\n".join(["By colour pair:", *summary, "Elements:", *lines]) if lines else ""


def test_text_contrast_meets_wcag_aa_on_the_main_pages(page, seeded):
    results = []
    # Sign-in page, then with the skip link focused, then with a failed sign-in's error alert.
    page.goto("/login")
    results.append(contrast_report(page, "sign-in"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    results.append(contrast_report(page, "sign-in, skip link focused"))
    page.get_by_label("Email").fill(DEMO_ADMIN[0])
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".alert-danger, .invalid-feedback").first).to_be_visible()
    results.append(contrast_report(page, "sign-in, failed"))

    sign_in(page)
    for scope in ("mine", "all"):
        page.goto(f"/?scope={scope}")
        expect(page.get_by_text(f"{PREFIX} overdue").first).to_be_visible()
        results.append(contrast_report(page, f"dashboard ({scope})"))
    page.locator("#menu-settings > summary").click()
    expect(page.locator("#menu-settings .nav-menu-items")).to_be_visible()
    results.append(contrast_report(page, "dashboard, settings menu open"))

    page.goto("/obligations")
    for title in SEEDED:
        expect(page.get_by_role("link", name=title, exact=True)).to_be_visible()
    expect(page.locator("tr.table-danger", has_text=f"{PREFIX} overdue")).to_be_visible()
    expect(page.locator(".badge.state-projected").first).to_be_visible()
    results.append(contrast_report(page, "obligation list"))
    page.goto(f"/obligations?q={PREFIX}&status=waived")
    expect(page.get_by_text("1 obligation matches.")).to_be_visible()
    results.append(contrast_report(page, "obligation list, filtered"))

    page.goto(f"/obligations/{seeded['ids'][f'{PREFIX} overdue']}")
    expect(page.locator("#due .due-overdue")).to_be_visible()
    expect(page.get_by_role("table", name="Deadline history")).to_be_visible()
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    results.append(contrast_report(page, "obligation detail (overdue)"))
    # A status change through the page leaves a success alert on it.
    page.get_by_role("button", name="Mark in progress").click()
    expect(page.locator(".alert").first).to_be_visible()
    results.append(contrast_report(page, "obligation detail, after a status change"))
    page.goto(f"/obligations/{seeded['ids'][f'{PREFIX} projected']}")
    expect(page.locator("#due .state-projected")).to_be_visible()
    results.append(contrast_report(page, "obligation detail (projected)"))

    page.goto("/calendar")
    expect(page.get_by_role("heading", name="Calendar feeds")).to_be_visible()
    results.append(contrast_report(page, "calendar feeds, all off"))
    # With the personal feed on, its card shows the addresses, copy buttons, regenerate / turn off.
    page.locator("#personal").get_by_role("button", name="Turn feed on").click()
    expect(page.locator("#personal-https")).to_be_visible()
    expect(page.locator("#personal .copy-button").first).to_be_visible()
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    results.append(contrast_report(page, "calendar feeds, personal feed on"))

    for result in results:
        assert result["checked"] >= 4, f"{result['label']}: only {result['checked']} text elements checked"
        assert not result["unparsed"], f"{result['label']}: colours converted through a canvas: {result['unparsed']}"
    images: dict[tuple, list] = {}
    for result in results:
        for found in result["backgroundImages"]:
            images.setdefault((found["element"], tuple(found["images"])), []).append(result["label"])
    if images:  # Reported, not failed: e.g. a select's arrow icon sits beside its text, not under it.
        print("\nText on an element with a background image (checked against the background colour):")
        for (element, found), labels in sorted(images.items()):
            print(f"  {element} on {' | '.join(dict.fromkeys(labels))}: {'; '.join(found)}")
    failing = format_failures(results)
    total = sum(len(r["failures"]) for r in results)
    assert not failing, f"{total} text element(s) below WCAG 2.1 AA contrast:\n{failing}"


def test_the_contrast_check_catches_low_contrast_text(page, seeded):
    """The checker itself: a pale-grey rule on the list makes it report the element."""
    sign_in(page)
    page.goto("/obligations")
    # A constructed stylesheet: the page's Content-Security-Policy blocks an injected <style> tag.
    page.evaluate("css => { const sheet = new CSSStyleSheet(); sheet.replaceSync(css);"
                  " document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet]; }",
                  "caption, p[role=status] { color: #bbbbbb !important; }"
                  " .state-firm { background: #0f5132 !important; color: #146c43 !important; }")
    result = contrast_report(page, "obligation list, pale text injected")
    failing = {(f["element"], f["text"]) for f in result["failures"]}
    assert ("p", f"{seeded['total']} obligations match.") in failing, format_failures([result])
    assert any(element.startswith("span.badge") and text == "Firm" for element, text in failing), \
        format_failures([result])
    ratios = [f["ratio"] for f in result["failures"] if f["element"] == "p"]
    assert ratios and ratios[0] == pytest.approx(1.92, abs=0.02)  # #bbbbbb on white
    assert not any(f["element"].startswith("caption") for f in result["failures"])  # visually hidden


# ---------------------------------------------------------------- keyboard

# The unfocused look of every focusable element, kept in the page to compare with its focused look.
SNAPSHOT_JS = r"""
() => {
  window.__unfocused = new Map();
  for (const el of document.querySelectorAll("a[href], button, input, select, textarea, summary, [tabindex]")) {
    const s = getComputedStyle(el);
    window.__unfocused.set(el, {outlineStyle: s.outlineStyle, outlineWidth: s.outlineWidth,
                                outlineColor: s.outlineColor, boxShadow: s.boxShadow});
  }
}
"""

# The focused element, once its focus styles have finished transitioning, and whether they paint an
# indicator the unfocused element did not have: an outline, or a box-shadow, that is visible and new.
FOCUS_JS = "async () => {" + HELPERS_JS + r"""
  await settle();
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return {element: null};
  // Which element this is, even when two look alike (two links to the same team).
  if (!el.__focusId) el.__focusId = (window.__focusIds = (window.__focusIds || 0) + 1);
  const control = ["INPUT", "SELECT", "TEXTAREA"].includes(el.tagName);
  const text = ((control ? el.labels && el.labels.length && el.labels[0].innerText : el.innerText) ||
                el.getAttribute("aria-label") || "").replace(/\s+/g, " ").trim().slice(0, 40);
  const s = getComputedStyle(el);
  const now = {outlineStyle: s.outlineStyle, outlineWidth: s.outlineWidth, outlineColor: s.outlineColor,
               boxShadow: s.boxShadow};
  const before = (window.__unfocused && window.__unfocused.get(el)) || {outlineStyle: "none", outlineWidth: "0px",
                                                outlineColor: "transparent", boxShadow: "none"};
  const outlineShown = o => o.outlineStyle !== "none" && parseFloat(o.outlineWidth) > 0 && parse(o.outlineColor).a > 0;
  const painted = list => shadows(list)
    .filter(x => x.color && x.color.a > 0 && (x.blur > 0 || x.spread > 0 || x.x || x.y))
    .map(x => JSON.stringify(x)).sort().join("|");
  const outline = outlineShown(now) &&
    (!outlineShown(before) || ["outlineStyle", "outlineWidth", "outlineColor"].some(p => now[p] !== before[p]));
  const shadow = painted(now.boxShadow) !== "" && painted(now.boxShadow) !== painted(before.boxShadow);
  // The indicator's colour: the outline's, or the colour of the box-shadow ring focus added.
  let ring = null, ringRaw = null, inside = false;
  if (outline) {
    ring = parse(now.outlineColor);
    ringRaw = now.outlineColor;
    inside = parseFloat(s.outlineOffset) + parseFloat(s.outlineWidth) <= 0;  // drawn over the element itself
  } else if (shadow) {
    const parts = now.boxShadow.split(/,(?![^(]*\))/).map(p => ({text: p.trim(), shadow: shadows(p)[0]}))
      .filter(p => p.shadow.color && p.shadow.color.a > 0 &&
                   (p.shadow.blur > 0 || p.shadow.spread > 0 || p.shadow.x || p.shadow.y));
    const old = new Set(shadows(before.boxShadow).map(x => JSON.stringify(x)));
    const added = parts.find(p => !old.has(JSON.stringify(p.shadow))) || parts[0];
    ring = added.shadow.color;
    ringRaw = added.text;
    inside = added.shadow.inset;
  }
  // What the ring is drawn on (WCAG 1.4.11): outside the element, the surroundings, i.e. the parent's
  // effective background; an inset ring is drawn on the element's own. A translucent ring is composited.
  const behindInfo = background(inside ? el : (el.parentElement || el));
  const behind = behindInfo.color;
  const shownRing = ring ? over(ring, behind) : null;
  const rect = el.getBoundingClientRect();
  const names = typeof el.className === "string" ? el.className.trim() : "";
  return {element: describe(el) + (text ? " “" + text + "”" : ""), id: el.id, text: text, focusId: el.__focusId,
          tag: el.tagName.toLowerCase(), classes: names ? names.split(/\s+/).join(" ") : "",
          focusVisible: el.matches(":focus-visible"), indicator: outline || shadow,
          kind: outline ? "outline" : (shadow ? "box-shadow" : "none"),
          ringContrast: ring ? Math.floor(ratio(shownRing, behind) * 100) / 100 : 0,
          ring: ring ? hex(shownRing) : null, ringRaw: ringRaw, behind: hex(behind), behindFrom: behindInfo.from,
          shown: rect.width > 0 && rect.height > 0 && el.checkVisibility({visibilityProperty: true}),
          before: before, now: now};
}"""


def focused(page) -> dict:
    return page.evaluate(FOCUS_JS)


def indicator_problems(stops: list[dict]) -> list[str]:
    """Stops that are hidden or show no focus indicator."""
    return [f"  {s['label']}: {s['element']} (shown={s['shown']}, :focus-visible={s['focusVisible']}):"
            f" unfocused {s['before']} / focused {s['now']}"
            for s in stops if not s["shown"] or not s["indicator"]]


def ring_contrast_failures(stops: list[dict]) -> list[str]:
    """Stops whose focus indicator is below 3:1 against the background it is drawn on (WCAG 2.1 SC 1.4.11)."""
    return [f"  {s['label']}: <{s['tag']}{'#' + s['id'] if s['id'] else ''}> class=\"{s['classes']}\""
            f" “{s['text']}”: {s['kind']} ring {s['ringRaw']} (shown as {s['ring']}) on {s['behind']}"
            f" (background of {s['behindFrom']}): {s['ringContrast']}:1 < {RING_CONTRAST}:1"
            for s in stops if s["ringContrast"] < RING_CONTRAST]


def admin_menu_stops(page) -> list[dict]:
    """Opens the Settings menu (where the Administration pages are) from the keyboard on /obligations:
    Tab to its summary, Enter, then Tab through every item, Escape. The menus are <details>: the
    browser opens them without script; tracker.js closes one on Escape and puts focus back on its
    summary. Returns the focus stops: the summary with the menu open, then each item."""
    page.goto("/obligations")
    toggle = page.locator("#menu-settings > summary")
    # sign_in() uses the demo admin; the Administration part is only there for admins.
    expect(page.locator("#menu-settings .nav-menu-heading")).to_have_count(1)
    page.evaluate(SNAPSHOT_JS)
    on_toggle = "document.activeElement === document.querySelector('#menu-settings > summary')"
    for _ in range(FOCUS_STOPS):
        page.keyboard.press("Tab")
        if page.evaluate(on_toggle):
            break
    assert page.evaluate(on_toggle), "Settings menu not reachable with Tab"
    page.keyboard.press("Enter")
    expect(page.locator("#menu-settings")).to_have_attribute("open", "")
    menu = page.locator("#menu-settings .nav-menu-items")
    expect(menu).to_be_visible()
    stop = focused(page)
    assert page.evaluate(on_toggle), f"Enter moved focus off the Settings summary: {stop['element']}"
    stops = [{**stop, "label": "Settings summary, menu opened with Enter"}]
    names = [name.strip() for name in menu.locator("a").all_inner_texts()]
    assert {"Users", "Import", "Outbox"} <= set(names), f"the Administration items are missing: {names}"
    for n, name in enumerate(names, 1):
        page.keyboard.press("Tab")
        stop = focused(page)
        assert stop["tag"] == "a" and stop["text"] == name, \
            f"Tab {n} in the Settings menu focused {stop['element']}, not the item “{name}”"
        stops.append({**stop, "label": f"Settings menu item {n} (Tab)"})
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    assert page.evaluate(on_toggle), "Escape did not return focus to the Settings summary"
    return stops


def test_keyboard_reaches_and_uses_the_filters_with_visible_focus(page, seeded):
    sign_in(page)
    menu_stops = admin_menu_stops(page)

    page.goto("/obligations")
    expect(page.get_by_text(f"{seeded['total']} obligations match.")).to_be_visible()
    page.evaluate(SNAPSHOT_JS)
    stops = []
    for _ in range(FOCUS_STOPS):
        page.keyboard.press("Tab")
        stop = focused(page)
        assert stop["element"], f"focus fell back to the page after {len(stops)} stops: {[s['element'] for s in stops]}"
        stops.append({**stop, "label": f"Tab stop {len(stops) + 1}"})
    print(f"\nFocus indicators of the first {FOCUS_STOPS} Tab stops on /obligations, then of the Settings menu"
          " (contrast against what is behind):")
    for stop in stops + menu_stops:
        print(f"  {stop['label']}: {stop['element']}: {stop['kind']} {stop['ring']} on {stop['behind']}"
              f" {stop['ringContrast']}:1")
    names = [s["element"] for s in stops]
    assert len({s["focusId"] for s in stops}) == len(stops), f"focus revisits elements: {names}"
    ids = [s["id"] for s in stops]
    for control in ("q", "f-status"):
        assert control in ids, f"#{control} not reached in {FOCUS_STOPS} Tab stops: {names}"
    problems = indicator_problems(stops + menu_stops)
    assert not problems, "focus stops with no visible focus indicator:\n" + "\n".join(problems)
    failing = ring_contrast_failures(stops + menu_stops)
    assert not failing, (f"{len(failing)} focus indicator(s) below {RING_CONTRAST}:1 against the background next to"
                         " them (WCAG 2.1 SC 1.4.11):\n" + "\n".join(failing))

    # Back to the search box with Shift+Tab, type, submit with Enter.
    for _ in range(len(ids) - 1 - ids.index("q")):
        page.keyboard.press("Shift+Tab")
    assert focused(page)["id"] == "q"
    page.keyboard.type(PREFIX)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"[?&]q={PREFIX}(&|$)"))
    expect(page.get_by_text(f"{len(SEEDED)} obligations match.")).to_be_visible()
    expect(page.locator("table.rows tbody tr")).to_have_count(len(SEEDED))
    page.evaluate(SNAPSHOT_JS)

    # Tab to the Status filter, choose "Waived" with the arrow keys, Tab to "Apply filters", press Space.
    for _ in range(FOCUS_STOPS):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "f-status":
            break
    assert page.evaluate("document.activeElement.id") == "f-status", "Status filter not reachable with Tab"
    for _ in range(len(SEEDED)):
        if page.evaluate("document.activeElement.value") == "waived":
            break
        page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.value") == "waived"
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Apply filters":
            break
    stop = focused(page)
    assert stop["text"] == "Apply filters" and stop["indicator"], stop
    page.keyboard.press("Space")
    expect(page).to_have_url(re.compile(r"[?&]status=waived(&|$)"))
    expect(page.get_by_text("1 obligation matches.")).to_be_visible()
    rows = page.locator("table.rows tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"{PREFIX} waived")
    expect(rows.first).to_contain_text("Waived")
    expect(page.get_by_label("Search", exact=True)).to_have_value(PREFIX)
    expect(page.get_by_label("Status", exact=True)).to_have_value("waived")
