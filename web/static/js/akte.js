/* akte page behaviour: CSRF header for htmx, select-all for bulk actions, drag-and-drop upload. */
(function () {
  "use strict";
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = csrfToken();
  });
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box && box.matches && box.matches("input[data-select-all]")) {
      document.querySelectorAll("input[name='task']").forEach(function (item) { item.checked = box.checked; });
    }
  });
  function bindDropZones(root) {
    root.querySelectorAll(".drop-zone").forEach(function (zone) {
      var input = zone.querySelector("input[type=file]");
      if (!input || zone.dataset.bound) { return; }
      zone.dataset.bound = "1";
      zone.addEventListener("dragover", function (e) { e.preventDefault(); zone.classList.add("dragover"); });
      zone.addEventListener("dragleave", function () { zone.classList.remove("dragover"); });
      zone.addEventListener("drop", function (e) {
        e.preventDefault();
        zone.classList.remove("dragover");
        if (e.dataTransfer && e.dataTransfer.files.length) {
          input.files = e.dataTransfer.files;
          var form = zone.closest("form");
          if (form) { form.requestSubmit(); }
        }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { bindDropZones(document); });
  document.addEventListener("htmx:afterSwap", function (e) { bindDropZones(e.target); });
})();
