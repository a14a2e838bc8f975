/* Live code on a chapter page: the "Live code" button (tools/sphinx/live_code.py).
 *
 * Nothing happens until the button is pressed. Then, when the page was served by
 * `make serve` (tools/serve.py), the same-origin /_live/config.json gives the address and
 * token of its Jupyter server; the vendored Thebe (data-assets) starts a kernel, every code
 * cell of the chapter's notebook (data-notebook) runs in order, a cell the page shows
 * becomes an editor whose output replaces the static one, and a cell the page removed runs
 * unseen (it may define what later cells use). Anywhere else (file://, a static host,
 * make serve LIVE=0) the button explains how to make the page live and loads nothing.
 *
 * Every text comes from the button's data-text-* attributes (translated by Sphinx).
 */
(function () {
  "use strict";

  const CONFIG_URL = "/_live/config.json";
  // thebe-core fetches RequireJS from this CDN address the first time a widget class is
  // loaded; the book's own copy answers instead, and nothing else may leave the machine.
  const THEBE_REQUIREJS = "https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.6/require.min.js";
  const STARTING_RETRY_MS = 1000;
  const STARTING_TIMEOUT_MS = 180000;

  // ------------------------------------------------------------------ texts and status

  function text(button, key, values) {
    const name = "text" + key.replace(/(^|-)(\w)/g, (_, dash, letter) => letter.toUpperCase());
    const template = button.dataset[name] || key;
    return template.replace(/\{(\w+)\}/g, (whole, field) =>
      values && field in values ? String(values[field]) : whole);
  }

  function statusBox() {
    let box = document.querySelector("[data-mlcalc-live-status]");
    if (!box) {
      box = document.createElement("div");
      box.setAttribute("data-mlcalc-live-status", "");
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      box.className = "mlcalc-live-status";
      const article = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
      article.prepend(box);
    }
    return box;
  }

  /* Show text `key` in the status box; `code` spans become <code> elements. */
  function show(button, key, values) {
    const box = statusBox();
    box.dataset.state = key;
    box.replaceChildren();
    text(button, key, values).split("`").forEach((part, index) => {
      if (index % 2 === 1) {
        const code = document.createElement("code");
        code.textContent = part;
        box.append(code);
      } else if (part) {
        box.append(document.createTextNode(part));
      }
    });
  }

  // ------------------------------------------------------------------ loading

  function loadScript(src) {
    // Thebe and marked are UMD bundles: with RequireJS on the page (widget pages) they would
    // register as AMD modules instead of globals, so `define` is hidden while they load.
    return new Promise((resolve, reject) => {
      const savedDefine = window.define;
      window.define = undefined;
      const script = document.createElement("script");
      script.src = src;
      script.onload = () => { window.define = savedDefine; resolve(); };
      script.onerror = () => { window.define = savedDefine; reject(new Error("cannot load " + src)); };
      document.head.append(script);
    });
  }

  function loadStylesheet(href) {
    return new Promise((resolve, reject) => {
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = href;
      link.onload = resolve;
      link.onerror = () => reject(new Error("cannot load " + href));
      document.head.append(link);
    });
  }

  async function fetchJson(url) {
    const response = await fetch(url, { cache: "no-store", credentials: "same-origin" });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response.json();
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  /* What /_live/config.json says: {kind: "live", config}, "static", "static-server" or "unreachable". */
  async function liveConfig(button) {
    const deadline = Date.now() + STARTING_TIMEOUT_MS;
    for (;;) {
      let response;
      try {
        response = await fetch(CONFIG_URL, { cache: "no-store", credentials: "same-origin" });
      } catch (error) {
        return { kind: "static" };
      }
      let body = null;
      try {
        body = await response.json();
      } catch (error) {
        return { kind: "static" };  // a static host's 404 page, say
      }
      if (response.status === 503 && body && body.live) {
        if (body.error) return { kind: "unreachable", error: body.error };
        if (Date.now() > deadline) return { kind: "unreachable", error: "the Jupyter server did not start" };
        show(button, "starting");
        await sleep(STARTING_RETRY_MS);
        continue;
      }
      if (!response.ok || !body || typeof body !== "object") return { kind: "static" };
      if (body.live === false) return { kind: "static-server" };
      if (body.live !== true || !body.baseUrl || !body.token) return { kind: "static" };
      return { kind: "live", config: body };
    }
  }

  function isLocal(url) {
    return ["data:", "blob:"].includes(url.protocol)
      || [location.hostname, "127.0.0.1", "localhost"].includes(url.hostname);
  }

  function guardFetch(localRequire) {
    const nativeFetch = window.fetch.bind(window);
    window.fetch = function (resource, init) {
      const url = new URL(resource instanceof Request ? resource.url : String(resource), location.href);
      if (url.href === THEBE_REQUIREJS) return nativeFetch(localRequire, init);
      if (!isLocal(url)) {
        return Promise.reject(new TypeError(`live code does not contact ${url.origin}: the book works offline`));
      }
      return nativeFetch(resource, init);
    };
  }

  // ------------------------------------------------------------------ math and Markdown in outputs

  const MATH = /\$\$([\s\S]+?)\$\$|\$((?:\\.|[^$\\\n])+?)\$/g;

  /* The page's MathJax 3 typesets outputs: $…$ and $$…$$ become \(…\) and \[…\] first. */
  const typesetter = {
    typeset(host) {
      if (!window.MathJax || !window.MathJax.typesetPromise) return;
      const walker = document.createTreeWalker(host, NodeFilter.SHOW_TEXT);
      const texts = [];
      while (walker.nextNode()) {
        if (!walker.currentNode.parentElement.closest("pre, code, script, style")) texts.push(walker.currentNode);
      }
      for (const node of texts) {
        node.textContent = node.textContent.replace(MATH, (whole, display, inline) =>
          display !== undefined ? `\\[${display}\\]` : `\\(${inline}\\)`);
      }
      host.classList.add("mathjax_process");
      window.MathJax.typesetPromise([host]).catch((error) => console.warn("live code: MathJax", error));
    },
  };

  const markdownParser = {
    render: async (source) => window.marked.parse(source, { gfm: true, async: false }),
  };

  // ------------------------------------------------------------------ cells

  /* Every non-empty code cell of the notebook, in order, with its place on the page (if shown). */
  function chapterCells(notebook) {
    const cells = [];
    notebook.cells.forEach((cell, index) => {
      if (cell.cell_type !== "code") return;
      const source = Array.isArray(cell.source) ? cell.source.join("") : String(cell.source);
      if (!source.trim()) return;
      const element = document.querySelector(`.cell.mlcalc-cell-${index}`);
      cells.push({
        index,
        source,
        element,
        input: element ? element.querySelector(".cell_input") : null,
        staticOutput: element ? element.querySelector(".cell_output") : null,
      });
    });
    return cells;
  }

  function setState(cell, state) {
    const target = cell.box || cell.output;
    if (target) target.dataset.mlcalcLiveState = state;
  }

  function firstError(result) {
    if (!result) return "no answer from the kernel";
    const error = result.error && result.error[0];
    return error ? `${error.ename}: ${error.evalue}` : null;
  }

  // ------------------------------------------------------------------ the live page

  async function start(button) {
    if (button.dataset.mlcalcLiveStarted) return;
    if (location.protocol !== "http:" && location.protocol !== "https:") {
      show(button, "static");
      return;
    }
    button.dataset.mlcalcLiveStarted = "true";
    const answer = await liveConfig(button);
    if (answer.kind !== "live") {
      delete button.dataset.mlcalcLiveStarted;
      show(button, answer.kind, { error: answer.error });
      return;
    }
    button.disabled = true;
    show(button, "connecting");
    try {
      await goLive(button, answer.config);
    } catch (error) {
      console.error("live code", error);
      show(button, "unreachable", { error: error && error.message ? error.message : String(error) });
    }
  }

  async function goLive(button, server) {
    const assets = new URL(button.dataset.assets, location.href).href;
    guardFetch(new URL("../require.js", assets).href);
    const [notebook] = await Promise.all([
      fetchJson(button.dataset.notebook),
      loadStylesheet(assets + "thebe.css"),
      loadScript(assets + "marked.min.js").then(() => loadScript(assets + "index.js")),
    ]);
    const cells = chapterCells(notebook);
    const api = window.thebeCore.api;
    const stem = (location.pathname.split("/").pop() || "page").replace(/\.html$/, "").replace(/[^\w-]/g, "");
    const options = {
      useBinder: false,
      useJupyterLite: false,
      requestKernel: true,
      mountRunButton: true,
      mountRunAllButton: false,
      mountRestartButton: false,
      mountRestartAllButton: false,
      // Draw every line (the page's search finds code out of view too).
      codeMirrorConfig: { viewportMargin: Infinity },
      // Never loaded (the typesetter is replaced below); a local address all the same.
      mathjaxUrl: new URL("../mathjax/tex-chtml.js", assets).href,
      serverSettings: { baseUrl: server.baseUrl, wsUrl: server.wsUrl, token: server.token, appendToken: true },
      // A session of its own per page load (its file need not exist); the kernel starts in the
      // server's folder, book/, as in make lab.
      kernelOptions: { kernelName: server.kernelName, path: `/${stem}-live-${Date.now().toString(36)}.ipynb` },
      savedSessionOptions: { enabled: false },
    };
    const config = api.makeConfiguration(options, window.thebe.events);
    const rendermime = api.makeRenderMimeRegistry(config.mathjax)
      .clone({ latexTypesetter: typesetter, markdownParser });
    // The kernel starts while the editors are drawn.
    const kernel = api.connectToJupyter(config);
    const started = kernel.ready.then(() => kernel.startNewSession(rendermime));
    const book = api.setupNotebookFromBlocks(
      cells.map((cell) => ({ id: `mlcalc-live-${cell.index}`, source: cell.source })), config, rendermime);
    cells.forEach((cell, k) => { cell.thebe = book.cells[k]; });

    // Shown cells become editors (read-only until their turn has come); outputs go into a new
    // area in front of the static output, which is hidden when the cell runs.
    const run = { cells, next: 0, queue: Promise.resolve(), running: false };
    const placeholders = [];
    for (const cell of cells) {
      if (!cell.element) continue;
      cell.output = document.createElement("div");
      cell.output.className = "mlcalc-live-output";
      // Outside the <details> of a folded (hide-input) cell, where the static output is too.
      if (cell.staticOutput) cell.staticOutput.before(cell.output);
      else cell.element.append(cell.output);
      if (cell.input) {
        placeholders.push({ id: cell.thebe.id, placeholders: { source: cell.input, output: cell.output } });
      } else {
        cell.thebe.attachToDOM(cell.output);
      }
    }
    const rendered = window.thebe.renderAllCells(options, book, placeholders);
    for (const item of rendered) {
      const cell = cells.find((c) => c.thebe.id === item.id);
      cell.box = item.ui.cell;
      cell.box.dataset.mlcalcCell = String(cell.index);
      cell.editor = item.ui.editor.querySelector(".CodeMirror").CodeMirror;
      cell.editor.setOption("readOnly", "nocursor");
      cell.run = item.ui.buttons.run;
      cell.run.textContent = text(button, "run");
      cell.run.title = text(button, "run-title");
      cell.run.disabled = true;
      cell.run.onclick = () => runAgain(button, run, cell);
    }
    cells.forEach((cell) => setState(cell, "queued"));

    const session = await started;
    if (!session) throw new Error("the Jupyter server started no kernel");
    book.attachSession(session);
    window.addEventListener("pagehide", () => {
      // Best effort: make serve also stops idle kernels of closed pages, and every kernel when it stops.
      fetch(`${server.baseUrl}api/sessions/${session.id}?token=${encodeURIComponent(server.token)}`,
        { method: "DELETE", keepalive: true }).catch(() => {});
    });

    await runFrom(button, run);
  }

  /* Run one cell after whatever the kernel was asked before (one cell at a time). */
  function execute(run, cell) {
    const result = run.queue.then(() => {
      setState(cell, "running");
      if (cell.staticOutput) cell.staticOutput.hidden = true;
      return cell.thebe.execute(cell.thebe.source);
    });
    run.queue = result.catch(() => null);
    return result;
  }

  /* The cells from run.next on, in order, until one fails. */
  async function runFrom(button, run) {
    run.running = true;
    const total = run.cells.length;
    while (run.next < total) {
      const cell = run.cells[run.next];
      show(button, "running", { n: run.next + 1, total });
      const error = firstError(await execute(run, cell));
      if (error) {
        setState(cell, "error");
        if (cell.editor) { cell.editor.setOption("readOnly", false); cell.run.disabled = false; }
        show(button, "failed", { n: run.next + 1, total, error });
        run.running = false;
        return;
      }
      setState(cell, "done");
      if (cell.editor) { cell.editor.setOption("readOnly", false); cell.run.disabled = false; }
      run.next += 1;
    }
    run.running = false;
    show(button, "ready");
  }

  /* The Run button of a shown cell: run it again; if the first pass stopped at it, go on from there. */
  async function runAgain(button, run, cell) {
    const position = run.cells.indexOf(cell);
    if (position === run.next && !run.running) {
      await runFrom(button, run);
      return;
    }
    if (position >= run.next) return;  // its turn has not come (the button is disabled until then)
    window.thebe.setButtonsBusy(cell.thebe.id);
    const error = firstError(await execute(run, cell));
    window.thebe.clearButtonsBusy(cell.thebe.id);
    setState(cell, error ? "error" : "done");
  }

  function init() {
    for (const button of document.querySelectorAll("[data-mlcalc-live]")) {
      button.addEventListener("click", () => start(button));
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
