/* Legami: the monthly totals of new intakes of the vulnerability observatory, drawn
 * with Chart.js from the json_script element "observatory-chart-data" (a suppressed
 * month is null: a gap in the line). The table under the chart holds the same data for
 * screen readers. No inline script or style (CSP). */
(function () {
  "use strict";

  function draw(attempt) {
    var source = document.getElementById("observatory-chart-data");
    var canvas = document.querySelector("canvas[data-observatory-chart]");
    if (!source || !canvas || canvas.dataset.drawn === "true") { return; }
    if (!window.Chart) {
      if ((attempt || 0) < 50) { window.setTimeout(function () { draw((attempt || 0) + 1); }, 100); }
      return;
    }
    var data = JSON.parse(source.textContent);
    canvas.dataset.drawn = "true";
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{ label: data.label, data: data.values, backgroundColor: "#0066cc" }]
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { draw(0); });
  } else {
    draw(0);
  }
})();
