// The SPARQL editor: YASGUI on our one endpoint, the example buttons, and labels for
// YASGUI's unlabelled inputs. A file, not an inline script, so the page's
// Content-Security-Policy can forbid inline scripts.
(function () {
  "use strict";
  var examples = JSON.parse(document.getElementById("examples").textContent);
  var config = JSON.parse(document.getElementById("sparql-config").textContent);
  var initial = config.initial;
  var endpoint = new URL(config.endpoint || "/sparql", window.location.href).toString();
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    persistenceId: null,
    yasqe: { value: initial }
  });
  var tab = yasgui.getTab();
  tab.setQuery(initial);
  // YASGUI leaves some inputs without a label; name them for screen readers.
  var names = config.names;
  function labelInputs() {
    document.querySelectorAll("#yasgui input:not([aria-label]), #yasgui select:not([aria-label]), #yasgui textarea:not([aria-label])")
      .forEach(function (el) {
        if (el.labels && el.labels.length) return;
        var text = el.placeholder || el.title || "";
        el.setAttribute("aria-label", text || (el.classList.contains("autocomplete") ? names.endpoint : names.input));
      });
  }
  labelInputs();
  new MutationObserver(labelInputs).observe(document.getElementById("yasgui"), { childList: true, subtree: true });
  document.querySelectorAll("button[data-example]").forEach(function (button) {
    button.addEventListener("click", function () {
      var ex = examples[button.getAttribute("data-example")];
      var t = yasgui.getTab();
      t.setQuery(ex);
      t.query();
    });
  });
})();
