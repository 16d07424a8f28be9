// The airport console: the service-point list follows the destination region as it is chosen.
// Without this script the server does the same on « Chercher » (the list comes back filtered).
document.addEventListener("DOMContentLoaded", function () {
  // After « Chercher » the page opens at #creneaux; a fragment cancels autofocus in browsers,
  // so the first slot takes the focus here (without the script, Tab starts from the slots).
  var first = document.getElementById("slot-1");
  if (first && window.location.hash === "#creneaux") {
    window.addEventListener("load", function () { window.setTimeout(function () { first.focus(); }, 0); });
  }

  var region = document.getElementById("destination_region_id");
  var point = document.getElementById("service_point_id");
  var every = document.getElementById("service-point-options");
  if (!region || !point || !every) { return; }
  var all = Array.prototype.slice.call(every.content.querySelectorAll("option"));

  function filter() {
    var chosen = region.value;
    var selected = point.value;
    var shown = all.filter(function (option) {
      var of = option.getAttribute("data-region");
      return !of || !chosen || of === chosen;
    });
    point.replaceChildren.apply(point, shown.map(function (option) { return option.cloneNode(true); }));
    point.value = shown.some(function (option) { return option.value === selected; }) ? selected : "";
  }

  region.addEventListener("change", filter);
});
