// reading-list: runs in <head>, before Material's bundle (main.html inlines it), because both
// requests it changes are sent while the bundle starts. Both go through XMLHttpRequest.
(function () {
  var proto = XMLHttpRequest.prototype, open = proto.open, send = proto.send;
  // 1. Material's search downloads its whole index (search/search_index.json, the largest
  //    file of a page visit) as soon as any page loads. Hold that request until the reader
  //    opens search (or arrives from a search result, ?h=, to be highlighted).
  var searching = /[?&]h=/.test(location.search), held = [];
  // 2. Material fetches sitemap.xml for instant navigation and again for every
  //    <link rel="alternate"> (meant for language versions; our feed links are such links),
  //    so one page load asked for the same sitemap up to four times. Each URL is fetched once
  //    per page session; later requests get the first one's answer.
  var answers = {};

  function openSearch() {
    if (searching) return;
    searching = true;
    held.splice(0).forEach(function (call) { send.apply(call[0], call[1]); });
  }

  function answer(xhr, reply) {
    ["readyState", "status", "statusText", "response"].forEach(function (key) {
      Object.defineProperty(xhr, key, { configurable: true, value: reply[key] });
    });
    xhr.dispatchEvent(new ProgressEvent(reply.status ? "load" : "error"));
    xhr.dispatchEvent(new ProgressEvent("loadend"));
  }

  proto.open = function (method, url) {
    this.__rlUrl = String(method).toUpperCase() === "GET"
      ? new URL(url, location.href).href.split("#")[0] : null;
    return open.apply(this, arguments);
  };

  proto.send = function () {
    var xhr = this, url = this.__rlUrl, path = url ? url.split("?")[0] : "";
    if (/\/search\/search_index\.json$/.test(path) && !searching) {
      held.push([xhr, arguments]);
      return;
    }
    if (/\/sitemap\.xml$/.test(path)) {
      if (answers[url]) {
        answers[url].then(function (reply) { answer(xhr, reply); });
        return;
      }
      answers[url] = new Promise(function (resolve) {
        xhr.addEventListener("loadend", function () {
          resolve({ readyState: 4, status: xhr.status, statusText: xhr.statusText,
                    response: xhr.response });
        });
      });
    }
    return send.apply(this, arguments);
  };

  // Search opens by its button (a label that checks #__search), a keyboard shortcut or a tap:
  // each ends with the search field focused.
  document.addEventListener("focusin", function (event) {
    if (event.target.closest && event.target.closest(".md-search")) openSearch();
  });
  document.addEventListener("change", function (event) {
    if (event.target.id === "__search" && event.target.checked) openSearch();
  });
  // A pointer pressed on the search button starts the download while the dialog opens.
  document.addEventListener("pointerdown", function (event) {
    if (event.target.closest && event.target.closest("label[for=__search]")) openSearch();
  });
})();
