/*
 * The process review on /kunskap/granska (issue 18 §4): ranks the answered risk areas by
 * likelihood (the answer) × seriousness (the area's weight) and offers the list as a table,
 * Markdown and CSV. Nothing is sent or kept: no request, no storage. knowledge/process_review.py
 * ranks the same way. The Swedish strings are data-* attributes from process_review.yml.
 */
(function () {
  "use strict";
  var root = document.getElementById("process-review");
  if (!root) { return; }
  var form = root.querySelector("form");
  var status = root.querySelector(".record-status");
  var result = root.querySelector(".review-result");
  var columns = root.getAttribute("data-columns").split("|");
  var levels = root.getAttribute("data-levels").split("|").map(function (pair) {
    var i = pair.indexOf(":");
    return { min: Number(pair.slice(0, i)), title: pair.slice(i + 1) };
  });
  var rows = [];

  function say(key) { status.textContent = root.getAttribute("data-status-" + key) || ""; }
  function level(score) {
    for (var i = 0; i < levels.length; i++) { if (score >= levels[i].min) { return levels[i].title; } }
    return null;
  }
  function processName() {
    var select = root.querySelector("#review-process");
    return select.options[select.selectedIndex].text;
  }

  function rank() {
    var answered = 0;
    rows = [];
    Array.prototype.forEach.call(root.querySelectorAll("[data-question]"), function (q, index) {
      var chosen = q.querySelector("input:checked");
      if (!chosen) { return; }
      answered += 1;
      var score = Number(chosen.getAttribute("data-likelihood")) * Number(q.getAttribute("data-weight"));
      if (score && level(score)) {
        rows.push({ score: score, order: index, level: level(score),
                    risk: q.getAttribute("data-risk"), measure: q.getAttribute("data-measure") });
      }
    });
    rows.sort(function (a, b) { return b.score - a.score || a.order - b.order; });
    return answered;
  }

  function show() {
    var body = result.querySelector("tbody");
    body.textContent = "";
    rows.forEach(function (r) {
      var tr = document.createElement("tr");
      [r.level, r.risk, r.measure, "", ""].forEach(function (text) {
        var td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    result.querySelector(".review-process-name").textContent = processName();
    result.hidden = false;
  }

  function build() {
    if (!rank()) { result.hidden = true; say("empty"); return false; }
    show();
    say(rows.length ? "built" : "none");
    result.querySelector("h2").focus();
    return true;
  }

  function cells(r) { return [r.level, r.risk, r.measure, "", ""]; }

  function markdown() {
    var lines = ["# " + root.getAttribute("data-heading") + ": " + processName(), "",
                 "| " + columns.join(" | ") + " |", "|" + columns.map(function () { return " --- "; }).join("|") + "|"];
    rows.forEach(function (r) {
      lines.push("| " + cells(r).map(function (c) { return c.replace(/\|/g, "\\|"); }).join(" | ") + " |");
    });
    return lines.join("\n") + "\n";
  }

  // Semicolons: what Excel with Swedish settings opens as columns; a BOM so it reads UTF-8.
  function csv() {
    function quote(c) { return '"' + String(c).replace(/"/g, '""') + '"'; }
    var lines = [columns.map(quote).join(";")];
    rows.forEach(function (r) { lines.push(cells(r).map(quote).join(";")); });
    return "\ufeff" + lines.join("\r\n") + "\r\n";
  }

  function download(text, extension, type) {
    if (!result.hidden || build()) {
      var url = URL.createObjectURL(new Blob([text()], { type: type + ";charset=utf-8" }));
      var a = document.createElement("a");
      a.href = url;
      a.download = root.getAttribute("data-file") + "." + extension;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 0);
      say("downloaded");
    }
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); build(); });
  root.addEventListener("click", function (event) {
    var action = event.target.getAttribute && event.target.getAttribute("data-action");
    if (action === "markdown") { rank(); download(markdown, "md", "text/markdown"); }
    else if (action === "csv") { rank(); download(csv, "csv", "text/csv"); }
    else if (action === "print") { if (build()) { window.print(); } }
  });
  // Opened from the chat's link with the answers chosen there: show the list at once, without
  // moving the focus away from the top of the page.
  if (root.hasAttribute("data-prefilled") && rank()) {
    show();
    say(rows.length ? "built" : "none");
  }
})();
