"use strict";
// The report's only behaviour: copy buttons, expand/collapse, and opening
// a rule reached by a link. It loads nothing and sends nothing.
(function () {
  async function copyText(text) {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      try { await navigator.clipboard.writeText(text); return true; } catch (_) { /* fall back */ }
    }
    const ta = document.createElement("textarea");
    ta.value = text;
    ta.setAttribute("aria-hidden", "true");
    document.body.append(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (_) { ok = false; }
    ta.remove();
    return ok;
  }
  for (const b of document.querySelectorAll("button.copy")) {
    b.addEventListener("click", async () => {
      const src = document.getElementById(b.dataset.copy);
      const ok = await copyText(src.textContent);
      const note = b.parentElement.querySelector(".copied");
      if (note) note.textContent = ok ? "copied" : "copy failed: select the text";
    });
  }
  const all = (open) => { for (const d of document.querySelectorAll("details.rule")) d.open = open; };
  document.getElementById("expand-all").addEventListener("click", () => all(true));
  document.getElementById("collapse-all").addEventListener("click", () => all(false));
  function openTarget() {
    const id = decodeURIComponent(location.hash.slice(1));
    const el = id && document.getElementById(id);
    if (el && el.tagName === "DETAILS") el.open = true;
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();
