// Conveniences only: every page works without this script.
"use strict";
// The page may now hide the native file chooser (style.css, .js).
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", function () {
  // "Select all" for the operator's bulk answers.
  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    all.hidden = false;
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name='" + all.dataset.selectAll + "']").forEach(function (box) { box.checked = all.checked; });
    });
  });
  // Ask before irreversible actions.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      if (!window.confirm(form.dataset.confirm)) { e.preventDefault(); }
    });
  });
  // The file chooser's face (layout.html, filebutton): the chosen file's
  // name, or "No file chosen" in the page's language.
  document.querySelectorAll(".file-button").forEach(function (button) {
    var input = document.getElementById(button.htmlFor), name = button.nextElementSibling;
    if (!input || !name) { return; }
    var show = function () {
      name.textContent = input.files && input.files.length
        ? Array.prototype.map.call(input.files, function (f) { return f.name; }).join(", ")
        : name.dataset.none;
    };
    input.addEventListener("change", show);
    show();
  });
  // Bring the error summary into view and focus for screen readers.
  var errors = document.getElementById("errors");
  if (errors) { errors.focus(); }
});
