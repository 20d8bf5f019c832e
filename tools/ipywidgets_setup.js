// Loaded just before require.js on the pages whose notebook stores widget state (nb_ipywidgets_js in
// _config.yml); tools/vendor_assets.py copies it to _build/html/_vendor/npgrad/.
(function () {
  // Each bundled widget module (html-manager, base, controls, ...) finds its icon fonts beside
  // the AMD module that require.js thinks it loaded; by default that is a folder under the
  // page's own, where they are not. Point every @jupyter-widgets module at the folder the
  // fonts were copied to (_vendor/html-manager/) in require.js's configuration.
  var vendor = new URL("../", document.currentScript.src).href;
  window.require = {paths: {"@jupyter-widgets/html-manager/dist": vendor + "html-manager",
                            "@jupyter-widgets": vendor + "html-manager"}};

  // ipywidgets 8 typesets widget labels with MathJax 2's MathJax.Hub.Queue(["Typeset", hub, el]);
  // the book runs MathJax 3. Deferred scripts (MathJax) have run by DOMContentLoaded and the
  // widgets are drawn at window load, so add the old entry point in between.
  document.addEventListener("DOMContentLoaded", function () {
    var mathjax = window.MathJax;
    if (!mathjax || !mathjax.startup || mathjax.Hub) return;
    mathjax.Hub = {
      Queue: function () {
        Array.prototype.forEach.call(arguments, function (job) {
          if (Array.isArray(job) && job[0] === "Typeset" && job[2]) {
            mathjax.startup.promise = mathjax.startup.promise.then(function () {
              return mathjax.typesetPromise([job[2]]);
            });
          }
        });
      },
    };
  });
})();
