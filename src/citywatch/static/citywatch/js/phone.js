/* The team leader's phone page (incidents/my_dispatches.html): answer the orders assigned to you
   (accept, decline, en route, on scene) and follow them live. A new or recalled order, or an edit of an
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
    (LABELS.dispatch_actions[li.dataset.status] || []).filter((a) => leader.has(a)).forEach((action) => {
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

  async function move(li, action, button) {
    button.disabled = true;
    showMessage(message, "");
    const url = list.dataset.transitionUrl.replace("INCIDENT", encodeURIComponent(li.dataset.incident)).replace("DISPATCH", encodeURIComponent(li.dataset.id));
    try {
      const d = await api(url, { body: { action: action } });
      setStatus(li, d.status);
    } catch (err) {
      showMessage(message, err.message);
      button.disabled = false;
    }
  }

  let reloading = null;
  async function reload() {
    const r = await fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!r.ok) return;
    const fresh = new DOMParser().parseFromString(await r.text(), "text/html").getElementById("phone-orders");
    if (!fresh) return;
    list.replaceChildren(...Array.from(fresh.children).map((n) => document.importNode(n, true)));
    list.querySelectorAll("li.order").forEach(renderActions);
  }
  const reloadSoon = () => {
    clearTimeout(reloading);
    reloading = setTimeout(() => reload().catch(() => {}), 200);
  };

  list.querySelectorAll("li.order").forEach(renderActions);

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
