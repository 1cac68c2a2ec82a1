// CIWA-B entry: running total and band, 0-4 typed on a row, unusual vitals highlighted,
// and one submission per click (the server also refuses duplicates by submission key).
(function () {
  const form = document.getElementById("log-form");
  if (!form) return;
  const starts = JSON.parse(document.getElementById("band-starts").textContent);
  const rows = Array.from(form.querySelectorAll(".ciwa-row"));
  const totalEl = document.getElementById("running-total");
  const bandEl = document.getElementById("running-band");
  const bands = [["very_severe", "very severe", "danger"], ["severe", "severe", "danger"],
                 ["moderate", "moderate", "warning"], ["mild", "mild", "info"]];

  function update() {
    let total = 0, scored = 0;
    rows.forEach((row) => {
      const checked = row.querySelector("input:checked");
      if (checked) { total += Number(checked.value); scored += 1; }
    });
    totalEl.textContent = total;
    let label = "none", tone = "secondary";
    for (const [code, name, colour] of bands) {
      if (total >= starts[code]) { label = name; tone = colour; break; }
    }
    bandEl.textContent = `${label} · ${scored}/${rows.length} scored`;
    bandEl.className = `badge text-bg-${tone} ms-1`;
  }

  rows.forEach((row, index) => {
    row.addEventListener("keydown", (event) => {
      if (!/^[0-4]$/.test(event.key)) return;
      const radio = row.querySelectorAll("input[type=radio]")[Number(event.key)];
      radio.checked = true;
      radio.dispatchEvent(new Event("change", { bubbles: true }));
      event.preventDefault();
      const next = rows[index + 1];
      const target = next ? (next.querySelector("input:checked") || next.querySelector("input"))
                          : form.querySelector(".vital-input");
      target.focus();
    });
  });

  form.querySelectorAll(".vital-input").forEach((input) => {
    const check = () => {
      const value = Number(input.value.replace(",", "."));
      const unusual = input.value !== "" && !Number.isNaN(value) &&
        (value < Number(input.dataset.usualMin) || value > Number(input.dataset.usualMax));
      input.classList.toggle("unusual", unusual);
      input.closest("div.col-6, div[class*=col-]").querySelector(".unusual-note").hidden = !unusual;
    };
    input.addEventListener("input", check);
    check();
  });

  form.addEventListener("change", update);
  form.addEventListener("submit", (event) => {
    const button = form.querySelector("[data-submit-once]");
    if (button.dataset.sent) { event.preventDefault(); return; }
    button.dataset.sent = "1";
    button.setAttribute("aria-disabled", "true");
    button.classList.add("disabled");
  });
  update();
  const errors = document.getElementById("form-errors");
  if (errors) errors.focus();
})();
