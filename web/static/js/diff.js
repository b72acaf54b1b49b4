/*
 * Version diff diagrams (templates/designer/diff.html; needs the bpmn-js NavigatedViewer bundle first).
 *
 *   <div class="akte-diff-diagram" data-xml-url="/designer/processes/k/2/model.bpmn"
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

  function sameOriginUrl(raw) {
    var url = new URL(raw, window.location.href);
    if (url.origin !== window.location.origin) {
      throw new Error("diagram URL is not on this site: " + url.href);
    }
    return url.href;
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
    element.setAttribute("data-state", "failed");
    element.removeAttribute("aria-busy");
    var text = document.createElement("p");
    text.setAttribute("role", "status");
    text.textContent = (element.getAttribute("data-error-message") || "The diagram could not be shown.") +
      " (" + (error && error.message ? error.message : String(error)) + ")";
    element.replaceChildren(text);
  }

  function render(element) {
    var markers;
    var url;
    element.setAttribute("data-state", "loading");
    element.setAttribute("aria-busy", "true");
    try {
      if (typeof window.BpmnJS !== "function") {
        throw new Error("bpmn-js is not loaded");
      }
      markers = markersOf(element);
      url = sameOriginUrl(element.getAttribute("data-xml-url") || "");
    } catch (error) {
      fail(element, error);
      return Promise.resolve();
    }
    return window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/xml" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (xml) {
        var viewer = new window.BpmnJS({ container: element });
        element.akteViewer = viewer;
        return viewer.importXML(xml).then(function () {
          var canvas = viewer.get("canvas");
          canvas.zoom("fit-viewport", "auto");
          var svg = canvas.getContainer().querySelector("svg");
          if (svg) {
            svg.setAttribute("role", "img");
            svg.setAttribute("aria-label", element.getAttribute("data-canvas-label") || "BPMN");
          }
          element.setAttribute("data-marked", String(mark(viewer, markers)));
          element.setAttribute("data-state", "rendered");
          element.removeAttribute("aria-busy");
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
