// Loaded just before require.js on the pages whose notebook stores widget state (nb_ipywidgets_js in
// _config.yml); tools/vendor_assets.py copies it to _build/html/_vendor/npgrad/.
(function () {
  // The widget manager finds its icon fonts beside the AMD module that require.js thinks it
  // loaded; by default that is the page's own folder, where they are not. Name the folder
  // they were copied to (_vendor/html-manager/) in require.js's configuration.
  var vendor = new URL("../", document.currentScript.src).href;
  window.require = {paths: {"@jupyter-widgets/html-manager/dist": vendor + "html-manager"}};

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
