// Application scripts: progressive enhancement only; every page works
// without them.
(function () {
  if (window.htmx) {
    // Swap the pages the server answers with a status to show (a form to
    // correct, a conflict, a denial), not only 2xx.
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "(403|404|409|422)", swap: true },
      { code: "[45]..", swap: false, error: true },
    ];
    htmx.config.historyCacheSize = 0; // always refetch on back: data changes
  }
  // A dialog loaded by htmx (the cronologia) opens as soon as it arrives and
  // gives focus back to the button that opened it when closed.
  document.addEventListener("htmx:afterSwap", function (ev) {
    var modal = ev.detail.target.querySelector(".modal");
    if (!modal || !window.bootstrap) return;
    var opener = document.activeElement;
    var m = new bootstrap.Modal(modal);
    modal.addEventListener("hidden.bs.modal", function () { if (opener) opener.focus(); }, { once: true });
    m.show();
  });
  // A rejection refused for a missing reason reopens its dialog.
  document.addEventListener("DOMContentLoaded", function () {
    var err = document.getElementById("motivazione-errore");
    if (err && window.bootstrap) {
      bootstrap.Modal.getOrCreateInstance(document.getElementById("conferma-respingi")).show();
    }
  });
})();
