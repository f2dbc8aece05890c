/* Legami: the bar charts of a piano di zona report, drawn with Chart.js from the data
 * attributes of each canvas[data-report-chart]: data-labels and data-values (JSON
 * arrays; a value hidden as "<5" is null and is not plotted, and the page says so).
 * The table under each chart holds the same figures for screen readers. No inline
 * script or style (CSP). */
(function () {
  "use strict";

  function parse(text) {
    try { return JSON.parse(text || "[]"); } catch (error) { return []; }
  }

  function draw(attempt) {
    var canvases = document.querySelectorAll("canvas[data-report-chart]");
    if (!canvases.length) { return; }
    if (!window.Chart) {
      if ((attempt || 0) < 50) { window.setTimeout(function () { draw((attempt || 0) + 1); }, 100); }
      return;
    }
    Array.prototype.forEach.call(canvases, function (canvas) {
      if (canvas.dataset.drawn === "true") { return; }
      canvas.dataset.drawn = "true";
      var labels = parse(canvas.dataset.labels);
      new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: labels,
          datasets: [{ label: canvas.dataset.label || "", data: parse(canvas.dataset.values), backgroundColor: "#0066cc" }]
        },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          indexAxis: labels.length > 6 ? "y" : "x",
          plugins: { legend: { display: false } },
          scales: { y: { beginAtZero: true } }
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
