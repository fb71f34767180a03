/* The team leader's phone page (incidents/my_dispatches.html): answer the orders assigned to you
   (accept, decline, en route, on scene), send field reports from the scene and report the task complete
   (with a closing note; the command then releases the team), and follow them live. A new or recalled order, or an edit of an
   order's incident, reloads the list from the server, so every card carries what the page renders
   (severity, description, caller, links). */
(function () {
  "use strict";
  const list = document.getElementById("phone-orders");
  if (!list) return;
  const gettext = window.gettext || ((s) => s);
  const UI = window.CityWatchUI;
  const { api, el, showMessage } = UI;
  const LABELS = UI.labels;
  const ACTION_LABELS = UI.actionLabels;
  const dataEl = document.getElementById("onemap-data");
  const DATA = dataEl ? JSON.parse(dataEl.textContent) : {};
  const message = document.getElementById("order-message");
  const me = list.dataset.user;
  const leader = new Set(DATA.leader_actions || ["accept", "decline", "depart", "arrive"]);

  function renderActions(li) {
    const box = li.querySelector(".order-actions");
    box.replaceChildren();
    // "complete" has its own form (a closing note is required).
    (LABELS.dispatch_actions[li.dataset.status] || []).filter((a) => leader.has(a) && a !== "complete").forEach((action) => {
      const b = el("button", "order-action action-" + action, ACTION_LABELS[action] || action);
      b.type = "button";
      b.dataset.action = action;
      b.addEventListener("click", () => move(li, action, b));
      box.appendChild(b);
    });
  }

  function setStatus(li, status) {
    li.dataset.status = status;
    li.querySelector(".dispatch-status").textContent = LABELS.dispatch_status[status] || status;
    renderActions(li);
  }

  async function move(li, action, button, note) {
    button.disabled = true;
    showMessage(message, "");
    const url = list.dataset.transitionUrl.replace("INCIDENT", encodeURIComponent(li.dataset.incident)).replace("DISPATCH", encodeURIComponent(li.dataset.id));
    try {
      const body = { action: action };
      if (note) body.note = note;
      const d = await api(url, { body: body });
      setStatus(li, d.status);
      return d;
    } catch (err) {
      showMessage(message, err.message);
      return null;
    } finally {
      button.disabled = false;
    }
  }

  const count = (input) => (input.value.trim() === "" ? null : Number(input.value));

  /** The field report and the task-complete forms of one card (shown by its status, see app.css). */
  function wireForms(li) {
    const report = li.querySelector("form.field-report");
    if (report && !report.dataset.wired) {
      report.dataset.wired = "1";
      report.addEventListener("submit", async (e) => {
        e.preventDefault();
        const button = report.querySelector("button");
        const text = report.elements.text.value.trim();
        showMessage(message, "");
        if (!text) {
          showMessage(message, gettext("Write what the report says."));
          return;
        }
        const body = { text: text, rescued: count(report.elements.rescued), evacuated: count(report.elements.evacuated) };
        for (const n of [body.rescued, body.evacuated]) {
          if (n !== null && (!Number.isInteger(n) || n < 0)) {
            showMessage(message, gettext("People counts are whole numbers, 0 or more."));
            return;
          }
        }
        button.disabled = true;
        try {
          const entry = await api(report.dataset.url, { body: body });
          addReport(li, entry);
          report.reset();
        } catch (err) {
          showMessage(message, err.message);
        } finally {
          button.disabled = false;
        }
      });
    }
    const complete = li.querySelector("form.complete-task");
    if (complete && !complete.dataset.wired) {
      complete.dataset.wired = "1";
      complete.addEventListener("submit", async (e) => {
        e.preventDefault();
        const note = complete.elements.note.value.trim();
        if (!note) {
          showMessage(message, gettext("Write a closing note to report the task complete."));
          return;
        }
        const d = await move(li, "complete", complete.querySelector("button"), note);
        if (d) reloadSoon();
      });
    }
  }

  function addReport(li, entry) {
    const ol = li.querySelector(".order-reports");
    if (!ol || ol.querySelector('li[data-id="' + entry.id + '"]')) return;
    const item = el("li", "order-report");
    item.dataset.id = String(entry.id);
    const t = el("time", null, window.CityWatchFormat.when(entry.time));
    t.dateTime = entry.time;
    item.append(t, " ", el("span", "report-text", entry.report || ""));
    if (entry.rescued !== null && entry.rescued !== undefined) item.append(" ", el("span", "report-count report-rescued", gettext("rescued") + " " + entry.rescued));
    if (entry.evacuated !== null && entry.evacuated !== undefined) item.append(" ", el("span", "report-count report-evacuated", gettext("evacuated") + " " + entry.evacuated));
    ol.appendChild(item);
  }

  let reloading = null;
  async function reload() {
    const r = await fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!r.ok) return;
    const fresh = new DOMParser().parseFromString(await r.text(), "text/html").getElementById("phone-orders");
    if (!fresh) return;
    list.replaceChildren(...Array.from(fresh.children).map((n) => document.importNode(n, true)));
    list.querySelectorAll("li.order").forEach((li) => {
      renderActions(li);
      wireForms(li);
    });
  }
  const reloadSoon = () => {
    clearTimeout(reloading);
    reloading = setTimeout(() => reload().catch(() => {}), 200);
  };

  list.querySelectorAll("li.order").forEach((li) => {
    renderActions(li);
    wireForms(li);
  });

  // The live stream of incident command (the same as the one-map's): dispatch events of my orders.
  const state = document.getElementById("live-state");
  const source = new EventSource(new URL(list.dataset.eventsUrl, window.location.origin));
  window.citywatchEvents = source;
  const setState = (s, text) => {
    document.body.dataset.live = s;
    if (state) {
      state.textContent = text;
      state.className = "live-state " + s;
    }
  };
  source.onopen = () => setState("open", gettext("● live"));
  source.onerror = () => setState("reconnecting", gettext("○ reconnecting…"));
  source.onmessage = (e) => {
    let ev;
    try {
      ev = JSON.parse(e.data);
    } catch (err) {
      return;
    }
    // An incident of one of my orders was edited (severity, facts, place): its cards are drawn anew.
    if (ev.type === "edit" && list.querySelector('li.order[data-incident="' + ev.incident + '"]')) {
      reloadSoon();
      return;
    }
    if (ev.type !== "dispatch" || !ev.dispatch || ev.dispatch.assigned_to !== me) return;
    const li = list.querySelector('li.order[data-id="' + ev.dispatch.id + '"]');
    if (li && ev.dispatch.status !== "recalled") setStatus(li, ev.dispatch.status);
    else reloadSoon();
  };
  window.addEventListener("pagehide", () => source.close());
})();
