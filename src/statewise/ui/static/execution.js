// An execution's page: the graph coloured by what each state did, the selected state's
// details, Map iterations by index, the events tab, and polling while it runs.
"use strict";

(function () {
  const sw = window.statewise;
  const el = sw.el;
  const main = document.querySelector("main");
  const base =
    "/console/api/executions/" + encodeURIComponent(main.dataset.machine) + "/" + encodeURIComponent(main.dataset.execution);
  const panel = document.getElementById("details");
  const bar = document.getElementById("iterations");
  const graph = new StateGraph(document.getElementById("graph"), { onSelect: (node) => choose(node.name, null) });
  let execution = null;
  let lastEventId = -1;
  let byId = new Map();
  let children = new Map(); // parent step id (null: the machine) -> its shown child steps
  let moves = new Map(); // "parent|index" -> [[from, to]] transitions made in that scope
  let displayed = new Map(); // state name -> the visit shown on the graph
  const chosenIteration = new Map(); // Map step id -> iteration index picked by the user
  let selected = null; // {name, visit}
  // Iteration pickers shown above the graph; a machine with more Maps offers the rest in
  // the details panel of each Map.
  const BAR_MAPS = 3;
  let barred = 0;
  let events = null;

  function defaultIteration(step) {
    const iterations = step.iterations || [];
    const failed = iterations.find((i) => i.status === "failed");
    if (failed) return failed.index;
    const running = iterations.find((i) => i.status === "running");
    return running ? running.index : 0;
  }

  function iterationOf(step) {
    return chosenIteration.has(step.id) ? chosenIteration.get(step.id) : defaultIteration(step);
  }

  function apply(summary) {
    execution = summary.execution;
    lastEventId = summary.lastEventId;
    byId = new Map(summary.steps.map((s) => [s.id, s]));
    children = new Map();
    for (const step of summary.steps) {
      if (!children.has(step.parent)) children.set(step.parent, []);
      children.get(step.parent).push(step);
    }
    moves = new Map();
    for (const [parent, index, from, to] of summary.transitions) {
      const key = parent + "|" + index;
      if (!moves.has(key)) moves.set(key, []);
      moves.get(key).push([from, to]);
    }
    paint();
    header(summary.now);
    if (events) events.update(lastEventId);
    if (selected) choose(selected.name, selected.visit, true);
  }

  function paint() {
    graph.reset();
    displayed = new Map();
    bar.replaceChildren();
    barred = 0;
    walk(null, null);
    if (barred > BAR_MAPS) bar.append(el("span", { class: "muted", text: `${barred - BAR_MAPS} more Map states: select one to pick its iteration` }));
  }

  // Colour one scope instance: the machine, a Parallel visit (all branches), or one Map
  // iteration (index). The server sends only the last visit of each state per instance.
  function walk(parent, index) {
    const list = (children.get(parent) || []).filter((s) => index === null || s.index === index);
    const scopes = new Set(list.map((s) => parent + "|" + (parent === null ? null : s.index)));
    for (const key of scopes) {
      for (const [from, to] of moves.get(key) || []) graph.markEdge(from === null ? "start" : graph.idOf(from), graph.idOf(to));
    }
    for (const step of list) {
      if (step.status === "succeeded") graph.markEdge(graph.idOf(step.name), "end");
      displayed.set(step.name, step);
      const id = graph.idOf(step.name);
      graph.setStatus(id, step.status);
      if (step.type === "Map") {
        const chosen = iterationOf(step);
        const count = step.length === null || step.length === undefined ? (step.iterations || []).length : step.length;
        graph.setNote(id, count ? `#${chosen} of ${count}` : "no items");
        if (barred < BAR_MAPS) bar.append(iterationPicker(step, chosen, "bar"));
        barred += 1;
        walk(step.id, chosen);
      } else if (step.type === "Parallel") {
        walk(step.id, null);
      }
    }
  }

  function iterationPicker(step, chosen, where) {
    const iterations = step.iterations || [];
    const label = el("label", { class: "iteration-picker" }, step.name + " iteration ");
    let control;
    if (iterations.length > 500) {
      control = el("input", { type: "number", min: 0, max: iterations.length - 1, value: chosen });
    } else {
      control = el("select", {});
      for (const it of iterations) {
        control.append(el("option", { value: it.index, text: `${it.index} (${it.status})`, selected: it.index === chosen }));
      }
    }
    control.dataset.map = step.name;
    control.dataset.where = where;
    control.addEventListener("change", () => {
      chosenIteration.set(step.id, Number(control.value));
      paint();
      if (selected) choose(selected.name, null, true);
    });
    label.append(control);
    return label;
  }

  function header(now) {
    const status = document.getElementById("status");
    sw.setStatusBadge(status, execution.status);
    main.dataset.status = execution.status;
    document.getElementById("stop-open").hidden = execution.status !== "RUNNING";
    const end = execution.stopDate || now;
    document.getElementById("elapsed").textContent = sw.duration(end - execution.startDate);
    document.getElementById("stop-date").textContent = execution.stopDate ? sw.timestamp(execution.stopDate) : "–";
    document.getElementById("event-count").textContent = String(lastEventId);
    const box = document.getElementById("execution-error");
    box.hidden = !execution.error && !execution.cause;
    document.getElementById("execution-error-name").textContent = execution.error || "";
    document.getElementById("execution-cause").textContent = execution.cause || "";
    document.getElementById("execution-output").textContent = sw.pretty(execution.output);
  }

  function section(title, content, id) {
    return el("section", { class: "io-block" }, el("h4", { text: title }), el("pre", { class: "json", id, text: content }));
  }

  // Show a state's details: the visit on the graph, or another visit picked by id.
  async function choose(name, visitId, refresh) {
    const id = graph.idOf(name);
    graph.select(id);
    const shown = displayed.get(name);
    const stepId = visitId !== null && shown && shown.visits.includes(visitId) ? visitId : shown ? shown.id : null;
    selected = { name, visit: visitId };
    if (stepId === null) {
      const node = graph.nodes.get(id);
      panel.replaceChildren(
        el("h3", { text: name }),
        el("p", { class: "muted", text: (node ? node.dataset.type : "") + " · not reached" }),
        el("p", { text: "This state was not reached in this execution (or in the selected iteration)." }),
      );
      panel.dataset.state = name;
      panel.dataset.status = "none";
      return;
    }
    let detail;
    try {
      detail = await sw.get(base + "/steps/" + stepId);
    } catch (problem) {
      if (!refresh) panel.replaceChildren(el("p", { class: "problem", text: problem.message }));
      return;
    }
    if (!selected || selected.name !== name) return;
    const facts = el("dl", { class: "facts compact" });
    const fact = (term, value, key) => {
      if (value === null || value === undefined || value === "") return;
      facts.append(el("dt", { text: term }), el("dd", { text: value, data: { fact: key } }));
    };
    fact("Status", detail.status, "status");
    fact("Started", sw.timestamp(detail.entered), "started");
    fact("Duration", sw.duration(detail.duration), "duration");
    if (detail.attempts) fact("Attempts", String(detail.attempts), "attempts");
    fact("Retries", String(detail.retries), "retries");
    fact("Resource", detail.resource, "resource");
    const parent = detail.parent === null ? null : byId.get(detail.parent);
    if (parent) fact(parent.type === "Map" ? "Iteration" : "Branch", `${detail.index} of ${parent.name}`, "index");
    const parts = [
      el("h3", { text: name }),
      el("p", { class: "muted" }, el("span", { class: "badge st-" + detail.status, text: detail.status }), " " + detail.type),
      facts,
    ];
    if (shown.visitCount > 1) {
      // The last visits are listed (up to 100); their numbers count every visit.
      const picker = el("select", { "data-visits": name });
      const skipped = shown.visitCount - shown.visits.length;
      shown.visits.forEach((visit, n) => picker.append(el("option", { value: visit, text: `visit ${skipped + n + 1} of ${shown.visitCount}`, selected: visit === stepId })));
      picker.addEventListener("change", () => choose(name, Number(picker.value)));
      parts.push(el("label", { class: "visit-picker" }, "Showing ", picker));
    }
    if (detail.type === "Map" && byId.has(detail.id)) parts.push(iterationPicker(byId.get(detail.id), iterationOf(byId.get(detail.id)), "panel"));
    if (detail.error || detail.cause) {
      parts.push(el("div", { class: "problem step-error" }, el("b", { text: detail.error || "" }), " ", el("span", { class: "cause", text: detail.cause || "" })));
    }
    if (detail.failures && detail.failures.length && detail.retries) {
      const list = el("ol", { class: "attempts" });
      for (const a of detail.failures) list.append(el("li", { text: (a.error || "") + (a.cause ? ": " + a.cause : "") }));
      parts.push(el("h4", { text: "Failed attempts" }), list);
    }
    parts.push(section("Input", sw.pretty(detail.input), "step-input"));
    if (detail.parameters !== undefined && detail.parameters !== null) parts.push(section("Parameters", sw.pretty(detail.parameters), "step-parameters"));
    if (detail.output !== null && detail.output !== undefined) parts.push(section("Output", sw.pretty(detail.output), "step-output"));
    panel.replaceChildren(...parts);
    panel.dataset.state = name;
    panel.dataset.status = detail.status;
  }

  // A long history is analysed in parts; ask until the whole of it is in.
  async function load() {
    for (;;) {
      const summary = await sw.get(base);
      if (!summary.partial) return summary;
      bar.textContent = `Reading the history: ${summary.analysed} of ${summary.total} events…`;
    }
  }

  async function poll() {
    if (!execution || execution.status !== "RUNNING") return;
    try {
      let summary = await sw.get(base + "?since=" + lastEventId);
      if (summary.partial) summary = await load();
      if (!summary.unchanged) apply(summary);
      else if (execution.status === "RUNNING") document.getElementById("elapsed").textContent = sw.duration(Date.now() / 1000 - execution.startDate);
    } catch (ignored) {
      // A failed poll is retried on the next tick.
    }
    if (execution.status === "RUNNING") setTimeout(poll, 1000);
  }

  for (const tab of document.querySelectorAll("[role=tab]")) {
    tab.addEventListener("click", () => {
      for (const other of document.querySelectorAll("[role=tab]")) {
        other.setAttribute("aria-selected", String(other === tab));
        document.getElementById(other.dataset.tab).hidden = other !== tab;
      }
      if (tab.dataset.tab === "events-tab" && events) events.show();
    });
  }

  const dialog = document.getElementById("stop-dialog");
  document.getElementById("stop-open").addEventListener("click", () => dialog.showModal());
  document.getElementById("stop-cancel").addEventListener("click", () => dialog.close());
  document.getElementById("stop-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const problem = document.getElementById("stop-problem");
    try {
      await sw.post(base + "/stop", {
        error: document.getElementById("stop-error-name").value,
        cause: document.getElementById("stop-cause").value,
      });
      dialog.close();
      apply(await load());
    } catch (failure) {
      problem.textContent = failure.message;
      problem.hidden = false;
    }
  });

  Promise.all([sw.get(base + "/graph"), load()])
    .then(([drawn, summary]) => {
      graph.render(drawn.graph);
      events = new EventList(base, summary.execution.startDate);
      apply(summary);
      main.dataset.ready = "true";
      setTimeout(poll, 1000);
    })
    .catch((problem) => panel.replaceChildren(el("p", { class: "problem", text: problem.message })));
})();
