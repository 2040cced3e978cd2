/*
 * The private incident record on /kunskap/dokumentera (issue 18 §1).
 *
 * Privacy by construction: this script makes no request of any kind (no fetch, no XHR, no
 * beacon, no form submission, no storage). It reads the fields, writes the text into the
 * read-only result box, and copies, downloads (a Blob URL, local) or prints it. The Swedish
 * strings are data-* attributes the page renders from knowledge/incident_record.yml.
 */
(function () {
  "use strict";
  var root = document.getElementById("incident-record");
  if (!root) { return; }
  var form = root.querySelector("form");
  var result = root.querySelector(".record-result");
  var status = root.querySelector(".record-status");
  var printed = root.querySelector(".record-print");

  function say(key) { status.textContent = root.getAttribute("data-status-" + key) || ""; }

  function labelOf(field) {
    var label = root.querySelector('label[for="' + field.id + '"]');
    return label ? label.textContent.trim() : field.getAttribute("data-field");
  }

  function made() {
    var now = new Date();
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return now.getFullYear() + "-" + two(now.getMonth() + 1) + "-" + two(now.getDate()) +
      " " + two(now.getHours()) + ":" + two(now.getMinutes());
  }

  // The same layout as knowledge/incident_record.py IncidentRecord.text (Teams).
  function build() {
    var lines = [root.getAttribute("data-heading"), root.getAttribute("data-made") + ": " + made(), ""];
    var any = false;
    Array.prototype.forEach.call(form.querySelectorAll("[data-field]"), function (field) {
      var value = field.value.trim();
      if (value) { any = true; lines.push(labelOf(field), value, ""); }
    });
    if (!any) { show(""); say("empty"); return ""; }
    show(lines.join("\n").replace(/\s+$/, "") + "\n");
    return result.value;
  }

  function show(text) {
    result.value = text;
    printed.textContent = text;
    root.classList.toggle("has-text", !!text);
  }

  function ensureText() { return result.value || build(); }

  function copy() {
    var text = ensureText();
    if (!text) { return; }
    function fallback() {
      result.focus();
      result.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      say(ok ? "copied" : "copy-failed");
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () { say("copied"); }, fallback);
    } else {
      fallback();
    }
  }

  function download() {
    var text = ensureText();
    if (!text) { return; }
    var url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
    var a = document.createElement("a");
    a.href = url;
    a.download = root.getAttribute("data-filename") || "record.txt";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 0);
    say("downloaded");
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (build()) { say("built"); }
  });
  root.addEventListener("click", function (event) {
    var action = event.target.getAttribute && event.target.getAttribute("data-action");
    if (action === "copy") { copy(); }
    else if (action === "download") { download(); }
    else if (action === "print") { ensureText(); window.print(); }
    else if (action === "clear") { form.reset(); show(""); say("cleared"); }
  });
})();
