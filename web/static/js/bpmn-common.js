/*
 * Helpers the bpmn-js pages share: load it after the bpmn-js bundle and before js/diagram.js, js/diff.js,
 * js/modeler.js or js/designer-report.js (templates/_macros/bpmn.html does).
 *
 *   akteBpmn.sameOriginUrl(raw)          the absolute URL; throws unless it is on this site
 *   akteBpmn.fetchXml(url)               a promise of the response text; rejects on an HTTP error
 *   akteBpmn.labelCanvas(element, canvas, fallback)
 *                                        the focusable SVG gets role="img" named by data-canvas-label (or fallback)
 *   akteBpmn.loading(element)            data-state "loading" (and aria-busy) until showDiagram or showError
 *   akteBpmn.showDiagram(element, viewer, fallback, mark)
 *                                        after the import: fits the diagram, labels the canvas, calls mark(viewer),
 *                                        then data-state "rendered"
 *   akteBpmn.showError(element, error, fallback)
 *                                        data-state "failed" and the data-error-message (or fallback) with the reason
 */
(function () {
  "use strict";

  function sameOriginUrl(raw) {
    var url = new URL(raw, window.location.href);
    if (url.origin !== window.location.origin) {
      throw new Error("URL is not on this site: " + url.href);
    }
    return url.href;
  }

  function fetchXml(url) {
    return window.fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/xml, text/xml;q=0.9" },
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status + " " + response.statusText);
      }
      return response.text();
    });
  }

  // diagram-js makes the SVG focusable (keyboard panning): give it a role and a name, not its raw shape texts
  function labelCanvas(element, canvas, fallback) {
    var svg = canvas.getContainer().querySelector("svg");
    if (svg) {
      svg.setAttribute("role", "img");
      svg.setAttribute("aria-label", element.getAttribute("data-canvas-label") || fallback);
    }
  }

  function loading(element) {
    element.setAttribute("data-state", "loading");
    element.setAttribute("aria-busy", "true");
  }

  function showDiagram(element, viewer, fallback, mark) {
    var canvas = viewer.get("canvas");
    canvas.zoom("fit-viewport", "auto");
    labelCanvas(element, canvas, fallback);
    mark(viewer);
    element.setAttribute("data-state", "rendered");
    element.removeAttribute("aria-busy");
  }

  function showError(element, error, fallback) {
    element.setAttribute("data-state", "failed");
    element.removeAttribute("aria-busy");
    var message = document.createElement("p");
    message.className = "bpmn-diagram-error";
    message.setAttribute("role", "status");
    message.textContent = (element.getAttribute("data-error-message") || fallback) +
      " (" + (error && error.message ? error.message : String(error)) + ")";
    element.replaceChildren(message);
  }

  window.akteBpmn = {
    sameOriginUrl: sameOriginUrl,
    fetchXml: fetchXml,
    labelCanvas: labelCanvas,
    loading: loading,
    showDiagram: showDiagram,
    showError: showError,
  };
})();
