// Render the math the generator wrapped as <span class="arithmatex">\(...\)</span> with the
// vendored KaTeX. Only those spans are touched, so a stray "$" in a title stays text.
// KaTeX (script, auto-render and stylesheet: about 80 KB gzipped, plus fonts) is fetched the
// first time a page has such a span, so a page without math never downloads it.
// Material's instant navigation swaps pages without a reload: check again on each page.
(function () {
  var here = document.currentScript ? document.currentScript.src : location.href;
  var folder = new URL("katex/", here);
  var loading = null;

  function script(name) {
    return new Promise(function (resolve, reject) {
      var el = document.createElement("script");
      el.src = new URL(name, folder).href;
      el.onload = resolve;
      el.onerror = function () { reject(new Error("could not load " + el.src)); };
      document.head.appendChild(el);
    });
  }

  function loadKatex() {
    if (!loading) {
      var css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = new URL("katex.min.css", folder).href;
      document.head.appendChild(css);
      // auto-render needs the katex global: one after the other.
      loading = script("katex.min.js").then(function () {
        return script("contrib/auto-render.min.js");
      });
    }
    return loading;
  }

  function renderMath() {
    if (!document.querySelector(".arithmatex")) return;
    loadKatex().then(function () {
      // The page may have changed while KaTeX loaded: render what is there now.
      document.querySelectorAll(".arithmatex").forEach(function (el) {
        renderMathInElement(el, {
          delimiters: [
            { left: "\\(", right: "\\)", display: false },
            { left: "\\[", right: "\\]", display: true },
          ],
          throwOnError: false,
        });
      });
    });
  }

  if (typeof document$ !== "undefined") {
    document$.subscribe(renderMath);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", renderMath);
  } else {
    renderMath();
  }
})();
