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
  // A page that answers a form posted to another address (an action
  // refused: /pratiche/N/azioni/valida) names its own address: show that
  // one, so a reload or a bookmark opens the page and never posts again.
  function showCanonicalAddress() {
    var link = document.querySelector("link[rel=canonical]");
    if (!link || !window.history || !history.replaceState) return;
    var url = new URL(link.href, location.href);
    if (url.origin === location.origin && url.pathname !== location.pathname) {
      history.replaceState(history.state, "", url.pathname + url.search);
    }
  }
  showCanonicalAddress();

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
  document.addEventListener("htmx:afterSettle", function (ev) {
    if (ev.detail && ev.detail.target === document.body) reopenRefusedDialog();
  });

  // «Senza scadenza» and a date exclude each other: ticking the box empties
  // the date (data-svuota names the field), typing a date unticks the box.
  document.addEventListener("change", function (ev) {
    var box = ev.target;
    if (!box.matches || !box.matches("input[type=checkbox][data-svuota]") || !box.checked) return;
    var field = document.querySelector(box.getAttribute("data-svuota"));
    if (field) field.value = "";
  });
  document.addEventListener("input", function (ev) {
    var field = ev.target;
    if (!field.id || !field.value) return;
    document.querySelectorAll("input[type=checkbox][data-svuota]").forEach(function (box) {
      if (box.checked && box.getAttribute("data-svuota") === "#" + field.id) box.checked = false;
    });
  });

  // Date fields take a typed gg/mm/aaaa; a «Calendario» button beside each
  // (input[data-calendario]) opens the browser's own date picker and writes
  // the chosen day back in the same format. Without scripts, typing works.
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function toISO(v) {
    var m = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(v || "");
    return m ? m[3] + "-" + pad(+m[2]) + "-" + pad(+m[1]) : "";
  }
  function fromISO(v) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v || "");
    return m ? m[3] + "/" + m[2] + "/" + m[1] : "";
  }
  function enhanceDates(root) {
    if (!root || !root.querySelectorAll) return;
    root.querySelectorAll("input[data-calendario]:not([data-calendario-pronto])").forEach(function (input) {
      input.setAttribute("data-calendario-pronto", "1");
      var group = document.createElement("div");
      group.className = "input-group calendario";
      input.parentNode.insertBefore(group, input);
      group.appendChild(input);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-outline-primary calendario-apri";
      button.textContent = "Calendario";
      var label = input.id && document.querySelector("label[for='" + input.id + "']");
      button.setAttribute("aria-label", "Scegli dal calendario" + (label ? ": " + label.textContent.trim() : ""));
      var picker = document.createElement("input");
      picker.type = "date";
      picker.className = "calendario-nativo";
      picker.tabIndex = -1;
      picker.setAttribute("aria-hidden", "true");
      group.appendChild(button);
      group.appendChild(picker);
      button.addEventListener("click", function () {
        picker.value = toISO(input.value);
        try { picker.showPicker(); } catch (e) { picker.focus(); }
      });
      picker.addEventListener("change", function () {
        if (!picker.value) return;
        input.value = fromISO(picker.value);
        input.dispatchEvent(new Event("input", { bubbles: true }));
        input.dispatchEvent(new Event("change", { bubbles: true }));
        input.focus();
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { enhanceDates(document.body); });
  document.addEventListener("htmx:load", function (ev) { enhanceDates(ev.target); });
})();
