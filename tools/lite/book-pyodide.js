// The book's Pyodide kernel loads this file in place of pyodide.js (jupyter-lite.json's
// pyodideUrl, written by tools/lite/build_lite.py). It starts Pyodide as pyodide.js does,
// then moves the working folder ('') from the front of sys.path to its end.
//
// Why: the kernel works in /drive, JupyterLite's file system, where every call (a stat, a
// directory listing) is a synchronous request answered by the page, 5 to 80 ms each (more
// while the page is busy drawing the notebook). With '' first, every `import` of a module
// not yet loaded asks /drive first: about 110 requests while the kernel imports IPython,
// 30 more in chapter 1's first cell. Last, '' is asked only for what the standard library
// and the installed packages do not have: a reader's own module still imports (it can no
// longer hide an installed module of the same name, as with Python's -P).
self.loadPyodide = async (options) => {
  importScripts(`${options.indexURL}pyodide.js`);  // Pyodide's own loadPyodide, into self
  const pyodide = await self.loadPyodide(options);
  pyodide.runPython("import sys\nif '' in sys.path:\n    sys.path.remove('')\n"
                    + "    sys.path.append('')");
  return pyodide;
};
