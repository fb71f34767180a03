/*
 * citywatchLive: live notifications in the browser, from the outbox's Server-Sent Events stream.
 *
 *   <script src="{% static 'citywatch/js/live.js' %}" data-events-url="{% url 'events' %}"></script>
 *   const stop = citywatchLive.subscribe(["alarm.*", "warning.issued"], (message) => { ... });
 *
 * `message` is the outbox envelope: {id, kind, created_at, area: {code, name} | null, hazard, level,
 * exercise, status ("actual" | "exercise"), public, subject, body, payload, object}. Kinds are exact
 * ("warning.issued"), prefixes ending in ".*" ("alarm.*"), or [] / "*" for every kind. One EventSource
 * serves every subscriber on the page; it reconnects by itself and resumes after the last message seen.
 * The page learns the stream's state from a "citywatch:live" event on window (detail: "open" or
 * "reconnecting"). Only messages the user may see (their jurisdiction) arrive.
 */
(function () {
  "use strict";

  const script = document.currentScript;
  const endpoint = (script && script.dataset.eventsUrl) || "/events/";
  const listeners = [];
  let source = null;
  let openKinds = null;
  let lastId = null;
  let scheduled = false;

  function matches(patterns, kind) {
    if (!patterns.length) return true;
    return patterns.some((p) => p === "*" || p === kind || (p.endsWith(".*") && kind.startsWith(p.slice(0, -1))));
  }

  function wanted() {
    if (listeners.some((l) => !l.kinds.length || l.kinds.includes("*"))) return [];
    return Array.from(new Set(listeners.flatMap((l) => l.kinds))).sort();
  }

  function announce(state) {
    window.dispatchEvent(new CustomEvent("citywatch:live", { detail: state }));
  }

  function open() {
    scheduled = false;
    if (!listeners.length) return;
    const kinds = wanted();
    const key = kinds.join(",");
    if (source && key === openKinds) return;
    if (source) source.close();
    const url = new URL(endpoint, window.location.origin);
    if (kinds.length) url.searchParams.set("kinds", key);
    if (lastId) url.searchParams.set("last", lastId);
    openKinds = key;
    source = new EventSource(url);
    source.onopen = () => announce("open");
    source.onerror = () => announce("reconnecting");
    source.onmessage = (e) => {
      if (e.lastEventId) lastId = e.lastEventId;
      let message;
      try {
        message = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      for (const l of listeners.slice()) {
        if (!matches(l.kinds, message.kind)) continue;
        try {
          l.callback(message);
        } catch (err) {
          console.error(err);
        }
      }
    };
  }

  function subscribe(kinds, callback) {
    const entry = { kinds: typeof kinds === "string" ? [kinds] : Array.from(kinds || []), callback: callback };
    listeners.push(entry);
    if (!scheduled) {
      // Subscriptions made in the same task share one connection, opened once.
      scheduled = true;
      queueMicrotask(open);
    }
    return function unsubscribe() {
      const i = listeners.indexOf(entry);
      if (i >= 0) listeners.splice(i, 1);
      if (!listeners.length && source) {
        source.close();
        source = null;
        openKinds = null;
      }
    };
  }

  window.addEventListener("pagehide", () => {
    if (source) source.close();
  });
  window.citywatchLive = { subscribe: subscribe, matches: matches };
})();
