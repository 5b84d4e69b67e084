package main_test

// fieldsCheck finds form fields that do not look like the others: every
// kind of field (text, e-mail, tel, password, number, date, select,
// textarea) has the stylesheet's one border, and a field marked invalid
// (aria-invalid="true") has the error border, whatever more specific rule
// applies to its type or class.
const fieldsCheck = `(() => {
  const out = [];
  const err = "2px solid rgb(138, 28, 18)", normal = "1px solid rgb(118, 118, 118)";
  const fields = "input:not([type=checkbox], [type=radio], [type=hidden], [type=file], [type=submit], [type=button], [type=reset], [type=image]), select, textarea";
  for (const el of document.querySelectorAll(fields)) {
    if (!el.getClientRects().length) continue;
    const st = getComputedStyle(el);
    const border = st.borderTopWidth + " " + st.borderTopStyle + " " + st.borderTopColor;
    const want = el.getAttribute("aria-invalid") === "true" ? err : normal;
    if (border !== want) out.push((el.type || el.tagName.toLowerCase()) + " " + (el.name || el.id) + ": border " + border + ", want " + want);
  }
  return out.slice(0, 10).join("; ");
})()`

func init() {
	pageChecks = append(pageChecks, pageCheck{name: "fields", script: fieldsCheck})
}
