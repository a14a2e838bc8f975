/* Prepares the joined book for paper (tools/pdf.py). It runs once, at the end of the document, after
   the pages are parsed and before MathJax typesets them, and leaves in window.pdfOutline each page's
   title and sections (the <h1>/<h2> as written, inline TeX included) and in window.pdfProblems what
   stops the print. Its settings (pages, edition folder, translated notes) are in #pdf-settings. */
(() => {
  "use strict";
  const settings = JSON.parse(document.getElementById("pdf-settings").textContent);
  const known = new Set(settings.pages);
  const anchor = (page, fragment) => page.replaceAll("/", "-") + (fragment ? `--${fragment}` : "");
  const format = (template, values) => template.replace(/\{(\w+)\}/g, (_, key) => String(values[key]));
  const problems = [];
  const outline = [];

  // A link to a page of the document, as its anchor; null for anything else.
  const internal = (href, pageUrl) => {
    if (href.startsWith("//") || /^[a-z][a-z0-9+.-]*:/i.test(href)) return null;
    const url = new URL(href, pageUrl);
    if (!url.href.startsWith(settings.root)) return null;
    const target = decodeURIComponent(url.pathname.slice(new URL(settings.root).pathname.length)).replace(/\.html$/, "");
    return known.has(target) ? "#" + anchor(target, decodeURIComponent(url.hash.slice(1))) : null;
  };

  for (const section of document.querySelectorAll("section.pdf-page")) {
    const page = section.dataset.page;
    const pageUrl = new URL(`${page}.html`, settings.root);
    section.querySelectorAll("a.headerlink").forEach((link) => link.remove());
    // Folded code (tag hide-input) stays folded away on paper; other folded content is opened.
    section.querySelectorAll("details.above-input").forEach((details) => details.remove());
    for (const details of section.querySelectorAll("details")) {
      details.open = true;
      Array.from(details.children).filter((child) => child.tagName === "SUMMARY").forEach((s) => s.remove());
    }
    // Solutions are shown after their exercise (sphinx-togglebutton is not loaded).
    section.querySelectorAll(".admonition.dropdown").forEach((admonition) => admonition.classList.remove("dropdown"));
    // A kernel-free slider prints its visible frame, with a note saying where it moves.
    for (const slider of section.querySelectorAll("div.mlcalc-frame-slider")) {
      const range = slider.querySelector("input.mlcalc-frame-range");
      const note = document.createElement("p");
      note.className = "mlcalc-print-note";
      note.textContent = format(settings.sliderNote, {
        page: `${settings.folder}${page}.html`,
        count: range ? Number(range.max) + 1 : 1,
        label: (range && range.getAttribute("aria-label")) || settings.sliderLabel,
      });
      slider.append(note);
    }
    // Files are addressed from the page's own folder, whatever folder the document is in.
    for (const [selector, attribute] of [["img[src]", "src"], ["source[src]", "src"], ["object[data]", "data"]]) {
      for (const element of section.querySelectorAll(selector)) {
        const value = element.getAttribute(attribute);
        if (value.startsWith("data:") || value.startsWith("#")) continue;
        const absolute = new URL(value, pageUrl).href;
        if (element[attribute] !== absolute) element.setAttribute(attribute, absolute);
      }
    }
    // Ids get the page as prefix; links to a page of the document point inside it.
    for (const element of section.querySelectorAll("[id]")) element.id = anchor(page, element.id);
    section.id = anchor(page);
    for (const link of section.querySelectorAll("a[href]")) {
      const target = internal(link.getAttribute("href"), pageUrl);
      if (target) link.setAttribute("href", target);
    }
    const h1 = section.querySelector("h1");
    if (!h1) {
      problems.push(`${page}.html has no <h1> title`);
      continue;
    }
    const id = (heading) => {
      const parent = heading.parentElement;
      return parent.tagName === "SECTION" && parent !== section && parent.id ? parent.id : null;
    };
    const entry = { html: h1.outerHTML, id: id(h1) || section.id, sections: [] };
    for (const h2 of section.querySelectorAll("h2")) {
      if (id(h2)) entry.sections.push({ html: h2.outerHTML, id: id(h2) });
    }
    outline.push(entry);
  }

  // The contents page: every page and its sections, linked (chromium writes a named destination for each
  // link's target, from which tools/pdf.py makes the bookmarks).
  const contents = document.querySelector("nav.pdf-contents ul");
  const item = (html, id) => {
    const li = document.createElement("li");
    const link = document.createElement("a");
    link.href = `#${id}`;
    const heading = document.createElement("template");
    heading.innerHTML = html;
    const copy = heading.content.firstElementChild;
    copy.querySelectorAll("[id]").forEach((element) => element.removeAttribute("id"));
    link.append(...copy.childNodes);
    li.append(link);
    return li;
  };
  for (const entry of outline) {
    const li = item(entry.html, entry.id);
    if (entry.sections.length) {
      const list = document.createElement("ul");
      entry.sections.forEach((sub) => list.append(item(sub.html, sub.id)));
      li.append(list);
    }
    contents.append(li);
  }
  window.pdfOutline = outline;
  window.pdfProblems = problems;
})();
