// Autocomplete for the header search box: an ARIA 1.2 combobox with a listbox popup.
// Without JavaScript the box is a plain GET form to /search.
(function () {
  var input = document.getElementById("q");
  var list = document.getElementById("q-list");
  if (!input || !list) return;
  var active = -1, timer = null, items = [];

  function close() {
    list.hidden = true; list.innerHTML = ""; items = []; active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }
  function highlight(i) {
    items.forEach(function (li, n) { li.setAttribute("aria-selected", n === i ? "true" : "false"); });
    active = i;
    if (i >= 0) input.setAttribute("aria-activedescendant", items[i].id);
  }
  function show(results) {
    list.innerHTML = "";
    items = results.map(function (r, n) {
      var li = document.createElement("li");
      li.id = "q-opt-" + n; li.setAttribute("role", "option"); li.setAttribute("aria-selected", "false");
      var a = document.createElement("a"); a.href = r.url; a.textContent = r.label; a.tabIndex = -1;
      li.appendChild(a);
      li.addEventListener("mousedown", function (e) { e.preventDefault(); window.location.href = r.url; });
      list.appendChild(li);
      return li;
    });
    list.hidden = items.length === 0;
    input.setAttribute("aria-expanded", items.length ? "true" : "false");
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (q.length < 2) { close(); return; }
    timer = setTimeout(function () {
      fetch("/search.json?limit=8&q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) { if (input.value.trim() === q) show(data.results); })
        .catch(close);
    }, 120);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown" && items.length) { e.preventDefault(); highlight((active + 1) % items.length); }
    else if (e.key === "ArrowUp" && items.length) { e.preventDefault(); highlight((active - 1 + items.length) % items.length); }
    else if (e.key === "Enter" && active >= 0) { e.preventDefault(); window.location.href = items[active].querySelector("a").href; }
    else if (e.key === "Escape") { close(); }
  });
  input.addEventListener("blur", function () { setTimeout(close, 150); });
})();
