/* Progressive enhancement only: every form works without this file.
 * Inline star forms in movie lists save in place (no page reload) and a click on a star saves at
 * once; keyboard users choose with the arrow keys and press the button, as without JavaScript. */
(function () {
  "use strict";

  function summaryText(count, mean) {
    if (!count) return "Not rated yet";
    return "★ " + mean.toFixed(1) + " (" + count + " rating" + (count === 1 ? "" : "s") + ")";
  }

  async function save(form) {
    var status = form.querySelector(".rate-status");
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    try {
      var response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      var data = await response.json().catch(function () { return {}; });
      if (response.status === 401) {
        window.location.href = "/accounts/login/?next=" + encodeURIComponent(window.location.pathname);
        return;
      }
      if (!response.ok || !data.ok) {
        status.textContent = data.error || "Not saved: please choose 1 to 5 stars.";
        status.classList.add("rate-error");
        return;
      }
      status.classList.remove("rate-error");
      status.textContent = "Saved";
      var card = form.closest(".card");
      var summary = card && card.querySelector("[data-rating-summary]");
      if (summary) summary.textContent = summaryText(data.rating_count, data.rating_mean);
      if (button) button.firstChild.textContent = "Update";
    } catch (error) {
      form.submit();  // network trouble: fall back to the ordinary form post
    } finally {
      if (button) button.disabled = false;
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("[data-rate-form]")) return;
    event.preventDefault();
    save(form);
  });

  document.addEventListener("click", function (event) {
    var label = event.target.closest("[data-rate-form] .stars label");
    if (!label) return;
    var form = label.closest("form");
    // Let the browser tick the radio first, then save.
    window.setTimeout(function () { form.requestSubmit(); }, 0);
  });
})();
