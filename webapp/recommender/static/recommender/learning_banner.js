// Moves the home page's "the recommender is learning" banner while the first model trains, and
// reloads the page once, when the model serves, so the picks become personal without a click.
(function () {
  "use strict";
  const banner = document.querySelector(".learning-banner");
  if (!banner || !banner.dataset.url) return;
  const bar = banner.querySelector(".learning-progress");
  const text = banner.querySelector(".learning-text");

  async function poll() {
    try {
      const response = await fetch(banner.dataset.url, { credentials: "same-origin" });
      if (!response.ok) return;
      const status = await response.json();
      if (!status.learning) {
        window.location.reload();
        return;
      }
      bar.value = status.percent;
      bar.textContent = status.percent + "%";
      text.textContent = status.text;
    } catch (err) {
      // The next tick tries again; a network blip must not stop the updates.
    }
  }
  setInterval(poll, 5000);
})();
