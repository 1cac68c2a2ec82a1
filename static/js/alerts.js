// Alert dashboard: refreshes itself without losing the row in front of the user. A row that
// holds the focus or has its actions open is kept as it is; every other row is replaced.
(function () {
  const live = document.getElementById("alerts-live");
  if (!live) return;
  const seconds = Number(live.dataset.refreshSeconds || 15);
  const stamp = document.getElementById("alerts-refreshed");

  // When each row was last acted on (acknowledge, resolve...): a refresh fetched before that
  // moment is older than the row on screen and must not put the old state back (a race seen
  // under load: a resolved row returned to "Acknowledged").
  const actedAt = new Map();
  function noteAction(event) {
    const row = event.target.closest && event.target.closest("tr[data-alert]");
    if (row) actedAt.set(row.dataset.alert, Date.now());
  }
  document.body.addEventListener("htmx:beforeRequest", noteAction);
  document.body.addEventListener("htmx:afterRequest", noteAction);

  function busy(row, fetchedAt) {
    return row.contains(document.activeElement) || row.querySelector("details[open]") !== null ||
      row.classList.contains("htmx-request") || (actedAt.get(row.dataset.alert) || 0) >= fetchedAt;
  }

  function merge(html, fetchedAt) {
    const next = new DOMParser().parseFromString(`<div>${html}</div>`, "text/html").body.firstChild;
    const counts = next.querySelector("#alert-counts");
    if (counts) document.getElementById("alert-counts").replaceWith(counts);
    const body = document.getElementById("alerts-rows");
    const kept = new Map();
    body.querySelectorAll("tr[data-alert]").forEach((row) => { if (busy(row, fetchedAt)) kept.set(row.dataset.alert, row); });
    const fresh = next.querySelector("#alerts-rows");
    fresh.querySelectorAll("tr[data-alert]").forEach((row) => {
      const old = kept.get(row.dataset.alert);
      if (old) { row.replaceWith(old); kept.delete(row.dataset.alert); }
      else if (!body.querySelector(`tr[data-alert="${row.dataset.alert}"]`)) row.classList.add("alert-new");
    });
    kept.forEach((row) => fresh.appendChild(row));  // a busy row that left the list stays put
    body.replaceWith(fresh);
    if (window.htmx) window.htmx.process(fresh);
    if (stamp) stamp.textContent = `Updated ${new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })}`;
  }

  async function refresh() {
    const fetchedAt = Date.now();
    try {
      // Marked as a background refresh: it is not activity, so an unattended screen's session
      // ends after its idle time (the server answers 401 then).
      const response = await fetch(live.dataset.rowsUrl, {
        headers: { "X-Requested-With": "fetch", "X-Taperapp-Background": "1" },
        credentials: "same-origin",
      });
      if (response.status === 401 || response.status === 403 || response.redirected) { sessionEnded(); return; }
      if (!response.ok) { if (stamp) stamp.textContent = "Not updated: the server answered an error, retrying"; return; }
      merge(await response.text(), fetchedAt);
    } catch (error) {
      if (stamp) stamp.textContent = "Not updated: connection lost, retrying";
    }
  }
  // The session is over: no stale alerts and no buttons that would fail; say so plainly.
  function sessionEnded() {
    clearInterval(timer);
    const notice = document.createElement("div");
    notice.className = "alert alert-warning";
    notice.setAttribute("role", "alert");
    notice.id = "session-ended";
    const text = document.createElement("p");
    text.className = "mb-2 fw-semibold";
    text.textContent = "Your session has ended, so these alerts are no longer shown: they may have changed.";
    const link = document.createElement("a");
    link.className = "btn btn-primary";
    link.href = `/accounts/login/?next=${encodeURIComponent(window.location.pathname + window.location.search)}`;
    link.textContent = "Sign in again";
    notice.append(text, link);
    live.replaceChildren(notice);
    // Nothing left that reflects the old state: counts, the nav badge, the filters.
    ["alert-counts", "alert-badge"].forEach((id) => { const el = document.getElementById(id); if (el) el.remove(); });
    document.querySelectorAll("form[aria-label='Filter alerts']").forEach((form) => form.remove());
    if (stamp) stamp.textContent = "Session ended";
    document.title = "Session ended · taperapp";
  }
  const timer = setInterval(refresh, seconds * 1000);
})();
