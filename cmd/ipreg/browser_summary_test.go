package main_test

// summaryCheck finds error summaries that point at nothing or name a field
// otherwise than the page does: every link of the summary (.errors) goes
// to an element of the page, and its text is the label of that element
// (", line N" after it allowed; missing documents, named by kind, link to
// the choice of document).
const summaryCheck = `(() => {
  const out = [];
  const clean = s => s.replace(/[\u2068\u2069]/g, "").replace(/\s+/g, " ").trim();
  for (const a of document.querySelectorAll(".errors a[href^='#']")) {
    const id = decodeURIComponent(a.getAttribute("href").slice(1));
    const el = document.getElementById(id);
    if (!el) { out.push("summary link to missing #" + id); continue; }
    if (id === "f-kind") continue;
    const label = document.querySelector("label[for='" + CSS.escape(id) + "']");
    if (!label) { out.push("summary link to #" + id + " without a label"); continue; }
    const text = clean(a.textContent), want = clean(label.textContent);
    if (text !== want && !text.startsWith(want + ", ") && !text.startsWith(want + "، ")) out.push("summary names #" + id + " " + JSON.stringify(text) + ", label " + JSON.stringify(want));
  }
  return out.slice(0, 10).join("; ");
})()`

func init() {
	pageChecks = append(pageChecks, pageCheck{name: "error summary", script: summaryCheck})
}
