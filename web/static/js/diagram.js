/*
 * BPMN diagrams with state markers (progressive enhancement; needs the bpmn-js NavigatedViewer bundle and
 * js/bpmn-common.js first).
 *
 *   <link rel="stylesheet" href="/static/vendor/bpmn-js/assets/diagram-js.css">
 *   <link rel="stylesheet" href="/static/vendor/bpmn-js/assets/bpmn-js.css">
 *   <link rel="stylesheet" href="/static/css/diagram.css">
 *   <script src="/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js" defer></script>
 *   <script src="/static/js/bpmn-common.js" defer></script>
 *   <script src="/static/js/diagram.js" defer></script>
 *   <div class="bpmn-diagram" role="group" aria-label="Prozessdiagramm" data-xml-url="/cases/17/diagram.bpmn"
 *        data-active='["Task_1"]' data-completed='["StartEvent_1","Task_0"]' data-heat='{"Task_1": 12}'
 *        data-error-message="Das Prozessdiagramm konnte nicht angezeigt werden."
 *        data-canvas-label="Prozessdiagramm"></div>
 *
 * Every .bpmn-diagram on the page (and in content htmx swaps in) is fetched from its same-origin URL, rendered,
 * fitted to the viewport and marked: `akte-active` (thick border), `akte-completed` (plus a check mark),
 * `data-heat` numbers as badges. The element's `data-state` becomes "loading", then "rendered" or "failed";
 * on failure it shows `data-error-message` (German default) and the reason. The focusable canvas gets
 * role="img" named by `data-canvas-label`; a container role="img" becomes role="group" (the viewer adds focusable
 * content). The page itself carries a text list of the activities for screen readers; this only draws the picture.
 */
(function () {
  "use strict";

  var DEFAULT_ERROR = "Das Prozessdiagramm konnte nicht angezeigt werden.";
  var DEFAULT_CANVAS_LABEL = "Prozessdiagramm";

  function parseJson(element, name, fallback) {
    var raw = element.getAttribute("data-" + name);
    if (!raw) {
      return fallback;
    }
    var value;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new Error("data-" + name + " is not valid JSON");
    }
    if (value === null) {
      return fallback;
    }
    if (Array.isArray(value) !== Array.isArray(fallback) || typeof value !== "object") {
      throw new Error("data-" + name + " must be a JSON " + (Array.isArray(fallback) ? "list" : "object"));
    }
    return value;
  }

  function badge(className, text) {
    var element = document.createElement("span");
    element.className = className;
    element.textContent = text;
    element.setAttribute("aria-hidden", "true"); // the page's text list says the same for screen readers
    return element;
  }

  function addMarkers(viewer, state) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var overlays = viewer.get("overlays");
    function known(id) {
      return typeof id === "string" && registry.get(id);
    }
    state.completed.filter(known).forEach(function (id) {
      canvas.addMarker(id, "akte-completed");
      var element = registry.get(id);
      if (!element.waypoints && element.type !== "label") {
        // tasks: bottom right corner; events and gateways: top right, clear of their label below
        var small = /(Event|Gateway)$/.test(element.type);
        overlays.add(id, "akte-state", {
          position: small ? { top: -8, right: 8 } : { bottom: 10, right: 10 },
          html: badge("akte-completed-badge", "\u2713"),
        });
      }
    });
    state.active.filter(known).forEach(function (id) {
      canvas.addMarker(id, "akte-active");
    });
    Object.keys(state.heat).filter(known).forEach(function (id) {
      var count = Number(state.heat[id]);
      if (count > 0) {
        canvas.addMarker(id, "akte-heat");
        overlays.add(id, "akte-heat", {
          position: { top: -10, right: 10 },
          html: badge("akte-heat-badge", String(count)),
        });
      }
    });
  }

  function showError(element, error) {
    window.akteBpmn.showError(element, error, DEFAULT_ERROR);
    if (window.console) {
      window.console.error("akte diagram:", error);
    }
  }

  function render(element) {
    if (element.hasAttribute("data-state")) {
      return Promise.resolve(); // already rendered (or rendering): htmx may report the same element again
    }
    window.akteBpmn.loading(element);
    if (element.getAttribute("role") === "img") {
      // the viewer puts focusable content inside (the canvas, the bpmn.io link) and errors are text: an image
      // role would hide them (axe: nested-interactive), so the container is a labelled group instead
      element.setAttribute("role", "group");
    }
    var state;
    var url;
    try {
      if (typeof window.BpmnJS !== "function") {
        throw new Error("bpmn-js is not loaded");
      }
      url = window.akteBpmn.sameOriginUrl(element.getAttribute("data-xml-url") || "");
      state = {
        active: parseJson(element, "active", []),
        completed: parseJson(element, "completed", []),
        heat: parseJson(element, "heat", {}),
      };
    } catch (error) {
      showError(element, error);
      return Promise.resolve();
    }
    return window.akteBpmn.fetchXml(url)
      .then(function (xml) {
        element.replaceChildren();
        var viewer = new window.BpmnJS({ container: element });
        element.akteViewer = viewer;
        return viewer.importXML(xml).then(function (result) {
          // bpmn-js reports model problems it worked around (unknown elements, broken DI) as warnings
          element.setAttribute("data-import-warnings", String(((result && result.warnings) || []).length));
          window.akteBpmn.showDiagram(element, viewer, DEFAULT_CANVAS_LABEL, function () {
            addMarkers(viewer, state);
          });
        });
      })
      .catch(function (error) {
        showError(element, error);
      });
  }

  function renderAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var elements = Array.prototype.slice.call(scope.querySelectorAll(".bpmn-diagram"));
    if (scope.matches && scope.matches(".bpmn-diagram")) {
      elements.unshift(scope);
    }
    return Promise.all(elements.map(render));
  }

  window.akteDiagram = { render: render, renderAll: renderAll };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { renderAll(document); });
  } else {
    renderAll(document);
  }
  document.addEventListener("htmx:load", function (event) { renderAll(event.target); });
})();
