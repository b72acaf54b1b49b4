/*
 * The validation report of an upload: each uploaded BPMN file drawn with bpmn-js (NavigatedViewer and
 * js/bpmn-common.js, loaded first), its problem elements marked, and each report row linked to its element
 * (progressive enhancement).
 *
 *   <figure class="report-figure" data-file="a.bpmn">
 *     <div class="bpmn-diagram report-diagram" data-elements='["Task_1"]' data-canvas-label="…"
 *          data-error-message="…"></div>
 *     <script type="application/json" class="report-model">"<?xml …"</script>   (the uploaded XML, never run)
 *   </figure>
 *   <table class="problems"> <tr data-file="a.bpmn" data-element="Task_1" class="problem-error"> … </table>
 *
 * Marked elements get `akte-problem-error` or `akte-problem-warning` (colour plus a thick dashed border and a
 * "!" badge: not colour alone). A row whose element is drawn gets a button in its element cell; the button or a
 * click anywhere on the row scrolls the diagram to the element and marks it `akte-problem-focus`. The diagram's
 * `data-state` becomes "rendered" (with `data-marked` = number of marked elements) or "failed" (with the reason).
 */
(function () {
  "use strict";

  var viewers = {}; // file name -> {viewer, container, figure}
  var focused = null;

  function problemRows() {
    return Array.prototype.slice.call(document.querySelectorAll("table.problems tr[data-element]"));
  }

  function severities(file) {
    var result = {};
    problemRows().forEach(function (row) {
      var id = row.getAttribute("data-element");
      if (row.getAttribute("data-file") !== file || !id || id === "-") {
        return;
      }
      var error = row.classList.contains("problem-error");
      result[id] = error || result[id] === "error" ? "error" : "warning";
    });
    return result;
  }

  function badge(severity) {
    var element = document.createElement("span");
    element.className = "akte-problem-badge akte-problem-badge-" + severity;
    element.textContent = "!";
    element.setAttribute("aria-hidden", "true"); // the report table says the same in words
    return element;
  }

  function showError(container, error) {
    window.akteBpmn.showError(container, error, "");
  }

  function mark(viewer, file) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var overlays = viewer.get("overlays");
    var marked = 0;
    var found = severities(file);
    Object.keys(found).forEach(function (id) {
      var element = registry.get(id);
      if (!element) {
        return;
      }
      marked += 1;
      canvas.addMarker(id, "akte-problem-" + found[id]);
      if (!element.waypoints) {
        overlays.add(id, "akte-problem", { position: { top: -10, left: -10 }, html: badge(found[id]) });
      }
    });
    return marked;
  }

  function render(figure) {
    var container = figure.querySelector(".report-diagram");
    var source = figure.querySelector("script.report-model");
    var file = figure.getAttribute("data-file") || "";
    if (!container || !source || container.hasAttribute("data-state")) {
      return Promise.resolve();
    }
    window.akteBpmn.loading(container);
    var xml;
    try {
      if (typeof window.BpmnJS !== "function") {
        throw new Error("bpmn-js is not loaded");
      }
      xml = JSON.parse(source.textContent || '""');
    } catch (error) {
      showError(container, error);
      return Promise.resolve();
    }
    var viewer = new window.BpmnJS({ container: container });
    return viewer.importXML(xml).then(function () {
      window.akteBpmn.showDiagram(container, viewer, "BPMN", function () {
        container.setAttribute("data-marked", String(mark(viewer, file)));
      });
      viewers[file] = { viewer: viewer, container: container, figure: figure };
    }).catch(function (error) {
      viewer.destroy();
      showError(container, error);
    });
  }

  function focusElement(file, id) {
    var entry = viewers[file];
    var element = entry && entry.viewer.get("elementRegistry").get(id);
    if (!element) {
      return false;
    }
    var canvas = entry.viewer.get("canvas");
    if (focused) {
      focused.canvas.removeMarker(focused.id, "akte-problem-focus");
    }
    canvas.zoom(1);
    canvas.scrollToElement(element, { top: 80, bottom: 80, left: 120, right: 120 });
    canvas.addMarker(id, "akte-problem-focus");
    focused = { canvas: canvas, id: id };
    entry.container.setAttribute("data-focused", id);
    entry.figure.scrollIntoView({ block: "nearest" });
    return true;
  }

  function linkRows() {
    problemRows().forEach(function (row) {
      var file = row.getAttribute("data-file");
      var id = row.getAttribute("data-element");
      var entry = viewers[file];
      if (!entry || !entry.viewer.get("elementRegistry").get(id)) {
        return;
      }
      var cell = row.querySelector("code");
      if (cell && !cell.closest("button")) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "problem-focus";
        button.setAttribute("aria-describedby", "report-diagrams-heading");
        cell.parentNode.replaceChild(button, cell);
        button.appendChild(cell);
      }
      row.classList.add("problem-linked");
      row.addEventListener("click", function () {
        if (focusElement(file, id)) {
          problemRows().forEach(function (other) { other.removeAttribute("aria-current"); });
          row.setAttribute("aria-current", "true");
        }
      });
    });
  }

  function start() {
    var figures = Array.prototype.slice.call(document.querySelectorAll("figure.report-figure"));
    Promise.all(figures.map(render)).then(linkRows);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
