// Moves the training progress bars in the admin change list while runs are active, and reloads
// the page once a run finishes so its metrics and artifact appear.
(function () {
  "use strict";
  const script = document.currentScript;
  const url = script && script.dataset.progressUrl;
  if (!url) return;
  const active = () =>
    Array.from(document.querySelectorAll("progress.training-progress"))
      .filter((bar) => bar.dataset.state === "queued" || bar.dataset.state === "running")
      .map((bar) => bar.dataset.run);

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
        const percent = Math.round(run.progress * 100);
        document.querySelectorAll(`progress[data-run="${run.id}"]`).forEach((bar) => {
          bar.value = percent;
          bar.dataset.state = run.state;
        });
        document.querySelectorAll(`.training-percent[data-run="${run.id}"]`).forEach((el) => {
          el.textContent = percent + "%";
        });
        // The server writes the line (admin/display.py), so the page and the poll agree.
        document.querySelectorAll(`.training-stage[data-run="${run.id}"]`).forEach((el) => {
          el.textContent = run.text;
        });
        if (run.state !== "queued" && run.state !== "running") finished = true;
      }
      if (finished) window.location.reload();
    } catch (err) {
      // The next tick tries again; a transient network error must not stop the updates.
    }
  }
  setInterval(poll, 2000);
})();
