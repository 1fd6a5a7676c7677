// Saved papers without an account: "To read" / "Read" marks kept in this browser
// (localStorage), shown on every card and paper page, listed on the Saved page with a BibTeX
// export of the list and an export/import of the marks as a JSON file.
//
// Only this site's own files are fetched (the papers index and papers.bib, both on the Saved
// page); nothing about the marks leaves the browser. The controls are made here, so without
// JavaScript (or without storage) they are absent rather than broken: the templates ship
// each one as an empty, hidden element (`data-rl-save="<paper id>"`).
//
// Everything shown comes from files we do not fully trust (an imported file, the index's
// titles), so it is written with textContent and attributes, never as HTML.
//
// A renamed paper keeps its old id as an alias (the index's "aliases": {old: current}). A mark
// kept under an old id is moved onto the current id (merged with any mark made on it since)
// wherever the paper is shown: its control on a card or paper page names its old ids
// (data-rl-aliases), and the Saved page reads the index (so before an export too); an
// imported file's old ids are mapped the same way. No page fetches the index just for this.
(function () {
  "use strict";

  var STATUSES = ["to-read", "read"];
  var LABELS = { "to-read": "To read", read: "Read" };
  var ID_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;
  var MAX_IMPORT_BYTES = 1024 * 1024;
  var VERSION = 1;

  // The site's root from this script's own address (<root>/assets/reading-list/saved.js):
  // lists published under different paths of one host keep apart marks.
  var script = document.currentScript;
  var ROOT = script && script.src ? new URL("../../", script.src) : new URL("/", location.href);
  var KEY = "reading-list:" + ROOT.pathname + ":saved";

  function storage() {
    try {
      var probe = KEY + ":probe";
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (e) {
      return null; // storage off (private mode, blocked cookies): no controls at all
    }
  }
  var store = storage();

  function isMark(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value) &&
      STATUSES.indexOf(value.status) >= 0 &&
      (value.date === undefined || (typeof value.date === "string" && value.date.length <= 40));
  }

  // The marks as stored: {version: 1, marks: {id: {status, date}}}; anything else is empty.
  function load() {
    var marks = {};
    if (!store) return marks;
    var doc;
    try {
      doc = JSON.parse(store.getItem(KEY) || "null");
    } catch (e) {
      return marks;
    }
    if (!doc || typeof doc !== "object" || doc.version !== VERSION || !doc.marks ||
        typeof doc.marks !== "object") return marks;
    Object.keys(doc.marks).forEach(function (id) {
      if (ID_RE.test(id) && isMark(doc.marks[id])) {
        marks[id] = { status: doc.marks[id].status, date: doc.marks[id].date || "" };
      }
    });
    return marks;
  }

  // Two marks of one paper as one: the more advanced status ("read" beats "to-read") and the
  // more recent date (ISO times compare as text), whichever mark each comes from.
  function merged(a, b) {
    if (!a || !b) return a || b;
    return { status: STATUSES[Math.max(STATUSES.indexOf(a.status), STATUSES.indexOf(b.status))],
             date: a.date > b.date ? a.date : b.date };
  }

  // The id a mark belongs under: a renamed paper's current id for one of its old ids (rows
  // from the index, see rowsFrom), else the id itself.
  function currentId(id, rows) {
    var target = own(rows, id) && rows[id].renamed;
    return target && own(rows, target) && rows[target].title ? target : id;
  }

  // Ids are also names of Object.prototype's members ("constructor"): ask for own keys.
  function own(object, key) {
    return Object.prototype.hasOwnProperty.call(object, key);
  }

  // Marks under old ids moved onto the current ids; true when any moved.
  function migrated(marks, rows) {
    var moved = false;
    Object.keys(marks).forEach(function (id) {
      var target = currentId(id, rows);
      if (target === id) return;
      marks[target] = merged(marks[target], marks[id]);
      delete marks[id];
      moved = true;
    });
    return moved;
  }

  function sortedMarks(marks) {
    var out = {};
    Object.keys(marks).sort().forEach(function (id) { out[id] = marks[id]; });
    return out;
  }

  function store_(marks) {
    try {
      store.setItem(KEY, JSON.stringify({ version: VERSION, marks: sortedMarks(marks) }));
      return true;
    } catch (e) {
      return false; // quota: the previous marks stay as they were
    }
  }

  // -- the controls on cards and paper pages -------------------------------------------------
  function titleOf(el) {
    var holder = el.closest("article");
    var heading = holder && holder.querySelector("h1, h2, h3");
    var text = heading ? heading.textContent.replace(/\s+/g, " ").trim() : "";
    return text.length > 120 ? text.slice(0, 119) + "…" : text;
  }

  function paint(el, mark) {
    var status = mark ? mark.status : "";
    el.setAttribute("data-status", status);
    el.querySelectorAll("button[data-status]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-status") === status));
    });
    var card = el.closest(".rl-card");
    if (card) {
      STATUSES.forEach(function (s) { card.classList.toggle("rl-card--" + s, s === status); });
    }
  }

  function enhance(el) {
    var id = el.getAttribute("data-rl-save");
    if (!ID_RE.test(id || "") || el.hasAttribute("data-rl-ready")) return;
    el.setAttribute("data-rl-ready", "");
    el.setAttribute("role", "group");
    var title = titleOf(el);
    el.setAttribute("aria-label", title ? "Your list: " + title : "Your list");
    STATUSES.forEach(function (status) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "rl-save__button";
      button.setAttribute("data-status", status);
      button.textContent = LABELS[status];
      button.addEventListener("click", function () { toggle(id, status); });
      el.appendChild(button);
    });
    paint(el, adopted(id, el.getAttribute("data-rl-aliases")));
    el.hidden = false;
  }

  // A renamed paper's control names its old ids (data-rl-aliases): a mark kept under one
  // moves onto the paper here, on any page that shows it, not only on the Saved page.
  function adopted(id, aliases) {
    var marks = load(), moved = false;
    (aliases || "").split(" ").forEach(function (alias) {
      if (!alias || alias === id || !ID_RE.test(alias) || !own(marks, alias)) return;
      marks[id] = merged(marks[id], marks[alias]);
      delete marks[alias];
      moved = true;
    });
    if (moved) store_(marks);
    return own(marks, id) ? marks[id] : undefined;
  }

  function paintAll() {
    var marks = load();
    document.querySelectorAll("[data-rl-save][data-rl-ready]").forEach(function (el) {
      paint(el, marks[el.getAttribute("data-rl-save")]);
    });
  }

  function toggle(id, status) {
    var marks = load();
    if (marks[id] && marks[id].status === status) {
      delete marks[id];
    } else {
      marks[id] = { status: status, date: new Date().toISOString() };
    }
    var stored = store_(marks);
    refresh();
    if (!stored) say("Could not save: this browser's storage for the site is full.");
  }

  // -- the Saved page ---------------------------------------------------------------------
  var page = null; // {root, papers: {id: row} | null, view, ...} while the Saved page is open

  function make(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // papers/index.json stores its papers column by column ({id: [...], title: [...], ...});
  // papers.json as a list of objects. Either way: a list of objects.
  function paperList(doc) {
    var papers = doc && doc.papers;
    if (Array.isArray(papers)) return papers;
    if (!papers || typeof papers !== "object" || !Array.isArray(papers.id)) return [];
    return papers.id.map(function (id, i) {
      var row = {};
      Object.keys(papers).forEach(function (key) {
        if (Array.isArray(papers[key])) row[key] = papers[key][i];
      });
      return row;
    });
  }

  // Rows from the compact papers index (papers/index.json) or, if a site has none, from
  // papers.json: {id: {title, byline}}.
  function rowsFrom(doc) {
    var rows = {};
    var list = paperList(doc);
    list.forEach(function (p) {
      if (!p || typeof p.id !== "string" || !ID_RE.test(p.id)) return;
      var authors = Array.isArray(p.authors) ? p.authors.filter(function (a) {
        return typeof a === "string";
      }) : [];
      var more = typeof p.more === "number" ? p.more > 0 : authors.length > 3 ||
        p.authors_incomplete === true;
      var names = authors.slice(0, 3).join(", ") + (more ? " et al." : "");
      var year = typeof p.year === "number" ? String(p.year)
        : typeof p.published === "string" ? p.published.slice(0, 4) : "";
      var venue = typeof p.venue === "string" ? p.venue : "";
      var byline = [names, venue.indexOf(year) >= 0 && venue ? "" : year, venue]
        .filter(Boolean).join(" · ");
      rows[p.id] = { title: typeof p.title === "string" ? p.title : p.id, byline: byline };
    });
    // Old ids: papers/index.json maps them ({old: current}); papers.json lists each paper's.
    var renames = doc && doc.aliases && typeof doc.aliases === "object" &&
      !Array.isArray(doc.aliases) ? doc.aliases : {};
    list.forEach(function (p) {
      (p && Array.isArray(p.aliases) ? p.aliases : []).forEach(function (alias) {
        renames[alias] = p.id;
      });
    });
    Object.keys(renames).forEach(function (alias) {
      var id = renames[alias];
      if (ID_RE.test(alias) && typeof id === "string" && own(rows, id) && !own(rows, alias)) {
        rows[alias] = { renamed: id };
      }
    });
    return rows;
  }

  function fetchJson(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (answer) {
      if (!answer.ok) throw new Error(url + ": " + answer.status);
      return answer.json();
    });
  }

  function openSavedPage(root) {
    page = { root: root, papers: null, view: "all" };
    root.textContent = "";
    var message = make("p", { class: "rl-saved__message", role: "status", "aria-live": "polite" });
    var views = make("p", { class: "rl-saved__views", role: "group", "aria-label": "Show" });
    [["all", "All"], ["to-read", "To read"], ["read", "Read"]].forEach(function (pair) {
      var button = make("button", { type: "button", class: "rl-saved__view",
                                  "data-view": pair[0] }, pair[1]);
      button.addEventListener("click", function () { page.view = pair[0]; renderList(); });
      views.appendChild(button);
    });
    var list = make("ol", { class: "rl-saved__list" });
    var tools = make("p", { class: "rl-saved__tools" });
    var bib = make("button", { type: "button", class: "md-button md-button--primary rl-saved__bib" },
                 "BibTeX");
    bib.addEventListener("click", exportBibtex);
    var exp = make("button", { type: "button", class: "md-button rl-saved__export" },
                 "Export marks");
    exp.addEventListener("click", exportMarks);
    var input = make("input", { type: "file", accept: "application/json,.json",
                                class: "rl-saved__file" });
    input.addEventListener("change", function () {
      if (input.files && input.files[0]) importMarks(input.files[0]);
      input.value = "";
    });
    // The file input sits in its label, which looks like the other buttons.
    var label = make("label", { class: "md-button rl-saved__import" }, "Import marks");
    label.appendChild(input);
    tools.append(bib, " ", exp, " ", label);
    root.append(views, message, list, tools);
    root.hidden = false;
    page.nodes = { message: message, views: views, list: list, bib: bib, exp: exp };
    message.textContent = "Loading the list…";
    fetchJson(root.getAttribute("data-index"))
      .catch(function () { return fetchJson(root.getAttribute("data-papers")); })
      .then(function (doc) {
        if (!page || page.root !== root) return;
        page.papers = rowsFrom(doc);
        refresh();
      })
      .catch(function () {
        if (page && page.root === root) message.textContent =
          "The list of papers could not be loaded; reload the page to try again.";
      });
  }

  // The marks shown in the current view, most recently marked first: [[id, mark, row]].
  function selection() {
    var marks = load();
    return Object.keys(marks)
      .filter(function (id) { return page.view === "all" || marks[id].status === page.view; })
      .map(function (id) { return [id, marks[id], page.papers ? page.papers[id] : null]; })
      .sort(function (a, b) {
        return a[1].date < b[1].date ? 1 : a[1].date > b[1].date ? -1 : a[0] < b[0] ? -1 : 1;
      });
  }

  function renderList() {
    if (!page || !page.papers) return;
    var nodes = page.nodes;
    var marks = load();
    var counts = { "to-read": 0, read: 0 };
    Object.keys(marks).forEach(function (id) { counts[marks[id].status] += 1; });
    nodes.views.querySelectorAll("button").forEach(function (button) {
      var view = button.getAttribute("data-view");
      var n = view === "all" ? counts["to-read"] + counts.read : counts[view];
      button.textContent = (view === "all" ? "All" : LABELS[view]) + " (" + n + ")";
      button.setAttribute("aria-pressed", String(view === page.view));
    });
    var rows = selection();
    nodes.list.textContent = "";
    var listed = 0;
    rows.forEach(function (item) {
      var id = item[0], row = item[2];
      var li = make("li", { class: "rl-saved__item", "data-paper-id": id });
      var article = make("article");
      if (row && row.title) {
        var heading = make("h3", { class: "rl-saved__title" });
        heading.appendChild(make("a", { href: new URL("papers/" + id + "/", ROOT).href },
                                  row.title));
        article.appendChild(heading);
        if (row.byline) article.appendChild(make("p", { class: "rl-saved__byline" }, row.byline));
        listed += 1;
      } else {
        var gone = row && row.renamed ? "renamed to " + row.renamed : "no longer on the list";
        article.appendChild(make("h3", { class: "rl-saved__title" }, id + " (" + gone + ")"));
      }
      var control = make("div", { class: "rl-save", "data-rl-save": id, hidden: "" });
      article.appendChild(control);
      li.appendChild(article);
      nodes.list.appendChild(li);
      enhance(control);
    });
    var total = counts["to-read"] + counts.read;
    nodes.bib.textContent = "BibTeX of these " + listed + " paper" + (listed === 1 ? "" : "s");
    nodes.bib.disabled = listed === 0;
    nodes.exp.disabled = total === 0;
    if (!total) {
      nodes.message.textContent = "Nothing saved yet: mark papers “To read” or “Read” on any " +
        "card or paper page, and they are listed here.";
    } else if (!rows.length) {
      nodes.message.textContent = "No paper marked “" + LABELS[page.view] + "” yet.";
    } else {
      nodes.message.textContent = total + " saved: " + counts["to-read"] + " to read, " +
        counts.read + " read.";
    }
  }

  function download(name, type, text) {
    var url = URL.createObjectURL(new Blob([text], { type: type }));
    var link = make("a", { href: url, download: name });
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  function today() {
    return new Date().toISOString().slice(0, 10);
  }

  // Records of papers.bib by key (a paper's id): each starts with "@type{key," at the start
  // of a line and runs to the next such line.
  function bibRecords(text) {
    var records = {};
    var key = null;
    var lines = [];
    function flush() {
      if (key !== null) records[key] = lines.join("\n").replace(/\s+$/, "") + "\n";
    }
    text.split(/\r?\n/).forEach(function (line) {
      var start = /^@[A-Za-z]+\{([^,\s]+),\s*$/.exec(line);
      if (start) {
        flush();
        key = start[1];
        lines = [line];
      } else if (key !== null) {
        lines.push(line);
      }
    });
    flush();
    return records;
  }

  function exportBibtex() {
    var ids = selection().filter(function (item) { return item[2] && item[2].title; })
      .map(function (item) { return item[0]; });
    if (!ids.length) return;
    var url = page.root.getAttribute("data-bib");
    fetch(url, { credentials: "same-origin" })
      .then(function (answer) {
        if (!answer.ok) throw new Error(String(answer.status));
        return answer.text();
      })
      .then(function (text) {
        var records = bibRecords(text);
        var found = ids.filter(function (id) { return records[id]; });
        download("saved-papers-" + today() + ".bib", "application/x-bibtex",
                 found.map(function (id) { return records[id]; }).join("\n"));
        say(found.length + " BibTeX record" + (found.length === 1 ? "" : "s") + " downloaded" +
             (found.length < ids.length ? " (" + (ids.length - found.length) +
              " not in papers.bib)." : "."));
      })
      .catch(function () { say("papers.bib could not be loaded; try again."); });
  }

  // What an action did, in the status line (read out by screen readers), until the list
  // changes again.
  function say(message) {
    if (page && page.nodes) page.nodes.message.textContent = message;
  }

  function exportMarks() {
    var marks = load();
    if (page.papers) migrated(marks, page.papers); // current ids, even if storing them failed
    var doc = { version: VERSION, site: ROOT.href, exported: new Date().toISOString(),
                marks: sortedMarks(marks) };
    download("saved-papers-" + today() + ".json", "application/json",
             JSON.stringify(doc, null, 2) + "\n");
    say(Object.keys(doc.marks).length + " marks exported.");
  }

  function importMarks(file) {
    if (!page.papers) {
      say("Not imported yet: the list of papers is still loading (or could not be loaded); " +
          "try again when it shows.");
      return;
    }
    if (file.size > MAX_IMPORT_BYTES) {
      say("Not imported: " + file.name + " is larger than 1 MB, so it is not a marks file.");
      return;
    }
    file.text().then(function (text) {
      var doc;
      try {
        doc = JSON.parse(text);
      } catch (e) {
        say("Not imported: " + file.name + " is not JSON (export the marks from the Saved " +
             "page to get a file that imports).");
        return;
      }
      if (!doc || typeof doc !== "object" || Array.isArray(doc) || doc.version !== VERSION ||
          !doc.marks || typeof doc.marks !== "object" || Array.isArray(doc.marks)) {
        say("Not imported: " + file.name + " is not a marks file (it needs \"version\": 1 " +
             "and \"marks\": {\"paper-id\": {\"status\": \"to-read\" or \"read\"}}).");
        return;
      }
      var marks = load();
      var fromFile = {};
      var added = 0, unknown = 0, invalid = 0;
      Object.keys(doc.marks).forEach(function (id) {
        var mark = doc.marks[id];
        id = currentId(id, page.papers); // an old id of a renamed paper: the paper's
        var row = own(page.papers, id) ? page.papers[id] : null;
        if (!isMark(mark)) {
          invalid += 1;
        } else if (!ID_RE.test(id) || !row || !row.title) {
          unknown += 1;
        } else {
          // A file's mark replaces this browser's; a file holding a paper under its old and
          // its current id gives one mark, merged.
          fromFile[id] = merged(fromFile[id], { status: mark.status,
                                                date: mark.date || new Date().toISOString() });
        }
      });
      Object.keys(fromFile).forEach(function (id) {
        marks[id] = fromFile[id];
        added += 1;
      });
      if (added && !store_(marks)) {
        say("Not imported: this browser's storage for the site is full.");
        return;
      }
      var notes = [];
      if (unknown) notes.push(unknown + " for papers not on this list ignored");
      if (invalid) notes.push(invalid + " not understood ignored");
      refresh();
      say("Imported " + added + " mark" + (added === 1 ? "" : "s") +
          (notes.length ? " (" + notes.join("; ") + ")." : "."));
    });
  }

  // -- wiring ------------------------------------------------------------------------------
  // With the index at hand (the Saved page), marks under old ids move to the current ids
  // first, here and in other tabs (whose writes come back through "storage").
  function refresh() {
    if (page && page.papers) {
      var marks = load();
      if (migrated(marks, page.papers)) store_(marks);
    }
    paintAll();
    renderList();
  }

  function onPage() {
    if (!store) return;
    document.querySelectorAll("[data-rl-save]").forEach(enhance);
    var root = document.getElementById("rl-saved");
    if (root && (!page || page.root !== root)) openSavedPage(root);
    if (!root) page = null;
  }

  // Cards added later (a list sorted or filtered in the page) get their controls too.
  if (store && "MutationObserver" in window) {
    var pending = false;
    new MutationObserver(function () {
      if (pending) return;
      pending = true;
      requestAnimationFrame(function () {
        pending = false;
        document.querySelectorAll("[data-rl-save]:not([data-rl-ready])").forEach(enhance);
      });
    }).observe(document.documentElement, { childList: true, subtree: true });
  }
  // Marks changed in another tab of the same site.
  window.addEventListener("storage", function (event) {
    if (event.key === KEY) refresh();
  });
  // Material's instant navigation swaps pages without a reload: run again on each page.
  if (typeof document$ !== "undefined") {
    document$.subscribe(onPage);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", onPage);
  } else {
    onPage();
  }
})();
