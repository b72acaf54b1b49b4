/*
 * Heatmap colours on a supervisor's procedure diagram (progressive enhancement on top of js/diagram.js).
 *
 *   <div class="bpmn-diagram" data-xml-url="…" data-heat='{"Task_1": 12}' data-heat-level='{"Task_1": 5}'></div>
 *
 * diagram.js draws the diagram and the `data-heat` numbers as badges; once it has rendered (data-state becomes
 * "rendered"), this adds the marker `akte-heat-level-N` (N = 1 low … 5 high) to each element named in
 * `data-heat-level`, which css/supervisor.css fills from light to dark. Colour only repeats what the badges and the
 * page's table say.
 */
(function () {
  "use strict";

  function levels(element) {
    try {
      var value = JSON.parse(element.getAttribute("data-heat-level") || "{}");
      return value && typeof value === "object" && !Array.isArray(value) ? value : {};
    } catch (error) {
      return {};
    }
  }

  function colour(element) {
    var viewer = element.akteViewer;
    if (!viewer || element.getAttribute("data-heat-coloured")) {
      return;
    }
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var wanted = levels(element);
    Object.keys(wanted).forEach(function (id) {
      var level = Math.max(1, Math.min(5, Math.round(Number(wanted[id]) || 0)));
      if (registry.get(id)) {
        canvas.addMarker(id, "akte-heat-level-" + level);
      }
    });
    element.setAttribute("data-heat-coloured", "true");
  }

  function watch(element) {
    if (element.getAttribute("data-state") === "rendered") {
      colour(element);
      return;
    }
    var observer = new MutationObserver(function () {
      var state = element.getAttribute("data-state");
      if (state === "rendered") {
        colour(element);
      }
      if (state === "rendered" || state === "failed") {
        observer.disconnect();
      }
    });
    observer.observe(element, { attributes: true, attributeFilter: ["data-state"] });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".bpmn-diagram[data-heat-level]"), watch);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
