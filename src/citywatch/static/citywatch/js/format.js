/* How every CityWatch page writes numbers, times, travel times, distances and head counts: one module for the
   area map (map.js), the one-map, incident list and phone page (onemap.js, command.js) and the report form
   (incident-new.js). Load it after Django's JavaScript catalogue (/jsi18n/) and before those scripts:
     <script src="{% static 'citywatch/js/format.js' %}"></script>
   then `const { num, when, minutesText, kmText } = window.CityWatchFormat;`. */
(function () {
  "use strict";
  const gettext = window.gettext || ((s) => s);
  const ngettext = window.ngettext || ((s, p, n) => (n === 1 ? s : p));
  const lang = document.documentElement.lang || undefined;
  // Times are shown in the city's time zone (the server's), as the server-rendered pages show them.
  const TIME_ZONE = document.documentElement.dataset.timeZone || undefined;

  /** Django's interpolate (the catalogue's), or the same rules when the catalogue is missing. */
  function interpolate(fmt, args, named) {
    if (window.interpolate) return window.interpolate(fmt, args, named);
    if (named) return fmt.replace(/%\((\w+)\)s/g, (_, k) => String(args[k]));
    let i = 0;
    return fmt.replace(/%s/g, () => String(args[i++]));
  }

  /** A number in the page's language ("12,345"); "–" for none. */
  const num = (n) => (n === null || n === undefined || n === "" ? "–" : Number(n).toLocaleString(lang));

  /** An ISO time as "MM-DD hh:mm" in the city's zone; `opts.year`, `opts.seconds` add those. */
  function when(iso, opts) {
    if (!iso) return "";
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    const o = opts || {};
    const fields = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" };
    let format;
    try {
      format = new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone: TIME_ZONE }, fields));
    } catch (e) {
      format = new Intl.DateTimeFormat("en-GB", fields);
    }
    const p = {};
    format.formatToParts(d).forEach((part) => (p[part.type] = part.value));
    let text = p.month + "-" + p.day + " " + p.hour + ":" + p.minute;
    if (o.year) text = p.year + "-" + text;
    if (o.seconds) text += ":" + p.second;
    return text;
  }

  /** A travel time in seconds as whole minutes ("12 分钟", "< 1 分钟"); "–" for none. */
  function minutesText(s) {
    if (s === null || s === undefined) return "–";
    const m = s / 60;
    if (m < 1) return gettext("< 1 min");
    const n = Math.round(m);
    return interpolate(ngettext("%s min", "%s min", n), [num(n)]);
  }

  /** A distance in metres as kilometres with one decimal; "–" for none. */
  const kmText = (m) => (m === null || m === undefined ? "–"
    : interpolate(gettext("%s km"), [Number(m / 1000).toLocaleString(lang, { maximumFractionDigits: 1, minimumFractionDigits: 1 })]));

  /** How a travel time was found: over the road network or estimated from the straight line. */
  const methodText = (method) => (method === "road" ? gettext("by road") : gettext("estimated"));

  /** A head count ("1,234 人"), or that it is unknown for want of population data. */
  const personsText = (n) => (n === null || n === undefined ? gettext("unknown (no population data)")
    : interpolate(ngettext("%s person", "%s persons", n), [num(n)]));

  window.CityWatchFormat = {
    lang: lang,
    interpolate: interpolate,
    num: num,
    when: when,
    minutesText: minutesText,
    kmText: kmText,
    methodText: methodText,
    personsText: personsText,
  };
})();
