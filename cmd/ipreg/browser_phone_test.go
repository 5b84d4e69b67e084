package main_test

// phoneWidth is the phone the walks check every page on (an iPhone 12 to
// 15 is 390 CSS pixels wide); walker.screenshot shows each page at this
// width as well, and phoneCheck runs there.
const phoneWidth, phoneHeight = 390, 844

// phoneCheck finds, on a phone-sized screen, what is wider than the
// screen: the page itself scrolling sideways, elements standing off the
// screen (on either side: a right-to-left page overflows to the left),
// and boxes that hide part of their content behind a sideways scroll (a
// table in a scrolling wrapper, its last columns out of sight). On a wider
// screen it has nothing to say.
const phoneCheck = `(() => {
  const W = document.documentElement.clientWidth;
  if (W > 480) return ""; // the layout viewport: a phone zooms out of a page wider than it, so innerWidth grows
  const out = [];
  if (document.documentElement.scrollWidth > W + 1) out.push("the page is " + document.documentElement.scrollWidth + " px wide on a " + W + " px screen");
  const where = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : el.className ? "." + String(el.className).split(" ")[0] : "") +
    ' "' + (el.textContent || "").trim().slice(0, 30) + '"';
  const flagged = new Set(), hidden = new Set();
  for (const el of document.querySelectorAll("body *")) {
    if (flagged.has(el.parentElement)) { flagged.add(el); continue; }
    if (hidden.has(el.parentElement)) { hidden.add(el); continue; }
    const st = getComputedStyle(el);
    if (st.display === "none" || st.visibility === "hidden") continue;
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1 || el.matches(".skip:not(:focus)")) { hidden.add(el); continue; } // visually hidden on purpose, with what it holds
    if (r.right > W + 1 || r.left < -1) { out.push("off the screen: " + where(el)); flagged.add(el); continue; }
    if (/auto|scroll|hidden/.test(st.overflowX) && !/^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) && el.scrollWidth > el.clientWidth + 1) {
      out.push("hides content sideways: " + where(el)); flagged.add(el);
    }
  }
  return out.slice(0, 10).join("; ");
})()`

func init() {
	pageChecks = append(pageChecks, pageCheck{name: "phone", script: phoneCheck})
}
