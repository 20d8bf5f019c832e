// The book's own script (tools/site/book_site.py adds it to every page, deferred).
//
// Accessible names for the theme's controls that lack them (see nameThemeControls).
//
// A scroll cue on blocks wider than the screen: code, display math, tables, cell outputs and
// figures kept at a legible scale
// scroll sideways inside their box on a phone, which nothing showed. Each such block gets the
// class `npg-scrolls` (book-site.css draws a shadow on the side where more content hides,
// `npg-at-start` / `npg-at-end` say which) and a tab stop, so that the keyboard can scroll it too.
(function () {
  "use strict";
  var SELECTOR = "div.highlight pre, mjx-container[display='true'], .math, " +
                 ".pst-scrollable-table-container, .cell_output .output pre, .npg-figure";

  function update(block) {
    var scrolls = block.scrollWidth > block.clientWidth + 1 &&
                  /auto|scroll/.test(getComputedStyle(block).overflowX);
    block.classList.toggle("npg-scrolls", scrolls);
    if (scrolls) {
      block.classList.toggle("npg-at-start", block.scrollLeft <= 1);
      block.classList.toggle("npg-at-end",
                             block.scrollLeft + block.clientWidth >= block.scrollWidth - 1);
      if (!block.hasAttribute("tabindex")) block.setAttribute("tabindex", "0");
    }
  }

  function watch() {
    var blocks = document.querySelectorAll(SELECTOR);
    var resized = new ResizeObserver(function (entries) {
      entries.forEach(function (entry) { update(entry.target); });
    });
    blocks.forEach(function (block) {
      if (block.dataset.npgWatched) return;
      block.dataset.npgWatched = "1";
      resized.observe(block);
      block.addEventListener("scroll", function () { update(block); }, {passive: true});
      update(block);
    });
  }

  // Accessible names the theme's controls lack or contradict (axe-core's summary-name and
  // label-content-name-mismatch): the sidebar's expand toggles are empty <summary> elements;
  // the search button's aria-label ("Search") hides its visible shortcut text, its content
  // alone names it; the colour-mode button's icons carry SVG titles ("Light"), text that is
  // not in its name ("Color mode"): they are removed (the <i>'s tooltip title stays) and the
  // icons hidden from assistive technology.
  function nameThemeControls() {
    document.querySelectorAll("details > summary").forEach(function (summary) {
      if (summary.textContent.trim() || summary.hasAttribute("aria-label")) return;
      var link = summary.parentElement.parentElement.querySelector(":scope > a");
      var zh = document.documentElement.lang.indexOf("zh") === 0;  // the Chinese edition
      var title = link ? link.textContent.trim() : (zh ? "本节" : "this section");
      summary.setAttribute("aria-label", zh ? title + "下的页面" : "Pages under " + title);
    });
    // The same for sphinx-togglebutton's "Show code cell source" toggles, named "Toggle hidden
    // content" (their visible text says more).
    document.querySelectorAll(".search-button__button[aria-label], summary[aria-label]")
      .forEach(function (control) {
        if (control.textContent.trim()) control.removeAttribute("aria-label");
      });
    document.querySelectorAll(".theme-switch-button svg, .theme-switch-button i").forEach(
      function (icon) {
        icon.setAttribute("aria-hidden", "true");
        icon.removeAttribute("aria-labelledby");
        icon.querySelectorAll("title").forEach(function (title) { title.remove(); });
      });
  }

  // The language switch on pages whose body the site extension does not write (the search page,
  // the index): the same links, from the page's <link rel="alternate" hreflang> tags.
  function languageSwitch() {
    var links = document.querySelectorAll("link[rel='alternate'][hreflang]");
    var article = document.querySelector(".bd-article") || document.querySelector("main");
    if (!links.length || !article || document.querySelector(".npg-language")) return;
    var nav = document.createElement("nav");
    nav.className = "npg-language";
    nav.setAttribute("aria-label", document.documentElement.lang.indexOf("zh") === 0 ? "语言"
                                                                                   : "Language");
    links.forEach(function (link) {
      var a = document.createElement("a");
      a.href = link.getAttribute("href");
      a.hreflang = a.lang = link.hreflang;
      a.textContent = link.title;
      nav.appendChild(a);
    });
    article.insertBefore(nav, article.firstChild);
  }

  document.addEventListener("DOMContentLoaded", languageSwitch);
  document.addEventListener("DOMContentLoaded", watch);
  // Widgets draw their figures after the page has loaded: watch what they add, once a frame.
  document.addEventListener("DOMContentLoaded", function () {
    var pending = false;
    new MutationObserver(function () {
      if (pending) return;
      pending = true;
      requestAnimationFrame(function () { pending = false; watch(); });
    }).observe(document.body, {childList: true, subtree: true});
  });
  document.addEventListener("DOMContentLoaded", function () {
    nameThemeControls();
    // Font Awesome draws its icons later, whenever it gets to them: clean up after it each time.
    var redrawn = new MutationObserver(nameThemeControls);
    document.querySelectorAll(".theme-switch-button").forEach(function (button) {
      redrawn.observe(button, {childList: true, subtree: true});
    });
  });
  window.addEventListener("load", nameThemeControls);
  // Display math has its width once MathJax has typeset it.
  window.addEventListener("load", function () {
    var mathjax = window.MathJax;
    if (mathjax && mathjax.startup && mathjax.startup.promise) mathjax.startup.promise.then(watch);
  });
})();
