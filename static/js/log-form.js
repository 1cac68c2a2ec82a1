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

  // "CIWA-B not assessed": an event-only log. The items are set aside (not zero) and the
  // reason is asked for; unticking brings the scores back.
  const notAssessed = document.getElementById("id_items_not_assessed");
  const reasonBox = form.querySelector(".not-assessed-reason");
  const table = document.getElementById("ciwa-items");
  function toggleNotAssessed() {
    const off = notAssessed.checked;
    reasonBox.hidden = !off;
    // Set aside, not greyed out: nothing to read or tab through while the items do not apply.
    table.hidden = off;
    table.querySelectorAll("input[type=radio]").forEach((radio) => { radio.disabled = off; });
    totalEl.textContent = off ? "—" : totalEl.textContent;
    if (off) {
      bandEl.textContent = "not assessed";
      bandEl.className = "badge text-bg-secondary ms-1";
    } else {
      update();
    }
  }
  if (notAssessed) {
    notAssessed.addEventListener("change", () => {
      toggleNotAssessed();
      if (notAssessed.checked) document.getElementById("id_items_not_assessed_reason").focus();
    });
    toggleNotAssessed();
  }

  // The dose taken, against the plan's dose on the assessment's day: said as it is typed.
  const dose = document.getElementById("id_dose_taken_mg");
  const doseWarning = document.getElementById("dose-warning");
  const assessedAt = document.getElementById("id_assessed_at");
  function checkDose() {
    if (!dose || !dose.dataset.plannedDoses) return;
    const planned = JSON.parse(dose.dataset.plannedDoses)[(assessedAt.value || "").slice(0, 10)];
    const taken = Number(dose.value.replace(",", "."));
    doseWarning.textContent = "";
    doseWarning.className = "small mt-1";
    if (planned === undefined || dose.value.trim() === "" || Number.isNaN(taken)) return;
    const plan = Number(planned);
    // The clinic's pace and the rule's tolerance, from the server (symptoms/clinical.py).
    const pace = Number(dose.dataset.pacePercent || "25");
    const tolerance = Number(dose.dataset.toleranceMg || "0.001");
    let message = "";
    if (taken > plan + tolerance) message = `More than the planned ${plan} mg for that day.`;
    else if (plan > 0 && taken <= tolerance) message = `Nothing taken against a planned ${plan} mg: an abrupt stop (withdrawal risk).`;
    else if (plan > 0 && (plan - taken) / plan > pace / 100) message = `More than ${pace}% below the planned ${plan} mg: faster than the guideline pace.`;
    if (message) {
      doseWarning.textContent = message;
      doseWarning.className = "small mt-1 text-danger-emphasis fw-semibold";
    } else {
      doseWarning.textContent = `Planned ${plan} mg for that day.`;
    }
  }
  if (dose) {
    dose.addEventListener("input", checkDose);
    assessedAt.addEventListener("change", checkDose);
    checkDose();
  }

  form.addEventListener("change", () => { if (!notAssessed || !notAssessed.checked) update(); });
  form.addEventListener("submit", (event) => {
    const button = form.querySelector("[data-submit-once]");
    if (button.dataset.sent) { event.preventDefault(); return; }
    button.dataset.sent = "1";
    button.setAttribute("aria-disabled", "true");
    button.classList.add("disabled");
  });
  update();
  // Keyboard entry is live from here (the browser tests wait for it before typing).
  form.dataset.enhanced = "true";
  const errors = document.getElementById("form-errors");
  if (errors) errors.focus();
})();
