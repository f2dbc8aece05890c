/* Legami: the ecomap drawing. Reads the ties from a json_script element named by the
 * container's data-ecomap attribute and draws them in the container's <svg>: the person
 * in the centre, each tie a circle around, joined by a line whose width tells strength,
 * whose dash tells quality and whose arrows tell the direction of support. In an
 * editable drawing a tie can be dragged, or focused with Tab and moved with the arrow
 * keys (Shift for a bigger step); its new place is saved with a POST to the tie's
 * move_url either way, and the result is announced in the drawing's polite live region
 * (data-ecomap-status). Presentation goes through SVG attributes only (the CSP forbids
 * inline styles). The table of ties next to the drawing edits everything else. */
(function () {
  "use strict";
  if (window.LegamiEcomap) {
    window.LegamiEcomap.drawAll();
    return;
  }
  var NS = "http://www.w3.org/2000/svg";
  var RADIUS = 240;
  var STEP = 10;
  var BIG_STEP = 40;
  var SAVE_DELAY = 400;
  var KEYS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
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
      var movable = editable && tie.move_url;
      var g = el("g", {
        "class": "ecomap-tie" + (movable ? " ecomap-draggable" : ""),
        "data-tie": tie.id, transform: "translate(" + p.x + " " + p.y + ")"
      }, nodes);
      if (movable) {
        g.setAttribute("tabindex", "0");
        g.setAttribute("role", "button");
        g.setAttribute("aria-label", tie.move_label || tie.label);
        if (data.roledescription) { g.setAttribute("aria-roledescription", data.roledescription); }
        el("circle", { r: 37, fill: "none", "class": "ecomap-focus-ring" }, g);
      }
      el("circle", { r: 30, fill: "#fff", stroke: COLOURS[tie.kind] || "#333", "stroke-width": 4 }, g);
      var name = el("text", { "text-anchor": "middle", y: 4, "font-size": 12, fill: "#1a1a1a" }, g);
      name.textContent = tie.label.length > 14 ? tie.label.slice(0, 13) + "…" : tie.label;
      var kind = el("text", { "text-anchor": "middle", y: 46, "font-size": 11, fill: COLOURS[tie.kind] || "#333" }, g);
      kind.textContent = tie.kind_label || tie.kind;
      var title = el("title", {}, g);
      title.textContent = tie.label + " · " + (tie.kind_label || tie.kind) + " · " +
        (tie.strength_label || tie.strength) + " · " + (tie.quality_label || tie.quality);
      if (movable) {
        var node = { svg: svg, g: g, line: line, tie: tie, at: p, container: container, data: data };
        draggable(node);
        keyboardMovable(node);
      }
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

  function announce(node, template) {
    var status = node.container.querySelector("[data-ecomap-status]");
    if (!status || !template) { return; }
    status.textContent = template.replace("%(label)s", node.tie.label);
  }

  function place(node, p) {
    // Within the outer circle of the drawing.
    var len = Math.sqrt(p.x * p.x + p.y * p.y);
    if (len > RADIUS) { p = { x: (p.x / len) * RADIUS, y: (p.y / len) * RADIUS }; }
    node.at = { x: p.x, y: p.y };
    node.g.setAttribute("transform", "translate(" + p.x + " " + p.y + ")");
    setLine(node.line, node.at);
  }

  function save(node) {
    // The tie's place as the server keeps it: angle in degrees, distance from 0 to 1.
    var at = node.at;
    var distance = Math.min(Math.sqrt(at.x * at.x + at.y * at.y) / RADIUS, 1);
    var angle = (Math.atan2(-at.y, at.x) * 180) / Math.PI;
    if (angle < 0) { angle += 360; }
    var body = new URLSearchParams({ angle: angle.toFixed(2), distance: distance.toFixed(3) });
    var messages = node.data.messages || {};
    return fetch(node.tie.move_url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() }
    }).then(function (response) {
      if (!response.ok) {
        var target = document.getElementById("htmx-error");
        if (target) { target.hidden = false; }
        announce(node, messages.failed);
      } else {
        node.tie.angle = angle;
        node.tie.distance = distance;
        announce(node, messages.saved);
      }
    }, function () {
      announce(node, messages.failed);
    });
  }

  function draggable(node) {
    var dragging = false;
    var moved = false;
    var g = node.g;
    g.addEventListener("pointerdown", function (event) {
      dragging = true;
      moved = false;
      g.setPointerCapture(event.pointerId);
      event.preventDefault();
    });
    g.addEventListener("pointermove", function (event) {
      if (!dragging) { return; }
      place(node, svgPoint(node.svg, event));
      moved = true;
    });
    g.addEventListener("pointerup", function () {
      if (!dragging) { return; }
      dragging = false;
      if (moved) { save(node); }
      moved = false;
    });
  }

  function keyboardMovable(node) {
    // Arrow keys move the focused tie by a step (Shift: a bigger one); the place is saved
    // once the keys rest, as a drag saves it when the mouse button is released.
    var timer = null;
    node.g.addEventListener("keydown", function (event) {
      var direction = KEYS[event.key];
      if (!direction || event.altKey || event.ctrlKey || event.metaKey) { return; }
      event.preventDefault();
      var step = event.shiftKey ? BIG_STEP : STEP;
      place(node, { x: node.at.x + direction[0] * step, y: node.at.y + direction[1] * step });
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(function () {
        timer = null;
        save(node);
      }, SAVE_DELAY);
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
