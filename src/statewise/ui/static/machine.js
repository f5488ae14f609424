// A state machine's page: its graph and the start-execution form with JSON checking.
"use strict";

(function () {
  const sw = window.statewise;
  const main = document.querySelector("main");
  const machine = main.dataset.machine;
  const host = document.getElementById("graph");
  const graph = new StateGraph(host, {});
  sw.get(host.dataset.src)
    .then((data) => graph.render(data.graph))
    .catch((problem) => host.append(sw.el("p", { class: "problem", text: problem.message })));

  const dialog = document.getElementById("start-dialog");
  const form = document.getElementById("start-form");
  const input = document.getElementById("start-input");
  const status = document.getElementById("input-status");
  const submit = document.getElementById("start-submit");
  const failure = document.getElementById("start-error");

  function check() {
    const result = sw.checkJson(input.value);
    status.textContent = result.message;
    status.className = "json-status " + (result.ok ? "ok" : "bad");
    input.setAttribute("aria-invalid", String(!result.ok));
    submit.disabled = !result.ok;
    return result.ok;
  }

  document.getElementById("start-open").addEventListener("click", () => {
    failure.hidden = true;
    check();
    dialog.showModal();
    input.focus();
  });
  document.getElementById("start-cancel").addEventListener("click", () => dialog.close());
  input.addEventListener("input", check);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!check()) return;
    submit.disabled = true;
    failure.hidden = true;
    try {
      const started = await sw.post(
        "/console/api/state-machines/" + encodeURIComponent(machine) + "/executions",
        { name: document.getElementById("start-name").value.trim(), input: input.value },
      );
      if (main.dataset.type === "EXPRESS") {
        dialog.close();
        location.reload();
        return;
      }
      location.href = "/console/executions/" + encodeURIComponent(machine) + "/" + encodeURIComponent(started.name);
    } catch (problem) {
      failure.textContent = (problem.code ? problem.code + ": " : "") + problem.message;
      failure.hidden = false;
      submit.disabled = false;
    }
  });
})();
