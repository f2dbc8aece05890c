/* Legami: the ecomap drawing. Reads the ties from a json_script element named by the
 * container's data-ecomap attribute and draws them in the container's <svg>: the person
 * in the centre, each tie a circle around, joined by a line whose width tells strength,
 * whose dash tells quality and whose arrows tell the direction of support. In an
 * editable drawing a tie can be dragged; its new place is saved with a POST.
 * Presentation goes through SVG attributes only (the CSP forbids inline styles).
 * The table of ties next to the drawing is the accessible interface. */
(function () {
  "use strict";
  if (window.LegamiEcomap) {
    window.LegamiEcomap.drawAll();
    return;
  }
  var NS = "http://www.w3.org/2000/svg";
  var RADIUS = 240;
  var COLOURS = {
    family: "#b71918", friend: "#0066cc", neighbour: "#008055", colleague: "#5c6f82",
    volunteer: "#995c00", service: "#3f1f78", community_group: "#00829b", organisation: "#1a1a1a"
  };
  var WIDTHS = { weak: 1, ordinary: 2.5, strong: 5 };
  var DASHES = { supportive: null, stressful: "10 6", ambivalent: "1 5" };

  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function csrfToken() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]*)/);
    if (m) { return decodeURIComponent(m[1]); }
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function position(tie, index, count) {
    var angle = tie.angle;
    var distance = tie.distance;
    if (angle === null || angle === undefined) { angle = (360 / Math.max(count, 1)) * index - 90; }
    if (distance === null || distance === undefined) { distance = 0.8; }
    var rad = (angle * Math.PI) / 180;
    return { x: Math.cos(rad) * distance * RADIUS, y: -Math.sin(rad) * distance * RADIUS };
  }

  function markers(svg) {
    var defs = el("defs", {}, svg);
    ["end", "start"].forEach(function (which) {
      var m = el("marker", {
        id: svg.dataset.uid + "-arrow-" + which, viewBox: "0 0 10 10", refX: which === "end" ? "10" : "0",
        refY: "5", markerWidth: "6", markerHeight: "6", orient: "auto-start-reverse",
        markerUnits: "strokeWidth"
      }, defs);
      el("path", { d: "M0 0 L10 5 L0 10 z", fill: "#333" }, m);
    });
  }

  function lineEnds(p) {
    // From the edge of the centre circle to the edge of the tie's circle.
    var len = Math.sqrt(p.x * p.x + p.y * p.y) || 1;
    var ux = p.x / len, uy = p.y / len;
    return { x1: ux * 48, y1: uy * 48, x2: p.x - ux * 30, y2: p.y - uy * 30 };
  }

  function setLine(line, p) {
    var e = lineEnds(p);
    Object.keys(e).forEach(function (k) { line.setAttribute(k, e[k]); });
  }

  function draw(container) {
    var source = document.getElementById(container.dataset.ecomap);
    var svg = container.querySelector("svg");
    if (!source || !svg) { return; }
    var data = JSON.parse(source.textContent);
    var editable = container.dataset.editable === "true";
    svg.dataset.uid = container.dataset.ecomap;
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    markers(svg);
    var lines = el("g", {}, svg);
    var nodes = el("g", {}, svg);
    var ties = data.ties || [];
    ties.forEach(function (tie, i) {
      var p = position(tie, i, ties.length);
      var attrs = {
        stroke: "#333", "stroke-width": WIDTHS[tie.strength] || 2.5, "class": "ecomap-tie-line",
        "data-quality": tie.quality
      };
      if (DASHES[tie.quality]) { attrs["stroke-dasharray"] = DASHES[tie.quality]; }
      if (tie.quality === "ambivalent") { attrs["stroke-linecap"] = "round"; }
      if (tie.direction === "to_person" || tie.direction === "mutual") {
        attrs["marker-start"] = "url(#" + svg.dataset.uid + "-arrow-start)";
      }
      if (tie.direction === "from_person" || tie.direction === "mutual") {
        attrs["marker-end"] = "url(#" + svg.dataset.uid + "-arrow-end)";
      }
      var line = el("line", attrs, lines);
      setLine(line, p);
      var g = el("g", {
        "class": "ecomap-tie" + (editable ? " ecomap-draggable" : ""),
        "data-tie": tie.id, transform: "translate(" + p.x + " " + p.y + ")"
      }, nodes);
      el("circle", { r: 30, fill: "#fff", stroke: COLOURS[tie.kind] || "#333", "stroke-width": 4 }, g);
      var name = el("text", { "text-anchor": "middle", y: 4, "font-size": 12, fill: "#1a1a1a" }, g);
      name.textContent = tie.label.length > 14 ? tie.label.slice(0, 13) + "…" : tie.label;
      var kind = el("text", { "text-anchor": "middle", y: 46, "font-size": 11, fill: COLOURS[tie.kind] || "#333" }, g);
      kind.textContent = tie.kind_label || tie.kind;
      var title = el("title", {}, g);
      title.textContent = tie.label + " · " + (tie.kind_label || tie.kind) + " · " +
        (tie.strength_label || tie.strength) + " · " + (tie.quality_label || tie.quality);
      if (editable && tie.move_url) { draggable(svg, g, line, tie); }
    });
    var centre = el("g", { "class": "ecomap-centre" }, nodes);
    el("circle", { r: 48, fill: "#0066cc" }, centre);
    var label = el("text", { "text-anchor": "middle", y: 5, "font-size": 14, fill: "#fff" }, centre);
    label.textContent = data.person || "";
    container.dataset.drawn = "true";
  }

  function svgPoint(svg, event) {
    var pt = svg.createSVGPoint();
    pt.x = event.clientX;
    pt.y = event.clientY;
    return pt.matrixTransform(svg.getScreenCTM().inverse());
  }

  function draggable(svg, g, line, tie) {
    var dragging = false;
    var last = null;
    g.addEventListener("pointerdown", function (event) {
      dragging = true;
      g.setPointerCapture(event.pointerId);
      event.preventDefault();
    });
    g.addEventListener("pointermove", function (event) {
      if (!dragging) { return; }
      var p = svgPoint(svg, event);
      var len = Math.sqrt(p.x * p.x + p.y * p.y);
      if (len > RADIUS) { p = { x: (p.x / len) * RADIUS, y: (p.y / len) * RADIUS }; }
      last = { x: p.x, y: p.y };
      g.setAttribute("transform", "translate(" + p.x + " " + p.y + ")");
      setLine(line, last);
    });
    g.addEventListener("pointerup", function () {
      if (!dragging) { return; }
      dragging = false;
      if (!last) { return; }
      var distance = Math.min(Math.sqrt(last.x * last.x + last.y * last.y) / RADIUS, 1);
      var angle = (Math.atan2(-last.y, last.x) * 180) / Math.PI;
      if (angle < 0) { angle += 360; }
      var body = new URLSearchParams({ angle: angle.toFixed(2), distance: distance.toFixed(3) });
      fetch(tie.move_url, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken() }
      }).then(function (response) {
        if (!response.ok) {
          var target = document.getElementById("htmx-error");
          if (target) { target.hidden = false; }
        } else {
          tie.angle = angle;
          tie.distance = distance;
        }
      });
      last = null;
    });
  }

  function drawAll() {
    var containers = document.querySelectorAll("[data-ecomap]");
    for (var i = 0; i < containers.length; i++) {
      if (containers[i].dataset.drawn !== "true") { draw(containers[i]); }
    }
  }

  window.LegamiEcomap = { drawAll: drawAll };
  document.addEventListener("htmx:afterSettle", drawAll);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
