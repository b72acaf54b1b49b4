/*
 * Version diff diagrams (templates/designer/diff.html; needs the bpmn-js NavigatedViewer bundle and
 * js/bpmn-common.js first).
 *
 *   <div class="akte-diff-diagram" data-xml-url="/designer/processes/k/2.bpmn"
 *        data-markers='{"Task_a": "changed", "Task_b": "added"}' data-canvas-label="…" data-error-message="…"></div>
 *
 * Each diagram is fetched from its same-origin URL, rendered and fitted; every element named in data-markers gets
 * the marker class akte-diff-<kind> (added green, changed orange, removed red and dashed) and a badge with a sign
 * (+, ~, −), so the change is not told by colour alone; the page's table lists every change for screen readers.
 * data-state becomes "rendered" (data-marked = number of elements marked) or "failed" (the reason is shown).
 */
(function () {
  "use strict";

  var KINDS = { added: "+", changed: "~", removed: "\u2212" };

  function markersOf(element) {
    var raw = element.getAttribute("data-markers") || "{}";
    var value = JSON.parse(raw);
    if (!value || typeof value !== "object" || Array.isArray(value)) {
      throw new Error("data-markers must be a JSON object");
    }
    return value;
  }

  function badge(kind) {
    var element = document.createElement("span");
    element.className = "akte-diff-badge akte-diff-badge-" + kind;
    element.textContent = KINDS[kind];
    element.setAttribute("aria-hidden", "true");
    return element;
  }

  function mark(viewer, markers) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var overlays = viewer.get("overlays");
    var marked = 0;
    Object.keys(markers).forEach(function (id) {
      var kind = markers[id];
      var element = registry.get(id);
      if (!element || !Object.prototype.hasOwnProperty.call(KINDS, kind)) {
        return; // not drawn (a process, a message definition): the table still lists it
      }
      canvas.addMarker(id, "akte-diff-" + kind);
      if (!element.waypoints) {
        overlays.add(id, "akte-diff", { position: { top: -10, right: 10 }, html: badge(kind) });
      }
      marked += 1;
    });
    return marked;
  }

  function fail(element, error) {
    window.akteBpmn.showError(element, error, "The diagram could not be shown.");
  }

  function render(element) {
    var markers;
    var url;
    window.akteBpmn.loading(element);
    try {
      if (typeof window.BpmnJS !== "function") {
        throw new Error("bpmn-js is not loaded");
      }
      markers = markersOf(element);
      url = window.akteBpmn.sameOriginUrl(element.getAttribute("data-xml-url") || "");
    } catch (error) {
      fail(element, error);
      return Promise.resolve();
    }
    return window.akteBpmn.fetchXml(url)
      .then(function (xml) {
        var viewer = new window.BpmnJS({ container: element });
        element.akteViewer = viewer;
        return viewer.importXML(xml).then(function () {
          window.akteBpmn.showDiagram(element, viewer, "BPMN", function () {
            element.setAttribute("data-marked", String(mark(viewer, markers)));
          });
        });
      })
      .catch(function (error) {
        fail(element, error);
      });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".akte-diff-diagram"), function (element) {
      if (!element.hasAttribute("data-state")) {
        render(element);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
