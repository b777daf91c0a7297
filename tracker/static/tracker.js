/* The tracker's page behaviour, in one file: the Content-Security-Policy runs no inline script
   and no on* attributes, so templates mark elements with data attributes and this file wires them.
   Every page works without it; it only adds conveniences. */
(function () {
  "use strict";

  /* <form data-confirm="Question?">: ask before submitting (delete buttons). */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.hasAttribute("data-confirm")
        && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  /* The navigation's <details> menus work without this; it keeps one open at a time and
     closes it on Escape (focus back on its summary) or on a click elsewhere. */
  var menus = document.querySelectorAll("details.nav-menu");
  menus.forEach(function (menu) {
    menu.addEventListener("toggle", function () {
      if (menu.open) {
        menus.forEach(function (other) { if (other !== menu) { other.open = false; } });
      }
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    menus.forEach(function (menu) {
      if (menu.open) { menu.open = false; menu.querySelector("summary").focus(); }
    });
  });
  document.addEventListener("click", function (event) {
    menus.forEach(function (menu) { if (menu.open && !menu.contains(event.target)) { menu.open = false; } });
  });

  /* <input data-filter-list="list-id">: show it, and hide the list's checkboxes whose label does not
     contain what is typed (checked ones always stay). Without script the whole list shows. */
  document.querySelectorAll("[data-filter-list]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("data-filter-list"));
    if (!list) { return; }
    input.closest(".checklist-filter").hidden = false;
    input.addEventListener("input", function () {
      var wanted = input.value.trim().toLowerCase();
      list.querySelectorAll(".form-check").forEach(function (row) {
        var box = row.querySelector("input");
        row.hidden = wanted !== "" && !box.checked && row.textContent.toLowerCase().indexOf(wanted) < 0;
      });
    });
  });

  /* <input data-feed-events="field-id,field-id">: the "include source events" box adds or removes
     ?events=1 on the feed addresses shown in those fields. */
  document.querySelectorAll("[data-feed-events]").forEach(function (box) {
    box.closest(".feed-events").hidden = false;
    box.addEventListener("change", function () {
      box.getAttribute("data-feed-events").split(",").forEach(function (id) {
        var field = document.getElementById(id);
        if (!field) { return; }
        var base = field.value.replace(/[?&]events=1$/, "");
        field.value = box.checked ? base + (base.indexOf("?") < 0 ? "?" : "&") + "events=1" : base;
      });
    });
  });

  /* <button data-print>: print the page (the timeline). */
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  /* <button class="copy-button" data-copy="field-id">: copy a field's value (feed links).
     Hidden where the clipboard is not available; the fields stay selectable. */
  document.querySelectorAll(".copy-button").forEach(function (button) {
    button.hidden = !navigator.clipboard;
    button.addEventListener("click", function () {
      var field = document.getElementById(button.dataset.copy);
      navigator.clipboard.writeText(field.value).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 2000);
      });
    });
  });

  /* The obligation form: show only the fields the chosen deadline rule uses
     (all stay in the form without JavaScript). */
  var rule = document.getElementById("rule");
  if (rule && document.querySelector("[data-rule]")) {
    var update = function () {
      document.querySelectorAll("[data-rule]").forEach(function (box) {
        box.hidden = box.getAttribute("data-rule").split(" ").indexOf(rule.value) < 0;
      });
    };
    rule.addEventListener("change", update);
    update();
  }

  /* The obligation form: explain the deadline rule live as it is built. The server
     checks and computes it (GET, read-only) with the same engine that saves it. */
  var form = document.getElementById("obligation-form");
  var out = document.getElementById("live-explanation");
  if (form && out && form.dataset.explain && window.fetch) {
    var timer = null;
    var explain = function () {
      var params = new URLSearchParams(new FormData(form));
      params.delete("csrf_token");
      fetch(form.dataset.explain + "?" + params.toString(), {credentials: "same-origin",
                                                              headers: {"Accept": "application/json"}})
        .then(function (response) { return response.json(); })
        .then(function (body) {
          out.textContent = "";
          out.classList.toggle("text-danger", !body.ok);
          if (body.ok) {
            out.textContent = body.explanation;
          } else {
            Object.keys(body.errors).forEach(function (name) {
              var label = document.querySelector("label[for='" + name + "']");
              var line = document.createElement("div");
              line.textContent = (label ? label.textContent.trim() + ": " : "") + body.errors[name];
              out.appendChild(line);
            });
          }
        })
        .catch(function () { out.textContent = ""; });
    };
    var later = function () { clearTimeout(timer); timer = setTimeout(explain, 250); };
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    explain();
  }
})();
