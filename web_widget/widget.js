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
 * - Small parts (Transport, MessageList, Composer, Panel) that know nothing of each other and
 *   talk through DOM events on the widget's root element; start() wires them. One file still,
 *   because a host page adds exactly one script tag.
 * - A person under stress reads a phone screen: an answer shows its lead and steps at once, an
 *   emergency as a card with a large 112 button, and hides contacts, sources and feedback behind
 *   one control each (the chat API's message `kind`). A screen reader hears the first part and
 *   how many parts follow, not the whole answer.
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
  // Parts of an answer shown behind one control each; the rest is shown at once.
  var DISCLOSED = { contacts: "contactsTitle", sources: "sourcesTitle", feedback: "feedbackTitle" };
  var KINDS = /^(emergency|lead|steps|contacts|sources|question|feedback|text)$/;
  // The emergency card shows this many steps, no more: it must fit a phone screen at once.
  var EMERGENCY_STEPS = 3;
  // Announcements kept in the hidden live log; older ones are only noise for browse mode.
  var ANNOUNCEMENTS_KEPT = 3;

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
  var uidCounter = 0;

  // --- helpers ----------------------------------------------------------------------------
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) { node.textContent = String(text); }
    return node;
  }

  function uid(prefix) { uidCounter += 1; return "plw-" + prefix + "-" + uidCounter; }

  function emit(target, name, detail) {
    // Not composed: the events stay inside the shadow root, the host page never sees them.
    target.dispatchEvent(new CustomEvent("plw:" + name, { detail: detail || {} }));
  }

  function safeUrl(url) {
    try {
      var parsed = new URL(String(url), api + "/");
      return SAFE_SCHEME.test(parsed.protocol) ? parsed.href : null;
    } catch (e) { return null; }
  }

  function fill(template, n) { return String(template).replace("{n}", String(n)); }

  function link(href, text) {
    var a = el("a", { href: href }, text);
    if (/^https?:/.test(href)) {
      a.setAttribute("target", "_blank");
      a.setAttribute("rel", "noopener noreferrer");
      a.appendChild(el("span", { "class": "plw-sr" }, " " + S.newWindow));
    }
    return a;
  }

  // A web address in running text is shown by its title (from the message's links) or its
  // host name, never as a raw URL; e-mail addresses stay readable, they are what people copy.
  function appendText(parent, text, titles, linked) {
    var last = 0, match;
    LINKABLE.lastIndex = 0;
    while ((match = LINKABLE.exec(text))) {
      var raw = match[0].replace(/[.,;:!?)\]]+$/, "");
      var mail = raw.indexOf("@") > 0 && raw.indexOf("://") < 0;
      var href = safeUrl(mail ? "mailto:" + raw : raw);
      if (!href) { continue; }
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      parent.appendChild(link(href, mail ? raw : (titles[href] || new URL(href).hostname)));
      linked[href] = true;
      last = match.index + raw.length;
      LINKABLE.lastIndex = last;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  // The links appendText would make of a text, to keep one target from being linked twice.
  function hrefsIn(text) {
    var found = [], match;
    LINKABLE.lastIndex = 0;
    while ((match = LINKABLE.exec(text))) {
      var raw = match[0].replace(/[.,;:!?)\]]+$/, "");
      var mail = raw.indexOf("@") > 0 && raw.indexOf("://") < 0;
      var href = safeUrl(mail ? "mailto:" + raw : raw);
      if (href) { found.push(href); }
    }
    LINKABLE.lastIndex = 0;
    return found;
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

  // A stored bot item of an older widget version holds one message's fields itself.
  function messagesOf(item) {
    var list = Array.isArray(item.messages) ? item.messages : [item];
    return list.filter(function (m) { return m && typeof m === "object"; });
  }

  // --- Transport: the chat API, one turn at a time ----------------------------------------
  // Events on `bus`: typing {on}, answer {json, origin}, late {messages}, lateWaiting {on},
  // rejected {message}, failed {message}, busy.
  function Transport(bus) {
    this.bus = bus;
    this.sessionId = null;
    this.generation = 0; // bumped by "clear": answers to a cleared conversation are dropped
    this.busy = false;
    this.pending = null;
    this.origin = null;
    this.lateWaiting = false; // the engine's answer to a 112 turn is on its way
  }

  Transport.prototype.post = function (path, body) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller && setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    return fetch(api + path, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      credentials: "omit", signal: controller && controller.signal
    }).finally(function () { clearTimeout(timer); });
  };

  // false when a turn is still on its way: the person is told, nothing is lost or sent twice.
  Transport.prototype.ask = function (body, origin) {
    if (this.busy) { emit(this.bus, "busy"); return false; }
    this.pending = body;
    this.origin = origin;
    this.send();
    return true;
  };

  Transport.prototype.send = function () {
    var self = this, mine = this.generation;
    var body = Object.assign({}, this.pending);
    if (this.sessionId) { body.session_id = this.sessionId; }
    this.busy = true;
    emit(this.bus, "typing", { on: true });
    function done() { self.busy = false; emit(self.bus, "typing", { on: false }); }
    this.post("/api/chat", body)
      .then(function (r) { return r.json().then(function (json) { return { status: r.status, json: json }; }); })
      .then(function (res) {
        if (mine !== self.generation) { return; }
        done();
        var error = res.json && res.json.error && res.json.error.message;
        if (res.status >= 500) { emit(self.bus, "failed", { message: error }); return; }
        self.pending = null;
        if (res.status >= 400) { emit(self.bus, "rejected", { message: error || S.serverError }); return; }
        self.sessionId = res.json.session_id;
        emit(self.bus, "answer", { json: res.json, origin: self.origin });
        if (res.json.late_answer) { self.fetchLate(mine, LATE_TRIES); }
      })
      .catch(function () {
        if (mine !== self.generation) { return; }
        done();
        emit(self.bus, "failed", {});
      });
  };

  // A message about danger right now is answered at once with the 112 answer; the engine's
  // own answer comes later (POST /api/chat/late-answer waits for it). The person may go on
  // writing meanwhile; the status line says more is coming.
  Transport.prototype.fetchLate = function (mine, tries) {
    var self = this;
    this.setLateWaiting(true);
    this.post("/api/chat/late-answer", { session_id: this.sessionId })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (json) {
        if (mine !== self.generation) { return; }
        var messages = (json && json.messages) || [];
        if (messages.length) { emit(self.bus, "late", { messages: messages }); }
        if (json && json.late_answer && tries > 1) { self.fetchLate(mine, tries - 1); return; }
        self.setLateWaiting(false);
      })
      .catch(function () { if (mine === self.generation) { self.setLateWaiting(false); } });
  };

  Transport.prototype.setLateWaiting = function (on) {
    this.lateWaiting = on;
    emit(this.bus, "lateWaiting", { on: on });
  };

  Transport.prototype.reset = function () {
    var old = this.sessionId;
    this.generation += 1;
    this.busy = false;
    this.pending = null;
    this.sessionId = null;
    this.lateWaiting = false;
    if (old) { this.post("/api/session/clear", { session_id: old }).catch(function () { /* forgotten on expiry anyway */ }); }
  };

  // --- MessageList: the conversation as articles, the live log and the status line --------
  // Emits on `bus`: ask {body, shown, origin: "button"}, retry.
  function MessageList(bus) {
    this.bus = bus;
    this.node = el("div", { "class": "plw-log", role: "region", "aria-label": S.messagesLabel, tabindex: "0" });
    // What a screen reader hears of a new answer: its first part and how many parts follow.
    this.live = el("div", { "class": "plw-sr", role: "log", "aria-label": S.announceLabel });
    this.status = el("div", { "class": "plw-status", role: "status" });
    this.lastCard = null; // an emergency card whose "more" is still closed
  }

  MessageList.prototype.clear = function () {
    this.node.textContent = "";
    this.live.textContent = "";
    this.lastCard = null;
  };

  MessageList.prototype.announce = function (text) {
    this.live.appendChild(el("p", {}, text));
    while (this.live.childNodes.length > ANNOUNCEMENTS_KEPT) { this.live.removeChild(this.live.firstChild); }
  };

  // One change of the status region per call: a screen reader announces it once.
  MessageList.prototype.setStatus = function (text, typing) {
    var nodes = text ? [document.createTextNode(text)] : [];
    if (text && typing) {
      var dots = el("span", { "class": "plw-dots", "aria-hidden": "true" });
      for (var i = 0; i < 3; i++) { dots.appendChild(el("span", {}, ".")); }
      nodes.push(dots);
    }
    if (this.status.textContent === text && !typing) { return; }
    this.status.replaceChildren.apply(this.status, nodes);
  };

  // One article per turn, with a heading for who speaks (a stop for heading navigation and
  // the place focus goes to when an answer should be read from its start).
  MessageList.prototype.article = function (item) {
    var fromUser = item.from === "user";
    var box = el("article", { "class": "plw-msg " + (fromUser ? "plw-user" : "plw-bot") + (item.error ? " plw-error" : "") });
    var heading = el("h3", { "class": "plw-who plw-sr", tabindex: "-1" }, fromUser ? S.you : S.bot);
    box.appendChild(heading);
    box.heading = heading;
    return box;
  };

  MessageList.prototype.render = function (item) {
    var box = this.article(item);
    if (item.from === "user") {
      this.lastCard = null; // a new turn: a late answer no longer belongs behind an older card
      box.appendChild(el("p", { "class": "plw-text" }, String(item.text)));
    } else {
      this.renderMessages(box, messagesOf(item), item.revealed);
    }
    this.node.appendChild(box);
    return box;
  };

  MessageList.prototype.renderMessages = function (box, messages, revealed) {
    var self = this, target = box, shown = 0, row = null, panels = null;
    // An answer with a lead: any further free text (e.g. a role's section) waits behind "show more".
    var hasLead = messages.some(function (m) { return m && m.kind === "lead"; });
    // The controls of the hidden parts share one row, their parts open below it: one line, not three.
    function disclose(m, kind, title) {
      if (!row) {
        var wrap = el("div", { "class": "plw-disclosure" });
        row = el("div", { "class": "plw-buttons plw-more", role: "group", "aria-label": S.answerMore });
        panels = el("div", { "class": "plw-panels" });
        wrap.appendChild(row);
        wrap.appendChild(panels);
        target.appendChild(wrap);
      }
      var d = self.disclosure(m, kind, title);
      row.appendChild(d.toggle);
      panels.appendChild(d.inner);
    }
    // The card's steps are the answer's first steps; the rest of that list continues after them.
    var stepsAt = -1;
    messages.forEach(function (m, i) { if (stepsAt < 0 && m && m.kind === "steps" && (m.items || []).length) { stepsAt = i; } });
    messages.forEach(function (m, i) {
      var kind = KINDS.test(m.kind) ? m.kind : "text";
      if (kind === "emergency" && i === 0) {
        var own = (m.items || []).filter(function (it) { return it && !it.href; });
        var steps = own.length ? own : stepsAt > 0 ? messages[stepsAt].items : [];
        shown = own.length ? 0 : Math.min(steps.length, EMERGENCY_STEPS);
        target = self.emergencyCard(box, m, steps.slice(0, EMERGENCY_STEPS), revealed);
        return;
      }
      if (i === stepsAt && shown) {
        if (m.items.length > shown) { target.appendChild(self.part(m, kind, { from: shown })); }
        return;
      }
      if (DISCLOSED[kind]) { disclose(m, kind, String(m.title || S[DISCLOSED[kind]])); }
      else if (kind === "text" && hasLead) { disclose(m, kind, String(m.title || S.showMore)); }
      else { target.appendChild(self.part(m, kind)); }
    });
  };

  // Flagged danger: a full-width 112 button and at most three steps; the rest of the answer
  // waits behind the "show more" and "I am safe now" buttons.
  MessageList.prototype.emergencyCard = function (box, m, steps, revealed) {
    var self = this;
    var card = el("div", { "class": "plw-card" });
    card.appendChild(el("p", { "class": "plw-card-text" }, String(m.text || "")));
    var items = Array.isArray(m.items) ? m.items : [];
    var calls = items.filter(function (it) { return /^tel:/.test(safeUrl(it && it.href) || ""); });
    if (!calls.length) { calls = [{ text: S.callEmergency, href: S.emergencyHref }]; }
    calls.forEach(function (it) { card.appendChild(el("a", { "class": "plw-call", href: safeUrl(it.href) }, String(it.text))); });
    if (steps.length) { card.appendChild(this.list("ol", steps)); }
    var more = el("div", { id: uid("more"), "class": "plw-rest" });
    var row = el("div", { "class": "plw-buttons", role: "group", "aria-label": S.emergencyChoices });
    var showMore = el("button", { type: "button", "class": "plw-opt", "aria-expanded": "false", "aria-controls": more.id }, S.showMore);
    var safe = el("button", { type: "button", "class": "plw-opt", "aria-controls": more.id }, S.safeNow);
    row.appendChild(showMore);
    row.appendChild(safe);
    card.appendChild(row);
    box.appendChild(card);
    box.appendChild(more);
    // The card has been read: focus goes to where the rest begins, not back to the top.
    more.setAttribute("tabindex", "-1");
    card.reveal = function () {
      more.hidden = false;
      row.hidden = true;
      if (self.lastCard === card) { self.lastCard = null; }
      emit(self.bus, "revealed", { box: box });
      more.focus();
    };
    card.more = more;
    showMore.addEventListener("click", card.reveal);
    safe.addEventListener("click", card.reveal);
    if (revealed) { more.hidden = false; row.hidden = true; } else { more.hidden = true; this.lastCard = card; }
    return more;
  };

  // Items as a list; an item with an href is a link. A contact's line may hold its web page and
  // e-mail address too: then its name (before the dash) is the link and the rest stays text,
  // with addresses linked by title (links never nest).
  MessageList.prototype.list = function (tag, items, from, titles, linked) {
    linked = linked || {};
    var list = el(tag, { "class": tag === "ol" ? "plw-steps" : "plw-items" });
    if (from) { list.setAttribute("start", String(from + 1)); }
    items.slice(from || 0).forEach(function (it) {
      if (!it || it.text == null) { return; }
      var li = el("li"), text = String(it.text);
      var href = it.href && safeUrl(it.href);
      if (href) { linked[href] = true; }
      LINKABLE.lastIndex = 0;
      var plain = !LINKABLE.test(text);
      var dash = text.indexOf(" \u2013 ");
      if (href && plain) { li.appendChild(link(href, text)); }
      // A contact with only an e-mail address: the address in the text is its one link.
      else if (href && dash > 0 && hrefsIn(text.slice(dash)).indexOf(href) < 0) {
        li.appendChild(link(href, text.slice(0, dash)));
        appendText(li, text.slice(dash), titles || {}, linked);
      } else { appendText(li, text, titles || {}, linked); }
      list.appendChild(li);
    });
    return list;
  };

  // A part shown at once: lead, steps, question or free text. opts.from: steps already shown
  // (in the emergency card); opts.label: the name of its button group when it has no title.
  MessageList.prototype.part = function (m, kind, opts) {
    opts = opts || {};
    var self = this;
    var part = el("div", { "class": "plw-part plw-" + kind });
    var titles = {}, linked = {};
    (m.links || []).forEach(function (l) { var h = safeUrl(l && l.url); if (h && l.title) { titles[h] = String(l.title); } });
    if (m.title && kind !== "text" && !opts.label && !opts.from) { part.appendChild(el("h4", { "class": "plw-part-title" }, String(m.title))); }
    var items = Array.isArray(m.items) ? m.items : [];
    var text = String(m.text || "");
    // Text carries everything for clients that read nothing else: where items give the same
    // content as a list (steps, contacts, sources), the list is shown, not the text again.
    if (text && !(items.length && /^(steps|contacts|sources)$/.test(kind)) && text !== opts.label) {
      var p = el("p", { "class": "plw-text", id: uid("text") });
      appendText(p, text, titles, linked);
      part.appendChild(p);
    }
    if (items.length) { part.appendChild(this.list(kind === "steps" ? "ol" : "ul", items, opts.from, titles, linked)); }
    var links = (m.links || []).filter(function (l) { var h = safeUrl(l && l.url); return h && !linked[h]; });
    if (links.length) {
      var list = el("ul", { "class": "plw-links" });
      links.forEach(function (l) {
        var li = el("li");
        li.appendChild(link(safeUrl(l.url), String(l.title || new URL(safeUrl(l.url)).hostname)));
        list.appendChild(li);
      });
      part.appendChild(list);
    }
    if (m.buttons && m.buttons.length) { part.appendChild(this.buttons(m, part, opts.label)); }
    return part;
  };

  // Answer buttons as a group named by the question they answer (or the part's title).
  MessageList.prototype.buttons = function (m, part, label) {
    var bus = this.bus;
    var row = el("div", { "class": "plw-buttons", role: "group" });
    var question = part.querySelector(".plw-text");
    if (label || m.title) { row.setAttribute("aria-label", String(label || m.title)); }
    else if (question) { row.setAttribute("aria-labelledby", question.id); }
    else { row.setAttribute("aria-label", S.choicesLabel); }
    m.buttons.forEach(function (b) {
      var btn = el("button", { type: "button", "class": "plw-opt" }, b.title);
      btn.addEventListener("click", function () {
        emit(bus, "ask", { body: { payload: b.payload }, shown: b.title, origin: "button" });
      });
      row.appendChild(btn);
    });
    return row;
  };

  // Contacts, sources, feedback: one button that opens the part where it stands.
  MessageList.prototype.disclosure = function (m, kind, title) {
    var inner = this.part(m, kind, { label: title });
    inner.id = uid(kind);
    inner.hidden = true;
    var toggle = el("button", {
      type: "button", "class": "plw-toggle", "aria-expanded": "false", "aria-controls": inner.id
    }, title);
    toggle.addEventListener("click", function () {
      var show = inner.hidden;
      inner.hidden = !show;
      toggle.setAttribute("aria-expanded", show ? "true" : "false");
    });
    return { toggle: toggle, inner: inner };
  };

  // What the live log says of an answer: its first part, and how many parts follow.
  MessageList.prototype.summary = function (messages) {
    var first = messages[0] || {};
    var text = String(first.text || "");
    if (!text && Array.isArray(first.items) && first.items[0]) { text = String(first.items[0].text); }
    var rest = messages.length - 1;
    var more = rest === 1 ? S.onePartMore : rest > 1 ? fill(S.partsMore, rest) : "";
    return S.bot + ": " + text + (more ? " " + more : "");
  };

  // The first lines of an answer say what to do now: show its start, not its end.
  MessageList.prototype.reveal = function (box, focus) {
    if (!box) { return; }
    box.scrollIntoView({ block: "start" });
    if (focus) { box.heading.focus({ preventScroll: true }); }
  };

  MessageList.prototype.toEnd = function () { this.node.scrollTop = this.node.scrollHeight; };

  // --- Composer: the text box, quick help and the conversation tools ----------------------
  // Emits on `bus`: ask {body, shown, origin}, clear.
  function Composer(bus) {
    var self = this;
    this.bus = bus;
    this.tools = el("div", { "class": "plw-tools" });
    this.quickToggle = el("button", { type: "button", "class": "plw-tool", "aria-expanded": "false", "aria-controls": "plw-quick" }, S.quickHelpLabel);
    var clearBtn = el("button", { type: "button", "class": "plw-tool" }, S.clear);
    this.tools.appendChild(this.quickToggle);
    this.tools.appendChild(clearBtn);
    this.quick = el("ul", { id: "plw-quick", "class": "plw-quick", "aria-label": S.quickHelpLabel, hidden: "" });
    (S.quickHelp || []).forEach(function (choice) {
      var li = el("li");
      var btn = el("button", { type: "button", "class": "plw-opt" }, choice.title);
      btn.addEventListener("click", function () {
        self.toggleQuick(false);
        emit(bus, "ask", { body: { payload: choice.payload }, shown: choice.title, origin: "button" });
      });
      li.appendChild(btn);
      self.quick.appendChild(li);
    });
    this.form = el("form", { "class": "plw-form" });
    this.input = el("textarea", {
      id: "plw-input", rows: "2", maxlength: "1000", placeholder: S.placeholder, "aria-describedby": "plw-hint"
    });
    this.form.appendChild(el("label", { "for": "plw-input", "class": "plw-sr" }, S.inputLabel));
    this.form.appendChild(el("span", { id: "plw-hint", "class": "plw-sr" }, S.inputHint));
    this.form.appendChild(this.input);
    this.form.appendChild(el("button", { type: "submit", "class": "plw-send" }, S.send));

    this.form.addEventListener("submit", function (e) {
      e.preventDefault();
      var text = self.input.value.trim();
      if (text) { emit(bus, "ask", { body: { text: text }, shown: text, origin: "input" }); }
    });
    this.input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); self.form.requestSubmit(); }
    });
    clearBtn.addEventListener("click", function () { emit(bus, "clear"); });
    this.quickToggle.addEventListener("click", function () {
      var show = self.quick.hidden;
      self.toggleQuick(show);
      if (show) { self.quick.querySelector("button").focus(); }
    });
  }

  Composer.prototype.toggleQuick = function (show) {
    this.quick.hidden = !show;
    this.quickToggle.setAttribute("aria-expanded", show ? "true" : "false");
  };

  // --- Panel: the dock (112 line + launcher) and the dialog around everything else --------
  // Emits on `bus`: opened, closed.
  function Panel(bus, parts) {
    var self = this;
    this.bus = bus;
    this.composer = parts.composer;
    var position = option("position") === "left" ? "left" : "right";
    this.wrap = el("aside", { "class": "plw plw-" + position, lang: "sv", "aria-label": S.title });
    // Closed, the widget still shows the 112 line above its button: it is never hidden.
    this.dock = el("div", { "class": "plw-dock" });
    // Two texts, one shown: the slim dock of a very short screen says only "call 112".
    var dockEmergency = el("a", { "class": "plw-dock-emergency", href: S.emergencyHref });
    dockEmergency.appendChild(el("span", { "class": "plw-long" }, S.emergency));
    dockEmergency.appendChild(el("span", { "class": "plw-short" }, S.callEmergency));
    this.dock.appendChild(dockEmergency);
    this.launcher = el("button", {
      type: "button", "class": "plw-launcher", "aria-haspopup": "dialog", "aria-expanded": "false",
      "aria-controls": "plw-panel"
    }, S.launcher);
    this.dock.appendChild(this.launcher);
    // In the page's flow below its content, as tall as the dock: the page can scroll its end
    // out from under the fixed dock (400 % zoom leaves no room to cover anything).
    this.spacer = el("div", { "class": "plw-spacer", "aria-hidden": "true" });
    this.panel = el("section", {
      id: "plw-panel", "class": "plw-panel", role: "dialog", "aria-modal": "true", "aria-labelledby": "plw-title", hidden: ""
    });
    var header = el("div", { "class": "plw-header" });
    header.appendChild(el("h2", { id: "plw-title" }, S.title));
    var closeBtn = el("button", { type: "button", "class": "plw-close" }, S.close);
    header.appendChild(closeBtn);
    var emergency = el("p", { "class": "plw-emergency" });
    emergency.appendChild(el("a", { href: S.emergencyHref }, S.emergency));
    [header, emergency, parts.list.node, parts.list.live, parts.list.status, this.composer.tools,
      this.composer.quick, this.composer.form].forEach(function (n) { self.panel.appendChild(n); });
    this.wrap.appendChild(this.spacer);
    this.wrap.appendChild(this.dock);
    this.wrap.appendChild(this.panel);

    this.launcher.addEventListener("click", function () { self.open(); self.composer.input.focus(); });
    closeBtn.addEventListener("click", function () { self.close(); });
    this.panel.addEventListener("keydown", function (e) { self.onKey(e); });
  }

  Panel.prototype.open = function () {
    this.panel.hidden = false;
    this.dock.hidden = true;
    this.launcher.setAttribute("aria-expanded", "true");
    emit(this.bus, "opened");
  };

  Panel.prototype.close = function () {
    this.composer.toggleQuick(false);
    this.panel.hidden = true;
    this.dock.hidden = false;
    this.launcher.setAttribute("aria-expanded", "false");
    emit(this.bus, "closed");
    this.launcher.focus();
  };

  Panel.prototype.focusable = function () {
    return Array.prototype.filter.call(
      this.panel.querySelectorAll("a[href], button, textarea, [tabindex='0']"),
      function (n) { return n.getClientRects().length > 0; }
    );
  };

  Panel.prototype.onKey = function (e) {
    var composer = this.composer;
    if (e.key === "Escape") {
      e.preventDefault();
      if (!composer.quick.hidden) { composer.toggleQuick(false); composer.quickToggle.focus(); } else { this.close(); }
      return;
    }
    if (e.key !== "Tab") { return; }
    // The panel is a dialog: Tab and Shift+Tab go round inside it until it is closed.
    var items = this.focusable();
    var first = items[0], last = items[items.length - 1], active = this.panel.getRootNode().activeElement;
    if (e.shiftKey && (active === first || !this.panel.contains(active))) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && active === last) { e.preventDefault(); first.focus(); }
  };

  // --- wiring -----------------------------------------------------------------------------
  function start() {
    var state = load();
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
    var bus = el("div"); // the parts' events meet here, inside the shadow root
    var transport = new Transport(bus);
    transport.sessionId = state.session_id;
    var list = new MessageList(bus);
    var composer = new Composer(bus);
    var panel = new Panel(bus, { list: list, composer: composer });
    root.appendChild(panel.wrap);
    document.body.appendChild(host);
    var lastAnswer = null; // the newest bot article, where focus goes when the panel is restored

    function save() {
      state.session_id = transport.sessionId;
      state.items = state.items.slice(-MAX_ITEMS);
      try { sessionStorage.setItem(STORE, JSON.stringify(state)); } catch (e) { /* private mode: memory only */ }
    }

    function renderAll() {
      list.clear();
      lastAnswer = list.render({ from: "bot", messages: [{ text: S.welcome, buttons: S.quickHelp || [], title: S.quickHelpLabel }] });
      state.items.forEach(function (item) {
        var card = list.lastCard;
        var box = list.render(item);
        if (item.behindCard && card) { card.more.appendChild(box); }
        if (item.from === "bot") { lastAnswer = box; }
        box.item = item;
      });
      list.toEnd();
    }

    function on(name, handler) { bus.addEventListener("plw:" + name, function (e) { handler(e.detail); }); }

    on("ask", function (d) {
      if (!transport.ask(d.body, d.origin)) { return; }
      var item = { from: "user", text: d.shown };
      state.items.push(item);
      list.render(item);
      if (d.origin === "input") { composer.input.value = ""; }
      save();
      list.toEnd();
    });
    on("busy", function () { list.setStatus(S.busy); });
    on("typing", function (d) {
      // Announced once per turn: the status is set when the turn starts and emptied at its end.
      if (d.on) { list.setStatus(S.typing, true); } else { list.setStatus(transport.lateWaiting ? S.lateAnswer : ""); }
    });
    on("lateWaiting", function (d) { if (!transport.busy) { list.setStatus(d.on ? S.lateAnswer : ""); } });
    on("answer", function (d) {
      var messages = d.json.messages || [];
      if (!messages.length) { save(); return; }
      var item = { from: "bot", messages: messages };
      state.items.push(item);
      save();
      var box = list.render(item);
      box.item = item;
      lastAnswer = box;
      list.announce(list.summary(messages));
      // Sent by a button, focus would otherwise stay on a button far above: move it to the
      // answer's start. Typed, focus stays in the text box, the live log reads the answer.
      list.reveal(box, d.origin === "button");
    });
    on("late", function (d) {
      var item = { from: "bot", messages: d.messages };
      // While a 112 card is still closed nothing else is shown: the late answer waits behind it.
      var card = list.lastCard;
      var box = list.render(item);
      box.item = item;
      if (card) { card.more.appendChild(box); item.behindCard = true; }
      else { list.announce(list.summary(d.messages)); }
      state.items.push(item);
      save();
    });
    on("revealed", function (d) {
      if (d.box.item) { d.box.item.revealed = true; }
      state.items.forEach(function (it) { if (it.behindCard) { delete it.behindCard; } });
      save();
    });
    on("rejected", function (d) {
      list.render({ from: "bot", error: true, messages: [{ text: d.message }] });
      list.announce(S.bot + ": " + d.message);
      list.toEnd();
    });
    // Network trouble or a server error: say so in Swedish and offer to send the same again.
    on("failed", function (d) {
      var text = d.message || S.networkError;
      var box = list.render({ from: "bot", error: true, messages: [{ text: text }] });
      var row = el("div", { "class": "plw-buttons" });
      var retry = el("button", { type: "button", "class": "plw-opt" }, S.retry);
      retry.addEventListener("click", function () { box.remove(); composer.input.focus(); transport.send(); });
      row.appendChild(retry);
      box.appendChild(row);
      list.announce(S.bot + ": " + text);
      list.toEnd();
    });
    on("clear", function () {
      transport.reset();
      state = fresh();
      state.open = true;
      save();
      renderAll();
      list.setStatus(S.cleared);
      composer.input.focus();
    });
    on("opened", function () { state.open = true; save(); list.toEnd(); });
    on("closed", function () { state.open = false; save(); });

    renderAll();
    // Restored open after navigation: a dialog without focus would cover the page's focused
    // control, so focus goes to the start of the last answer, which is brought into view.
    if (String(option("open")) === "true" || state.open) {
      panel.open();
      list.reveal(lastAnswer, true);
    }
  }

  // Last: the parts' prototypes above must be in place before start() uses them.
  if (document.body) { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
