// The « / » key focuses the header's case search (templates/cases/_header_search.html), as on
// many sites, unless the person is typing in a field already.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    var target = event.target;
    if (target && target.closest && target.closest("input, textarea, select, [contenteditable]")) {
      return;
    }
    var field = document.getElementById("recherche-globale");
    if (!field) {
      return;
    }
    event.preventDefault();
    field.focus();
    field.select();
  });
})();
