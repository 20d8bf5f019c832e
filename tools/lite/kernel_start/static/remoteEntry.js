// book-kernel-start: a JupyterLab plugin that starts the kernel of the notebook named in the
// page's address (?path=chapters/01_backprop.ipynb, what the book's launch buttons open) as
// soon as JupyterLite has started, instead of after the notebook is drawn.
//
// Why: JupyterLab starts a notebook's session only once every cell is drawn, and drawing a
// chapter (jupyterlab-myst rendering its markdown, KaTeX its formulas) keeps the page's
// thread busy for 4 to 5 s, while the kernel's web worker could already be loading Pyodide
// (benchmarks/lite_start.md). This plugin creates the session for that path first; when the
// notebook is drawn, JupyterLab finds a running session with the notebook's path and
// connects to it (SessionContext.initialize) instead of starting another.
//
// No build step: this file is the whole extension, in the form JupyterLite's bootstrap.js
// loads (a module-federation container: window._JUPYTERLAB[name] with init and get). The
// two tokens it needs come from the modules JupyterLite shares with every extension.
(function () {
  "use strict";

  let shared = {}; // the share scope JupyterLite passes to init

  async function sharedExport(pkg, name) {
    const versions = shared[pkg] || {};
    const version = Object.keys(versions)[0];
    if (!version) {
      throw new Error(`book-kernel-start: ${pkg} is not shared by JupyterLite`);
    }
    return (await versions[version].get())()[name];
  }

  // JupyterLab's start waits for the kernel's worker at most this long (ms).
  const HOLD_MS = 3000;

  async function startKernelEarly(app, kernelspecs, serviceWorker) {
    const path = new URLSearchParams(window.location.search).get("path");
    // Only a path as the book's launch links write it (folders/name.ipynb): another
    // spelling of the same notebook ("./", "..", "//") could open under a path other than
    // the session's, and the notebook would start a second kernel.
    const odd = (part) => !part || part === "." || part === "..";
    if (!path || !path.endsWith(".ipynb") || path.split("/").some(odd)) {
      return;
    }
    const services = app.serviceManager;
    const found = services.contents.get(path, { content: false }).then(() => true, () => false);
    const kernel = kernelspecs.defaultKernelName;
    await registered(kernelspecs, kernel); // by the Pyodide kernel's plugin
    // The kernel reads and writes the notebook's folder through the service worker only if
    // it is registered when the kernel is created (mountDrive in the Pyodide kernel).
    await (serviceWorker ? serviceWorker.ready.catch(() => undefined) : undefined);
    await services.sessions.ready;
    if (Array.from(services.sessions.running()).some((s) => s.path === path)) {
      return;
    }
    const session = await services.sessions.startNew({
      path,
      name: path.split("/").pop(),
      type: "notebook",
      kernel: { name: kernel },
    });
    if (await found) {
      console.info(`book-kernel-start: started the kernel of ${path}`);
    } else {
      // No such notebook: nothing would use the kernel. Shut down through the kernel:
      // JupyterLite then ends the session itself (sessions.shutdown made it do that a
      // second time, an uncaught "Session ... not found").
      await session.kernel.shutdown();
      console.info(`book-kernel-start: no notebook ${path}, its kernel shut down`);
    }
    session.dispose(); // our connection only: the session and its kernel keep running
  }

  function registered(kernelspecs, name) {
    return new Promise((resolve) => {
      const check = () => {
        if (kernelspecs.factories.has(name)) {
          kernelspecs.changed.disconnect(check);
          resolve();
        }
      };
      kernelspecs.changed.connect(check);
      check();
    });
  }

  async function plugins() {
    const IKernelSpecs = await sharedExport("@jupyterlite/kernel", "IKernelSpecs");
    const IServiceWorkerManager = await sharedExport("@jupyterlite/server",
                                                     "IServiceWorkerManager");
    return [{
      id: "book-kernel-start:plugin",
      description: "Start the notebook's kernel before the notebook is drawn.",
      autoStart: true,
      requires: [IKernelSpecs],
      optional: [IServiceWorkerManager],
      // The promise returned holds JupyterLab's start, and so the notebook's drawing, until
      // the kernel's worker exists (a few hundred ms; HOLD_MS at most): a worker created
      // while the notebook is drawn waits for the drawing to end before it loads anything.
      activate: (app, kernelspecs, serviceWorker) => {
        const started = startKernelEarly(app, kernelspecs, serviceWorker).catch((error) => {
          // The notebook then starts its kernel itself, as without this plugin.
          console.warn("book-kernel-start: kernel not started early:", error);
        });
        return Promise.race([started, new Promise((done) => setTimeout(done, HOLD_MS))]);
      },
    }];
  }

  const self = (window._JUPYTERLAB = window._JUPYTERLAB || {});
  self["book-kernel-start"] = {
    init: (scope) => {
      shared = scope;
      return Promise.resolve();
    },
    get: async (module) => {
      if (module !== "./extension") {
        throw new Error(`book-kernel-start has no module ${module}`);
      }
      const exported = await plugins();
      return () => ({ __esModule: true, default: exported });
    },
  };
})();
