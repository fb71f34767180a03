/* Place search for every map that needs one (the report form, the one-map): a search box over the area tree
   (district, street and community names, their pinyin and initials) and the registry's named places, answered
   by GET /api/v1/places. Load after format.js:
     CityWatchPlaceSearch.attach(inputElement, listElement, (place) => { … place.lon, place.lat, place.bbox … });
   The list is keyboard-usable (↑/↓, Enter, Escape). DOM APIs only: no HTML from data. */
(function () {
  "use strict";
  const gettext = window.gettext || ((s) => s);
  const { interpolate } = window.CityWatchFormat;

  function attach(input, list, onPick) {
    const url = input.dataset.url || "/api/v1/places";
    let timer = null;
    let run = 0;
    let places = [];
    let active = -1;

    function close() {
      list.hidden = true;
      list.replaceChildren();
      input.setAttribute("aria-expanded", "false");
      active = -1;
    }

    function choose(i) {
      const place = places[i];
      if (!place) return;
      input.value = place.name;
      close();
      onPick(place);
    }

    function highlight(i) {
      const items = list.querySelectorAll("li[role=option]");
      items.forEach((li, n) => li.setAttribute("aria-selected", n === i ? "true" : "false"));
      active = i;
    }

    function render(found, q) {
      places = found;
      list.replaceChildren();
      if (!found.length) {
        const li = document.createElement("li");
        li.className = "place-none";
        li.textContent = interpolate(gettext("No place called “%(q)s”."), { q: q }, true);
        list.appendChild(li);
      }
      found.forEach((place, i) => {
        const li = document.createElement("li");
        li.setAttribute("role", "option");
        li.dataset.kind = place.kind;
        const name = document.createElement("span");
        name.className = "place-name";
        name.textContent = place.name;
        const meta = document.createElement("span");
        meta.className = "place-meta";
        meta.textContent = place.kind_label + (place.context ? " · " + place.context : "");
        li.append(name, " ", meta);
        li.addEventListener("mousedown", (e) => {
          e.preventDefault(); // keep the focus in the box until the choice is made
          choose(i);
        });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      if (found.length) highlight(0);
    }

    async function search() {
      const q = input.value.trim();
      const mine = ++run;
      if (!q) return close();
      const u = new URL(url, window.location.origin);
      u.searchParams.set("q", q.slice(0, 50));
      u.searchParams.set("limit", "8");
      try {
        const r = await fetch(u, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!r.ok) throw new Error(r.status + " " + r.statusText);
        const found = await r.json();
        if (mine === run) render(found, q);
      } catch (err) {
        if (mine === run) render([], q);
      }
    }

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    if (list.id) input.setAttribute("aria-controls", list.id);
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown" && places.length) {
        e.preventDefault();
        highlight(Math.min(places.length - 1, active + 1));
      } else if (e.key === "ArrowUp" && places.length) {
        e.preventDefault();
        highlight(Math.max(0, active - 1));
      } else if (e.key === "Enter") {
        // Enter chooses the highlighted place; it never submits the form around the box.
        e.preventDefault();
        if (!list.hidden && active >= 0) choose(active);
        else search();
      } else if (e.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", () => setTimeout(close, 150));
    return { close: close };
  }

  /** Fly `map` to a chosen place: an area's boundary box, else its point. */
  function show(map, place) {
    if (place.bbox && place.kind === "area" && place.level !== "community") {
      map.fitBounds([[place.bbox[0], place.bbox[1]], [place.bbox[2], place.bbox[3]]], { padding: 30, duration: 0, maxZoom: 15 });
    } else {
      map.jumpTo({ center: [place.lon, place.lat], zoom: Math.max(map.getZoom(), 14) });
    }
  }

  window.CityWatchPlaceSearch = { attach: attach, show: show };
})();
