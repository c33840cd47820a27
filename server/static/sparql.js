// The SPARQL editor. The page works without this file: a plain form sends the query
// and the example buttons put theirs into it. This file turns the form into YASGUI
// on our one endpoint, loading YASGUI's files (about 280 KB) only when the reader
// first uses the form or an example, so that the page is usable before they arrive.
// A file, not an inline script, so the page's Content-Security-Policy can forbid
// inline scripts.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("sparql-config").textContent);
  var form = document.getElementById("sparql-form");
  var textarea = document.getElementById("sparql-query");
  var holder = document.getElementById("yasgui");
  var files = document.getElementById("yasgui-files").content;
  var endpoint = new URL(config.endpoint || "/sparql", window.location.href).toString();
  var names = config.names;
  var loading = null;
  var failed = false;

  // A stylesheet or script of the template, added to the head; settles when it has loaded.
  function load(tag, url) {
    return new Promise(function (resolve, reject) {
      var element = document.createElement(tag);
      element.addEventListener("load", resolve);
      element.addEventListener("error", function () { reject(new Error("cannot load " + url)); });
      if (tag === "link") {
        element.rel = "stylesheet";
        element.href = url;
      } else {
        element.src = url;
      }
      document.head.appendChild(element);
    });
  }

  // YASGUI leaves some inputs without a label; name them for screen readers.
  function labelInputs() {
    holder.querySelectorAll("input:not([aria-label]), select:not([aria-label]), textarea:not([aria-label])")
      .forEach(function (el) {
        if (el.labels && el.labels.length) return;
        var text = el.placeholder || el.title || "";
        el.setAttribute("aria-label", text || (el.classList.contains("autocomplete") ? names.endpoint : names.input));
      });
  }

  // YASGUI in place of the form, holding the form's query; a reader who was in the
  // form is now in the editor (at the same place, if typing).
  function start() {
    var inForm = form.contains(document.activeElement);
    var typing = document.activeElement === textarea;
    var caret = textarea.selectionStart;
    var query = textarea.value;
    holder.hidden = false;
    var yasgui = new Yasgui(holder, {
      requestConfig: { endpoint: endpoint, method: "POST" },
      copyEndpointOnNewTab: false,
      endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
      persistenceId: null,
      // A long PREFIX line scrolls sideways rather than breaking inside its IRI.
      yasqe: { value: query, lineWrapping: false }
    });
    var tab = yasgui.getTab();
    tab.setQuery(query);
    form.hidden = true;
    labelInputs();
    new MutationObserver(labelInputs).observe(holder, { childList: true, subtree: true });
    if (inForm) {
      var yasqe = tab.getYasqe();
      yasqe.focus();
      if (typing) yasqe.setCursor(yasqe.posFromIndex(caret));
    }
    return yasgui;
  }

  // The editor, loaded once: its stylesheet too, so it never shows unstyled.
  function editor() {
    if (!loading) {
      loading = Promise.all([
        load("link", files.querySelector("link").getAttribute("href")),
        load("script", files.querySelector("script").getAttribute("src"))
      ]).then(start);
      loading.catch(function () { failed = true; });
    }
    return loading;
  }

  function run(query) {
    return editor().then(function (yasgui) {
      var tab = yasgui.getTab();
      if (query !== undefined) tab.setQuery(query);
      tab.query();
    });
  }

  // The first touch of the form starts loading; the reader keeps typing meanwhile.
  form.addEventListener("focusin", function () { if (!failed) editor(); });
  form.addEventListener("pointerdown", function () { if (!failed) editor(); });
  // Run and the examples show their answers here, in the editor. Should its files
  // not load, the forms send the query as they do without JavaScript.
  form.addEventListener("submit", function (event) {
    if (failed) return;
    event.preventDefault();
    run().catch(function () { form.submit(); });
  });
  document.querySelectorAll("button[data-example]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (failed) return;
      event.preventDefault();
      run(button.value).catch(function () { button.form.requestSubmit(button); });
    });
  });
})();
