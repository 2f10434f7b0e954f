// The pipeline list: focus for the inline editor, Escape to cancel, errors brought into view, and
// the bulk selection's count.
(function () {
  "use strict";

  function showError(root) {
    var error = root.querySelector("[data-focus-error], .is-invalid");
    if (!error) { return false; }
    var field = root.querySelector(".is-invalid");
    var target = field || error;
    target.scrollIntoView({ block: "center" });
    target.focus({ preventScroll: true });
    return true;
  }

  function focusInto(root) {
    if (showError(root)) { return; }
    var first = root.querySelector("[data-autofocus]") || root.querySelector("select, textarea, input:not([type=hidden])");
    if (first) { first.focus(); }
  }

  function focusRow(row) {
    var button = row.querySelector("[data-row-focus]");
    (button || row).focus();
  }

  // The id of the row a request swaps: after the swap the new element is found by it.
  var swapping = null;
  var wasEditor = false;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    if (target && target.id && target.id.indexOf("opp-") === 0) {
      swapping = target.id;
      wasEditor = target.classList.contains("row-editor");
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    // Other swaps (the totals refreshing after a save) settle in between: only the row's counts.
    if (!swapping || !event.target || event.target.id !== swapping) { return; }
    var element = document.getElementById(swapping);
    var closedEditor = wasEditor;
    swapping = null;
    wasEditor = false;
    if (!element) { return; }
    if (element.classList.contains("row-editor")) {
      focusInto(element);
    } else if (!showError(element) && closedEditor) {
      focusRow(element);
    } else if (!element.querySelector("[data-focus-error]")) {
      focusRow(element);
    }
    updateCount();
  });

  // Escape in the inline editor cancels it, as its Cancel button does.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var editor = event.target.closest && event.target.closest(".row-editor");
    if (!editor) { return; }
    var cancel = editor.querySelector("[data-editor-cancel]");
    if (cancel) {
      event.preventDefault();
      cancel.click();
    }
  });

  function picks() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-bulk-pick]"));
  }

  function updateCount() {
    var boxes = picks();
    var chosen = boxes.filter(function (box) { return box.checked; }).length;
    var label = document.querySelector("[data-bulk-count]");
    if (label) {
      label.textContent = chosen === 0 ? "None selected" : chosen === 1 ? "1 selected" : chosen + " selected";
    }
    var all = document.querySelector("[data-bulk-all]");
    if (all) {
      all.checked = boxes.length > 0 && chosen === boxes.length;
      all.indeterminate = chosen > 0 && chosen < boxes.length;
    }
    document.querySelectorAll("[data-bulk-submit]").forEach(function (button) {
      button.setAttribute("aria-disabled", chosen === 0 ? "true" : "false");
      button.classList.toggle("disabled", chosen === 0);
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-bulk-all]")) {
      picks().forEach(function (box) { box.checked = event.target.checked; });
    }
    if (event.target.matches("[data-bulk-all], [data-bulk-pick]")) { updateCount(); }
  });

  // A bulk button with nothing selected says so instead of sending an empty request.
  document.addEventListener("submit", function (event) {
    if (event.target.id !== "bulk-form") { return; }
    if (picks().some(function (box) { return box.checked; })) { return; }
    event.preventDefault();
    var label = document.querySelector("[data-bulk-count]");
    if (label) {
      label.textContent = "Select at least one opportunity first.";
      label.classList.add("text-danger");
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    updateCount();
    // A page that came back with an error (a refused save) shows it and puts the focus on it.
    var error = document.querySelector("[data-focus-error]");
    if (error) { showError(error.closest("form") || document); }
  });
})();
