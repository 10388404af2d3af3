// Runs a Python script in Pyodide under Node, with riscade's client code and wheels installed as
// the browser's worker installs them: node run.mjs CONFIG.json (written by web/node.py).
//   {"pyodide": DIR, "bundle": ZIP, "wheels": [WHL...], "data": DIR, "script": PY, "args": [...]}
// The script sees DATA at /data (read-write); its stdout and stderr are Node's.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import path from "node:path";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const { loadPyodide } = await import(pathToFileURL(path.join(config.pyodide, "pyodide.mjs")).href);
const py = await loadPyodide({
  indexURL: config.pyodide + path.sep,
  stdout: (line) => process.stdout.write(line + "\n"),
  stderr: (line) => process.stderr.write(line + "\n"),
});
py.unpackArchive(new Uint8Array(readFileSync(config.bundle)), "zip", { extractDir: "/home/pyodide/riscade" });
for (const wheel of config.wheels) {
  py.unpackArchive(new Uint8Array(readFileSync(wheel)), "wheel");
}
py.FS.mkdirTree("/data");
py.FS.mount(py.FS.filesystems.NODEFS, { root: config.data }, "/data");
py.globals.set("_script_args", py.toPy(config.args));
py.globals.set("_script_source", readFileSync(config.script, "utf8"));
try {
  py.runPython(`
import sys
sys.path.insert(0, "/home/pyodide/riscade")
sys.argv = ["${path.basename(config.script)}", *_script_args]
del _script_args
exec(compile(_script_source, sys.argv[0], "exec"), {"__name__": "__main__", "__file__": sys.argv[0]})
`);
} catch (err) {
  process.stderr.write(String(err) + "\n");
  process.exit(1);
}
