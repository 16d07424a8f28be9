/* Forms that help (a local file: the Content-Security-Policy allows no inline script).
   - The error summary takes the focus; its links focus their field, label in view.
   - Phone, postal code and e-mail fields say what is expected when left with a bad value:
     the same messages as the server, which checks again (the forms work without this file).
   - Checkbox lists get a search box that filters them.
   - Fields that concern some choices only (data-shown-for: a select's id; data-shown-values:
     the values that show them) are hidden for the others; the server ignores them then.
   - A file over the upload limit is named as such when chosen, and not sent. */
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
  }

  function summary() {
    var box = document.querySelector("[data-error-summary]");
    if (!box) return;
    box.focus();
    box.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) return;
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) return;
      event.preventDefault();
      var details = target.closest("details");
      if (details) details.open = true;
      var legend = target.closest("fieldset") && target.closest("fieldset").querySelector("legend");
      var label = document.querySelector("label[for='" + target.id + "']");
      (legend || label || target).scrollIntoView();
      target.focus({ preventScroll: true });
    });
  }

  var CHECKS = {
    "phone": function (value) {
      var digits = value.replace(/[^0-9]/g, "");
      if (value.trim().charAt(0) === "+") return digits.length >= 8 && digits.length <= 15;
      if (digits.length === 11 && digits.charAt(0) === "1") digits = digits.slice(1);
      return /^[2-9][0-9]{2}[2-9][0-9]{6}$/.test(digits.slice(0, 10)) &&
        !/[a-z]/i.test(value.replace(/(ext|poste|x)\.?\s*[0-9]+\s*$/i, ""));
    },
    "postal-code": function (value) {
      return /^[ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z][ -]?[0-9][ABCEGHJ-NPRSTV-Z][0-9]$/i.test(value.trim());
    },
    "email": function (value) {
      return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value.trim());
    }
  };

  /* The field macro wrote the message beside the hint, hidden, in a box sized for the longer of
     the two (macros/forms.html): showing it moves nothing. A screen reader hears it through the
     field's live region, and the field is described by it only while it shows. */
  function liveHint(input) {
    var check = CHECKS[input.dataset.format];
    var field = input.closest(".field");
    var stack = field && field.querySelector("[data-hint-stack]");
    var announce = field && field.querySelector("[data-live-announce]");
    if (!check || !stack || !announce) return;
    var liveId = input.id + "-live";
    function describe(on) {
      var ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && id !== liveId;
      });
      if (on) ids.push(liveId);
      if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
      else input.removeAttribute("aria-describedby");
    }
    function update(final) {
      var value = input.value;
      var bad = value.trim() !== "" && !check(value);
      if (bad && final) {
        stack.classList.add("hint-stack--bad");
        announce.textContent = input.dataset.formatMessage;
        describe(true);
      } else if (!bad) {
        stack.classList.remove("hint-stack--bad");
        announce.textContent = "";
        describe(false);
      }
    }
    input.addEventListener("change", function () { update(true); });
    input.addEventListener("blur", function () { update(true); });
    input.addEventListener("input", function () { update(false); });
  }

  function choiceList(box) {
    var search = box.querySelector("[data-choice-search]");
    if (!search) return;
    search.hidden = false;
    var input = search.querySelector("input");
    var count = search.querySelector("[aria-live]");
    var items = Array.prototype.slice.call(box.querySelectorAll("li.checkbox"));
    var more = box.querySelector("details");
    items.forEach(function (item) { item.dataset.folded = fold(item.textContent); });
    function visibleBoxes() {
      return items.filter(function (item) { return !item.hidden; })
        .map(function (item) { return item.querySelector("input"); });
    }
    input.addEventListener("input", function () {
      var query = fold(input.value);
      var shown = 0;
      items.forEach(function (item) {
        var match = query === "" || item.dataset.folded.indexOf(query) !== -1;
        item.hidden = !match;
        if (match) shown += 1;
      });
      if (more) more.open = query !== "";
      count.textContent = query === "" ? "" :
        (shown === 0 ? input.dataset.countNone : input.dataset.countSome.replace("{n}", shown));
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === "ArrowDown") {
        event.preventDefault(); // Enter here would send the whole form
        var first = visibleBoxes()[0];
        if (first) first.focus();
      } else if (event.key === "Escape" && input.value) {
        event.preventDefault();
        input.value = "";
        input.dispatchEvent(new Event("input"));
      }
    });
    box.addEventListener("keydown", function (event) {
      if (event.target.type !== "checkbox" || (event.key !== "ArrowDown" && event.key !== "ArrowUp")) return;
      var boxes = visibleBoxes().filter(function (b) { return b.offsetParent !== null; });
      var at = boxes.indexOf(event.target);
      var next = boxes[at + (event.key === "ArrowDown" ? 1 : -1)];
      event.preventDefault();
      if (next) next.focus(); else if (event.key === "ArrowUp") input.focus();
    });
  }

  function shownFor(block) {
    var select = document.getElementById(block.getAttribute("data-shown-for"));
    if (!select) return;
    var values = block.getAttribute("data-shown-values").split(" ");
    function update() { block.hidden = values.indexOf(select.value) < 0; }
    select.addEventListener("change", update);
    update();
  }

  /* A file field with data-max-bytes: a file over the limit is named as such when chosen (the
     server's own message, data-too-large), and the form is not sent with it. Without this file
     the server refuses it all the same, with a 413 once the browser has sent it. */
  function fileLimit(input) {
    var max = parseInt(input.dataset.maxBytes, 10);
    var field = input.closest(".field");
    if (!max || !field || !input.form) return;
    var message = document.createElement("p");
    message.className = "error-message";
    message.id = input.id + "-size-error";
    message.setAttribute("role", "alert");
    message.hidden = true;
    field.insertBefore(message, input);
    var hadError = field.classList.contains("field--error");
    var invalid = input.getAttribute("aria-invalid");
    function tooLarge() {
      return Array.prototype.some.call(input.files || [], function (file) { return file.size > max; });
    }
    function update() {
      var bad = tooLarge();
      var ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && id !== message.id;
      });
      if (bad) ids.push(message.id);
      if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
      else input.removeAttribute("aria-describedby");
      message.textContent = bad ? input.dataset.tooLarge : "";
      message.hidden = !bad;
      field.classList.toggle("field--error", bad || hadError);
      if (bad) input.setAttribute("aria-invalid", "true");
      else if (invalid === null) input.removeAttribute("aria-invalid");
      return bad;
    }
    input.addEventListener("change", update);
    input.form.addEventListener("submit", function (event) {
      if (!update()) return;
      event.preventDefault();
      input.focus();
    });
  }

  function start() {
    summary();
    Array.prototype.forEach.call(document.querySelectorAll("input[data-format]"), liveHint);
    Array.prototype.forEach.call(document.querySelectorAll("[data-choice-list]"), choiceList);
    Array.prototype.forEach.call(document.querySelectorAll("[data-shown-for]"), shownFor);
    Array.prototype.forEach.call(document.querySelectorAll("input[type=file][data-max-bytes]"), fileLimit);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
