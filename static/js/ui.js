// Page behaviour shared by every page: tables that scroll sideways can be reached and scrolled
// with the keyboard, and a form error on a freshly loaded page is scrolled into view and focused.
(function () {
  function scrollRegions(root) {
    root.querySelectorAll(".table-responsive, .scroll-x").forEach(function (box) {
      if (box.hasAttribute("tabindex")) { return; }
      box.setAttribute("tabindex", "0");
      if (!box.hasAttribute("role")) { box.setAttribute("role", "region"); }
      if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
        var caption = box.querySelector("caption");
        var section = box.closest("section[aria-labelledby]");
        var heading = section ? document.getElementById(section.getAttribute("aria-labelledby")) : null;
        var name = (caption || heading || {}).textContent;
        box.setAttribute("aria-label", (name || "Table").trim().replace(/\s+/g, " ") + " (scrolls sideways)");
      }
    });
  }

  // Sortable headers (links that set ?sort=) announce the current order with aria-sort.
  function sortOrder(root) {
    var links = root.querySelectorAll("th a[href*='sort=']");
    if (!links.length) { return; }
    var hidden = document.querySelector("input[type=hidden][name=sort]");
    var current = new URLSearchParams(window.location.search).get("sort") || (hidden ? hidden.value : "");
    links.forEach(function (link) {
      var key = (new URL(link.href, window.location.href).searchParams.get("sort") || "").replace(/^-/, "");
      var th = link.closest("th");
      if (!key || !th) { return; }
      th.setAttribute("aria-sort", current === key ? "ascending" : current === "-" + key ? "descending" : "none");
    });
  }

  function focusFirstError() {
    var field = document.querySelector("form .is-invalid, form [aria-invalid=true], [data-focus-error]");
    if (!field) { return; }
    var details = field.closest("details");
    if (details) { details.open = true; }
    if (!field.matches("input, select, textarea, button, a, [tabindex]")) { field.setAttribute("tabindex", "-1"); }
    // Instant: the stylesheet's smooth scrolling would still be moving when the field takes focus.
    field.scrollIntoView({ block: "center", behavior: "instant" });
    field.focus({ preventScroll: true });
  }

  document.addEventListener("DOMContentLoaded", function () {
    scrollRegions(document);
    sortOrder(document);
    if (document.querySelector(".estimate-total-bar")) { document.body.classList.add("has-total-bar"); }
  });
  // After layout (fonts and styles applied), so the field lands where it will stay.
  window.addEventListener("load", focusFirstError);
  document.addEventListener("htmx:afterSwap", function (event) {
    scrollRegions(event.target);
    sortOrder(event.target);
  });
})();
