package main_test

// namesCheck finds, in every form of a page, two visible controls with
// the same accessible name (one holder's checks each named "Select
// <holder>"): a screen reader's list of controls could not tell them
// apart. The name is the one a browser gives form controls: aria-labelledby,
// aria-label, the control's labels, a button's text. Radio buttons of one
// group count once per label. And no page's text puts a space before a
// colon ("Operator disputed : …").
const namesCheck = `(() => {
  const out = [];
  const norm = s => (s || "").replace(/\s+/g, " ").trim();
  const nameOf = el => {
    const by = el.getAttribute("aria-labelledby");
    if (by) return norm(by.split(/\s+/).map(id => (document.getElementById(id) || {}).textContent || "").join(" "));
    if (el.getAttribute("aria-label")) return norm(el.getAttribute("aria-label"));
    if (el.labels && el.labels.length) return norm([...el.labels].map(l => l.textContent).join(" "));
    if (el.tagName === "BUTTON") return norm(el.textContent);
    return "";
  };
  for (const form of document.forms) {
    const seen = new Map();
    for (const el of form.querySelectorAll("input:not([type=hidden]), select, textarea, button")) {
      if (el.hidden || !el.getClientRects().length) continue;
      const name = nameOf(el);
      if (!name) continue;
      if (seen.has(name)) out.push("form " + form.getAttribute("action") + ": two controls named " + JSON.stringify(name));
      seen.set(name, true);
    }
  }
  const text = document.body.innerText;
  const i = text.search(/ :/);
  if (i >= 0) out.push("a space before a colon: " + JSON.stringify(text.slice(Math.max(0, i - 30), i + 30)));
  return out.slice(0, 10).join("; ");
})()`

func init() {
	pageChecks = append(pageChecks, pageCheck{name: "names", script: namesCheck})
}
