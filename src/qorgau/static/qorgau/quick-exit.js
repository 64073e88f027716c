// Quick exit (public help page): leave at once and take this page out of the back button's history.
(function () {
  "use strict";
  function leave(event) {
    var link = document.getElementById("quick-exit");
    if (!link) { return; }
    if (event) { event.preventDefault(); }
    document.body.innerHTML = "";
    window.location.replace(link.href);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var link = document.getElementById("quick-exit");
    if (link) { link.addEventListener("click", leave); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { leave(event); }
  });
})();
