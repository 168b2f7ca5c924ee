// Search across every entity of the catalog, in the page: no server, no network.
// The index (search-index.js, beside this file) is loaded on first use; results
// are built with textContent, so nothing from the repository is parsed as HTML.
(function () {
  "use strict";
  var input = document.getElementById("search");
  var box = document.getElementById("results");
  if (!input || !box) { return; }
  var waiting = [];
  var active = -1;

  function load(then) {
    if (window.GITSTORE_SEARCH) { then(); return; }
    waiting.push(then);
    if (waiting.length > 1) { return; }  // already loading
    var script = document.createElement("script");
    script.src = "search-index.js";
    script.onload = function () {
      var ready = waiting;
      waiting = [];
      for (var i = 0; i < ready.length; i++) { ready[i](); }
    };
    document.head.appendChild(script);
  }

  function score(entry, terms) {
    // entry: [name, kind, type, flavor, description, href]
    var name = entry[0].toLowerCase();
    var hay = (entry[0] + " " + entry[1] + " " + entry[2] + " " + entry[3] + " " + entry[4]).toLowerCase();
    var total = 0;
    for (var i = 0; i < terms.length; i++) {
      var t = terms[i];
      if (hay.indexOf(t) < 0) { return -1; }
      if (name === t) { total += 100; } else if (name.indexOf(t) === 0) { total += 50; }
      else if (name.indexOf(t) >= 0) { total += 20; } else { total += 1; }
    }
    return total;
  }

  function row(entry) {
    var a = document.createElement("a");
    a.href = entry[5];
    var title = document.createElement("div");
    title.textContent = entry[0];
    var what = document.createElement("div");
    what.className = "what";
    var bits = [entry[1]];
    if (entry[2]) { bits.push(entry[2]); }
    if (entry[3]) { bits.push("flavor " + entry[3]); }
    if (entry[4]) { bits.push(entry[4]); }
    what.textContent = bits.join(" \u00b7 ");
    a.appendChild(title);
    a.appendChild(what);
    return a;
  }

  function show() {
    var query = input.value.trim().toLowerCase();
    box.textContent = "";
    active = -1;
    if (!query) { box.hidden = true; return; }
    var terms = query.split(/\s+/);
    var found = [];
    var entries = window.GITSTORE_SEARCH.entries;
    for (var i = 0; i < entries.length; i++) {
      var s = score(entries[i], terms);
      if (s >= 0) { found.push([s, i]); }
    }
    found.sort(function (a, b) { return b[0] - a[0] || a[1] - b[1]; });
    if (!found.length) {
      var none = document.createElement("div");
      none.className = "empty";
      none.textContent = "Nothing matches";
      box.appendChild(none);
    }
    for (var j = 0; j < Math.min(found.length, 25); j++) { box.appendChild(row(entries[found[j][1]])); }
    if (found.length > 25) {
      var more = document.createElement("div");
      more.className = "empty";
      more.textContent = (found.length - 25) + " more: refine the search";
      box.appendChild(more);
    }
    box.hidden = false;
  }

  function move(step) {
    var links = box.querySelectorAll("a");
    if (!links.length) { return; }
    if (active >= 0) { links[active].classList.remove("active"); }
    active = (active + step + links.length) % links.length;
    links[active].classList.add("active");
    links[active].scrollIntoView({ block: "nearest" });
  }

  input.addEventListener("focus", function () { load(function () {}); });
  input.addEventListener("input", function () { load(show); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown") { move(1); event.preventDefault(); }
    else if (event.key === "ArrowUp") { move(-1); event.preventDefault(); }
    else if (event.key === "Escape") { box.hidden = true; input.blur(); }
    else if (event.key === "Enter") {
      var links = box.querySelectorAll("a");
      var pick = links[active >= 0 ? active : 0];
      if (pick) { window.location.href = pick.getAttribute("href"); }
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "/" && document.activeElement !== input) { input.focus(); event.preventDefault(); }
  });
  document.addEventListener("click", function (event) {
    if (!box.contains(event.target) && event.target !== input) { box.hidden = true; }
  });
})();
