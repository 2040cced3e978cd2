/* Påverkanslotsen chat widget: one <script src=".../widget.js"> on any intranet page.
 * Options come from the script tag's data attributes (data-api, data-title, data-open);
 * Swedish strings come from the gateway (web_widget/strings.sv.json) and can be overridden
 * with window.PaverkanslotsenConfig = {strings: {...}}. No string shown to people lives here.
 * Bot text is always inserted as text, never as HTML: answers may echo what people typed.
 */
(function () {
  "use strict";
  var CSS = /*__LOTSEN_CSS__*/"";
  var DEFAULT_STRINGS = /*__LOTSEN_STRINGS__*/{};
  var script = document.currentScript;
  if (!script || window.__paverkanslotsen) { return; }
  window.__paverkanslotsen = true;

  var host = window.PaverkanslotsenConfig || {};
  var S = Object.assign({}, DEFAULT_STRINGS, host.strings || {});
  var data = script.dataset;
  var api = (data.api || new URL(script.src, location.href).origin).replace(/\/$/, "");
  if (data.title) { S.title = data.title; }
  var STORE = "paverkanslotsen:" + api;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) { node.textContent = text; }
    return node;
  }

  // Styles first so the host page can still override them with more specific rules.
  var style = el("style");
  style.textContent = CSS;
  document.head.appendChild(style);

  var launcher = el("button", { type: "button", "class": "plw-launcher", "aria-expanded": "false", "aria-controls": "plw-panel" }, S.launcher);
  var panel = el("section", { id: "plw-panel", "class": "plw-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "plw-title", lang: "sv", hidden: "" });
  var header = el("div", { "class": "plw-header" });
  header.appendChild(el("h2", { id: "plw-title" }, S.title));
  var closeBtn = el("button", { type: "button", "class": "js-plw-close" }, S.close);
  header.appendChild(closeBtn);
  var emergency = el("p", { "class": "plw-emergency" });
  var emergencyLink = el("a", { href: "tel:112" }, S.emergency);
  emergency.appendChild(emergencyLink);
  var log = el("div", { "class": "plw-log", role: "log", "aria-live": "polite", "aria-label": S.messagesLabel, tabindex: "0" });
  var status = el("div", { "class": "plw-status", role: "status" });
  var form = el("form", { "class": "plw-form" });
  var label = el("label", { "for": "plw-input", "class": "plw-sr" }, S.inputLabel);
  var input = el("textarea", { id: "plw-input", rows: "2", maxlength: "1000", placeholder: S.placeholder });
  var sendBtn = el("button", { type: "submit" }, S.send);
  form.appendChild(label); form.appendChild(input); form.appendChild(sendBtn);
  var clearBtn = el("button", { type: "button", "class": "plw-clear" }, S.clear);
  [header, emergency, log, status, form, clearBtn].forEach(function (n) { panel.appendChild(n); });
  document.body.appendChild(launcher);
  document.body.appendChild(panel);

  var state = load();
  function load() {
    try { return JSON.parse(sessionStorage.getItem(STORE)) || { session_id: null, items: [] }; }
    catch (e) { return { session_id: null, items: [] }; }
  }
  function save() {
    try { sessionStorage.setItem(STORE, JSON.stringify(state)); } catch (e) { /* private mode: keep in memory */ }
  }

  function render(item) {
    var box = el("div", { "class": "plw-msg " + (item.from === "user" ? "plw-user" : "plw-bot") });
    box.appendChild(el("span", { "class": "plw-sr" }, (item.from === "user" ? S.you : S.bot) + ": "));
    box.appendChild(document.createTextNode(item.text));
    if (item.links && item.links.length) {
      var list = el("ul", { "class": "plw-links" });
      item.links.forEach(function (l) {
        if (!/^https?:\/\//.test(l.url)) { return; }
        var li = el("li");
        li.appendChild(el("a", { href: l.url, target: "_blank", rel: "noopener noreferrer" }, l.title || l.url));
        list.appendChild(li);
      });
      box.appendChild(list);
    }
    if (item.buttons && item.buttons.length) {
      var row = el("div", { "class": "plw-buttons" });
      item.buttons.forEach(function (b) {
        var btn = el("button", { type: "button" }, b.title);
        btn.addEventListener("click", function () { ask({ payload: b.payload }, b.title); });
        row.appendChild(btn);
      });
      box.appendChild(row);
    }
    log.appendChild(box);
    log.scrollTop = log.scrollHeight;
  }

  function add(item) { state.items.push(item); save(); render(item); }

  function showWelcome() {
    render({ from: "bot", text: S.welcome, buttons: S.quickHelp || [] });
  }

  var pending = null;
  function ask(body, shown) {
    add({ from: "user", text: shown });
    pending = body;
    send();
  }

  function send() {
    var body = Object.assign({}, pending);
    if (state.session_id) { body.session_id = state.session_id; }
    status.textContent = S.typing;
    fetch(api + "/api/chat", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, json: j }; }); })
      .then(function (res) {
        status.textContent = "";
        if (!res.ok) { add({ from: "bot", text: (res.json.error && res.json.error.message) || S.networkError }); return; }
        pending = null;
        state.session_id = res.json.session_id; save();
        res.json.messages.forEach(function (m) { add({ from: "bot", text: m.text, buttons: m.buttons, links: m.links }); });
      })
      .catch(function () {
        status.textContent = "";
        var box = el("div", { "class": "plw-msg plw-bot", role: "alert" }, S.networkError);
        var retry = el("button", { type: "button" }, S.retry);
        retry.addEventListener("click", function () { box.remove(); send(); });
        var row = el("div", { "class": "plw-buttons" }); row.appendChild(retry); box.appendChild(row);
        log.appendChild(box);
      });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    ask({ text: text }, text);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });

  function open() {
    panel.hidden = false; launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    input.focus();
  }
  function close() {
    panel.hidden = true; launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }
  launcher.addEventListener("click", open);
  closeBtn.addEventListener("click", close);
  panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { close(); return; }
    if (e.key !== "Tab") { return; }
    // Keep focus inside the open panel (WCAG 2.1: no keyboard trap, but a dialog keeps focus).
    var f = panel.querySelectorAll("button, a[href], textarea, [tabindex='0']");
    var first = f[0], last = f[f.length - 1];
    if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
  });
  clearBtn.addEventListener("click", function () {
    state = { session_id: null, items: [] }; save();
    log.textContent = ""; showWelcome(); input.focus();
  });

  showWelcome();
  state.items.forEach(render);
  if (data.open === "true" || state.items.length) { open(); }
})();
