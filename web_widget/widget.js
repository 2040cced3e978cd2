/* Påverkanslotsen chat widget: one <script src="https://<gateway>/widget.js"> on any page.
 *
 * Options, in rising priority: window.PaverkanslotsenConfig = {api, open, position, strings},
 * then the script tag's data attributes (data-api, data-open="true", data-position="left",
 * data-title, data-launcher). The strings shown to people come from the gateway, which
 * inlines web_widget/strings.sv.json here; none of them live in this file.
 *
 * Why it is built this way:
 * - A shadow root keeps the host page's CSS out (an intranet's `button {…}` would otherwise
 *   restyle us) and ours in; colours can still be set with --plw-accent / --plw-danger.
 * - Answers may echo what people typed, so every text goes in as text (textContent), never as
 *   HTML, and links are built as elements from URLs with an allowed scheme only.
 * - A host page with a Content-Security-Policy must allow the gateway in script-src and
 *   connect-src; the gateway must list the page's origin in LOTSEN_ALLOWED_ORIGINS (CORS).
 * - The conversation lives in sessionStorage: it survives navigation within the intranet tab
 *   and disappears with the tab; "clear" also asks the gateway to forget the session.
 */
(function () {
  "use strict";
  var CSS = /*__LOTSEN_CSS__*/"";
  var DEFAULT_STRINGS = /*__LOTSEN_STRINGS__*/{};
  var SESSION_ID = /^[A-Za-z0-9_-]{8,64}$/;
  var MAX_ITEMS = 200;
  var TIMEOUT_MS = 20000;
  // Requests for the engine's late answer, one after the other (each waits up to about 10 s).
  var LATE_TRIES = 3;
  // URLs and e-mail addresses inside answer text become links; trailing punctuation stays text.
  var LINKABLE = /https?:\/\/[^\s<>"]+|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
  var SAFE_SCHEME = /^(https?|mailto|tel):$/;

  var script = document.currentScript || document.querySelector("script[src$='/widget.js']");
  if (!script || window.__paverkanslotsen) { return; }
  window.__paverkanslotsen = true;

  var config = window.PaverkanslotsenConfig || {};
  var data = script.dataset || {};
  function option(name) {
    return data[name] != null && data[name] !== "" ? data[name] : config[name];
  }
  var api = String(option("api") || new URL(script.src, location.href).origin).replace(/\/+$/, "");
  var S = Object.assign({}, DEFAULT_STRINGS, config.strings || {});
  ["title", "launcher"].forEach(function (key) { if (data[key]) { S[key] = data[key]; } });
  var STORE = "paverkanslotsen:" + api;

  if (document.body) { start(); } else { document.addEventListener("DOMContentLoaded", start); }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) { node.textContent = String(text); }
    return node;
  }

  function safeUrl(url) {
    try {
      var parsed = new URL(String(url), api + "/");
      return SAFE_SCHEME.test(parsed.protocol) ? parsed.href : null;
    } catch (e) { return null; }
  }

  // --- storage: the conversation of this tab ------------------------------------------------
  function fresh() { return { v: 1, session_id: null, items: [], open: false }; }
  function load() {
    try {
      var saved = JSON.parse(sessionStorage.getItem(STORE));
      if (saved && saved.v === 1 && Array.isArray(saved.items)) {
        if (!SESSION_ID.test(saved.session_id || "")) { saved.session_id = null; }
        return saved;
      }
    } catch (e) { /* unreadable or blocked storage: start afresh */ }
    return fresh();
  }

  function start() {
    var state = load();
    var generation = 0; // bumped by "clear": answers to a cleared conversation are dropped
    var busy = false;
    var pending = null;
    var lateWaiting = false; // the engine's answer to a 112 turn is on its way

    function save() {
      state.items = state.items.slice(-MAX_ITEMS);
      try { sessionStorage.setItem(STORE, JSON.stringify(state)); } catch (e) { /* private mode: memory only */ }
    }

    // --- view -------------------------------------------------------------------------------
    var host = el("div", { id: "paverkanslotsen", lang: "sv" });
    var root = host.attachShadow({ mode: "open" });
    if (root.adoptedStyleSheets && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
      // A constructed sheet also works on host pages whose CSP forbids inline <style>.
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } else {
      root.appendChild(el("style", {}, CSS));
    }
    var position = option("position") === "left" ? "left" : "right";
    var wrap = el("aside", { "class": "plw plw-" + position, lang: "sv", "aria-label": S.title });
    // Closed, the widget still shows the 112 line above its button: it is never hidden.
    var dock = el("div", { "class": "plw-dock" });
    var dockEmergency = el("a", { "class": "plw-dock-emergency", href: S.emergencyHref }, S.emergency);
    var launcher = el("button", {
      type: "button", "class": "plw-launcher", "aria-haspopup": "dialog", "aria-expanded": "false",
      "aria-controls": "plw-panel"
    }, S.launcher);
    var panel = el("section", {
      id: "plw-panel", "class": "plw-panel", role: "dialog", "aria-modal": "true", "aria-labelledby": "plw-title", hidden: ""
    });
    var top = el("div", { "class": "plw-top" });
    var header = el("div", { "class": "plw-header" });
    header.appendChild(el("h2", { id: "plw-title" }, S.title));
    var closeBtn = el("button", { type: "button", "class": "plw-close" }, S.close);
    header.appendChild(closeBtn);
    var emergency = el("p", { "class": "plw-emergency" });
    emergency.appendChild(el("a", { href: S.emergencyHref }, S.emergency));
    top.appendChild(header);
    top.appendChild(emergency);
    var log = el("div", { "class": "plw-log", role: "log", "aria-live": "polite", "aria-label": S.messagesLabel, tabindex: "0" });
    var status = el("div", { "class": "plw-status", role: "status" });
    var tools = el("div", { "class": "plw-tools" });
    var quickToggle = el("button", { type: "button", "class": "plw-tool", "aria-expanded": "false", "aria-controls": "plw-quick" }, S.quickHelpLabel);
    var clearBtn = el("button", { type: "button", "class": "plw-tool" }, S.clear);
    tools.appendChild(quickToggle);
    tools.appendChild(clearBtn);
    var quick = el("ul", { id: "plw-quick", "class": "plw-quick", "aria-label": S.quickHelpLabel, hidden: "" });
    (S.quickHelp || []).forEach(function (choice) {
      var li = el("li");
      var btn = el("button", { type: "button", "class": "plw-opt" }, choice.title);
      btn.addEventListener("click", function () { toggleQuick(false); ask({ payload: choice.payload }, choice.title); input.focus(); });
      li.appendChild(btn);
      quick.appendChild(li);
    });
    var form = el("form", { "class": "plw-form" });
    var input = el("textarea", {
      id: "plw-input", rows: "2", maxlength: "1000", placeholder: S.placeholder, "aria-describedby": "plw-hint"
    });
    form.appendChild(el("label", { "for": "plw-input", "class": "plw-sr" }, S.inputLabel));
    form.appendChild(el("span", { id: "plw-hint", "class": "plw-sr" }, S.inputHint));
    form.appendChild(input);
    form.appendChild(el("button", { type: "submit", "class": "plw-send" }, S.send));
    [top, log, status, tools, quick, form].forEach(function (n) { panel.appendChild(n); });
    dock.appendChild(dockEmergency);
    dock.appendChild(launcher);
    wrap.appendChild(dock);
    wrap.appendChild(panel);
    root.appendChild(wrap);
    document.body.appendChild(host);

    function appendText(parent, text, linked) {
      var last = 0, match;
      LINKABLE.lastIndex = 0;
      while ((match = LINKABLE.exec(text))) {
        var raw = match[0].replace(/[.,;:!?)\]]+$/, "");
        var href = safeUrl(raw.indexOf("@") > 0 && raw.indexOf("://") < 0 ? "mailto:" + raw : raw);
        if (!href) { continue; }
        parent.appendChild(document.createTextNode(text.slice(last, match.index)));
        parent.appendChild(link(href, raw));
        linked[href] = true;
        last = match.index + raw.length;
        LINKABLE.lastIndex = last;
      }
      parent.appendChild(document.createTextNode(text.slice(last)));
    }

    function link(href, text) {
      var a = el("a", { href: href }, text);
      if (/^https?:/.test(href)) {
        a.setAttribute("target", "_blank");
        a.setAttribute("rel", "noopener noreferrer");
        a.appendChild(el("span", { "class": "plw-sr" }, " " + S.newWindow));
      }
      return a;
    }

    function renderItem(item) {
      var fromUser = item.from === "user";
      var box = el("div", { "class": "plw-msg " + (fromUser ? "plw-user" : "plw-bot") + (item.error ? " plw-error" : "") });
      box.appendChild(el("span", { "class": "plw-sr" }, (fromUser ? S.you : S.bot) + ": "));
      var linked = {};
      if (fromUser) { box.appendChild(document.createTextNode(String(item.text))); }
      else { appendText(box, String(item.text), linked); }
      var links = (item.links || []).filter(function (l) { var h = safeUrl(l && l.url); return h && !linked[h]; });
      if (links.length) {
        var list = el("ul", { "class": "plw-links" });
        links.forEach(function (l) {
          var li = el("li");
          li.appendChild(link(safeUrl(l.url), l.title || l.url));
          list.appendChild(li);
        });
        box.appendChild(list);
      }
      if (item.buttons && item.buttons.length) {
        var row = el("div", { "class": "plw-buttons" });
        item.buttons.forEach(function (b) {
          var btn = el("button", { type: "button", "class": "plw-opt" }, b.title);
          btn.addEventListener("click", function () { ask({ payload: b.payload }, b.title); });
          row.appendChild(btn);
        });
        box.appendChild(row);
      }
      log.appendChild(box);
      return box;
    }

    function add(item) {
      state.items.push(item);
      return renderItem(item);
    }

    // The first lines of an answer say what to do now: show its start, not its end.
    function reveal(node) {
      if (node) { log.scrollTop = node.offsetTop - log.offsetTop - 8; }
    }

    function renderAll() {
      log.textContent = "";
      renderItem({ from: "bot", text: S.welcome, buttons: S.quickHelp || [] });
      state.items.forEach(renderItem);
      log.scrollTop = log.scrollHeight;
    }

    function setTyping(on) {
      status.textContent = "";
      if (!on) { if (lateWaiting) { setLateStatus(true); } return; }
      status.appendChild(document.createTextNode(S.typing));
      var dots = el("span", { "class": "plw-dots", "aria-hidden": "true" });
      for (var i = 0; i < 3; i++) { dots.appendChild(el("span", {}, ".")); }
      status.appendChild(dots);
    }

    // --- transport --------------------------------------------------------------------------
    function post(path, body) {
      var controller = window.AbortController ? new AbortController() : null;
      var timer = controller && setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
      return fetch(api + path, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
        credentials: "omit", signal: controller && controller.signal
      }).finally(function () { clearTimeout(timer); });
    }

    function ask(body, shown) {
      if (busy) { return false; }
      add({ from: "user", text: shown });
      save();
      log.scrollTop = log.scrollHeight;
      pending = body;
      send();
      return true;
    }

    function send() {
      var mine = generation;
      var body = Object.assign({}, pending);
      if (state.session_id) { body.session_id = state.session_id; }
      busy = true;
      setTyping(true);
      post("/api/chat", body)
        .then(function (r) { return r.json().then(function (json) { return { status: r.status, json: json }; }); })
        .then(function (res) {
          if (mine !== generation) { return; }
          busy = false;
          setTyping(false);
          if (res.status >= 500) { failed(res.json && res.json.error && res.json.error.message); return; }
          pending = null;
          if (res.status >= 400) {
            renderItem({ from: "bot", error: true, text: (res.json.error && res.json.error.message) || S.serverError });
            return;
          }
          state.session_id = res.json.session_id;
          var first = null;
          (res.json.messages || []).forEach(function (m) {
            var node = add({ from: "bot", text: m.text, buttons: m.buttons || [], links: m.links || [] });
            first = first || node;
          });
          save();
          reveal(first);
          if (res.json.late_answer) { fetchLate(mine, LATE_TRIES); }
        })
        .catch(function () {
          if (mine !== generation) { return; }
          busy = false;
          setTyping(false);
          failed(null);
        });
    }

    // A message about danger right now is answered at once with the 112 answer; the engine's
    // own answer comes later (POST /api/chat/late-answer waits for it). The person may go on
    // writing meanwhile; the status line says more is coming. What arrives is added below the
    // answer it belongs to, without moving the view away from the 112 answer being read.
    function fetchLate(mine, tries) {
      lateWaiting = true;
      if (!busy) { setLateStatus(true); }
      post("/api/chat/late-answer", { session_id: state.session_id })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (json) {
          if (mine !== generation) { return; }
          (json && json.messages || []).forEach(function (m) {
            add({ from: "bot", text: m.text, buttons: m.buttons || [], links: m.links || [] });
          });
          save();
          if (json && json.late_answer && tries > 1) { fetchLate(mine, tries - 1); return; }
          lateWaiting = false;
          if (!busy) { setLateStatus(false); }
        })
        .catch(function () {
          if (mine !== generation) { return; }
          lateWaiting = false;
          if (!busy) { setLateStatus(false); }
        });
    }

    function setLateStatus(on) {
      status.textContent = on ? S.lateAnswer : "";
    }

    // Network trouble or a server error: say so in Swedish and offer to send the same again.
    function failed(message) {
      var box = renderItem({ from: "bot", error: true, text: message || S.networkError });
      var row = el("div", { "class": "plw-buttons" });
      var retry = el("button", { type: "button", "class": "plw-opt" }, S.retry);
      retry.addEventListener("click", function () { box.remove(); input.focus(); send(); });
      row.appendChild(retry);
      box.appendChild(row);
      log.scrollTop = log.scrollHeight;
    }

    function clearConversation() {
      var old = state.session_id;
      generation += 1;
      busy = false;
      pending = null;
      lateWaiting = false;
      state = fresh();
      state.open = true;
      save();
      setTyping(false);
      renderAll();
      if (old) { post("/api/session/clear", { session_id: old }).catch(function () { /* forgotten on expiry anyway */ }); }
      status.textContent = S.cleared;
      input.focus();
    }

    // --- behaviour --------------------------------------------------------------------------
    function open(focus) {
      panel.hidden = false;
      dock.hidden = true;
      launcher.setAttribute("aria-expanded", "true");
      state.open = true;
      save();
      log.scrollTop = log.scrollHeight;
      if (focus) { input.focus(); }
    }
    function close() {
      toggleQuick(false);
      panel.hidden = true;
      dock.hidden = false;
      launcher.setAttribute("aria-expanded", "false");
      state.open = false;
      save();
      launcher.focus();
    }
    function toggleQuick(show) {
      quick.hidden = !show;
      quickToggle.setAttribute("aria-expanded", show ? "true" : "false");
    }
    function focusable() {
      return Array.prototype.filter.call(
        panel.querySelectorAll("a[href], button, textarea, [tabindex='0']"),
        function (n) { return n.getClientRects().length > 0; }
      );
    }

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var text = input.value.trim();
      if (text && ask({ text: text }, text)) { input.value = ""; }
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
    });
    launcher.addEventListener("click", function () { open(true); });
    closeBtn.addEventListener("click", close);
    clearBtn.addEventListener("click", clearConversation);
    quickToggle.addEventListener("click", function () {
      var show = quick.hidden;
      toggleQuick(show);
      if (show) { quick.querySelector("button").focus(); }
    });
    panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape") {
        e.preventDefault();
        if (!quick.hidden) { toggleQuick(false); quickToggle.focus(); } else { close(); }
        return;
      }
      if (e.key !== "Tab") { return; }
      // The panel is a dialog: Tab and Shift+Tab go round inside it until it is closed.
      var items = focusable();
      var first = items[0], last = items[items.length - 1], active = root.activeElement;
      if (e.shiftKey && (active === first || !panel.contains(active))) { e.preventDefault(); last.focus(); }
      else if (!e.shiftKey && active === last) { e.preventDefault(); first.focus(); }
    });

    renderAll();
    // Restored open (navigation within the intranet), but without taking focus from the page.
    if (String(option("open")) === "true" || state.open) { open(false); }
  }
})();
