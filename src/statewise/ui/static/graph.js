// The workflow graph: dagre lays out each scope (the machine, each Parallel branch, each
// Map processor) on its own, inside out, so a container is a node of its children's size
// in its parent's layout; SVG draws it, with zoom and pan. Node ids are JSON pointers.
"use strict";

(function () {
  const NS = "http://www.w3.org/2000/svg";
  const NODE_H = 36;
  const CHAR_W = 7.3;
  const MIN_W = 96;
  const MAX_W = 260;
  const PAD = 16;
  const HEADER = 32;
  const GAP = 22;
  const TERMINAL = { width: 64, height: 26 };
  const STATUSES = ["succeeded", "failed", "caught", "running", "aborted", "none"];

  function svg(tag, attrs, parent) {
    const node = document.createElementNS(NS, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    if (parent) parent.appendChild(node);
    return node;
  }

  function text(parent, x, y, content, cls) {
    const node = svg("text", { x, y, class: cls || "" }, parent);
    node.textContent = content;
    return node;
  }

  function clip(label, width) {
    const room = Math.max(4, Math.floor((width - 20) / CHAR_W));
    return label.length > room ? label.slice(0, room - 1) + "…" : label;
  }

  function widthFor(label) {
    return Math.min(MAX_W, Math.max(MIN_W, label.length * CHAR_W + 2 * PAD));
  }

  function heading(node) {
    return node.type + ": " + node.name;
  }

  // Lay out one scope; containers first lay out their branches. Only the machine's own
  // scope gets Start and End: inside a container the frame already says where it begins.
  function layout(scope, nested) {
    const g = new dagre.graphlib.Graph({ multigraph: true });
    g.setGraph({ rankdir: "TB", nodesep: 26, ranksep: 36, edgesep: 14, marginx: 12, marginy: 12 });
    g.setDefaultEdgeLabel(() => ({}));
    if (!nested) {
      g.setNode("start", { ...TERMINAL });
      g.setNode("end", { ...TERMINAL });
    }
    const inner = {};
    for (const node of scope.nodes) {
      if (node.branches) {
        const boxes = node.branches.map((branch) => layout(branch, true));
        let x = PAD;
        let height = 0;
        for (const box of boxes) {
          box.x = x;
          x += box.width + GAP;
          height = Math.max(height, box.height);
        }
        const content = x - GAP + PAD;
        const width = Math.max(content, heading(node).length * CHAR_W + 110);
        const shift = (width - content) / 2;
        for (const box of boxes) box.x += shift;
        inner[node.id] = { boxes, height };
        g.setNode(node.id, { width, height: HEADER + height + PAD });
      } else {
        g.setNode(node.id, { width: widthFor(node.name), height: NODE_H });
      }
    }
    scope.edges.forEach((edge, index) => {
      if (nested && (edge.from === "start" || edge.to === "end")) return;
      if (!edge.to) {
        // A transition to a state that does not exist: drawn to a ghost, so the problem shows.
        if (edge.missing === undefined) return;
        edge.to = "missing:" + edge.from + ":" + edge.missing;
        g.setNode(edge.to, { width: widthFor("missing " + edge.missing), height: NODE_H, missing: edge.missing });
      }
      const attrs = { minlen: 1, weight: edge.kind === "catch" ? 1 : 2 };
      if (edge.label) {
        attrs.width = Math.min(edge.label.length * 6.2 + 12, 300);
        attrs.height = 18;
        attrs.labelpos = "c";
      }
      g.setEdge(edge.from, edge.to, attrs, "e" + index);
    });
    dagre.layout(g);
    const size = g.graph();
    return { scope, g, inner, width: size.width, height: size.height };
  }

  class StateGraph {
    constructor(container, options) {
      this.container = container;
      this.options = options || {};
      this.view = { x: 0, y: 0, k: 1 };
      this.nodes = new Map(); // id -> <g>
      this.byName = new Map(); // state name -> id
      this.edges = new Map(); // "from->to" -> [<path>]
      this.notes = new Map(); // container id -> <text>
      this.container.classList.add("graph-host");
      this.svg = svg("svg", { class: "graph-svg", role: "img", "aria-label": "Workflow graph" });
      this.defs = svg("defs", {}, this.svg);
      for (const kind of ["next", "choice", "default", "catch", "taken"]) {
        const marker = svg(
          "marker",
          { id: "arrow-" + kind, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 9, markerHeight: 9, markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" },
          this.defs,
        );
        svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow arrow-" + kind }, marker);
      }
      this.viewport = svg("g", { class: "viewport" }, this.svg);
      container.appendChild(this.svg);
      this.controls();
      this.panning();
    }

    controls() {
      const bar = document.createElement("div");
      bar.className = "graph-controls";
      const button = (label, title, action) => {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = label;
        b.title = title;
        b.addEventListener("click", action);
        bar.appendChild(b);
      };
      button("+", "Zoom in", () => this.zoomBy(1.25));
      button("−", "Zoom out", () => this.zoomBy(0.8));
      button("Fit", "Fit the whole graph", () => this.fit(true));
      button("1:1", "Actual size", () => this.zoomTo(1));
      this.container.appendChild(bar);
    }

    panning() {
      let drag = null;
      this.moved = false;
      this.svg.addEventListener("pointerdown", (event) => {
        if (event.button !== 0) return;
        drag = { x: event.clientX, y: event.clientY, vx: this.view.x, vy: this.view.y };
        this.moved = false;
      });
      window.addEventListener("pointermove", (event) => {
        if (!drag) return;
        const dx = event.clientX - drag.x;
        const dy = event.clientY - drag.y;
        if (Math.abs(dx) + Math.abs(dy) > 4) this.moved = true;
        if (this.moved) {
          this.svg.classList.add("dragging");
          this.view.x = drag.vx + dx;
          this.view.y = drag.vy + dy;
          this.apply();
        }
      });
      window.addEventListener("pointerup", () => {
        drag = null;
        this.svg.classList.remove("dragging");
      });
      // A drag must not also count as a click on the state under the pointer.
      this.svg.addEventListener("click", (event) => {
        if (this.moved) {
          event.stopPropagation();
          this.moved = false;
        }
      }, true);
      this.svg.addEventListener("wheel", (event) => {
        event.preventDefault();
        const rect = this.svg.getBoundingClientRect();
        const factor = Math.exp(-event.deltaY * 0.0015);
        this.zoomBy(factor, event.clientX - rect.left, event.clientY - rect.top);
      }, { passive: false });
    }

    apply() {
      const { x, y, k } = this.view;
      this.viewport.setAttribute("transform", `translate(${x},${y}) scale(${k})`);
      this.container.dataset.zoom = k.toFixed(3);
    }

    zoomBy(factor, cx, cy) {
      const k = Math.min(4, Math.max(0.1, this.view.k * factor));
      const px = cx === undefined ? this.container.clientWidth / 2 : cx;
      const py = cy === undefined ? this.container.clientHeight / 2 : cy;
      this.view.x = px - ((px - this.view.x) * k) / this.view.k;
      this.view.y = py - ((py - this.view.y) * k) / this.view.k;
      this.view.k = k;
      this.apply();
    }

    zoomTo(k) {
      this.zoomBy(k / this.view.k);
    }

    // Fit the graph; a very large one is shown readable from its start instead (whole=false).
    fit(whole) {
      if (!this.size) return;
      const w = this.container.clientWidth || 800;
      const h = this.container.clientHeight || 500;
      let k = Math.min(w / this.size.width, h / this.size.height, 1.2);
      let top = (h - this.size.height * k) / 2;
      let left = (w - this.size.width * k) / 2;
      if (!whole && k < 0.55) {
        // Too big to read whole: open at the Start, legible, and let the user pan from there.
        k = 0.8;
        const start = this.startAt || { x: this.size.width / 2, y: 0 };
        left = w / 2 - start.x * k;
        top = 8 - Math.max(0, start.y - 20) * k;
      }
      this.view = { k, x: left, y: top };
      this.apply();
    }

    render(graph, keepView) {
      this.viewport.replaceChildren();
      this.nodes.clear();
      this.byName.clear();
      this.edges.clear();
      this.notes.clear();
      this.graph = graph;
      const root = layout(graph, false);
      this.size = { width: root.width, height: root.height };
      this.draw(root, this.viewport, 0, 0);
      this.container.dataset.nodes = String(this.nodes.size);
      // Keep the user's zoom while editing unless the set of states changed.
      const shape = Array.from(this.nodes.keys()).join("\n");
      if (keepView && shape === this.shape) this.apply();
      else this.fit(false);
      this.shape = shape;
    }

    draw(box, parent, ox, oy) {
      const layer = svg("g", { class: "scope" }, parent);
      const edgeLayer = svg("g", { class: "edges" }, layer);
      const nodeLayer = svg("g", { class: "nodes" }, layer);
      const byId = new Map(box.scope.nodes.map((n) => [n.id, n]));
      for (const ref of box.g.edges()) {
        const data = box.g.edge(ref);
        const edge = box.scope.edges[Number(ref.name.slice(1))];
        const points = data.points.map((p) => `${(ox + p.x).toFixed(1)},${(oy + p.y).toFixed(1)}`);
        const path = svg("path", {
          d: "M" + points.join(" L"),
          class: "edge edge-" + edge.kind,
          "marker-end": `url(#arrow-${edge.kind})`,
          "data-from": edge.from,
          "data-to": edge.to,
        }, edgeLayer);
        const key = edge.from + "->" + edge.to;
        if (!this.edges.has(key)) this.edges.set(key, []);
        this.edges.get(key).push(path);
        if (edge.label && data.x !== undefined) {
          const label = svg("g", { class: "edge-label edge-label-" + edge.kind }, edgeLayer);
          const w = data.width;
          svg("rect", { x: ox + data.x - w / 2, y: oy + data.y - 9, width: w, height: 18, rx: 4 }, label);
          text(label, ox + data.x, oy + data.y + 4, edge.label);
          svg("title", {}, label).textContent = edge.title || edge.label;
        }
      }
      for (const id of box.g.nodes()) {
        const n = box.g.node(id);
        const x = ox + n.x - n.width / 2;
        const y = oy + n.y - n.height / 2;
        if (n.missing !== undefined) {
          const group = svg("g", { class: "ghost", "data-missing": n.missing }, nodeLayer);
          svg("rect", { x, y, width: n.width, height: n.height, rx: 6 }, group);
          text(group, x + n.width / 2, y + n.height / 2 + 4, clip("missing " + n.missing, n.width));
          svg("title", {}, group).textContent = "No state is named " + n.missing;
          continue;
        }
        if (id === "start") this.startAt = { x: ox + n.x, y: oy + n.y }; // only the machine has one
        if (id === "start" || id === "end") {
          const group = svg("g", { class: "terminal", "data-terminal": id }, nodeLayer);
          svg("rect", { x, y, width: n.width, height: n.height, rx: n.height / 2 }, group);
          text(group, x + n.width / 2, y + n.height / 2 + 4, id === "start" ? "Start" : "End");
          continue;
        }
        const node = byId.get(id);
        const group = svg("g", {
          class: "node st-none" + (node.branches ? " container container-" + node.type.toLowerCase() : ""),
          "data-id": id,
          "data-state": node.name,
          "data-type": node.type,
          "data-status": "none",
          tabindex: 0,
        }, nodeLayer);
        svg("title", {}, group).textContent = node.name + " (" + node.type + ")" + (node.comment ? "\n" + node.comment : "");
        svg("rect", { x, y, width: n.width, height: n.height, rx: node.branches ? 8 : 6, class: "shape" }, group);
        if (node.branches) {
          text(group, x + 12, y + 20, clip(heading(node), n.width - 80), "heading");
          if (node.type === "Map") this.notes.set(id, text(group, x + n.width - 12, y + 20, "", "note"));
          const { boxes } = box.inner[id];
          boxes.forEach((inner, index) => {
            svg("rect", {
              x: x + inner.x, y: y + HEADER, width: inner.width, height: inner.height, rx: 6,
              class: "branch", "data-branch": index,
            }, group);
            this.draw(inner, group, x + inner.x, y + HEADER);
          });
        } else {
          text(group, x + n.width / 2, y + n.height / 2 + 4, clip(node.name, n.width), "label");
        }
        if (!this.nodes.has(id)) this.nodes.set(id, group);
        if (!this.byName.has(node.name)) this.byName.set(node.name, id);
        const pick = (event) => {
          event.stopPropagation();
          this.select(id);
          if (this.options.onSelect) this.options.onSelect(node);
        };
        group.addEventListener("click", pick);
        group.addEventListener("keydown", (event) => {
          if (event.key === "Enter" || event.key === " ") pick(event);
        });
      }
    }

    idOf(name) {
      return this.byName.get(name);
    }

    reset() {
      for (const group of this.nodes.values()) this.setStatus(group.dataset.id, "none");
      for (const paths of this.edges.values()) paths.forEach((p) => p.classList.remove("taken"));
      for (const note of this.notes.values()) note.textContent = "";
    }

    setStatus(id, status) {
      const group = this.nodes.get(id);
      if (!group) return;
      for (const s of STATUSES) group.classList.remove("st-" + s);
      group.classList.add("st-" + status);
      group.dataset.status = status;
    }

    markEdge(from, to) {
      for (const path of this.edges.get(from + "->" + to) || []) {
        path.classList.add("taken");
        path.setAttribute("marker-end", "url(#arrow-taken)");
      }
    }

    setNote(id, content) {
      const note = this.notes.get(id);
      if (note) note.textContent = content;
    }

    select(id) {
      for (const group of this.nodes.values()) group.classList.remove("selected");
      const group = this.nodes.get(id);
      if (group) group.classList.add("selected");
    }

    // problems: Map of node id -> [message]; other nodes are cleared.
    markProblems(problems) {
      for (const [id, group] of this.nodes) {
        const messages = problems.get(id);
        group.classList.toggle("invalid", Boolean(messages));
        const old = group.querySelector(":scope > .badge-problem");
        if (old) old.remove();
        if (messages) {
          const rect = group.querySelector(":scope > rect.shape");
          const x = Number(rect.getAttribute("x")) + Number(rect.getAttribute("width"));
          const y = Number(rect.getAttribute("y"));
          const badge = svg("g", { class: "badge-problem" }, group);
          svg("circle", { cx: x, cy: y, r: 9 }, badge);
          text(badge, x, y + 4, "!");
          svg("title", {}, badge).textContent = messages.join("\n");
        }
      }
    }

    reveal(id) {
      const group = this.nodes.get(id);
      if (!group) return;
      const rect = group.querySelector("rect.shape");
      const cx = Number(rect.getAttribute("x")) + Number(rect.getAttribute("width")) / 2;
      const cy = Number(rect.getAttribute("y")) + Number(rect.getAttribute("height")) / 2;
      this.view.x = this.container.clientWidth / 2 - cx * this.view.k;
      this.view.y = this.container.clientHeight / 2 - cy * this.view.k;
      this.apply();
    }
  }

  window.StateGraph = StateGraph;
})();
