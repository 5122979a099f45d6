"use strict";
// The dashboard of revoke-mock: everything goes through the control API
// (/__mock/...) of the origin that served the page. Nothing from the
// journal is ever put in the page as HTML (textContent only), and no
// credential is shown but a token the person just minted.
(function () {
  const api = location.pathname.replace(/\/$/, "") + "/"; // "/__mock/"
  const $ = (id) => document.getElementById(id);
  let controlToken = ""; // typed once when the mock asks for it; memory only
  let locked = false;
  let paused = false;
  let ops = null;
  const expanded = new Set();
  let lastJournal = "";
  let lastScenarios = "";
  let lastUsers = "";

  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === "text") e.textContent = v;
      else if (k === "class") e.className = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(e.dataset, v);
      else e.setAttribute(k, v);
    }
    for (const c of children) if (c != null) e.append(c);
    return e;
  }

  // call sends a control request; a 401 of the control API asks for the token.
  async function call(method, path, body, poll) {
    const headers = {};
    if (controlToken) headers["Mock-Control-Token"] = controlToken;
    if (poll) headers["Mock-Dashboard"] = "poll";
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(api + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
    let data = null;
    const text = await res.text();
    if (text) { try { data = JSON.parse(text); } catch (_) { data = { detail: text }; } }
    if (res.status === 401 && data && String(data.type || "").endsWith("control-unauthorized")) {
      askForToken(controlToken ? "That is not this mock's control token." : "");
      throw new Locked();
    }
    return { status: res.status, data };
  }
  class Locked extends Error {}

  // guard runs a button's work: a locked mock has asked for the token, any
  // other failure is said in the live status, never thrown at the console.
  async function guard(fn) {
    try { await fn(); } catch (e) { if (!(e instanceof Locked)) setLive("failed: " + e.message, false); }
  }

  function askForToken(message) {
    locked = true;
    controlToken = "";
    $("unlock").hidden = false;
    $("main").hidden = true;
    $("unlock-error").textContent = message;
    setLive("locked", false);
    $("control-token").focus();
  }

  $("unlock-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = $("control-token");
    controlToken = input.value.trim();
    input.value = ""; // the token stays in this script's memory, not in the page
    locked = false;
    $("unlock").hidden = true;
    $("main").hidden = false;
    start();
  });

  function setLive(text, ok) {
    const live = $("live");
    live.textContent = text;
    live.classList.toggle("off", !ok);
  }

  function problemText(r) {
    const d = r.data || {};
    let s = (d.title || "HTTP " + r.status) + (d.detail ? ": " + d.detail : "");
    if (Array.isArray(d.errors)) s += " " + d.errors.map((e) => e.message).join("; ");
    if (Array.isArray(d.available) && d.available.length) s += " (available: " + d.available.join(", ") + ")";
    return s;
  }

  // --- next answers ------------------------------------------------------

  function timesValue() {
    const v = $("times").value.trim();
    return v === "" ? null : Number(v);
  }
  function timesText() {
    const n = timesValue();
    if (n === null) return "until deleted";
    return n === 1 ? "once" : n + " times";
  }
  function relabel() {
    for (const b of document.querySelectorAll("button[data-label]")) b.textContent = b.dataset.label + " " + timesText();
  }
  $("times").addEventListener("input", relabel);

  function renderOperations() {
    const box = $("operations");
    box.replaceChildren();
    for (const op of ops.operations) {
      const target = op.operation ? { operation: op.operation } : { method: op.method, path: op.path };
      const answers = el("div", { class: "buttons" });
      for (const a of op.answers) {
        const names = a.examples.length ? a.examples : [""];
        for (const ex of names) {
          const label = a.status + (a.examples.length > 1 ? " " + ex : "");
          answers.append(el("button", {
            type: "button", class: "s" + a.status[0], dataset: { label, status: a.status, example: ex, op: op.operation || op.method + " " + op.path },
            title: "The next answers of " + op.method + " " + op.path + ": status " + a.status + (ex ? ", example " + ex : ""),
            onclick: () => arrange(Object.assign({}, target, { status: a.status }, ex ? { example: ex } : {})),
          }));
        }
      }
      const faults = el("div", { class: "buttons" });
      for (const f of ops.faults) {
        faults.append(el("button", {
          type: "button", dataset: { label: f, fault: f, op: op.operation || op.method + " " + op.path },
          title: "The next requests to " + op.method + " " + op.path + " get the fault " + f,
          onclick: () => arrange(Object.assign({}, target, { fault: f })),
        }));
      }
      const plain = el("button", { type: "button", dataset: { label: "default answer", op: op.operation || op.method + " " + op.path },
        title: "The default answer, with the delay and scope above", onclick: () => arrange(Object.assign({}, target)) });
      faults.append(plain);
      box.append(el("fieldset", {},
        el("legend", { text: op.method + " " + op.path + (op.operation ? " · " + op.operation : "") }),
        el("div", { class: "group", text: "Documented answers" }), answers,
        el("div", { class: "group", text: "Faults" }), faults));
    }
    relabel();
  }

  async function arrange(sc) {
    const times = timesValue();
    if (times !== null) sc.times = times;
    const delay = $("delay").value.trim();
    if (delay) sc.delay = delay;
    const user = $("scope-user").value.trim();
    if (user) sc.user = user;
    const msg = $("arrange-msg");
    try {
      const r = await call("POST", "scenarios", sc);
      if (r.status === 201) {
        msg.className = "msg";
        msg.textContent = "Added " + r.data.id + ": " + describe(r.data) + ".";
      } else {
        msg.className = "msg error";
        msg.textContent = problemText(r);
      }
      refreshScenarios(true);
    } catch (e) { if (!(e instanceof Locked)) { msg.className = "msg error"; msg.textContent = String(e); } }
  }

  function describe(s) {
    const what = [];
    if (s.status) what.push(s.status + (s.example ? " " + s.example : ""));
    if (s.fault) what.push("fault " + s.fault);
    if (s.delay) what.push("delay " + s.delay);
    if (!what.length) what.push("default answer");
    let scope = "";
    if (s.user) scope = " for user " + s.user;
    if (s.header) scope = " with " + s.header.name + ": " + s.header.value;
    return (s.operation || s.method + " " + s.path) + " → " + what.join(", ") + scope;
  }

  // --- scenarios -----------------------------------------------------------

  async function refreshScenarios(force) {
    const r = await call("GET", "scenarios", undefined, true);
    if (r.status !== 200) return;
    const key = JSON.stringify(r.data.scenarios);
    if (!force && key === lastScenarios) return;
    lastScenarios = key;
    const list = $("scenarios");
    list.replaceChildren();
    for (const s of r.data.scenarios) {
      const left = s.remaining < 0 ? "until deleted" : s.remaining + " left";
      list.append(el("li", { dataset: { id: s.id } },
        el("span", { text: s.id + " · " + describe(s) + " · " + left }),
        el("button", { type: "button", "aria-label": "Delete scenario " + s.id, text: "Delete", onclick: () => deleteScenario(s.id) })));
    }
    $("scenarios-empty").hidden = r.data.scenarios.length > 0;
  }

  async function deleteScenario(id) {
    await guard(async () => { await call("DELETE", "scenarios/" + encodeURIComponent(id)); await refreshScenarios(true); });
  }
  $("clear-scenarios").addEventListener("click", () => guard(async () => { await call("DELETE", "scenarios"); await refreshScenarios(true); }));

  // --- sessions ------------------------------------------------------------

  $("mint-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const user = $("mint-user").value.trim();
    const msg = $("sessions-msg");
    try {
      const r = await call("POST", "sessions", { user });
      if (r.status !== 201) { msg.className = "msg error"; msg.textContent = problemText(r); return; }
      // The one credential this page ever shows: the token just asked for.
      $("minted-label").textContent = "Token of a new session of " + r.data.user;
      $("minted-token").value = r.data.token;
      $("minted").hidden = false;
      msg.className = "msg";
      msg.textContent = "Minted a session of " + r.data.user + ".";
      refreshUsers(true);
    } catch (e) { if (!(e instanceof Locked)) { msg.className = "msg error"; msg.textContent = String(e); } }
  });

  async function copyText(text) {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      try { await navigator.clipboard.writeText(text); return true; } catch (_) { /* fall back */ }
    }
    const ta = el("textarea", { "aria-hidden": "true" });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (_) { ok = false; }
    ta.remove();
    return ok;
  }
  $("copy-token").addEventListener("click", async () => {
    const ok = await copyText($("minted-token").value);
    $("sessions-msg").textContent = ok ? "Token copied." : "Copy failed: select the token and copy it by hand.";
  });
  function forgetToken() {
    $("minted-token").value = "";
    $("minted").hidden = true;
  }
  $("forget-token").addEventListener("click", forgetToken);

  async function refreshUsers(force) {
    const r = await call("GET", "sessions", undefined, true);
    if (r.status !== 200) return;
    $("mode").textContent = "(mode " + r.data.mode + ")";
    const key = JSON.stringify(r.data.users);
    if (!force && key === lastUsers) return;
    lastUsers = key;
    $("user-rows").replaceChildren(...r.data.users.map((u) => el("tr", {}, el("td", { text: u.user }), el("td", { text: String(u.sessions) }))));
    $("users-empty").hidden = r.data.users.length > 0;
  }

  $("reset").addEventListener("click", () => guard(async () => {
    const r = await call("POST", "reset");
    forgetToken();
    $("sessions-msg").textContent = r.status === 204 ? "Reset: sessions, scenarios and the journal are as at start." : problemText(r);
    expanded.clear();
    await Promise.all([refreshJournal(true), refreshScenarios(true), refreshUsers(true)]);
  }));

  // --- journal -------------------------------------------------------------

  function header(list, name) {
    const h = (list || []).find((x) => x.name.toLowerCase() === name.toLowerCase());
    return h ? h.value : "";
  }

  function headerList(title, list) {
    const dl = el("dl");
    for (const h of list || []) dl.append(el("dt", { text: h.name }), el("dd", { text: h.value }));
    return [el("h3", { text: title }), dl];
  }

  function details(e) {
    const facts = el("dl");
    const add = (k, v) => { if (v !== undefined && v !== null && v !== "") facts.append(el("dt", { text: k }), el("dd", { text: String(v) })); };
    add("request", "#" + e.seq + " at " + e.time);
    add("operation", e.operation);
    add("query", e.query);
    add("request body", e.bodyBytes + " bytes");
    add("answer", e.status === 0 ? "none sent (a fault, or the client left)" : e.status);
    add("answer body", e.responseBytes + " bytes");
    add("decided by", e.decision);
    add("scenario", e.scenario);
    add("took", e.durationMs + " ms");
    const parts = [el("h3", { text: "Request #" + e.seq }), facts, ...headerList("Request headers", e.headers), ...headerList("Answer headers", e.responseHeaders)];
    if (Array.isArray(e.violations) && e.violations.length) { // the validating proxy's findings, when it records them
      parts.push(el("h3", { text: "Contract violations" }), el("ul", {}, ...e.violations.map((v) => el("li", { class: "violation", text: typeof v === "string" ? v : `${v.source} ${(v.location || []).join(".")}: ${v.message}` }))));
    }
    return parts;
  }

  function toggle(seq) {
    if (expanded.has(seq)) expanded.delete(seq); else expanded.add(seq);
    renderJournal(JSON.parse(lastJournal));
    const b = document.querySelector('#journal-rows tr[data-seq="' + seq + '"] .expand');
    if (b) b.focus();
  }

  function renderJournal(entries) {
    const rows = [];
    for (const e of entries) {
      const open = expanded.has(e.seq);
      const time = new Date(e.time).toLocaleTimeString();
      const expand = el("button", { type: "button", class: "expand", "aria-expanded": String(open), "aria-controls": "details-" + e.seq,
        "aria-label": "Details of request " + e.seq + ", " + e.method + " " + e.path + ", " + e.status, text: time });
      const violations = Array.isArray(e.violations) && e.violations.length ? " ⚠ " + e.violations.length : "";
      const tr = el("tr", { class: "entry", dataset: { seq: String(e.seq), status: String(e.status) } },
        el("td", {}, expand), el("td", { text: e.method }), el("td", { class: "path", text: e.path + (e.query ? "?" + e.query : "") }),
        el("td", { class: "st" + String(e.status)[0], text: (e.status || "—") + violations }),
        el("td", { text: e.decision }), el("td", { class: "cred", text: header(e.headers, "Authorization") || "—" }), el("td", { text: e.user || "" }));
      tr.addEventListener("click", () => toggle(e.seq)); // the button's click (a key press too) bubbles here
      rows.push(tr);
      if (open) rows.push(el("tr", { class: "details", id: "details-" + e.seq }, el("td", { colspan: "7" }, ...details(e))));
    }
    $("journal-rows").replaceChildren(...rows);
    $("journal-empty").hidden = entries.length > 0;
  }

  let journalOff = false; // --journal-size -1: asked once, not every second
  async function refreshJournal(force) {
    if (journalOff) return;
    const r = await call("GET", "requests?limit=200", undefined, true);
    if (r.status !== 200) {
      journalOff = r.status === 404;
      $("journal-empty").textContent = problemText(r);
      $("journal-empty").hidden = false;
      return;
    }
    const key = JSON.stringify(r.data.requests);
    if (!force && key === lastJournal) return;
    lastJournal = key;
    renderJournal(r.data.requests);
  }

  $("clear-journal").addEventListener("click", () => guard(async () => { await call("DELETE", "requests"); expanded.clear(); await refreshJournal(true); }));
  $("pause").addEventListener("click", () => {
    paused = !paused;
    $("pause").setAttribute("aria-pressed", String(paused));
    $("pause").textContent = paused ? "Resume" : "Pause";
    setLive(paused ? "paused" : "live", !paused);
  });

  // --- connections (GET /__mock/health) ---------------------------------------

  // The counts of revoke-mock's listener; a mock without one (in a test
  // process) reports none and the card stays hidden.
  const connRows = [
    ["open", "Open now"], ["idle", "Idle (keep-alive)"], ["pending", "Sending their header"],
    ["evictedIdle", "Closed while idle, to make room"], ["evictedHeader", "Closed while slow to send their header"],
    ["evictedTooLarge", "Refused: header too large (431)"], ["waited", "Waited for a slot (every one busy)"],
  ];
  async function refreshHealth() {
    const h = await call("GET", "health", undefined, true);
    const c = h.data ? h.data.connections : null; // a 503 (store down) reports them too
    $("conns").hidden = !c;
    if (!c) return;
    $("conns-cap").textContent = "(cap " + Number(c.max) + ")";
    const body = $("conn-rows");
    body.textContent = "";
    for (const [key, label] of connRows) {
      const tr = document.createElement("tr");
      tr.dataset.key = key;
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = label;
      const td = document.createElement("td");
      td.textContent = String(Number(c[key] || 0));
      tr.append(th, td);
      body.append(tr);
    }
  }

  // --- polling ---------------------------------------------------------------

  let timer = null;
  async function tick() {
    timer = null;
    if (locked) return;
    if (!paused && !document.hidden) {
      try {
        await Promise.all([refreshJournal(false), refreshScenarios(false), refreshUsers(false), refreshHealth()]);
        setLive("live", true);
      } catch (e) {
        if (e instanceof Locked) return;
        setLive("mock unreachable, retrying", false);
      }
    }
    timer = setTimeout(tick, 1000);
  }

  async function start() {
    if (document.body.hasAttribute("data-locked") && !controlToken) { askForToken(""); return; }
    try {
      const h = await call("GET", "health", undefined, true);
      if (h.status === 200 && h.data.spec) $("spec-info").textContent = h.data.spec.source + " · sha256 " + String(h.data.spec.sha256).slice(0, 12);
      const o = await call("GET", "operations", undefined, true);
      if (o.status === 200) { ops = o.data; renderOperations(); }
    } catch (e) {
      if (e instanceof Locked) return;
      setLive("mock unreachable, retrying", false);
      setTimeout(start, 2000);
      return;
    }
    if (timer === null) tick();
  }
  document.addEventListener("visibilitychange", () => { if (!document.hidden && timer !== null) { clearTimeout(timer); tick(); } });
  start();
})();
