// Search page for `search: pagefind`: a small UI on Pagefind's JS API. A query downloads
// only the index chunks and fragments it needs, so search stays small at any list size.
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
  root.append(input, status, list);
  var pagefind = null;
  var latest = 0;

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

  async function run(query) {
    var id = ++latest;
    if (!query.trim()) { list.replaceChildren(); status.textContent = ""; return; }
    var pf = await load();
    var search = await pf.search(query);
    if (id !== latest) return;
    var results = await Promise.all(search.results.slice(0, 20).map(function (r) { return r.data(); }));
    if (id !== latest) return;
    status.textContent = search.results.length + " paper" + (search.results.length === 1 ? "" : "s");
    list.replaceChildren.apply(list, results.map(function (data) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = data.url;
      a.textContent = (data.meta && data.meta.title) || data.url;
      var p = document.createElement("p");
      highlighted(p, data.excerpt || "");
      li.append(a, p);
      return li;
    }));
  }

  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { run(input.value); }, 150);
  });
  var q = new URLSearchParams(window.location.search).get("q");
  if (q) { input.value = q; run(q); }
  input.focus();
})();
