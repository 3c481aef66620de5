/* The header's menu button on narrow screens (see the "header menu" rules in spikelens.css).
 *
 * Loaded in <head> without "defer" so the class below is set before the first paint: a phone
 * never sees the three-row header flash before it collapses. Without JavaScript the class is
 * never set, the button stays hidden and every link shows, as on a wide screen. */
(function () {
  "use strict";
  document.documentElement.classList.add("has-menu-script");

  function setOpen(button, open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-menu-toggle]");
    if (!button) return;
    setOpen(button, button.getAttribute("aria-expanded") !== "true");
  });

  // Escape closes an open menu and puts the focus back on its button.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var button = document.querySelector("[data-menu-toggle][aria-expanded=true]");
    if (!button) return;
    setOpen(button, false);
    button.focus();
  });
})();
