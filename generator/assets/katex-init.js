// Render the math the generator wrapped as <span class="arithmatex">\(...\)</span> with the
// vendored KaTeX. Only those spans are touched, so a stray "$" in a title stays text.
// Material's instant navigation swaps pages without a reload: render again on each page.
function renderMath() {
  if (typeof renderMathInElement !== "function") return;
  document.querySelectorAll(".arithmatex").forEach(function (el) {
    renderMathInElement(el, {
      delimiters: [
        { left: "\\(", right: "\\)", display: false },
        { left: "\\[", right: "\\]", display: true },
      ],
      throwOnError: false,
    });
  });
}
if (typeof document$ !== "undefined") {
  document$.subscribe(renderMath);
} else {
  document.addEventListener("DOMContentLoaded", renderMath);
}
