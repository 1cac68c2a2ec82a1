// taperapp: small behaviours shared by every page. No inline scripts (CSP-friendly).
document.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector("meta[name=csrf-token]");
  if (token) event.detail.headers["X-CSRFToken"] = token.content;
});

// Plan builder: show only the inputs of the chosen method (all stay visible without script).
function showMethodFields(form) {
  const chosen = form.querySelector("input[name=method]:checked");
  if (!chosen) return;
  form.querySelectorAll("[data-method]").forEach((block) => {
    block.hidden = !block.dataset.method.split(" ").includes(chosen.value);
  });
}
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("plan-form");
  if (!form) return;
  showMethodFields(form);
  form.addEventListener("change", () => showMethodFields(form));
  // Show the preview for the initial values (e.g. when changing an existing plan).
  if (window.htmx && form.querySelector("[name=start_dose_mg]").value) {
    window.htmx.trigger(form, "change");
  }
});

document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    event.preventDefault();
    window.print();
  }
});
