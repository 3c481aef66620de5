// Redraws the training-run change list while runs are active: each active run's state,
// progress bar, nDCG@10 and duration, and the banner above the list; reloads the page once a run
// finishes so its metrics and artifact appear. The server writes every text (admin/display.py
// through admin/progress.py), so a redrawn row reads exactly as it would after a reload.
(function () {
  "use strict";
  const script = document.currentScript;
  const url = script && script.dataset.progressUrl;
  if (!url) return;
  const isActive = (state) => state === "queued" || state === "running";
  const active = () =>
    Array.from(document.querySelectorAll("progress.training-progress"))
      .filter((bar) => isActive(bar.dataset.state))
      .map((bar) => bar.dataset.run);
  // The list's cells that change while a run is active: column (the admin's "field-<name>"
  // class) → the poll's key.
  const CELLS = { state: "status", ndcg: "ndcg", duration: "duration" };

  function setText(element, text) {
    if (element && typeof text === "string" && element.textContent !== text) {
      element.textContent = text;
    }
  }

  function redraw(run) {
    const percent = Math.round(run.progress * 100);
    document.querySelectorAll(`progress[data-run="${run.id}"]`).forEach((bar) => {
      bar.value = percent;
      bar.textContent = percent + "%";
      bar.dataset.state = run.state;
      const row = bar.closest("tr");
      if (!row) return;
      for (const [column, key] of Object.entries(CELLS)) {
        setText(row.querySelector(`.field-${column}`), run[key]);
      }
    });
    document.querySelectorAll(`.training-percent[data-run="${run.id}"]`).forEach((el) => {
      setText(el, percent + "%");
    });
    document.querySelectorAll(`.training-stage[data-run="${run.id}"]`).forEach((el) => {
      setText(el, run.text);
    });
    // "Training run #4 is queued: …" → "… is running: …": the banner's first words.
    document.querySelectorAll(`.training-banner[data-run="${run.id}"]`).forEach((banner) => {
      const words = banner.firstChild;
      if (words && words.nodeType === Node.TEXT_NODE) words.nodeValue = run.headline + ": ";
    });
  }

  async function poll() {
    const ids = active();
    if (!ids.length) return;
    const query = ids.map((id) => "id=" + encodeURIComponent(id)).join("&");
    try {
      const response = await fetch(url + "?" + query, { credentials: "same-origin" });
      if (!response.ok) return;
      const data = await response.json();
      let finished = false;
      for (const run of data.runs) {
        redraw(run);
        if (!isActive(run.state)) finished = true;
      }
      if (finished) window.location.reload();
    } catch (err) {
      // The next tick tries again; a transient network error must not stop the updates.
    }
  }
  setInterval(poll, 2000);
})();
