// The blueprint editor: add and remove sections and topic quotas, show partial credit for
// multiple-choice sections only, and check the blueprint as it is edited (nothing is saved).
(function () {
  "use strict";
  var form = document.getElementById("blueprint-form");
  if (!form) {
    return;
  }
  var sections = form.querySelector("[data-sections]");
  var panel = document.getElementById("check-panel");
  var state = panel.querySelector("[data-check-state]");
  var summary = document.getElementById("check-summary");
  var shortfallList = document.getElementById("check-shortfalls");
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var DELAY = 600;
  var timer = null;
  var sent = 0;

  // ---- keeping the field names numbered 0..n-1, as the server numbers them ----

  var ATTRIBUTES = ["id", "name", "for", "data-problems-for"];

  function rename(root, pattern, replacement) {
    var elements = [root].concat(Array.prototype.slice.call(root.querySelectorAll("*")));
    elements.forEach(function (element) {
      ATTRIBUTES.forEach(function (attribute) {
        var value = element.getAttribute(attribute);
        if (value !== null && pattern.test(value)) {
          element.setAttribute(attribute, value.replace(pattern, replacement));
        }
      });
    });
  }

  function renumber() {
    sections.querySelectorAll("[data-section]").forEach(function (section, i) {
      rename(section, /^sections-(\d+|__S__)/, "sections-" + i);
      section.querySelector("[data-section-number]").textContent = String(i + 1);
      section.querySelectorAll("[data-topic-row]").forEach(function (row, j) {
        rename(row, /^(sections-\d+-topics-)(\d+|__T__)/, "$1" + j);
      });
    });
  }

  function fromTemplate(id) {
    return document.getElementById(id).content.firstElementChild.cloneNode(true);
  }

  function showPartialCredit(section) {
    var type = section.querySelector('select[id$="-qtype"]');
    var block = section.querySelector("[data-partial-credit]");
    // A block with a problem stays visible, so the problem can be read and fixed.
    var keep = block.querySelector(".invalid-feedback");
    block.classList.toggle("d-none", type.value !== "multiple" && !keep);
  }

  // ---- showing what the check found ----

  function clearProblems() {
    form.querySelectorAll("[data-problems-for]").forEach(function (box) {
      box.replaceChildren();
    });
    form.querySelectorAll(".is-invalid").forEach(function (input) {
      input.classList.remove("is-invalid");
    });
  }

  function showProblem(place, message) {
    var box = null;
    form.querySelectorAll("[data-problems-for]").forEach(function (candidate) {
      if (candidate.getAttribute("data-problems-for") === place) {
        box = candidate;
      }
    });
    if (box === null) {
      box = panel.querySelector('[data-problems-for=""]');
    }
    var line = document.createElement("div");
    line.className = "invalid-feedback d-block";
    line.textContent = message;
    box.appendChild(line);
    var input = place ? document.getElementById(place) : null;
    if (input && /^(INPUT|SELECT|TEXTAREA)$/.test(input.tagName)) {
      input.classList.add("is-invalid");
    }
  }

  function show(result) {
    clearProblems();
    result.problems.forEach(function (problem) {
      showProblem(problem.field, problem.message);
    });
    summary.textContent = result.summary;
    shortfallList.replaceChildren();
    result.shortfalls.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      shortfallList.appendChild(item);
    });
    state.setAttribute(
      "data-check-state",
      !result.valid ? "invalid" : result.feasible ? "feasible" : "infeasible"
    );
    sections.querySelectorAll("[data-section]").forEach(showPartialCredit);
  }

  function check() {
    var mine = ++sent;
    state.setAttribute("data-check-state", "checking");
    summary.textContent = panel.getAttribute("data-msg-checking");
    fetch(form.getAttribute("data-check-url"), {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf ? csrf.content : "" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (result) {
        if (mine === sent) {
          show(result);
        }
      })
      .catch(function () {
        if (mine === sent) {
          state.setAttribute("data-check-state", "failed");
          summary.textContent = panel.getAttribute("data-msg-failed");
          shortfallList.replaceChildren();
        }
      });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, DELAY);
  }

  // ---- events ----

  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[type=button]");
    if (!button) {
      return;
    }
    var section = button.closest("[data-section]");
    if (button.hasAttribute("data-add-section")) {
      var added = fromTemplate("section-template");
      sections.appendChild(added);
      renumber();
      showPartialCredit(added);
      added.querySelector("input").focus();
    } else if (button.hasAttribute("data-remove-section")) {
      section.remove();
      renumber();
    } else if (button.hasAttribute("data-add-topic")) {
      var row = fromTemplate("topic-template");
      section.querySelector("[data-topic-rows]").appendChild(row);
      renumber();
      row.querySelector("select").focus();
      return; // an empty row changes nothing to check
    } else if (button.hasAttribute("data-remove-topic")) {
      button.closest("[data-topic-row]").remove();
      renumber();
    } else {
      return;
    }
    later();
  });

  form.addEventListener("input", later);
  form.addEventListener("change", function (event) {
    var section = event.target.closest("[data-section]");
    if (section) {
      showPartialCredit(section);
    }
    later();
  });

  renumber();
  sections.querySelectorAll("[data-section]").forEach(showPartialCredit);
  check();
})();
