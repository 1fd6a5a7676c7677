// /papers/: sort and filter every paper without a server. The page works without this script
// (server-rendered rows, newest additions first, paginated); with it, the form appears and a
// view (sort + filters) is kept in the query string (?sort=title&tag=x), so it can be shared
// and comes back on reload. The first time a view is asked for, papers/index.json (a compact
// list of every paper, see docs/data.md) is fetched once; rows are then built from it with
// textContent, exactly like the server's, so no entry text is ever parsed as HTML.
(function () {
  var form = document.getElementById("rl-browse");
  if (!form || form.dataset.ready) return;
  form.dataset.ready = "1";
  var FIELDS = ["sort", "year", "venue", "category", "tag"];
  var root = new URL(form.dataset.root, document.baseURI);
  var base = new URL(form.dataset.base, document.baseURI);
  var indexUrl = new URL(form.dataset.index, document.baseURI).href;
  var pageSize = parseInt(form.dataset.pageSize, 10) || 50;
  var home = location.pathname;  // the server page this is (/papers/ or /papers/page/N/)
  var list = form.parentNode.querySelector(".rl-rows");
  var status = form.parentNode.querySelector(".rl-browse__status");
  var serverRows = Array.prototype.slice.call(list.children);
  var serverPager = form.parentNode.querySelector(".rl-pager");
  var more = document.createElement("button");
  more.type = "button";
  more.className = "md-button rl-browse__more";
  // Hidden through its paragraph: Material's .md-button sets a display, which would beat
  // the button's own `hidden` attribute.
  var morePara = document.createElement("p");
  morePara.className = "rl-browse__pager";
  morePara.hidden = true;
  morePara.append(more);
  list.after(morePara);
  var matches = [];
  var shown = 0;
  var data = null;
  var MATH = /(?<!\\)\$(?!\s)((?:\\.|[^$\\\n])+?)(?<!\s)\$/g;
  var YEAR_AT_END = /[\s,'’]*(?:19|20)\d\d$/;

  function select(name) { return form.elements.namedItem(name); }

  // The view in the URL; unknown values are kept (a shared link names a tag this list may
  // no longer have: it then matches nothing, and says so).
  function readUrl() {
    var params = new URLSearchParams(location.search);
    var view = {};
    FIELDS.forEach(function (name) { view[name] = params.get(name) || ""; });
    if (view.sort === "added") view.sort = "";
    if (view.sort && !optionFor(select("sort"), view.sort)) view.sort = "";
    return view;
  }

  function optionFor(sel, value) {
    for (var i = 0; i < sel.options.length; i++) {
      if (sel.options[i].value === value) return sel.options[i];
    }
    return null;
  }

  function showView(view) {
    FIELDS.forEach(function (name) {
      var sel = select(name);
      var value = view[name] || (name === "sort" ? "added" : "");
      if (!optionFor(sel, value)) {
        var option = document.createElement("option");
        option.value = value;
        option.textContent = value;
        sel.append(option);
      }
      sel.value = value;
    });
  }

  function readForm() {
    var view = {};
    FIELDS.forEach(function (name) { view[name] = select(name).value; });
    if (view.sort === "added") view.sort = "";
    return view;
  }

  function isDefault(view) {
    return FIELDS.every(function (name) { return !view[name]; });
  }

  function writeUrl(view) {
    var params = new URLSearchParams();
    FIELDS.forEach(function (name) { if (view[name]) params.set(name, view[name]); });
    var query = params.toString();
    var target = query ? base.pathname + "?" + query : home;
    if (target !== location.pathname + location.search) {
      history.replaceState(history.state, "", target + location.hash);
    }
  }

  function load() {
    var cache = window.__rlBrowse || (window.__rlBrowse = {});
    if (!cache[indexUrl]) {
      cache[indexUrl] = fetch(indexUrl).then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      });
      cache[indexUrl].catch(function () { delete cache[indexUrl]; });
    }
    return cache[indexUrl];
  }

  // papers/index.json holds one list per field: one object per paper is easier to sort.
  function unpack(doc) {
    var c = doc.papers;
    doc.rows = c.id.map(function (id, i) {
      var published = c.published[i];
      return { id: id, title: c.title[i], authors: c.authors[i], more: c.more[i],
               published: published, year: published ? parseInt(published.slice(0, 4), 10) : null,
               venue: c.venue[i], category: c.category[i], tags: c.tags[i], rank: c.rank[i] };
    });
    doc.paged = doc.authors_with_pages ? new Set(doc.authors_with_pages) : null;
    return doc;
  }

  // An author page's slug: generator.pages.simple_slug, unless the file names another.
  function authorSlug(name) {
    if (Object.prototype.hasOwnProperty.call(data.author_slugs, name)) {
      return data.author_slugs[name];
    }
    return name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  }

  function series(venue) {
    return venue.replace(YEAR_AT_END, "").trim() || venue;
  }

  function compute(view) {
    var cats = data.categories, tags = data.tags;
    var year = view.year ? parseInt(view.year, 10) : null;
    var found = data.rows.map(function (p, i) { return [p, i]; }).filter(function (pair) {
      var p = pair[0];
      if (year !== null && p.year !== year) return false;
      if (view.venue && !(p.venue && series(p.venue) === view.venue)) return false;
      if (view.category && cats[p.category][0] !== view.category) return false;
      if (view.tag && !p.tags.some(function (t) { return tags[t][0] === view.tag; })) {
        return false;
      }
      return true;
    });
    var by = {
      published: function (a, b) {
        var x = a[0].published || "", y = b[0].published || "";
        return x === y ? 0 : (x < y ? 1 : -1);
      },
      title: function (a, b) {
        return a[0].title.localeCompare(b[0].title, undefined, { sensitivity: "base" });
      },
      trending: function (a, b) {
        var x = a[0].rank, y = b[0].rank;
        if (x === y) return 0;
        if (x === null) return 1;
        if (y === null) return -1;
        return x - y;
      },
    }[view.sort];
    // Ties keep the list's order (newest additions first): the same view, the same rows.
    found.sort(function (a, b) { return (by ? by(a, b) : 0) || a[1] - b[1]; });
    return found.map(function (pair) { return pair[0]; });
  }

  function link(href, text, className) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    if (className) a.className = className;
    return a;
  }

  // A title as text_html renders it: $...$ as a KaTeX span, "\$" as a dollar sign.
  function titleInto(parent, title) {
    var at = 0;
    title.replace(MATH, function (whole, math, offset) {
      parent.append(document.createTextNode(title.slice(at, offset).replace(/\\\$/g, "$")));
      var span = document.createElement("span");
      span.className = "arithmatex";
      span.textContent = "\\(" + math + "\\)";
      parent.append(span);
      at = offset + whole.length;
      return whole;
    });
    parent.append(document.createTextNode(title.slice(at).replace(/\\\$/g, "$")));
  }

  function row(p) {
    var li = document.createElement("li");
    li.className = "rl-row";
    var title = link(root.href + "papers/" + p.id + "/", "", "rl-row__title");
    titleInto(title, p.title);
    var meta = document.createElement("span");
    meta.className = "rl-row__meta";
    if (p.authors.length) {
      var names = document.createElement("span");
      names.className = "rl-authors";
      p.authors.forEach(function (name, i) {
        if (i) names.append(", ");
        var slug = authorSlug(name);
        // author_pages: shared or none in mkdocs.yml: only the listed authors have a page.
        var paged = !data.paged || data.paged.has(slug);
        names.append(paged ? link(root.href + "authors/" + slug + "/", name) : name);
      });
      if (p.more > 0) names.append(" et al.");
      meta.append(names);
    }
    [["year", p.year], ["venue", p.venue]].forEach(function (part) {
      if (part[1] === null) return;
      var span = document.createElement("span");
      span.className = "rl-" + part[0];
      span.textContent = String(part[1]);
      meta.append(" · ", span);
    });
    var chips = document.createElement("span");
    chips.className = "rl-row__chips";
    var cat = data.categories[p.category];
    chips.append(link(root.href + "categories/" + cat[0] + "/", cat[1],
                      "rl-chip rl-chip--category"));
    var tagChips = document.createElement("span");
    tagChips.className = "rl-chips";
    p.tags.forEach(function (t) {
      var tag = data.tags[t];
      tagChips.append(link(root.href + "tags/" + tag[0] + "/", " " + tag[1], "rl-chip"));
    });
    chips.append(tagChips);
    li.append(title, " ", meta, " ", chips);
    return li;
  }

  function renderMath(el) {
    if (typeof renderMathInElement !== "function") return;
    el.querySelectorAll(".arithmatex").forEach(function (span) {
      renderMathInElement(span, {
        delimiters: [{ left: "\\(", right: "\\)", display: false }],
        throwOnError: false,
      });
    });
  }

  function showMore() {
    var chunk = document.createDocumentFragment();
    matches.slice(shown, shown + pageSize).forEach(function (p) { chunk.append(row(p)); });
    list.append(chunk);
    renderMath(list);
    shown = Math.min(matches.length, shown + pageSize);
    var left = matches.length - shown;
    morePara.hidden = left <= 0;
    more.textContent = "Show " + Math.min(left, pageSize) + " more (" + left + " left)";
  }

  function serverView() {
    list.replaceChildren.apply(list, serverRows);
    if (serverPager) serverPager.hidden = false;
    morePara.hidden = true;
    status.textContent = "";
    form.classList.remove("rl-browse--active");
  }

  var latest = 0;

  function apply(view) {
    var ticket = ++latest;
    writeUrl(view);
    if (isDefault(view)) {
      serverView();
      return;
    }
    status.textContent = "Loading the list of papers…";
    load().then(function (doc) {
      if (ticket !== latest) return;
      data = doc.rows ? doc : unpack(doc);
      matches = compute(view);
      list.replaceChildren();
      shown = 0;
      if (serverPager) serverPager.hidden = true;
      form.classList.add("rl-browse--active");
      status.textContent = matches.length
        ? matches.length + " of " + data.count + " papers"
        : "No paper matches these filters. Clear one to see more.";
      showMore();
    }, function (error) {
      if (ticket !== latest) return;
      status.textContent = "Could not load the list of papers (" + error.message +
        "); showing the newest additions.";
    });
  }

  form.addEventListener("change", function () { apply(readForm()); });
  form.addEventListener("reset", function (event) {
    event.preventDefault();
    var view = {};
    showView(view);
    apply(view);
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  more.addEventListener("click", showMore);
  form.hidden = false;
  var initial = readUrl();
  showView(initial);
  if (!isDefault(initial)) apply(initial);
})();
