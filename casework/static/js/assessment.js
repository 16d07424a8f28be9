// The assessment draft's running summary of urgent and high needs, kept up to date as levels
// are chosen. The server renders the same summary, so the page works without this script.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-level-summary]");
  if (!summary) { return; }
  var needs = Array.prototype.slice.call(document.querySelectorAll("[data-need]"));

  function item(need) {
    var li = document.createElement("li");
    var link = document.createElement("a");
    link.href = "#" + need.id;
    link.textContent = need.getAttribute("data-need");
    li.appendChild(link);
    return li;
  }

  function refresh() {
    summary.querySelectorAll("[data-level-list]").forEach(function (list) {
      var level = list.getAttribute("data-level-list");
      var chosen = needs.filter(function (need) {
        var checked = need.querySelector("input[type=radio]:checked");
        return checked && checked.value === level;
      });
      list.replaceChildren.apply(list, chosen.map(item));
      if (!chosen.length) {
        var empty = document.createElement("li");
        empty.className = "muted";
        empty.textContent = list.getAttribute("data-empty");
        list.appendChild(empty);
      }
      summary.querySelector("[data-level-count='" + level + "']").textContent = chosen.length;
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-need] input[type=radio]")) { refresh(); }
  });
});
