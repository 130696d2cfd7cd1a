// Application scripts: progressive enhancement only; every page works
// without them.
(function () {
  if (window.htmx) {
    // Swap the pages the server answers with a status to show (a form to
    // correct, a conflict, a denial), not only 2xx.
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "(400|403|404|409|413|415|422)", swap: true },
      { code: "[45]..", swap: false, error: true },
    ];
    htmx.config.historyCacheSize = 0; // always refetch on back: data changes
  }
  // A dialog loaded by htmx into a dialog container (the cronologia, into
  // <div data-dialogo>) opens as soon as it arrives and gives focus back to
  // the button that opened it when closed. Only there: a boosted page swap
  // also carries dialogs (the practice's reject and cancel confirmations),
  // which must stay closed until their button is pressed.
  document.addEventListener("htmx:afterSwap", function (ev) {
    var target = ev.detail && ev.detail.target;
    if (!target || !target.matches || !target.matches("[data-dialogo]")) return;
    var modal = target.querySelector(".modal");
    if (!modal || !window.bootstrap) return;
    var opener = document.activeElement;
    var m = new bootstrap.Modal(modal);
    modal.addEventListener("hidden.bs.modal", function () { if (opener) opener.focus(); }, { once: true });
    m.show();
  });
  // A rejection refused for a missing reason reopens its dialog, on a full
  // page load and on a page swapped in by htmx alike.
  function reopenRefusedDialog() {
    var err = document.getElementById("motivazione-errore");
    var dialog = document.getElementById("conferma-respingi");
    if (err && dialog && window.bootstrap) {
      bootstrap.Modal.getOrCreateInstance(dialog).show();
    }
  }
  document.addEventListener("DOMContentLoaded", reopenRefusedDialog);
  // A checkbox with data-svuota="id" empties the field id when ticked
  // («Senza scadenza» empties the end date). Delegated: it holds for pages
  // swapped in by htmx too, and needs no inline handler (the
  // Content-Security-Policy runs none).
  document.addEventListener("change", function (ev) {
    var box = ev.target;
    if (!box || !box.matches || !box.matches("input[type=checkbox][data-svuota]") || !box.checked) return;
    var field = document.getElementById(box.getAttribute("data-svuota"));
    if (field) field.value = "";
  });
  document.addEventListener("htmx:afterSettle", function (ev) {
    if (ev.detail && ev.detail.target === document.body) reopenRefusedDialog();
  });
})();
