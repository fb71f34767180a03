/* The delivery log: say when a new notification arrives (its deliveries appear on reload). */
(function () {
  "use strict";
  const notice = document.getElementById("live-notice");
  if (!notice || !window.citywatchLive) return;
  window.addEventListener("citywatch:live", (e) => {
    document.body.dataset.live = e.detail;
  });
  window.citywatchLive.subscribe([], (message) => {
    const text = interpolate(gettext("New notification: %s. Reload the page to see its deliveries."), [message.subject]);
    notice.textContent = message.exercise ? "【演练】" + text : text;
    notice.hidden = false;
    notice.dataset.messageId = String(message.id);
  });
})();
