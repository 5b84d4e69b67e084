package main_test

// tokenCheck finds a left-to-right token of one word split across lines:
// a date ("2026-11-" / "29"), a CNIC, a mobile number, an e-mail address
// or a password, isolated (<bdi>, dir="ltr", class "ltr") but broken at
// its hyphen or by overflow-wrap on a narrow screen. Such a token's text
// fits on one line box: the rectangles of its text lie on one line. Long
// values (over 32 characters) and lists with spaces may wrap.
const tokenCheck = `(() => {
  const out = [];
  const where = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : el.className ? "." + String(el.className).split(" ")[0] : "");
  for (const el of document.querySelectorAll("bdi, [dir=ltr], .ltr, .tok")) {
    if (/^(INPUT|TEXTAREA|SELECT|OPTION)$/.test(el.tagName)) continue;
    const text = el.textContent.trim();
    const word = !/\s/.test(text) || el.classList.contains("tok");
    if (!text || !word || [...text].length > 32 || el.getClientRects().length === 0) continue;
    const r = document.createRange();
    r.selectNodeContents(el);
    const tops = new Set();
    for (const rect of r.getClientRects()) if (rect.width > 0) tops.add(Math.round(rect.top));
    if (tops.size > 1) out.push(where(el) + ": " + text + " breaks across lines");
  }
  return [...new Set(out)].slice(0, 15).join("; ");
})()`

func init() {
	pageChecks = append(pageChecks, pageCheck{name: "tokens", script: tokenCheck})
}
