// The exam page: renders the paper from the JSON API, saves every change, keeps time.
//
// Rules this script keeps:
// - every change gets a higher seq and goes into a queue stored in localStorage
//   (keyed by attempt), so a reload, a closed tab or a lost connection loses nothing;
//   the queue is sent again whenever the connection allows;
// - time is the server's: the countdown runs on the deadline minus the server clock,
//   estimated from server_time in every reply, never on the local clock alone;
// - no words live here: they come translated in the #exam-strings JSON block.
(function () {
  "use strict";

  var root = document.getElementById("exam");
  if (!root) {
    return;
  }
  var T = JSON.parse(document.getElementById("exam-strings").textContent);
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var urls = {
    attempt: root.dataset.attemptUrl,
    answers: root.dataset.answersUrl,
    submit: root.dataset.submitUrl,
    result: root.dataset.resultUrl
  };
  var storageKey = "exam-attempt-" + root.dataset.attemptId;
  var phone = window.matchMedia("(max-width: 575.98px)");
  var MAX_BACKOFF_MS = 15000;
  var REQUEST_TIMEOUT_MS = 15000;

  var el = {
    paper: document.getElementById("exam-paper"),
    navSections: document.getElementById("nav-sections"),
    navPanel: document.getElementById("exam-nav"),
    progress: root.querySelectorAll(".nav-progress"),
    timer: document.getElementById("exam-timer"),
    saveState: document.getElementById("save-state"),
    alert: document.getElementById("exam-alert"),
    announcer: document.getElementById("exam-announcer"),
    pager: document.getElementById("exam-pager"),
    pagerPosition: document.getElementById("pager-position"),
    prev: document.getElementById("pager-prev"),
    next: document.getElementById("pager-next"),
    submitOpen: document.getElementById("submit-open"),
    dialog: document.getElementById("submit-dialog"),
    unanswered: document.getElementById("submit-unanswered"),
    flagged: document.getElementById("submit-flagged"),
    submitError: document.getElementById("submit-error"),
    submitConfirm: document.getElementById("submit-confirm")
  };

  var state = {
    items: [], // flat, in position order: {position, type, stem, options, section, points}
    answers: {}, // position -> {choice: [...], flagged: bool}
    seq: 0, // the highest seq used on this attempt
    queue: {}, // position -> {choice, flagged, seq}: changes the server has not confirmed
    inFlight: {}, // position -> seq being sent
    failures: 0,
    retryTimer: null,
    retryAt: 0,
    offline: false,
    problem: "", // "signed_out" or a refusal message
    deadline: 0, // ms, server clock
    offset: 0, // server clock minus local clock, ms
    warned5: false,
    warned1: false,
    current: 1,
    finishing: false,
    closed: false,
    navOpen: false,
    loaded: false
  };

  // ---- small helpers ------------------------------------------------------------------

  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function make(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "className") {
        node.className = attrs[name];
      } else {
        node.setAttribute(name, attrs[name]);
      }
    });
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function parseTime(iso) {
    // Python writes microseconds; keep milliseconds so every engine parses it.
    return Date.parse(String(iso).replace(/(\.\d{3})\d+/, "$1"));
  }

  function load() {
    try {
      var stored = JSON.parse(window.localStorage.getItem(storageKey) || "{}");
      return { seq: stored.seq || 0, queue: stored.queue || {} };
    } catch (error) {
      return { seq: 0, queue: {} };
    }
  }

  function persist() {
    if (state.closed) {
      return;
    }
    try {
      window.localStorage.setItem(storageKey, JSON.stringify({ seq: state.seq, queue: state.queue }));
    } catch (error) {
      // Private mode or a full disk: answers still go to the server, only the offline copy is lost.
    }
  }

  function forget() {
    try {
      window.localStorage.removeItem(storageKey);
    } catch (error) {
      // nothing kept, nothing to remove
    }
  }

  function announce(text) {
    el.announcer.textContent = "";
    // A fresh text node after a tick makes screen readers speak it even when repeated.
    window.setTimeout(function () {
      el.announcer.textContent = text;
    }, 50);
  }

  function showAlert(text, kind) {
    el.alert.className = "alert exam-alert alert-" + (kind || "warning");
    el.alert.textContent = text;
  }

  function pendingCount() {
    return Object.keys(state.queue).length;
  }

  function isAnswered(position) {
    var answer = state.answers[position];
    return Boolean(answer && answer.choice.length);
  }

  function isFlagged(position) {
    var answer = state.answers[position];
    return Boolean(answer && answer.flagged);
  }

  // ---- talking to the server ----------------------------------------------------------

  function api(method, url, body) {
    var sent = Date.now();
    var options = {
      method: method,
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken }
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    // A request that hangs on a bad network counts as failed, so the queue is tried again.
    var controller = new AbortController();
    var timer = window.setTimeout(function () {
      controller.abort();
    }, REQUEST_TIMEOUT_MS);
    options.signal = controller.signal;
    return fetch(url, options).then(function (response) {
      window.clearTimeout(timer);
      return response
        .json()
        .catch(function () {
          return {};
        })
        .then(function (data) {
          if (data && data.server_time) {
            syncClock(data.server_time, data.deadline, sent, Date.now());
          }
          return { status: response.status, ok: response.ok, data: data || {} };
        });
    });
  }

  function syncClock(serverTime, deadline, sent, received) {
    // The server read its clock somewhere between sending and receiving: take the middle.
    state.offset = parseTime(serverTime) - (sent + received) / 2;
    if (deadline) {
      state.deadline = parseTime(deadline);
    }
  }

  function goToResult() {
    state.finishing = true;
    state.closed = true;
    forget();
    window.location.assign(urls.result);
  }

  // ---- saving -------------------------------------------------------------------------

  function record(position, choice, flagged) {
    if (state.finishing) {
      return;
    }
    // Another tab on the same attempt may have used higher numbers meanwhile.
    state.seq = Math.max(state.seq, load().seq) + 1;
    state.answers[position] = { choice: choice, flagged: flagged };
    state.queue[position] = { choice: choice, flagged: flagged, seq: state.seq };
    persist();
    refreshItem(position);
    refreshNav();
    pump();
  }

  function pump() {
    if (state.retryTimer === null) {
      Object.keys(state.queue).forEach(function (position) {
        if (!state.inFlight[position]) {
          send(position, state.queue[position]);
        }
      });
    }
    renderSaveState();
  }

  function retryNow() {
    if (state.retryTimer !== null) {
      window.clearTimeout(state.retryTimer);
      state.retryTimer = null;
    }
    pump();
  }

  function scheduleRetry() {
    if (state.retryTimer !== null) {
      return;
    }
    state.failures += 1;
    var delay = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, state.failures - 1));
    state.retryAt = Date.now() + delay;
    state.retryTimer = window.setTimeout(function () {
      state.retryTimer = null;
      pump();
    }, delay);
  }

  function send(position, entry) {
    state.inFlight[position] = entry.seq;
    api("PUT", urls.answers + position, {
      choice: entry.choice,
      seq: entry.seq,
      flagged: entry.flagged
    }).then(
      function (reply) {
        delete state.inFlight[position];
        handleSaveReply(position, entry, reply);
        pump();
      },
      function () {
        delete state.inFlight[position];
        state.offline = true;
        scheduleRetry();
        renderSaveState();
      }
    );
  }

  function handleSaveReply(position, entry, reply) {
    var queued = state.queue[position];
    if (reply.ok) {
      state.failures = 0;
      state.offline = false;
      state.problem = "";
      if (queued && queued.seq <= reply.data.seq) {
        delete state.queue[position];
        if (!reply.data.applied && reply.data.seq > entry.seq) {
          // A newer save from another tab or device won; show what the server holds.
          state.answers[position] = { choice: reply.data.choice, flagged: entry.flagged };
          refreshItem(position);
          refreshNav();
        }
        state.seq = Math.max(state.seq, reply.data.seq);
        persist();
      }
      return;
    }
    var code = reply.data.error;
    if (code === "attempt_closed") {
      goToResult();
    } else if (reply.status === 401 || reply.status === 403 || code === "csrf_failed") {
      // Signed out or the token went stale: keep the queue and keep trying.
      state.problem = T.signed_out;
      scheduleRetry();
    } else if (reply.status === 400 || reply.status === 404 || reply.status === 422) {
      // The server will never take this one; drop it rather than retry forever.
      if (queued && queued.seq === entry.seq) {
        delete state.queue[position];
        persist();
      }
      state.problem = fmt(T.rejected, { message: reply.data.message || code || reply.status });
    } else {
      scheduleRetry();
    }
  }

  function renderSaveState() {
    var pending = pendingCount();
    var name;
    var text;
    if (state.finishing) {
      name = "finishing";
      text = T.submitting;
    } else if (state.problem) {
      name = "problem";
      text = state.problem;
    } else if (state.retryTimer !== null) {
      if (state.offline || !navigator.onLine) {
        name = "offline";
        text = fmt(T.offline, { n: pending });
      } else {
        name = "retrying";
        text = fmt(T.retrying, {
          n: pending,
          s: Math.max(1, Math.ceil((state.retryAt - Date.now()) / 1000))
        });
      }
    } else if (pending || Object.keys(state.inFlight).length) {
      name = "saving";
      text = T.saving;
    } else {
      name = "saved";
      text = T.saved;
    }
    if (el.saveState.dataset.state !== name || el.saveState.textContent !== text) {
      el.saveState.dataset.state = name;
      el.saveState.textContent = text;
    }
  }

  // Resolves once nothing is waiting to be saved, or after `limit` ms.
  function flush(limit) {
    var until = Date.now() + limit;
    return new Promise(function (resolve) {
      retryNow();
      (function check() {
        if (!pendingCount() || Date.now() >= until) {
          resolve(!pendingCount());
        } else {
          window.setTimeout(check, 100);
        }
      })();
    });
  }

  // ---- time ---------------------------------------------------------------------------

  function serverNow() {
    return Date.now() + state.offset;
  }

  function clockText(ms) {
    var total = Math.ceil(ms / 1000);
    var hours = Math.floor(total / 3600);
    var minutes = Math.floor((total % 3600) / 60);
    var seconds = total % 60;
    var mm = (minutes < 10 ? "0" : "") + minutes;
    var ss = (seconds < 10 ? "0" : "") + seconds;
    return hours ? hours + ":" + mm + ":" + ss : mm + ":" + ss;
  }

  function tick() {
    if (!state.loaded) {
      return;
    }
    var left = Math.max(0, state.deadline - serverNow());
    el.timer.textContent = clockText(left);
    el.timer.classList.toggle("is-warning", left <= 300000 && left > 60000);
    el.timer.classList.toggle("is-danger", left <= 60000);
    if (left <= 60000 && !state.warned1 && left > 0) {
      state.warned1 = state.warned5 = true;
      showAlert(T.warn1, "danger");
      announce(T.warn1);
    } else if (left <= 300000 && !state.warned5 && left > 0) {
      state.warned5 = true;
      showAlert(T.warn5, "warning");
      announce(T.warn5);
    }
    if (left <= 0) {
      timeUp();
    }
    renderSaveState();
  }

  function timeUp() {
    if (state.finishing) {
      return;
    }
    showAlert(T.time_up, "danger");
    announce(T.time_up);
    lock();
    // The server takes saves for a short grace after the deadline: send what is left, then submit.
    flush(4000).then(submitPaper);
  }

  // ---- submitting ---------------------------------------------------------------------

  function lock() {
    state.finishing = true;
    root.querySelectorAll("#exam-paper fieldset, #exam-paper .exam-item-tools button").forEach(
      function (node) {
        node.disabled = true;
      }
    );
    el.submitOpen.disabled = true;
    renderSaveState();
  }

  function submitPaper() {
    api("POST", urls.submit).then(
      function (reply) {
        if (reply.ok || reply.data.error === "attempt_closed") {
          goToResult();
        } else {
          showAlert(fmt(T.submit_failed, { message: reply.data.message || reply.status }), "danger");
          window.setTimeout(submitPaper, 5000);
        }
      },
      function () {
        // Offline at time-up: the server grades what it has; keep trying to learn the result.
        window.setTimeout(submitPaper, 3000);
      }
    );
  }

  function listOf(positions) {
    return positions.join(T.list_separator);
  }

  function openSubmitDialog() {
    var unanswered = [];
    var flagged = [];
    state.items.forEach(function (item) {
      if (!isAnswered(item.position)) {
        unanswered.push(item.position);
      }
      if (isFlagged(item.position)) {
        flagged.push(item.position);
      }
    });
    el.unanswered.textContent = unanswered.length
      ? fmt(T.confirm_unanswered, { n: unanswered.length, list: listOf(unanswered) })
      : T.confirm_all_answered;
    el.flagged.hidden = !flagged.length;
    el.flagged.textContent = fmt(T.confirm_flagged, { n: flagged.length, list: listOf(flagged) });
    el.submitError.hidden = true;
    el.submitConfirm.disabled = false;
    window.bootstrap.Modal.getOrCreateInstance(el.dialog).show();
  }

  function confirmSubmit() {
    el.submitConfirm.disabled = true;
    el.submitError.hidden = true;
    flush(5000).then(function (allSaved) {
      if (!allSaved) {
        el.submitError.textContent = T.submit_offline;
        el.submitError.hidden = false;
        el.submitConfirm.disabled = false;
        return;
      }
      lock();
      api("POST", urls.submit).then(
        function (reply) {
          if (reply.ok || reply.data.error === "attempt_closed") {
            goToResult();
            return;
          }
          state.finishing = false;
          el.submitError.textContent = fmt(T.submit_failed, {
            message: reply.data.message || reply.status
          });
          el.submitError.hidden = false;
          el.submitConfirm.disabled = false;
          unlock();
        },
        function () {
          state.finishing = false;
          el.submitError.textContent = T.submit_offline;
          el.submitError.hidden = false;
          el.submitConfirm.disabled = false;
          unlock();
        }
      );
    });
  }

  function unlock() {
    root.querySelectorAll("#exam-paper fieldset, #exam-paper .exam-item-tools button").forEach(
      function (node) {
        node.disabled = false;
      }
    );
    el.submitOpen.disabled = false;
    renderSaveState();
  }

  // ---- rendering ----------------------------------------------------------------------

  function itemNode(position) {
    return document.getElementById("q" + position);
  }

  function chosenIn(position) {
    var node = itemNode(position);
    return Array.prototype.map.call(node.querySelectorAll("input:checked"), function (input) {
      return input.value;
    });
  }

  function renderItem(item) {
    var p = item.position;
    var card = make("article", {
      className: "card shadow-sm exam-item",
      id: "q" + p,
      "data-position": p,
      tabindex: "-1",
      "aria-labelledby": "q" + p + "-title"
    });
    var body = make("div", { className: "card-body" });
    card.appendChild(body);

    var head = make("div", { className: "exam-item-head" });
    var title = make("h3", { className: "h6 mb-0", id: "q" + p + "-title" }, fmt(T.question, { n: p }));
    var meta = make(
      "span",
      { className: "exam-item-meta" },
      fmt(T.item_meta, { type: T.types[item.type] || item.type, points: item.points })
    );
    title.appendChild(document.createTextNode(" "));
    title.appendChild(meta);
    head.appendChild(title);
    var tools = make("div", { className: "exam-item-tools" });
    var clear = make("button", { type: "button", className: "btn btn-sm btn-link exam-clear" }, T.clear);
    clear.addEventListener("click", function () {
      record(p, [], isFlagged(p));
    });
    var flag = make("button", {
      type: "button",
      className: "btn btn-sm btn-outline-warning exam-flag",
      "aria-pressed": "false"
    });
    flag.addEventListener("click", function () {
      record(p, chosenIn(p), !isFlagged(p));
    });
    tools.appendChild(clear);
    tools.appendChild(flag);
    head.appendChild(tools);
    body.appendChild(head);

    var fieldset = make("fieldset", {});
    var legend = make("legend", { className: "exam-stem text-block" }, item.stem);
    fieldset.appendChild(legend);
    if (item.type === "multiple") {
      fieldset.appendChild(make("p", { className: "small text-muted mb-2" }, T.choose_all));
    }
    var inputType = item.type === "multiple" ? "checkbox" : "radio";
    item.options.forEach(function (option) {
      var id = "q" + p + "-" + option.key;
      var label = make("label", { className: "exam-option", for: id });
      var input = make("input", {
        className: "form-check-input",
        type: inputType,
        name: "q" + p,
        id: id,
        value: option.key
      });
      input.addEventListener("change", function () {
        record(p, chosenIn(p), isFlagged(p));
      });
      label.appendChild(input);
      label.appendChild(make("span", { className: "exam-option-key" }, option.key));
      label.appendChild(make("span", { className: "exam-option-text text-block" }, option.text));
      fieldset.appendChild(label);
    });
    body.appendChild(fieldset);
    card.addEventListener("focusin", function () {
      setCurrent(p, false);
    });
    return card;
  }

  function renderPaper(sections) {
    el.paper.textContent = "";
    el.navSections.textContent = "";
    var position = 0;
    sections.forEach(function (section, index) {
      var block = make("section", { className: "exam-section", "aria-labelledby": "s" + index });
      var heading = make("h2", { className: "h5 exam-section-title", id: "s" + index }, section.title);
      heading.appendChild(
        make(
          "span",
          { className: "exam-section-meta" },
          fmt(T.section_meta, { count: section.items.length, points: section.points })
        )
      );
      block.appendChild(heading);

      var navGroup = make("div", { className: "nav-section" });
      navGroup.appendChild(make("h3", { className: "nav-section-title" }, section.title));
      var grid = make("div", { className: "nav-grid" });
      navGroup.appendChild(grid);

      section.items.forEach(function (raw) {
        position += 1;
        var item = {
          position: raw.position,
          type: raw.type,
          stem: raw.stem,
          options: raw.options,
          points: section.points
        };
        state.items.push(item);
        block.appendChild(renderItem(item));
        var button = make("button", {
          type: "button",
          className: "nav-q",
          id: "nav-q" + item.position,
          "data-position": item.position
        }, String(item.position));
        button.addEventListener("click", function () {
          goTo(item.position, true);
        });
        grid.appendChild(button);
      });
      el.paper.appendChild(block);
      el.navSections.appendChild(navGroup);
    });
    el.paper.setAttribute("aria-busy", "false");
  }

  function refreshItem(position) {
    var node = itemNode(position);
    if (!node) {
      return;
    }
    var answer = state.answers[position] || { choice: [], flagged: false };
    node.querySelectorAll("input").forEach(function (input) {
      var on = answer.choice.indexOf(input.value) !== -1;
      input.checked = on;
      input.parentNode.classList.toggle("is-chosen", on);
    });
    var flag = node.querySelector(".exam-flag");
    flag.setAttribute("aria-pressed", answer.flagged ? "true" : "false");
    flag.textContent = answer.flagged ? T.unflag : T.flag;
    node.classList.toggle("is-flagged", answer.flagged);
    node.querySelector(".exam-clear").hidden = !answer.choice.length;
  }

  function refreshNav() {
    var answered = 0;
    state.items.forEach(function (item) {
      var p = item.position;
      var done = isAnswered(p);
      var flagged = isFlagged(p);
      if (done) {
        answered += 1;
      }
      var button = document.getElementById("nav-q" + p);
      button.classList.toggle("is-answered", done);
      button.classList.toggle("is-flagged", flagged);
      button.classList.toggle("is-current", p === state.current);
      var label = fmt(done ? T.nav_answered : T.nav_unanswered, { n: p });
      button.setAttribute("aria-label", flagged ? fmt(T.nav_flagged, { label: label }) : label);
      if (p === state.current) {
        button.setAttribute("aria-current", "step");
      } else {
        button.removeAttribute("aria-current");
      }
    });
    var text = fmt(T.progress, { answered: answered, total: state.items.length });
    el.progress.forEach(function (node) {
      node.textContent = text;
    });
  }

  // ---- moving between questions -------------------------------------------------------

  function setCurrent(position, show) {
    if (position === state.current && !show) {
      return;
    }
    var previous = itemNode(state.current);
    if (previous) {
      previous.classList.remove("is-current");
    }
    state.current = position;
    itemNode(position).classList.add("is-current");
    el.pagerPosition.textContent = fmt(T.position, { n: position, total: state.items.length });
    el.prev.disabled = position <= 1;
    el.next.disabled = position >= state.items.length;
    refreshNav();
  }

  // On a phone the navigator is a panel over the paper: fold it once a question is chosen,
  // also when it was chosen while the panel was still opening.
  function foldNavigator() {
    var panel = el.navPanel;
    if (!state.navOpen) {
      return;
    }
    var collapse = window.bootstrap.Collapse.getOrCreateInstance(panel, { toggle: false });
    if (panel.classList.contains("collapsing")) {
      panel.addEventListener(
        "shown.bs.collapse",
        function () {
          if (state.navOpen) {
            collapse.hide();
          }
        },
        { once: true }
      );
    } else {
      collapse.hide();
    }
  }

  function goTo(position, fromNavigator) {
    setCurrent(position, true);
    var node = itemNode(position);
    if (phone.matches) {
      if (fromNavigator) {
        foldNavigator();
      }
      window.scrollTo(0, 0);
      node.focus({ preventScroll: true });
    } else {
      node.focus({ preventScroll: true });
      node.scrollIntoView({ block: "start" });
    }
  }

  // ---- start --------------------------------------------------------------------------

  function start(data) {
    var stored = load();
    var serverSeq = 0;
    Object.keys(data.answers || {}).forEach(function (position) {
      var saved = data.answers[position];
      state.answers[position] = { choice: saved.choice, flagged: Boolean(saved.flagged) };
      serverSeq = Math.max(serverSeq, saved.seq);
    });
    // Changes made here but never confirmed win over the server's copy when they are newer.
    Object.keys(stored.queue).forEach(function (position) {
      var entry = stored.queue[position];
      var saved = (data.answers || {})[position];
      if (!saved || entry.seq > saved.seq) {
        state.queue[position] = entry;
        state.answers[position] = { choice: entry.choice, flagged: Boolean(entry.flagged) };
      }
    });
    state.seq = Math.max(stored.seq, serverSeq);
    persist();

    renderPaper(data.sections || []);
    state.items.forEach(function (item) {
      refreshItem(item.position);
    });
    state.loaded = true;
    el.pager.hidden = false;
    el.submitOpen.disabled = false;
    // Back after a reload or on another device: a phone opens at the first open question.
    var firstOpen = state.items.filter(function (item) {
      return !isAnswered(item.position);
    })[0];
    setCurrent(firstOpen ? firstOpen.position : 1, true);
    tick();
    pump();
    window.setInterval(tick, 500);
  }

  function boot() {
    api("GET", urls.attempt).then(
      function (reply) {
        if (reply.ok && reply.data.status !== "in_progress") {
          goToResult();
        } else if (reply.ok) {
          start(reply.data);
        } else if (reply.status === 401 || reply.status === 403) {
          el.saveState.dataset.state = "problem";
          el.saveState.textContent = T.signed_out;
        } else {
          el.saveState.textContent = T.load_failed;
          window.setTimeout(boot, 3000);
        }
      },
      function () {
        el.saveState.dataset.state = "offline";
        el.saveState.textContent = T.load_failed;
        window.setTimeout(boot, 3000);
      }
    );
  }

  el.prev.addEventListener("click", function () {
    goTo(Math.max(1, state.current - 1), false);
  });
  el.next.addEventListener("click", function () {
    goTo(Math.min(state.items.length, state.current + 1), false);
  });
  el.navPanel.addEventListener("show.bs.collapse", function () {
    state.navOpen = true;
  });
  el.navPanel.addEventListener("hide.bs.collapse", function () {
    state.navOpen = false;
  });
  el.submitOpen.addEventListener("click", openSubmitDialog);
  el.submitConfirm.addEventListener("click", confirmSubmit);
  window.addEventListener("online", function () {
    state.offline = false;
    state.failures = 0;
    retryNow();
  });
  window.addEventListener("offline", function () {
    state.offline = true;
    renderSaveState();
  });
  boot();
})();
