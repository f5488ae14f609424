// The events tab: a virtual list, so 25,000 events cost only the rows on screen. Rows are
// fetched a page at a time as they scroll into view; ids run 1..total without gaps.
"use strict";

(function () {
  const ROW = 28;
  const PAGE = 500;
  const sw = window.statewise;

  function detailsOf(event) {
    for (const [key, value] of Object.entries(event)) {
      if (key.endsWith("EventDetails")) return value;
    }
    return null;
  }

  class EventList {
    constructor(base, startDate) {
      this.base = base;
      this.startDate = startDate;
      this.scroll = document.getElementById("event-scroll");
      this.spacer = document.getElementById("event-spacer");
      this.detail = document.getElementById("event-detail");
      this.pages = new Map(); // page number -> events, or null while loading
      this.rows = new Map(); // event index -> row element
      this.total = 0;
      this.visible = false;
      this.scroll.addEventListener("scroll", () => this.render());
    }

    show() {
      this.visible = true;
      this.render();
    }

    update(total) {
      if (total !== this.total) {
        // The last page may have grown: fetch it again when it is on screen.
        const last = Math.floor(Math.max(this.total - 1, 0) / PAGE);
        this.pages.delete(last);
        for (const [index, row] of this.rows) {
          if (Math.floor(index / PAGE) === last) {
            row.remove();
            this.rows.delete(index);
          }
        }
      }
      this.total = total;
      this.spacer.style.height = total * ROW + "px";
      this.render();
    }

    ensure(page) {
      if (this.pages.has(page)) return;
      this.pages.set(page, null);
      sw.get(this.base + "/events?after=" + page * PAGE + "&limit=" + PAGE)
        .then((data) => {
          this.pages.set(page, data.events);
          for (let i = page * PAGE; i < (page + 1) * PAGE; i++) {
            const row = this.rows.get(i);
            if (row && row.classList.contains("loading")) {
              row.remove();
              this.rows.delete(i);
            }
          }
          this.render();
        })
        .catch(() => this.pages.delete(page));
    }

    render() {
      if (!this.visible) return;
      const top = this.scroll.scrollTop;
      const height = this.scroll.clientHeight || 600;
      const first = Math.max(0, Math.floor(top / ROW) - 8);
      const last = Math.min(this.total, Math.ceil((top + height) / ROW) + 8);
      for (const [index, row] of this.rows) {
        if (index < first || index >= last) {
          row.remove();
          this.rows.delete(index);
        }
      }
      for (let index = first; index < last; index++) {
        if (this.rows.has(index)) continue;
        const page = Math.floor(index / PAGE);
        this.ensure(page);
        const events = this.pages.get(page);
        const event = events ? events[index - page * PAGE] : null;
        const row = event ? this.row(event) : sw.el("div", { class: "event-row loading" }, sw.el("span", { text: index + 1 }), sw.el("span", { text: "…" }));
        row.style.top = index * ROW + "px";
        this.spacer.appendChild(row);
        this.rows.set(index, row);
      }
    }

    row(event) {
      const details = detailsOf(event);
      const rest = details ? Object.assign({}, details) : null;
      if (rest) {
        delete rest.name;
        // "truncated: false" on every payload is noise in a one-line summary.
        for (const key of Object.keys(rest)) if (key.endsWith("Details")) delete rest[key];
      }
      let summary = rest && Object.keys(rest).length ? JSON.stringify(rest) : "";
      if (summary.length > 200) summary = summary.slice(0, 199) + "…";
      const failure = /Failed|TimedOut|Aborted/.test(event.type);
      const row = sw.el(
        "div",
        { class: "event-row" + (failure ? " failure" : ""), data: { id: event.id, type: event.type }, tabindex: 0 },
        sw.el("span", { text: event.id }),
        sw.el("span", { class: "type", text: event.type }),
        sw.el("span", { text: details && details.name ? details.name : "" }),
        sw.el("span", { text: sw.duration(Math.max(0, event.timestamp - this.startDate)) }),
        sw.el("span", { class: "summary", text: summary }),
      );
      row.addEventListener("click", () => {
        this.detail.textContent = JSON.stringify(event, null, 2);
        this.detail.hidden = false;
      });
      return row;
    }
  }

  window.EventList = EventList;
})();
