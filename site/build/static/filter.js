// Requirement filter: narrows the requirements table by free text, area,
// level and profile. Without JavaScript the form stays hidden and every row
// is shown.
(function () {
  "use strict";
  var form = document.getElementById("req-filter");
  var table = document.getElementById("req-table");
  var count = document.getElementById("req-count");
  if (!form || !table || !count) {
    return;
  }
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var q = form.elements.q, area = form.elements.area, level = form.elements.level, profile = form.elements.profile;

  function readQuery() {
    var params = new URLSearchParams(window.location.search);
    ["q", "area", "level", "profile"].forEach(function (k) {
      if (params.has(k)) {
        form.elements[k].value = params.get(k);
      }
    });
  }

  function apply() {
    var words = q.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row) {
      var d = row.dataset;
      var ok = (!area.value || d.area === area.value) &&
        (!level.value || d.level === level.value) &&
        (!profile.value || d.profile === profile.value) &&
        words.every(function (w) { return d.text.indexOf(w) !== -1; });
      row.hidden = !ok;
      if (ok) {
        shown++;
      }
    });
    count.textContent = shown === rows.length ?
      rows.length + " requirements." :
      shown + " of " + rows.length + " requirements match.";
  }

  form.hidden = false;
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
  readQuery();
  apply();
})();
