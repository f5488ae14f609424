// Helpers every console page uses. User data only ever reaches the page as text
// (textContent, never innerHTML), so a state's input cannot become markup.
"use strict";

window.statewise = (function () {
  async function request(method, url, body) {
    const init = {
      method,
      credentials: "same-origin",
      // The server refuses console POSTs without this header (cross-site requests cannot send it).
      headers: { "X-Statewise-Console": "1" },
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    let data = null;
    try {
      data = await response.json();
    } catch (ignored) {
      data = null;
    }
    if (response.status === 401) {
      location.href = "/console/login?next=" + encodeURIComponent(location.pathname + location.search);
    }
    if (!response.ok) {
      const failure = new Error((data && data.message) || response.statusText);
      failure.code = data && data.error;
      failure.status = response.status;
      throw failure;
    }
    return data;
  }

  // el("div", {class: "x", text: "y", data: {a: 1}}, child...)
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "text") node.textContent = String(value);
      else if (key === "class") node.className = value;
      else if (key === "data") Object.assign(node.dataset, value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function pretty(text) {
    if (text === null || text === undefined) return "";
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch (ignored) {
      return String(text);
    }
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "";
    if (seconds < 1) return Math.round(seconds * 1000) + " ms";
    if (seconds < 60) return seconds.toFixed(1) + " s";
    let rest = Math.floor(seconds);
    const secs = rest % 60;
    rest = Math.floor(rest / 60);
    const minutes = rest % 60;
    rest = Math.floor(rest / 60);
    const hours = rest % 24;
    const days = Math.floor(rest / 24);
    if (days) return days + " d " + hours + " h";
    return hours ? hours + " h " + minutes + " m" : minutes + " m " + secs + " s";
  }

  function timestamp(epochSeconds) {
    if (epochSeconds === null || epochSeconds === undefined) return "";
    return new Date(epochSeconds * 1000).toISOString().replace("T", " ").replace("Z", " UTC");
  }

  // {ok, message}: whether text is JSON, with the parser's own explanation when it is not.
  function checkJson(text) {
    try {
      JSON.parse(text);
      return { ok: true, message: "Valid JSON" };
    } catch (problem) {
      return { ok: false, message: "Invalid JSON: " + problem.message };
    }
  }

  function setStatusBadge(node, status) {
    node.textContent = status;
    node.className = node.className.replace(/\bst-[a-z_]+/g, "").trim() + " st-" + status.toLowerCase();
  }

  return {
    get: (url) => request("GET", url),
    post: (url, body) => request("POST", url, body === undefined ? {} : body),
    el,
    pretty,
    duration,
    timestamp,
    checkJson,
    setStatusBadge,
  };
})();
