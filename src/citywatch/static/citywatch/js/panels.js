/*
 * The duty screen's live panels (core/panels.py). Every <section class="duty-panel"> with
 * data-live-kinds ("alarm.*,warning.issued") and data-refresh-url is fetched again when a message of
 * those kinds arrives through citywatchLive (live.js: one EventSource for the page), and its content
 * replaced. Messages arriving in a burst cause one fetch (and one more if some arrived during it).
 * After each refresh the section receives a "citywatch:panel" event (detail: {name, message}) and its
 * data-refreshed attribute counts the refreshes, for panels' own scripts and for tests. When the stream
 * comes back after a dropped connection every live panel is fetched again (messages may have been missed).
 */
(function () {
  "use strict";

  function follow(section) {
    const kinds = section.dataset.liveKinds.split(",").filter(Boolean);
    const url = section.dataset.refreshUrl;
    let busy = false;
    let again = false;
    let last = null;
    let count = 0;

    async function refresh() {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      try {
        do {
          again = false;
          const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
          if (!response.ok) break;
          section.innerHTML = await response.text();
          count += 1;
          section.dataset.refreshed = String(count);
          section.dispatchEvent(
            new CustomEvent("citywatch:panel", { bubbles: true, detail: { name: section.dataset.panel, message: last } })
          );
        } while (again);
      } catch (err) {
        console.error(err);
      } finally {
        busy = false;
      }
    }

    window.citywatchLive.subscribe(kinds, (message) => {
      last = message;
      refresh();
    });
    return refresh;
  }

  function start() {
    if (!window.citywatchLive) return;
    const refreshers = Array.from(
      document.querySelectorAll("section.duty-panel[data-live-kinds][data-refresh-url]"),
    ).map(follow);
    let dropped = false;
    window.addEventListener("citywatch:live", (e) => {
      document.body.dataset.live = e.detail;
      // Back after a dropped connection: messages may have been missed, so every live panel is fetched.
      if (e.detail === "reconnecting") dropped = true;
      if (e.detail === "open" && dropped) {
        dropped = false;
        refreshers.forEach((refresh) => refresh());
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
