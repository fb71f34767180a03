/* Dispatch orders on the one-map (loaded before onemap.js, which calls it): each order's number, whether
   it waits unanswered past its answer time, a recall (with a reason) while nobody has accepted it, and
   the confirmation of every dispatch with its number and recipient. Uses window.CityWatchUI (onemap.js)
   at call time. */
(function () {
  "use strict";
  const gettext = window.gettext || ((s) => s);
  const interpolate = (fmt, obj) => (window.interpolate ? window.interpolate(fmt, obj, true) : fmt);

  function ui() {
    return window.CityWatchUI;
  }

  /** Mark the order unanswered once its answer time has passed (re-checked every few seconds). */
  function markUnanswered(li) {
    const due = li.dataset.due ? Date.parse(li.dataset.due) : NaN;
    const late = li.dataset.status === "requested" && !Number.isNaN(due) && Date.now() >= due;
    li.classList.toggle("unanswered", late);
    let badge = li.querySelector(".unanswered-badge");
    if (late && !badge) {
      badge = ui().el("span", "badge unanswered-badge", gettext("Unanswered"));
      badge.title = gettext("Nobody has accepted this order yet");
      li.querySelector(".dispatch-status").after(" ", badge);
    } else if (!late && badge) {
      badge.remove();
    }
  }
  setInterval(() => document.querySelectorAll("li.dispatch[data-due]").forEach(markUnanswered), 5000);

  function decorate(li, d, canChange, upsert, after) {
    const { el, api, showMessage, labels } = ui();
    if (d.number) {
      let number = li.querySelector(".dispatch-number");
      if (!number) {
        number = el("span", "dispatch-number", d.number);
        li.prepend(number, " ");
      }
    }
    if (d.assigned_to_name && !li.querySelector(".dispatch-recipient")) {
      const old = li.querySelector(":scope > .note");
      if (old) old.remove();
      li.querySelector(".dispatch-status").before(el("span", "dispatch-recipient note", "→ " + d.assigned_to_name), " ");
    }
    if (d.answer_due_at) li.dataset.due = d.answer_due_at;
    markUnanswered(li);
    let reason = li.querySelector(".recall-reason");
    if (d.status === "recalled" && d.recall_reason && !reason) {
      reason = el("span", "recall-reason note", interpolate(gettext("Reason: %(reason)s"), { reason: d.recall_reason }));
      li.append(" ", reason);
    }
    const may = canChange && ((labels.dispatch_actions || {})[d.status] || []).includes("recall");
    let button = li.querySelector("button.recall");
    if (may && !button) {
      button = el("button", "recall", gettext("Recall"));
      button.type = "button";
      button.addEventListener("click", async () => {
        const why = window.prompt(interpolate(gettext("Why is order %(number)s recalled?"), { number: li.querySelector(".dispatch-number")?.textContent || "" }));
        if (!why || !why.trim()) return;
        button.disabled = true;
        const message = document.getElementById("dispatch-message");
        try {
          const url = document.querySelector("[data-dispatches-url]").dataset.dispatchesUrl;
          upsert(await api(url + "/" + encodeURIComponent(li.dataset.id) + "/transitions", { body: { action: "recall", note: why.trim() } }));
          if (after) after();
        } catch (err) {
          showMessage(message, err.message);
          button.disabled = false;
        }
      });
      li.append(" ", button);
    } else if (!may && button) {
      button.remove();
    }
  }

  /** The confirmation of a dispatch just ordered: its number and who received it. */
  function confirm(d) {
    const box = document.getElementById("dispatch-confirmation");
    if (!box) return;
    box.textContent = interpolate(gettext("Order %(number)s sent: %(team)s, to %(recipient)s."), {
      number: d.number, team: d.team.name, recipient: d.assigned_to_name || d.assigned_to || "—" });
    box.dataset.id = String(d.id);
    box.hidden = false;
  }

  window.CityWatchOrders = { decorate: decorate, confirm: confirm };
})();
