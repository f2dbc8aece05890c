/* Legami: the trend of the isolation assessments, drawn with Chart.js from the
 * json_script element "assessment-data": one line chart per scale, with the scale's
 * threshold drawn as a second, dashed line. The table next to the charts holds the same
 * data for screen readers. No inline script or style (CSP). */
(function () {
  "use strict";
  if (window.LegamiAssessments) {
    window.LegamiAssessments.drawAll();
    return;
  }

  function drawChart(canvas, scale) {
    var labels = scale.points.map(function (p) { return p.date; });
    var totals = scale.points.map(function (p) { return p.total; });
    canvas.dataset.drawn = "true";
    return new window.Chart(canvas, {
      type: "line",
      data: {
        labels: labels,
        datasets: [
          { label: scale.label, data: totals, borderColor: "#0066cc", backgroundColor: "#0066cc", tension: 0 },
          {
            label: scale.threshold_label, data: labels.map(function () { return scale.threshold; }),
            borderColor: "#b71918", borderDash: [6, 4], pointRadius: 0, fill: false
          }
        ]
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { y: { min: 0, max: scale.max } },
        plugins: { title: { display: true, text: scale.label } }
      }
    });
  }

  function drawAll(attempt) {
    var source = document.getElementById("assessment-data");
    if (!source) { return; }
    if (!window.Chart) {
      // Chart.js is loaded by a sibling <script>; htmx may run this one first.
      if ((attempt || 0) < 50) { window.setTimeout(function () { drawAll((attempt || 0) + 1); }, 100); }
      return;
    }
    var data = JSON.parse(source.textContent);
    var canvases = document.querySelectorAll("canvas[data-assessment-chart]");
    for (var i = 0; i < canvases.length; i++) {
      var scale = data[canvases[i].dataset.assessmentChart];
      if (scale && canvases[i].dataset.drawn !== "true") { drawChart(canvases[i], scale); }
    }
  }

  window.LegamiAssessments = { drawAll: drawAll };
  document.addEventListener("htmx:afterSettle", function () { drawAll(0); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(0); });
  } else {
    drawAll(0);
  }
})();
