// The book's Pyodide kernel loads this file in place of pyodide.js (jupyter-lite.json's
// pyodideUrl, written by tools/lite/build_lite.py). It starts Pyodide as pyodide.js does,
// takes the working folder ('') out of sys.path while the kernel starts, and puts it back,
// at the end, once the kernel has imported itself.
//
// Why: the kernel works in /drive, JupyterLite's file system, where every call (a stat, a
// directory listing) is a synchronous request answered by the page, 5 to 80 ms each, and 100
// ms while the page is still drawing the notebook (tools/lite/kernel_start starts the kernel
// that early). With '' first, every `import` of a module not yet loaded asked /drive first:
// about 110 requests while the kernel imports IPython, 30 more in chapter 1's first cell.
// With '' last, only the imports that nothing else satisfies ask it (the optional modules
// IPython tries): about 15 requests, 2 s while the page draws. Without '' until the kernel
// is up, none. Last on sys.path, '' is asked only for what the standard library and the
// installed packages do not have: a reader's own module still imports (it can no longer
// hide an installed module of the same name, as with Python's -P).
self.loadPyodide = async (options) => {
  importScripts(`${options.indexURL}pyodide.js`);  // Pyodide's own loadPyodide, into self
  const pyodide = await self.loadPyodide(options);
  pyodide.runPython("import sys\nif '' in sys.path:\n    sys.path.remove('')");
  // The kernel's worker (jupyterlite-pyodide-kernel 0.6) imports itself in one script that
  // ends by moving into the notebook's folder; '' goes back after that script, last (IPython
  // puts one in front of site-packages when it finds none).
  const runPythonAsync = pyodide.runPythonAsync.bind(pyodide);
  pyodide.runPythonAsync = async (code, ...rest) => {
    try {
      return await runPythonAsync(code, ...rest);
    } finally {
      if (code.includes("import pyodide_kernel")) {
        pyodide.runPython("import sys\nwhile '' in sys.path:\n    sys.path.remove('')\n"
                          + "sys.path.append('')");
        pyodide.runPythonAsync = runPythonAsync;
      }
    }
  };
  return pyodide;
};
