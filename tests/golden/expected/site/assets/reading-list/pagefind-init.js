// Search page for `search: pagefind`: a small UI on Pagefind's JS API. A query downloads
// only the index chunks and fragments it needs, so search stays small at any list size:
// results are shown PAGE at a time (each one's fragment is fetched when it is shown), and
// "Show more results" appends the next PAGE until every match is on the page.
// Result text is set with textContent (only Pagefind's <mark> highlights are rebuilt), so
// nothing from an entry is ever parsed as HTML.
(function () {
  var root = document.getElementById("rl-search");
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "1";
  var bundle = root.dataset.bundle;
  var input = document.createElement("input");
  input.type = "search";
  input.className = "rl-search__input md-input";
  input.placeholder = "Title, author, arXiv id or abstract words";
  input.setAttribute("aria-label", "Search papers");
  var status = document.createElement("p");
  status.className = "rl-search__status";
  status.setAttribute("aria-live", "polite");
  var list = document.createElement("ol");
  list.className = "rl-search__results";
  var more = document.createElement("button");
  more.type = "button";
  more.className = "md-button rl-search__more";
  // Hidden through its paragraph: Material's .md-button sets a display, which would beat
  // the button's own `hidden` attribute.
  var pager = document.createElement("p");
  pager.className = "rl-search__pager";
  pager.hidden = true;
  pager.append(more);
  root.append(input, status, list, pager);
  var PAGE = 20;
  var pagefind = null;
  var latest = 0;
  var matches = [];  // every result of the query shown; the first list.children.length are

  function load() {
    if (!pagefind) {
      pagefind = import(new URL(bundle + "pagefind.js", document.baseURI).href)
        .then(function (pf) { return pf.options({ bundlePath: bundle }).then(function () { return pf; }); });
    }
    return pagefind;
  }

  function highlighted(parent, excerpt) {
    excerpt.split(/(<mark>[^<]*<\/mark>)/).forEach(function (part) {
      var m = /^<mark>([^<]*)<\/mark>$/.exec(part);
      if (m) {
        var mark = document.createElement("mark");
        mark.textContent = decode(m[1]);
        parent.append(mark);
      } else {
        parent.append(document.createTextNode(decode(part.replace(/<[^>]*>/g, ""))));
      }
    });
  }

  function decode(text) {
    var t = document.createElement("textarea");
    t.innerHTML = text;  // a textarea never runs or renders markup: entities only
    return t.value;
  }

  function item(data) {
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.href = data.url;
    a.textContent = (data.meta && data.meta.title) || data.url;
    var p = document.createElement("p");
    highlighted(p, data.excerpt || "");
    li.append(a, p);
    return li;
  }

  function counts() {
    var total = matches.length, shown = list.children.length;
    status.textContent = total + " paper" + (total === 1 ? "" : "s") +
      (shown < total ? " (showing 1\u2013" + shown + ")" : "");
    var next = Math.min(PAGE, total - shown);
    pager.hidden = next <= 0;
    more.textContent = "Show more results (" + next + " of " + (total - shown) + " more)";
  }

  // Shows query `id`'s results from `start` on, PAGE of them: a new query's first page
  // replaces the list (only once it is ready, so the old one does not flash away), a later
  // page is appended. False when a newer query took over meanwhile.
  async function showPage(id, start) {
    var page = await Promise.all(matches.slice(start, start + PAGE).map(function (r) { return r.data(); }));
    if (id !== latest) return false;
    var items = page.map(item);
    if (start === 0) list.replaceChildren.apply(list, items); else list.append.apply(list, items);
    counts();
    return true;
  }

  async function run(query) {
    var id = ++latest;
    pager.hidden = true;  // its next page would belong to the previous query
    if (!query.trim()) { matches = []; list.replaceChildren(); status.textContent = ""; return; }
    var pf = await load();
    var search = await pf.search(query);
    if (id !== latest) return;
    matches = search.results;
    await showPage(id, 0);
  }

  more.addEventListener("click", async function () {
    if (more.disabled) return;  // one page at a time: a double click must not skip or repeat
    more.disabled = true;
    var first = list.children.length;
    try {
      if (await showPage(latest, first) && list.children[first]) {
        // Keyboard and screen-reader users continue at the first new result.
        list.children[first].querySelector("a").focus();
      }
    } finally {
      more.disabled = false;
    }
  });

  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { run(input.value); }, 150);
  });
  var q = new URLSearchParams(window.location.search).get("q");
  if (q) { input.value = q; run(q); }
  input.focus();
})();
