// Draws the call-accuracy lines (one per person) from the JSON the page embeds.
(function () {
  "use strict";
  var source = document.getElementById("accuracy-data");
  if (!source || typeof Plotly === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var el = document.querySelector("[data-accuracy-chart]");
  if (!el) { return; }
  Plotly.newPlot(el, data.series.map(function (s) {
    return { x: data.weeks, y: s.values, name: s.name, type: "scatter", mode: "lines+markers", connectgaps: false };
  }), {
    margin: { t: 10, r: 10, b: 40, l: 70 }, height: 320, legend: { orientation: "h" },
    xaxis: { title: { text: "Week of the quarter" }, dtick: 1 },
    yaxis: { title: { text: "Call error, % of actual" }, zeroline: true },
  }, { displayModeBar: false, responsive: true });
  el.setAttribute("data-rendered", "true");
})();
