// The back office's live door view: asks live.json for new numbers every few seconds and
// rewrites the tables the server rendered first (the page works without this script).
(function () {
  "use strict";

  var root = document.querySelector("[data-live-url]");
  if (!root || !window.fetch) {
    return;
  }
  var url = root.getAttribute("data-live-url");
  var seconds = parseInt(root.getAttribute("data-refresh"), 10) || 7;
  var every = Math.min(Math.max(seconds, 5), 10) * 1000;
  var stale = root.querySelector("[data-live-stale]");
  var timer = null;
  var busy = false;

  function part(name) {
    return root.querySelector('[data-live="' + name + '"]');
  }

  function setText(name, value) {
    var element = part(name);
    if (element && element.textContent !== String(value)) {
      element.textContent = value;
    }
  }

  function fillRows(name, rows, cells) {
    var body = part(name);
    if (!body) {
      return;
    }
    var fragment = document.createDocumentFragment();
    if (!rows.length) {
      var emptyRow = document.createElement("tr");
      var emptyCell = document.createElement("td");
      emptyCell.colSpan = parseInt(body.getAttribute("data-columns"), 10) || 1;
      emptyCell.textContent = body.getAttribute("data-empty") || "";
      emptyRow.appendChild(emptyCell);
      fragment.appendChild(emptyRow);
    }
    rows.forEach(function (row) {
      var line = document.createElement("tr");
      cells(row).forEach(function (value, index) {
        var cell = document.createElement(index === 0 ? "th" : "td");
        if (index === 0) {
          cell.scope = "row";
        }
        if (typeof value === "number") {
          cell.className = "num";
        } else if (index > 0) {
          cell.dir = "auto"; // names and labels typed by people: isolated from the row's order
        }
        cell.textContent = value;
        line.appendChild(cell);
      });
      fragment.appendChild(line);
    });
    while (body.firstChild) {
      body.removeChild(body.firstChild);
    }
    body.appendChild(fragment);
  }

  function render(data) {
    setText("checked_in", data.checked_in);
    setText("confirmed", data.confirmed);
    fillRows("doors", data.doors, function (row) {
      return [row.door, row.count];
    });
    fillRows("quarters", data.quarters, function (row) {
      return [row.label, row.count];
    });
    fillRows("recent", data.recent, function (row) {
      return [row.time, row.door, row.label, row.name];
    });
    fillRows("conflicts", data.conflicts, function (row) {
      return [row.time, row.door, row.name, row.first];
    });
    fillRows("skewed", data.skewed, function (row) {
      return [row.time, row.door, row.offset];
    });
    var problems = root.querySelector("[data-live-problems]");
    if (problems) {
      problems.hidden = !(data.conflicts.length || data.skewed.length);
    }
    setText("updated", new Date().toLocaleTimeString(document.documentElement.lang || undefined));
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(poll, every);
  }

  function poll() {
    if (busy) {
      return;
    }
    if (document.hidden) {
      schedule(); // nobody is looking: ask again later
      return;
    }
    busy = true;
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        render(data);
        if (stale) {
          stale.hidden = true;
        }
      })
      .catch(function () {
        if (stale) {
          stale.hidden = false;
        }
      })
      .then(function () {
        busy = false;
        schedule();
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      poll();
    }
  });
  schedule();
})();
