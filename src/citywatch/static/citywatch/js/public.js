// The public warning page: pick a district (submit on change) or share the location (rounded to ~100 m,
// so that many visitors share one cached answer). No library.
(function () {
  var form = document.getElementById("pick");
  var select = document.getElementById("area");
  var locate = document.getElementById("locate");
  if (select && form) {
    select.addEventListener("change", function () { form.submit(); });
  }
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      locate.disabled = true;
      navigator.geolocation.getCurrentPosition(function (pos) {
        var params = new URLSearchParams(window.location.search);
        params.delete("area");
        params.set("lon", pos.coords.longitude.toFixed(3));
        params.set("lat", pos.coords.latitude.toFixed(3));
        window.location.search = params.toString();
      }, function () { locate.disabled = false; }, { timeout: 15000, maximumAge: 300000 });
    });
  }
})();
