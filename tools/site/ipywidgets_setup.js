// Loaded just before require.js on the pages whose notebook stores widget state (nb_ipywidgets_js in
// _config.yml); tools/site/vendor_assets.py copies it to _build/html/_vendor/npgrad/. It tells
// require.js where the widget manager's files are, answers MathJax 2's typeset call, and gives
// the Play buttons and slider handles accessible names.
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

  // Accessible names for controls whose ipywidgets views have none: the Play widget's buttons
  // show only an icon, and a slider's handle (the element that takes the keyboard) is not tied
  // to the description label drawn beside it. Views are drawn after the page loads and the Play
  // button swaps its icon (play, pause), so labels are set again whenever the widgets change.
  var PLAY_BUTTONS = [["fa-pause", "Pause"], ["fa-play", "Play"], ["fa-stop", "Stop"],
                      ["fa-retweet", "Repeat"], ["fa-repeat", "Repeat"]];
  var labelCount = 0;

  function iconName(button) {
    var icons = button.querySelectorAll("[class*='fa-']");
    for (var i = 0; i < PLAY_BUTTONS.length; i++) {
      for (var j = 0; j < icons.length; j++) {
        if (icons[j].classList.contains(PLAY_BUTTONS[i][0])) return PLAY_BUTTONS[i][1];
      }
    }
    return null;
  }

  function labelWidgets(root) {
    root.querySelectorAll(".widget-play button").forEach(function (button) {
      var name = iconName(button);
      if (name && button.getAttribute("aria-label") !== name) {
        button.setAttribute("aria-label", name);
        button.title = name;
      }
    });
    root.querySelectorAll(".noUi-handle[role='slider']:not([aria-labelledby])").forEach(function (handle) {
      var widget = handle.closest(".widget-slider");
      var label = widget && widget.querySelector(".widget-label");
      if (!label || !label.textContent.trim()) return;
      if (!label.id) label.id = "npgrad-widget-label-" + ++labelCount;
      handle.setAttribute("aria-labelledby", label.id);
    });
  }

  var pending = false;
  var observer = new MutationObserver(function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () {
      pending = false;
      labelWidgets(document);
    });
  });
  document.addEventListener("DOMContentLoaded", function () {
    observer.observe(document.body, {childList: true, subtree: true, attributes: true,
                                     attributeFilter: ["class"]});
  });
})();
