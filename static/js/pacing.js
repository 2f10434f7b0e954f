// Draws the pacing charts from the JSON the page embeds (<script type="application/json">).
(function () {
  "use strict";
  var source = document.getElementById("pacing-data");
  if (!source || typeof Plotly === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var config = { displayModeBar: false, responsive: true };
  var layout = function (yTitle, extra) {
    return Object.assign({
      margin: { t: 10, r: 10, b: 40, l: 70 }, height: 300, legend: { orientation: "h" },
      xaxis: { title: { text: "Week of the quarter" }, dtick: 1 },
      yaxis: { title: { text: yTitle } },
      shapes: [{ type: "line", x0: data.current_week, x1: data.current_week, yref: "paper", y0: 0, y1: 1,
                 line: { dash: "dot", width: 1 } }]
    }, extra || {});
  };
  var lines = function (series, firstBold) {
    return series.map(function (s, i) {
      return { x: data.weeks.slice(0, s.values.length), y: s.values, name: s.name, type: "scatter",
               mode: "lines+markers", line: { width: firstBold && i === 0 ? 4 : 2 } };
    });
  };
  var draw = {
    shares: function (el) { Plotly.newPlot(el, lines(data.shares, false), layout("% of final Closed won", { yaxis: { title: { text: "% of final Closed won" }, range: [0, 105] } }), config); },
    amounts: function (el) { Plotly.newPlot(el, lines(data.amounts, true), layout(data.currency), config); }
  };
  document.querySelectorAll("[data-pacing-chart]").forEach(function (el) {
    var kind = el.getAttribute("data-pacing-chart");
    if (draw[kind]) { draw[kind](el); el.setAttribute("data-rendered", "true"); }
  });
})();
