/* Legami: the bar charts of a survey's results, drawn with Chart.js from the json_script
 * element "results-chart-data" (one entry per question: labels and counts, null where a
 * small count is hidden). The table under each chart holds the same numbers for screen
 * readers. No inline script or style (CSP). */
(function () {
  "use strict";

  function draw(attempt) {
    var source = document.getElementById("results-chart-data");
    if (!source) { return; }
    if (!window.Chart) {
      if ((attempt || 0) < 50) { window.setTimeout(function () { draw((attempt || 0) + 1); }, 100); }
      return;
    }
    JSON.parse(source.textContent).forEach(function (chart) {
      var canvas = document.querySelector('canvas[data-results-chart="' + chart.id + '"]');
      if (!canvas || canvas.dataset.drawn === "true") { return; }
      canvas.dataset.drawn = "true";
      new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: chart.labels,
          datasets: [{ label: chart.label, data: chart.values, backgroundColor: "#0066cc" }]
        },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          indexAxis: chart.labels.length > 6 ? "y" : "x",
          plugins: { legend: { display: false } },
          scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { draw(0); });
  } else {
    draw(0);
  }
})();
