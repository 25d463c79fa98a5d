// The exam monitor refreshes its table from a small JSON endpoint, without reloading the page.
(function () {
  "use strict";
  var box = document.getElementById("monitor");
  if (!box) {
    return;
  }
  var url = box.getAttribute("data-url");
  var interval = (parseInt(box.getAttribute("data-interval"), 10) || 15) * 1000;
  var body = box.querySelector("[data-monitor-rows]");
  var time = box.querySelector("[data-monitor-time]");
  var problem = box.querySelector("[data-monitor-problem]");
  var updated = document.getElementById("monitor-updated");
  // The columns after the unit, in the order the table's totals show them.
  var columns = Array.prototype.map.call(box.querySelectorAll("[data-total]"), function (cell) {
    return cell.getAttribute("data-total");
  });
  var timer = null;

  function cell(text, numeric) {
    var td = document.createElement("td");
    if (numeric) {
      td.className = "text-end";
    }
    td.textContent = String(text);
    return td;
  }

  function show(data) {
    var rows = data.rows.map(function (row) {
      var tr = document.createElement("tr");
      tr.appendChild(cell(row.unit, false));
      columns.forEach(function (name) {
        tr.appendChild(cell(row[name], true));
      });
      return tr;
    });
    body.replaceChildren.apply(body, rows);
    box.querySelectorAll("[data-total]").forEach(function (total) {
      total.textContent = String(data.totals[total.getAttribute("data-total")]);
    });
    time.textContent = data.updated_at;
    problem.textContent = "";
    updated.removeAttribute("data-state");
  }

  function refresh() {
    window.clearTimeout(timer);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(show)
      .catch(function () {
        problem.textContent = " · " + box.getAttribute("data-msg-failed");
        updated.setAttribute("data-state", "failed");
      })
      .then(schedule);
  }

  function schedule() {
    window.clearTimeout(timer);
    // A hidden tab asks nothing; it catches up as soon as it is shown again.
    if (!document.hidden) {
      timer = window.setTimeout(refresh, interval);
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      window.clearTimeout(timer);
    } else {
      refresh();
    }
  });
  schedule();
})();
