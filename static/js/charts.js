// Draws the forecast charts from the JSON the view embeds (<script type="application/json">).
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof Plotly === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var config = { displayModeBar: false, responsive: true };
  // Axis labels size their own margins (nothing clipped on a phone); amounts read "2.5M", the
  // exact value is in the hover and in each chart's table.
  var layout = function (extra) {
    return Object.assign({
      margin: { t: 10, r: 10, b: 10, l: 10 }, height: 280,
      legend: { orientation: "h", y: -0.25 },
      xaxis: { automargin: true },
      yaxis: { title: { text: data.currency }, automargin: true, tickformat: "~s" }
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
        type: "waterfall", x: d.labels, y: d.values, measure: d.measures, connector: { line: { width: 1 } },
        cliponaxis: false, hovertemplate: "%{x}: %{y:,.2f}<extra></extra>"
      }], layout({ xaxis: { automargin: true, tickangle: -45 } }), config);
    },
    calibration: function (el, d) {
      var colours = { Green: "#198754", Amber: "#ffc107", Red: "#dc3545" };
      var small = "#ced4da";  // fewer than d.min_sample calls: not evidence
      Plotly.newPlot(el, Object.keys(d.series).map(function (call) {
        var counts = (d.counts || {})[call] || [];
        return { x: d.names, y: d.series[call], name: call + " calls won %", type: "bar",
                 text: counts.map(function (n) { return "n=" + n; }), textposition: "outside",
                 cliponaxis: false, customdata: counts,
                 hovertemplate: "%{x}: %{y:.1f} % of %{customdata} " + call + " calls<extra></extra>",
                 marker: { color: counts.map(function (n) { return n < d.min_sample ? small : colours[call]; }),
                           line: { color: colours[call], width: 2 } } };
      }), layout({ barmode: "group", yaxis: { title: { text: "% won in quarter" }, range: [0, 115], automargin: true } }), config);
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
