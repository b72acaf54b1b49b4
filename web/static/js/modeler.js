/*
 * The designer's BPMN editor: the bpmn-js Modeler (vendor/bpmn-js/bpmn-modeler.production.min.js, window.BpmnJS)
 * plus akte's own properties panel for the extensions akte honours (templates/designer/editor.html; needs
 * js/bpmn-common.js first).
 *
 *   <div class="akte-modeler" data-xml-url="…/<version>.bpmn" data-save-url="…/edit" data-file-name="x.bpmn"
 *        data-msg-…="translated texts">
 *     [data-action=save] [data-action=download] [data-status] [data-modeler-canvas]
 *     form[data-properties]: select[data-element-picker], [data-element-type], fieldset[data-fields] with
 *       .field[data-applies-to="bpmn:UserTask …"] wrapping inputs/selects [data-prop=name|candidateGroups|…]
 *     [data-save-result]
 *   </div>
 *
 * bpmn-js is used without camunda-bpmn-moddle: camunda: attributes stay in the business object's `$attrs`
 * under the document's prefix for http://camunda.org/schema/1.0/bpmn (declared on the definitions if missing,
 * so they are written back). Edits go through `modeling.updateProperties` (undo/redo, change events).
 * Save posts the XML (X-CSRFToken from <meta name="csrf-token">) and shows the HTML fragment the server returns
 * (the validation report or a link to the new version); Download saves the edited XML as a file.
 * The root element's data-state becomes "ready" (or "failed"); data-save-status holds the last save's HTTP status.
 */
(function () {
  "use strict";

  var CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn";
  var DATE_VALUE = /^(P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?|\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?|[$#]\{.*\}|=.+)$/;
  var TYPE_NAMES = /^bpmn:/;

  function message(root, name) {
    return root.getAttribute("data-msg-" + name) || name;
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  /* the prefix the document uses for the Camunda namespace; declared as "camunda" when the model has none */
  function camundaPrefix(modeler) {
    var attrs = modeler.getDefinitions().$attrs;
    var key;
    for (key in attrs) {
      if (Object.prototype.hasOwnProperty.call(attrs, key) && key.indexOf("xmlns:") === 0 && attrs[key] === CAMUNDA_NS) {
        return key.slice(6);
      }
    }
    var prefix = "camunda";
    while (attrs["xmlns:" + prefix]) {
      prefix += "_";
    }
    attrs["xmlns:" + prefix] = CAMUNDA_NS;
    return prefix;
  }

  function typeName(type) {
    // "bpmn:UserTask" -> "UserTask" (designers know the BPMN names)
    return String(type || "").replace(TYPE_NAMES, "");
  }

  function ensureOption(select, value, note) {
    if (!value) {
      return;
    }
    var known = Array.prototype.some.call(select.options, function (option) { return option.value === value; });
    if (!known) {
      var option = document.createElement("option");
      option.value = value;
      option.textContent = value + " (" + note + ")";
      option.setAttribute("data-added", "true");
      select.appendChild(option);
    }
  }

  function Editor(root) {
    this.root = root;
    this.canvasElement = root.querySelector("[data-modeler-canvas]");
    this.form = root.querySelector("[data-properties]");
    this.picker = root.querySelector("[data-element-picker]");
    this.typeLabel = root.querySelector("[data-element-type]");
    this.fields = root.querySelector("[data-fields]");
    this.status = root.querySelector("[data-status]");
    this.result = root.querySelector("[data-save-result]");
    this.saveButton = root.querySelector("[data-action=save]");
    this.downloadButton = root.querySelector("[data-action=download]");
    this.current = null;
    this.prefix = "camunda";
    this.modeler = new window.BpmnJS({ container: this.canvasElement });
    root.akteModeler = this.modeler;
  }

  Editor.prototype.say = function (text) {
    this.status.textContent = text;
  };

  Editor.prototype.load = function () {
    var self = this;
    var root = this.root;
    root.setAttribute("data-state", "loading");
    return Promise.resolve()
      .then(function () {
        return window.akteBpmn.fetchXml(window.akteBpmn.sameOriginUrl(root.getAttribute("data-xml-url") || ""));
      })
      .then(function (xml) {
        return self.modeler.importXML(xml);
      })
      .then(function (result) {
        root.setAttribute("data-import-warnings", String(((result && result.warnings) || []).length));
        self.prefix = camundaPrefix(self.modeler);
        self.fit();
        self.labelCanvas();
        self.listen();
        self.fillPicker();
        self.show(null);
        self.saveButton.disabled = false;
        self.downloadButton.disabled = false;
        root.setAttribute("data-state", "ready");
        self.say(message(root, "ready"));
      })
      .catch(function (error) {
        root.setAttribute("data-state", "failed");
        self.say(message(root, "failed") + " (" + (error && error.message ? error.message : String(error)) + ")");
        if (window.console) {
          window.console.error("akte modeler:", error);
        }
      });
  };

  /* the whole diagram in view, clear of the palette on the left */
  Editor.prototype.fit = function () {
    var canvas = this.modeler.get("canvas");
    canvas.zoom("fit-viewport", "auto");
    var palette = this.canvasElement.querySelector(".djs-palette");
    var box = canvas.viewbox();
    var room = palette ? palette.getBoundingClientRect().width + 16 : 0;
    var size = this.canvasElement.getBoundingClientRect().width;
    if (room > 0 && size > room && box.scale > 0) {
      var width = box.width * size / (size - room);
      var height = box.height * width / box.width;
      canvas.viewbox({ x: box.x - (width - box.width), y: box.y - (height - box.height) / 2, width: width, height: height });
    }
  };

  Editor.prototype.labelCanvas = function () {
    var svg = this.canvasElement.querySelector("svg");
    if (svg) {
      svg.setAttribute("role", "application");
      svg.setAttribute("aria-label", this.canvasElement.getAttribute("aria-label") || "BPMN");
    }
  };

  Editor.prototype.listen = function () {
    var self = this;
    var modeler = this.modeler;
    modeler.on("selection.changed", function (event) {
      var selected = event.newSelection || [];
      self.show(selected.length === 1 ? selected[0] : null);
    });
    modeler.on("commandStack.changed", function () {
      self.root.setAttribute("data-dirty", "true");
      self.say(message(self.root, "dirty"));
      self.fillPicker();
      if (self.current && !modeler.get("elementRegistry").get(self.current.id)) {
        self.show(null);
      } else {
        self.show(self.current);
      }
    });
    this.form.addEventListener("submit", function (event) {
      event.preventDefault();
    });
    this.form.addEventListener("change", function (event) {
      var target = event.target;
      if (target === self.picker) {
        self.pick(target.value);
      } else if (target.hasAttribute("data-prop")) {
        self.apply(target);
      }
    });
    this.form.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target.tagName === "INPUT") {
        event.preventDefault();
        self.apply(event.target);
      }
    });
    this.saveButton.addEventListener("click", function () { self.save(); });
    this.downloadButton.addEventListener("click", function () { self.download(); });
    this.result.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("[data-show-element]") : null;
      if (button) {
        self.pick(button.getAttribute("data-show-element"));
        self.picker.focus();
      }
    });
  };

  /* every element worth editing, by its visible name: flow nodes, flows, lanes, participants */
  Editor.prototype.fillPicker = function () {
    var picker = this.picker;
    var chosen = this.current ? this.current.id : picker.value;
    var elements = this.modeler.get("elementRegistry").filter(function (element) {
      return element.type !== "label" && element.parent && element.businessObject &&
        element.businessObject.$instanceOf("bpmn:BaseElement");
    });
    var entries = elements.map(function (element) {
      var bo = element.businessObject;
      return { id: element.id, text: (bo.name ? bo.name + " – " : "") + typeName(bo.$type) + " " + element.id };
    });
    entries.sort(function (a, b) { return a.text.localeCompare(b.text); });
    while (picker.options.length > 1) {
      picker.remove(1);
    }
    entries.forEach(function (entry) {
      var option = document.createElement("option");
      option.value = entry.id;
      option.textContent = entry.text;
      picker.appendChild(option);
    });
    picker.value = chosen && this.modeler.get("elementRegistry").get(chosen) ? chosen : "";
  };

  Editor.prototype.pick = function (id) {
    var registry = this.modeler.get("elementRegistry");
    var element = id ? registry.get(id) : null;
    var selection = this.modeler.get("selection");
    if (element) {
      selection.select(element);
      this.modeler.get("canvas").scrollToElement(element);
    } else {
      selection.select(null);
    }
  };

  Editor.prototype.attr = function (bo, name) {
    var value = bo.$attrs[this.prefix + ":" + name];
    return value === undefined || value === null ? "" : String(value);
  };

  Editor.prototype.show = function (element) {
    if (element && element.type === "label") {
      element = element.labelTarget || null;
    }
    this.current = element || null;
    var root = this.root;
    var bo = this.current ? this.current.businessObject : null;
    this.picker.value = bo ? this.current.id : "";
    this.fields.disabled = !bo;
    this.typeLabel.textContent = bo ? typeName(bo.$type) + " · " + this.current.id : message(root, "none");
    Array.prototype.forEach.call(this.fields.querySelectorAll("[data-applies-to]"), function (wrapper) {
      var types = (wrapper.getAttribute("data-applies-to") || "").split(/\s+/);
      wrapper.hidden = !bo || !types.some(function (type) { return bo.$instanceOf(type); });
    });
    var self = this;
    Array.prototype.forEach.call(this.fields.querySelectorAll("[data-prop]"), function (control) {
      var prop = control.getAttribute("data-prop");
      var value = "";
      if (bo && prop === "name") {
        value = bo.name || "";
      } else if (bo && prop === "handler") {
        value = self.attr(bo, "type") === "external" ? self.attr(bo, "topic") : "";
        ensureOption(control, value, message(root, "not-registered"));
      } else if (bo) {
        value = self.attr(bo, prop);
        if (control.tagName === "SELECT") {
          ensureOption(control, value, message(root, "not-deployed"));
        }
      }
      if (document.activeElement !== control || control.tagName === "SELECT") {
        control.value = value;
      }
      self.clearError(control);
    });
  };

  Editor.prototype.clearError = function (control) {
    var error = this.fields.querySelector('[data-error-for="' + control.getAttribute("data-prop") + '"]');
    control.removeAttribute("aria-invalid");
    if (error) {
      error.textContent = "";
    }
  };

  Editor.prototype.invalid = function (control, text) {
    var error = this.fields.querySelector('[data-error-for="' + control.getAttribute("data-prop") + '"]');
    control.setAttribute("aria-invalid", "true");
    if (error) {
      error.textContent = text;
    }
  };

  /* write one panel control back into the model (one undoable command) */
  Editor.prototype.apply = function (control) {
    var element = this.current;
    if (!element) {
      return;
    }
    var bo = element.businessObject;
    var prop = control.getAttribute("data-prop");
    var value = String(control.value || "").trim();
    var prefix = this.prefix + ":";
    var changes = {};
    this.clearError(control);
    if (prop === "name") {
      if ((bo.name || "") === value) {
        return;
      }
      changes.name = value || undefined;
    } else if (prop === "handler") {
      var active = this.attr(bo, "type") === "external" ? this.attr(bo, "topic") : "";
      if (active === value) {
        return;
      }
      changes[prefix + "type"] = value ? "external" : undefined;
      changes[prefix + "topic"] = value || undefined;
      if (value) { // one implementation only: the handler replaces Java classes and expressions
        changes[prefix + "class"] = undefined;
        changes[prefix + "delegateExpression"] = undefined;
        changes[prefix + "expression"] = undefined;
      }
    } else {
      if (prop === "candidateGroups") {
        value = value.split(",").map(function (part) { return part.trim(); }).filter(Boolean).join(",");
      }
      if (control.getAttribute("data-check") === "date" && value && !DATE_VALUE.test(value)) {
        this.invalid(control, message(this.root, "bad-date"));
        return;
      }
      if (this.attr(bo, prop) === value) {
        return;
      }
      changes[prefix + prop] = value || undefined;
    }
    this.modeler.get("modeling").updateProperties(element, changes);
  };

  Editor.prototype.applyFocused = function () {
    var focused = document.activeElement;
    if (focused && this.fields.contains(focused) && focused.hasAttribute("data-prop")) {
      this.apply(focused); // a value typed but not yet committed by leaving the field
    }
  };

  Editor.prototype.save = function () {
    var self = this;
    var root = this.root;
    this.applyFocused();
    this.saveButton.disabled = true;
    root.setAttribute("data-save-status", "pending");
    this.say(message(root, "saving"));
    this.clearProblemMarkers();
    this.modeler.saveXML({ format: true })
      .then(function (out) {
        return window.fetch(window.akteBpmn.sameOriginUrl(root.getAttribute("data-save-url") || ""), {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/xml; charset=utf-8", "X-CSRFToken": csrfToken(), Accept: "text/html" },
          body: out.xml,
        });
      })
      .then(function (response) {
        return response.text().then(function (html) {
          self.showResult(response.status, html);
        });
      })
      .catch(function (error) {
        root.setAttribute("data-save-status", "error");
        self.say(message(root, "save-failed") + " (" + (error && error.message ? error.message : String(error)) + ")");
      })
      .then(function () {
        self.saveButton.disabled = false;
      });
  };

  Editor.prototype.showResult = function (status, html) {
    var root = this.root;
    root.setAttribute("data-save-status", String(status));
    if (status === 200 || status === 201 || status === 422) {
      this.result.innerHTML = html; // server-rendered, escaped fragment from akte itself
      if (status === 422) {
        this.markProblems();
        this.say(message(root, "refused"));
      } else {
        root.setAttribute("data-dirty", "false");
        var heading = this.result.querySelector("h2");
        this.say(heading ? heading.textContent : message(root, "saved"));
      }
      this.result.focus();
    } else {
      this.result.textContent = "";
      this.say(message(root, "save-failed") + " (HTTP " + status + ")");
    }
  };

  /* the report's rows name elements: highlight them and offer a button that selects each */
  Editor.prototype.markProblems = function () {
    var registry = this.modeler.get("elementRegistry");
    var canvas = this.modeler.get("canvas");
    var root = this.root;
    Array.prototype.forEach.call(this.result.querySelectorAll("tr[data-element]"), function (row) {
      var id = row.getAttribute("data-element");
      if (!id || !registry.get(id)) {
        return;
      }
      canvas.addMarker(id, "akte-problem");
      var cell = row.querySelector("code");
      if (cell && cell.parentNode) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "button-secondary akte-show-element";
        button.setAttribute("data-show-element", id);
        button.textContent = message(root, "show");
        button.setAttribute("aria-label", message(root, "show") + ": " + id);
        cell.parentNode.appendChild(document.createTextNode(" "));
        cell.parentNode.appendChild(button);
      }
    });
  };

  Editor.prototype.clearProblemMarkers = function () {
    var canvas = this.modeler.get("canvas");
    this.modeler.get("elementRegistry").forEach(function (element) {
      canvas.removeMarker(element, "akte-problem");
    });
  };

  Editor.prototype.download = function () {
    var name = this.root.getAttribute("data-file-name") || "diagram.bpmn";
    this.applyFocused();
    this.modeler.saveXML({ format: true }).then(function (out) {
      var url = URL.createObjectURL(new Blob([out.xml], { type: "application/xml" }));
      var link = document.createElement("a");
      link.href = url;
      link.download = name;
      link.hidden = true;
      document.body.appendChild(link);
      link.click();
      link.remove();
      window.setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    });
  };

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".akte-modeler"), function (root) {
      if (root.akteEditor) {
        return;
      }
      if (typeof window.BpmnJS !== "function") {
        root.setAttribute("data-state", "failed");
        return;
      }
      root.akteEditor = new Editor(root);
      root.akteEditor.load();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
