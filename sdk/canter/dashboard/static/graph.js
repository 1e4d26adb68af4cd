// Draws each [data-graph] figure: dagre lays the graph out, this file only
// turns dagre's coordinates into SVG. What to draw (nodes, statuses, taken
// edges, labels) was decided by the server (canter.dashboard.views).
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var CHAR = 7.8;
  var LINE = 16;

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function lines(node) {
    var out = [node.label];
    if (node.detail) { out.push(node.detail); }
    if (node.status) { out.push(node.status + (node.runs > 1 ? " \u00d7" + node.runs : "")); }
    return out;
  }

  function render(figure) {
    var data = JSON.parse(figure.querySelector(".graph-data").textContent);
    var canvas = figure.querySelector(".graph-canvas");
    if (!window.dagre) {
      canvas.textContent = "The graph could not be drawn; the table below lists its nodes and edges.";
      return;
    }
    var g = new window.dagre.graphlib.Graph({ multigraph: true });
    g.setGraph({ rankdir: "TB", nodesep: 28, ranksep: 36, edgesep: 12, marginx: 8, marginy: 8 });
    g.setDefaultEdgeLabel(function () { return {}; });
    var known = {};
    data.nodes.forEach(function (n) {
      var text = lines(n);
      var widest = Math.max.apply(null, text.map(function (t) { return t.length; }));
      known[n.id] = true;
      g.setNode(n.id, { width: Math.max(90, widest * CHAR + 20), height: text.length * LINE + 14, node: n, text: text });
    });
    data.edges.forEach(function (e, i) {
      if (!known[e.source] || !known[e.target]) { return; }
      g.setEdge(e.source, e.target, {
        width: e.label ? Math.min(e.label.length, 48) * 6.2 + 8 : 0,
        height: e.label ? 16 : 0,
        labelpos: "c",
        edge: e
      }, "e" + i);
    });
    window.dagre.layout(g);
    var size = g.graph();
    var svg = el("svg", {
      width: Math.ceil(size.width), height: Math.ceil(size.height),
      viewBox: "0 0 " + Math.ceil(size.width) + " " + Math.ceil(size.height),
      "class": "graph-svg", focusable: "false"
    });
    var defs = el("defs", {}, svg);
    ["flow", "taken", "failure"].forEach(function (kind) {
      var marker = el("marker", { id: "arrow-" + kind, viewBox: "0 0 10 10", refX: 9, refY: 5,
        markerWidth: 5, markerHeight: 5, orient: "auto-start-reverse" }, defs);
      el("path", { d: "M 0 0 L 10 5 L 0 10 z", "class": "arrow arrow-" + kind }, marker);
    });
    g.edges().forEach(function (id) {
      var info = g.edge(id);
      var e = info.edge;
      var d = info.points.map(function (p, i) { return (i ? "L" : "M") + p.x.toFixed(1) + " " + p.y.toFixed(1); }).join(" ");
      var kind = e.taken ? "taken" : (e.kind === "failure" ? "failure" : "flow");
      var group = el("g", { "class": "edge edge-" + e.kind + (e.taken ? " taken" : ""),
        "data-source": e.source, "data-target": e.target }, svg);
      el("path", { d: d, "marker-end": "url(#arrow-" + kind + ")" }, group);
      if (e.label) {
        var shown = e.label.length > 48 ? e.label.slice(0, 47) + "\u2026" : e.label;
        el("rect", { x: info.x - info.width / 2, y: info.y - 9, width: info.width, height: 16, rx: 3, "class": "edge-label-bg" }, group);
        var label = el("text", { x: info.x, y: info.y + 3, "class": "edge-label", "text-anchor": "middle" }, group);
        label.textContent = shown;
        el("title", {}, group).textContent = e.label;
      }
    });
    g.nodes().forEach(function (id) {
      var info = g.node(id);
      var n = info.node;
      var classes = "node kind-" + n.kind + (n.status ? " status-" + n.status : "") + (n.current ? " current" : "");
      var group = el("g", { "class": classes, "data-node": n.id, "data-status": n.status || "",
        tabindex: "0", role: "img", "aria-label": info.text.join(", ") }, svg);
      el("rect", { x: info.x - info.width / 2, y: info.y - info.height / 2, width: info.width, height: info.height, rx: 6 }, group);
      info.text.forEach(function (t, i) {
        var text = el("text", { x: info.x, y: info.y - info.height / 2 + 19 + i * LINE, "text-anchor": "middle",
          "class": i === 0 ? "node-name" : "node-detail" }, group);
        text.textContent = t;
      });
      var target = n.threadSpec && document.getElementById("graph-" + n.threadSpec);
      if (target) {
        group.classList.add("link");
        var go = function () { target.scrollIntoView(); target.querySelector(".graph-canvas").focus(); };
        group.addEventListener("click", go);
        group.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); go(); } });
      }
    });
    canvas.replaceChildren(svg);
    canvas.setAttribute("tabindex", "0");
    figure.setAttribute("data-rendered", "true");
  }

  window.canterRenderGraphs = function (root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("[data-graph]"), render);
  };
  document.addEventListener("DOMContentLoaded", function () { window.canterRenderGraphs(document); });
})();
