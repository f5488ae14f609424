// The definition editor: every change is validated by the server as CreateStateMachine
// would, and each problem is drawn on the state it is in.
"use strict";

(function () {
  const sw = window.statewise;
  const main = document.querySelector("main");
  const machine = main.dataset.machine;
  const textarea = document.getElementById("definition");
  const list = document.getElementById("problems");
  const validity = document.getElementById("validity");
  const failure = document.getElementById("save-error");
  const graph = new StateGraph(document.getElementById("graph"), {});
  let timer = null;
  let drawn = false;
  let sequence = 0;

  function type() {
    const select = document.getElementById("machine-type");
    return select ? select.value : main.dataset.type;
  }

  async function check() {
    const mine = ++sequence;
    let result;
    try {
      result = await sw.post("/console/api/validate", { definition: textarea.value, type: type() });
    } catch (problem) {
      validity.textContent = problem.message;
      return;
    }
    if (mine !== sequence) return; // a newer check is on its way
    graph.render(result.graph, drawn);
    drawn = true;
    const byNode = new Map();
    list.replaceChildren();
    for (const d of result.diagnostics) {
      if (d.node) {
        if (!byNode.has(d.node)) byNode.set(d.node, []);
        byNode.get(d.node).push(d.code + ": " + d.message);
      }
      const item = sw.el(
        "li",
        { class: "problem-item", data: { code: d.code, location: d.location, node: d.node || "" }, tabindex: 0 },
        sw.el("code", { text: d.code }), " at ", sw.el("code", { text: d.location }), ": " + d.message,
      );
      if (d.node) {
        item.addEventListener("click", () => {
          graph.select(d.node);
          graph.reveal(d.node);
        });
      }
      list.append(item);
    }
    if (!result.diagnostics.length) list.append(sw.el("li", { class: "muted", text: "No problems: the definition is valid." }));
    graph.markProblems(byNode);
    const count = result.diagnostics.length;
    validity.textContent = count ? count + (count === 1 ? " problem" : " problems") : "Valid";
    validity.className = "badge " + (count ? "st-failed" : "st-succeeded");
    main.dataset.problems = String(count);
  }

  textarea.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  });
  const typeSelect = document.getElementById("machine-type");
  if (typeSelect) typeSelect.addEventListener("change", check);

  document.getElementById("save").addEventListener("click", async () => {
    failure.hidden = true;
    try {
      let name = machine;
      if (machine) {
        await sw.post("/console/api/state-machines/" + encodeURIComponent(machine), { definition: textarea.value });
      } else {
        name = document.getElementById("machine-name").value.trim();
        const created = await sw.post("/console/api/state-machines", { name, type: type(), definition: textarea.value });
        name = created.name;
      }
      location.href = "/console/state-machines/" + encodeURIComponent(name);
    } catch (problem) {
      failure.textContent = (problem.code ? problem.code + ": " : "") + problem.message;
      failure.hidden = false;
    }
  });

  check();
})();
