// Draws the forecast charts from the JSON the view embeds (<script type="application/json">).
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof Plotly === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var config = { displayModeBar: false, responsive: true };
  var layout = function (extra) {
    return Object.assign({
      margin: { t: 10, r: 10, b: 40, l: 70 }, height: 280,
      legend: { orientation: "h" }, yaxis: { title: { text: data.currency } }
    }, extra || {});
  };
  var draw = {
    trend: function (el, d) {
      Plotly.newPlot(el, [
        { x: d.weeks, y: d.forecast, name: "Forecast (Closed won + Commit)", type: "scatter", mode: "lines+markers" },
        { x: d.weeks, y: d.best_case_forecast, name: "Best-case forecast (Closed won + Best case)", type: "scatter", mode: "lines+markers" },
        { x: d.weeks, y: d.closed_won, name: "Closed won", type: "scatter", mode: "lines+markers" },
        { x: d.weeks, y: d.plan, name: "Plan", type: "scatter", mode: "lines", line: { dash: "dash" } }
      ], layout(), config);
    },
    closing: function (el, d) {
      Plotly.newPlot(el, [
        { x: d.weeks, y: d.won, name: "Closed won", type: "bar" },
        { x: d.weeks, y: d.open, name: "Open", type: "bar" }
      ], layout({ barmode: "stack" }), config);
    },
    waterfall: function (el, d) {
      Plotly.newPlot(el, [{
        type: "waterfall", x: d.labels, y: d.values, measure: d.measures, connector: { line: { width: 1 } }
      }], layout({ margin: { t: 10, r: 10, b: 90, l: 70 } }), config);
    },
    calibration: function (el, d) {
      var colours = { Green: "#198754", Amber: "#ffc107", Red: "#dc3545" };
      Plotly.newPlot(el, Object.keys(d.series).map(function (call) {
        return { x: d.names, y: d.series[call], name: call + " calls won %", type: "bar",
                 marker: { color: colours[call] } };
      }), layout({ barmode: "group", yaxis: { title: { text: "% won in quarter" }, range: [0, 100] } }), config);
    }
  };
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var kind = el.getAttribute("data-chart");
    var chartData = kind === "calibration" ? data : data[kind];
    if (chartData && draw[kind]) {
      draw[kind](el, chartData);
      el.setAttribute("data-rendered", "true");
    }
  });
})();
