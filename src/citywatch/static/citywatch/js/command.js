/* The one-map's command panel (/incidents/<id>/): experts summoned, command roles and tasks. Loaded after
   onemap.js, whose helpers it shares (window.CityWatchUI). Changes go through the JSON API; every change
   writes the incident log, whose entries arrive over the event stream (onemap.js re-broadcasts them as
   "citywatch:incident-event"), so another officer's changes show here without a reload. DOM built with DOM
   APIs only (no HTML from data). */
(function () {
  "use strict";
  const UI = window.CityWatchUI;
  const mapEl = document.getElementById("onemap");
  if (!UI || !mapEl) return;
  const gettext = window.gettext || ((s) => s);
  const { api, el, showMessage, interpolate, minutesText } = UI;
  const LABELS = UI.labels;
  const base = mapEl.dataset.incidentUrl.replace(/\/$/, "");
  const flag = (name) => mapEl.dataset[name] === "1";
  const $ = (id) => document.getElementById(id);
  const errorText = (err) => (err.status === 409 || err.status === 422 ? interpolate(gettext("Not done: %(error)s"), { error: err.message }, true) : err.message);
  const when = UI.when;

  function button(label, cls, onClick) {
    const b = el("button", cls, label);
    b.type = "button";
    b.addEventListener("click", () => onClick(b));
    return b;
  }

  /** A button that POSTs to ``url`` and hands the answer to ``done``; errors go to ``message``. */
  function actionButton(label, cls, url, body, message, done) {
    return button(label, cls, async (b) => {
      b.disabled = true;
      showMessage(message, "");
      try {
        done(await api(url, { body: body }));
      } catch (err) {
        showMessage(message, errorText(err));
        b.disabled = false;
      }
    });
  }

  /** Wire a form: ``body()`` builds the request, ``done(answer)`` shows it; the form is reset on success. */
  function wireForm(form, message, url, body, done) {
    form.hidden = false;
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      showMessage(message, "");
      const submit = form.querySelector("button[type=submit]");
      submit.disabled = true;
      try {
        done(await api(url, { body: body() }));
        form.reset();
      } catch (err) {
        showMessage(message, errorText(err));
      }
      submit.disabled = false;
    });
  }

  function emptyNote(list, text) {
    list.replaceChildren(el("li", "note empty", text));
  }

  // --- Experts ------------------------------------------------------------------------------------

  const summonsList = $("summons-list");
  const summonsMessage = $("summons-message");
  const summonsForm = $("summons-form");
  const expertSelect = $("summons-expert");
  const SUMMONS_ACTIONS = ["accept", "depart", "arrive", "release", "decline"];

  function renderSummons(s) {
    let li = summonsList.querySelector('li[data-id="' + s.id + '"]');
    if (!li) {
      li = el("li", "summons");
      li.dataset.id = String(s.id);
      const empty = summonsList.querySelector("li.empty");
      if (empty) empty.remove();
      summonsList.appendChild(li);
    }
    li.dataset.status = s.status;
    li.replaceChildren(el("span", "summons-expert", s.expert.name), " ",
      el("span", "summons-status badge status-" + s.status, LABELS.dispatch_status[s.status] || s.status));
    if (s.eta_s !== null && s.eta_s !== undefined) li.append(" ", el("span", "note", interpolate(gettext("ETA %s"), [minutesText(s.eta_s)])));
    if (!flag("canMoveSummons")) return;
    // Experts are not users of the system: the command centre records each step for them.
    const allowed = (LABELS.summons_actions || {})[s.status] || [];
    SUMMONS_ACTIONS.filter((a) => allowed.includes(a)).forEach((action) => {
      li.append(" ", actionButton(UI.actionLabels[action] || action, "summons-action action-" + action,
        base + "/summons/" + encodeURIComponent(s.id) + "/transitions", { action: action }, summonsMessage, (answer) => {
          renderSummons(answer);
          loadExperts();
        }));
    });
  }

  async function loadSummons() {
    if (!summonsList) return;
    try {
      const items = await api(base + "/summons");
      if (!items.length) emptyNote(summonsList, gettext("No expert summoned yet."));
      else summonsList.replaceChildren();
      items.forEach(renderSummons);
      summonsList.dataset.state = "loaded";
    } catch (err) {
      showMessage(summonsMessage, err.message);
    }
  }

  let etaRequest = null;

  /** Available experts, nearest first by the engine's travel time (those without a location last). */
  async function loadExperts() {
    if (!expertSelect) return;
    try {
      const u = new URL(mapEl.dataset.expertsUrl, window.location.origin);
      u.searchParams.set("availability", "available");
      u.searchParams.set("limit", "500");
      const near = new URL(mapEl.dataset.nearbyUrl, window.location.origin);
      Object.entries({ kinds: "experts", minutes: 240, limit: 200 }).forEach(([k, v]) => near.searchParams.set(k, String(v)));
      // The experts' travel times are found once per page; later reloads only refresh who is available.
      etaRequest = etaRequest || api(near).catch((err) => {
        etaRequest = null;
        throw err;
      });
      const [experts, nearby] = await Promise.all([api(u), etaRequest]);
      const eta = new Map((nearby.items || []).map((i) => [i.id, i.eta_s]));
      const items = (experts.items || []).slice().sort((a, b) => (eta.get(a.id) ?? Infinity) - (eta.get(b.id) ?? Infinity) || a.id - b.id);
      const chosen = expertSelect.value;
      expertSelect.replaceChildren();
      items.forEach((x) => {
        const parts = [x.name, x.specialty || x.category];
        if (eta.has(x.id)) parts.push(minutesText(eta.get(x.id)));
        const o = el("option", null, parts.filter(Boolean).join(" · "));
        o.value = String(x.id);
        expertSelect.appendChild(o);
      });
      if (!items.length) {
        const o = el("option", null, gettext("No expert available"));
        o.value = "";
        expertSelect.appendChild(o);
      }
      if (chosen && items.some((x) => String(x.id) === chosen)) expertSelect.value = chosen;
      expertSelect.dataset.state = "loaded";
    } catch (err) {
      showMessage(summonsMessage, err.message);
    }
  }

  if (summonsForm && flag("canSummon")) {
    wireForm(summonsForm, summonsMessage, base + "/summons",
      () => ({ expert: Number(expertSelect.value), note: $("summons-note").value }),
      (s) => {
        renderSummons(s);
        loadExperts();
      });
    loadExperts();
  }
  loadSummons();

  // --- Command roles ------------------------------------------------------------------------------

  const participantList = $("participant-list");
  const participantMessage = $("participant-message");

  function renderParticipants(items) {
    const active = items.filter((p) => p.active);
    if (!active.length) return emptyNote(participantList, gettext("Nobody holds a role yet."));
    participantList.replaceChildren();
    active.forEach((p) => {
      const li = el("li", "participant");
      li.dataset.id = String(p.id);
      li.dataset.role = p.role;
      li.append(el("span", "participant-role badge", (LABELS.participant_role || {})[p.role] || p.role), " ",
        el("span", "participant-user", p.user_name || p.user), " ", el("span", "note", interpolate(gettext("since %s"), [when(p.started_at)])));
      if (flag("canEndParticipant")) {
        li.append(" ", actionButton(gettext("End role"), "participant-end", base + "/participants/" + encodeURIComponent(p.id) + "/end",
          {}, participantMessage, loadParticipants));
      }
      participantList.appendChild(li);
    });
  }

  async function loadParticipants() {
    try {
      renderParticipants(await api(base + "/participants"));
      participantList.dataset.state = "loaded";
    } catch (err) {
      showMessage(participantMessage, err.message);
    }
  }

  if ($("participant-form") && flag("canAddParticipant")) {
    wireForm($("participant-form"), participantMessage, base + "/participants",
      () => ({ user: $("participant-user").value, role: $("participant-role").value }), loadParticipants);
  }
  loadParticipants();

  // --- Tasks --------------------------------------------------------------------------------------

  const taskList = $("task-list");
  const taskMessage = $("task-message");
  const TASK_ACTION_LABELS = { done: gettext("Done"), cancel: gettext("Cancel"), reopen: gettext("Reopen") };

  function renderTasks(items) {
    if (!items.length) return emptyNote(taskList, gettext("No task yet."));
    taskList.replaceChildren();
    const now = Date.now();
    items.forEach((t) => {
      const li = el("li", "task");
      li.dataset.id = String(t.id);
      li.dataset.status = t.status;
      li.append(el("span", "task-title", t.title), " ",
        el("span", "task-status badge status-" + t.status, (LABELS.task_status || {})[t.status] || t.status));
      if (t.owner) li.append(" ", el("span", "task-owner note", t.owner_name || t.owner));
      if (t.due_at) {
        const late = t.status === "open" && Date.parse(t.due_at) < now;
        const due = el("span", "task-due note" + (late ? " overdue" : ""), interpolate(late ? gettext("overdue since %s") : gettext("due %s"), [when(t.due_at)]));
        li.append(" ", due);
      }
      if (flag("canMoveTask")) {
        ((LABELS.task_actions || {})[t.status] || []).forEach((action) => {
          li.append(" ", actionButton(TASK_ACTION_LABELS[action] || action, "task-action action-" + action,
            base + "/tasks/" + encodeURIComponent(t.id) + "/transitions", { action: action }, taskMessage, loadTasks));
        });
      }
      taskList.appendChild(li);
    });
  }

  async function loadTasks() {
    try {
      renderTasks(await api(base + "/tasks"));
      taskList.dataset.state = "loaded";
    } catch (err) {
      showMessage(taskMessage, err.message);
    }
  }

  if ($("task-form") && flag("canAddTask")) {
    wireForm($("task-form"), taskMessage, base + "/tasks", () => {
      const body = { title: $("task-title").value.trim() };
      if ($("task-owner").value) body.owner = $("task-owner").value;
      // datetime-local has no zone: the API reads it in the city's time zone, as the page shows times.
      if ($("task-due").value) body.due_at = $("task-due").value;
      return body;
    }, loadTasks);
  }
  loadTasks();

  // --- Live: every change writes the log, so any new entry may concern these lists -----------------

  // Only the list an entry concerns is reloaded (by the entry's data keys), once per burst of entries.
  const pending = new Set();
  let timer = null;
  document.addEventListener("citywatch:incident-event", (e) => {
    const data = (e.detail && e.detail.log && e.detail.log.data) || {};
    if ("summons" in data) pending.add("summons");
    if ("participant" in data) pending.add("participants");
    if ("task" in data) pending.add("tasks");
    if (!pending.size) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (pending.has("summons")) {
        loadSummons();
        if (expertSelect && flag("canSummon")) loadExperts();
      }
      if (pending.has("participants")) loadParticipants();
      if (pending.has("tasks")) loadTasks();
      pending.clear();
    }, 300);
  });
})();
