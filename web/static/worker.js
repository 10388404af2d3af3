// riscade's Web Worker: Pyodide runs client.browser (the same Python VM, protocol and
// simulation as the server) and the websocket lives here too.
//
// Why the websocket is in the worker: every message goes straight into Python in the thread
// that simulates, in arrival order, with no copy through postMessage; a long backlog of ticks
// never blocks the page (it only delays the next view); the main thread only draws and reads
// keys. The main thread gets, at most once per frame, a status, a view and new chat lines.

let client = null;        // the Python BrowserClient
let ws = null;
let py = null;
const queue = [];         // websocket messages not yet fed
let pumping = false;
let lastPost = 0;
let tokenPosted = "";
const metrics = { load_ms: {}, asset_bytes: 0, started: performance.now() };

function post(msg) { self.postMessage(msg); }
function phase(state, detail) { post({ type: "phase", state, detail }); }

// --- the mod cache: IndexedDB (works where the Cache API does not: plain-http pages) -----
const DB = "riscade", STORE = "mods";
function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}
function idb(db, mode, fn) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const req = fn(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(req ? req.result : undefined);
    tx.onerror = () => reject(tx.error);
  });
}
let db = null;
async function cacheKeys() {
  try { db = await openDb(); return await idb(db, "readonly", (s) => s.getAllKeys()); }
  catch (e) { db = null; return []; }   // no IndexedDB (private mode): no cache
}
async function cacheGet(sha) {
  if (!db) return null;
  const v = await idb(db, "readonly", (s) => s.get(sha));
  return v ? new Uint8Array(v) : null;   // Python checks its SHA-256 before using it
}
async function cachePut(sha, elf) {
  if (db) await idb(db, "readwrite", (s) => s.put(elf.buffer.slice(0), sha));
}

// --- loading Python ------------------------------------------------------------------------
async function fetchBytes(url, what) {
  const t0 = performance.now();
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} for ${url}`);
  const buf = new Uint8Array(await res.arrayBuffer());
  metrics.asset_bytes += buf.length;
  metrics.load_ms[what] = Math.round(performance.now() - t0);
  return buf;
}

function checked(buf, sha256, what) {
  const ok = py.runPython("import hashlib\nlambda b, h: hashlib.sha256(b.to_bytes()).hexdigest() == h");
  const good = ok(buf, sha256);
  ok.destroy();
  if (!good) throw new Error(`${what} does not match its SHA-256 in the manifest`);
}

async function loadPython() {
  phase("loading", "Python (Pyodide)");
  const t0 = performance.now();
  const manifest = JSON.parse(new TextDecoder().decode(
    await fetchBytes("/py/manifest.json", "manifest")));
  const { loadPyodide } = await import("/pyodide/pyodide.mjs");
  py = await loadPyodide({ indexURL: "/pyodide/" });
  metrics.load_ms.pyodide = Math.round(performance.now() - t0);
  phase("loading", "the game's Python code");
  for (const w of manifest.wheels) {
    const buf = await fetchBytes(`/wheels/${w.file}`, w.file);
    checked(buf, w.sha256, w.file);
    py.unpackArchive(buf, "wheel");
  }
  const zip = await fetchBytes(`/py/${manifest.bundle.file}`, "bundle");
  checked(zip, manifest.bundle.sha256, manifest.bundle.file);
  py.unpackArchive(zip, "zip", { extractDir: "/home/pyodide/riscade" });
  py.runPython("import sys; sys.path.insert(0, '/home/pyodide/riscade')");
  const t1 = performance.now();
  py.pyimport("client.browser");
  metrics.load_ms.import = Math.round(performance.now() - t1);
  metrics.load_ms.total = Math.round(performance.now() - metrics.started);
  metrics.pyodide_version = manifest.pyodide;
}

// Bytes this worker fetched over the network (0 for what came from the HTTP cache), and
// the bytes of every file it used.
function transferred() {
  const entries = performance.getEntriesByType("resource");
  return { network_bytes: entries.reduce((n, e) => n + e.transferSize, 0),
           file_bytes: entries.reduce((n, e) => n + e.decodedBodySize, 0),
           files: entries.length };
}

// --- the game ------------------------------------------------------------------------------
function sendAll() {
  const out = client.output();
  const arr = out.toJs();
  out.destroy();
  for (const data of arr) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(data);
  }
}

function publish(force) {
  const now = performance.now();
  if (!force && now - lastPost < 16) return;
  lastPost = now;
  const status = JSON.parse(client.status_json());
  if (status.state === "playing" && metrics.join_ms === undefined) {
    metrics.join_ms = Math.round(now - metrics.join_started);
  }
  status.load = metrics;
  const token = client.token();
  if (token && token !== tokenPosted) {   // the page keeps it for the next visit
    tokenPosted = token;
    post({ type: "token", token });
  }
  status.load.transfer = transferred();
  post({ type: "update", status, view: client.view_json(), chat: JSON.parse(client.chat_json()) });
  if (client.ended() && ws && ws.readyState <= WebSocket.OPEN) ws.close(1000);
}

async function pump() {
  if (pumping || !client) return;
  pumping = true;
  try {
    let slice = performance.now();
    while (queue.length) {
      client.feed(queue.shift());
      const needs = client.needs();
      const shas = needs.toJs();
      needs.destroy();
      for (const sha of shas) client.give(sha, await cacheGet(sha));
      const stored = client.store();
      const elves = stored.toJs();
      stored.destroy();
      for (const elf of elves) {
        const h = py.runPython("import hashlib\nlambda b: hashlib.sha256(b.to_bytes()).hexdigest()");
        const sha = h(elf); h.destroy();
        await cachePut(sha, elf);
      }
      sendAll();
      if (performance.now() - slice > 50) {   // a backlog: let the page see progress
        publish(true);
        await new Promise((r) => setTimeout(r, 0));
        slice = performance.now();
      }
    }
    publish(false);
  } finally {
    pumping = false;
  }
}

function serverUrl() {   // the game is on the page's own host and port
  const scheme = self.location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${self.location.host}/`;
}

async function start(opts) {
  try {
    await loadPython();
  } catch (e) {
    post({ type: "fatal", reason: `cannot load the game: ${e.message || e}` });
    return;
  }
  const cached = await cacheKeys();
  const BrowserClient = py.pyimport("client.browser").BrowserClient;
  try {
    client = BrowserClient(opts.name, JSON.stringify(cached), opts.bot, opts.ticks, opts.token);
  } catch (e) {   // a name the protocol refuses before anything is sent
    const text = String(e.message || e).trim().split("\n").pop();
    post({ type: "fatal", reason: `cannot join as ${JSON.stringify(opts.name)}: ${text}` });
    return;
  }
  phase("joining", serverUrl());
  metrics.join_started = performance.now();
  ws = new WebSocket(serverUrl());
  ws.binaryType = "arraybuffer";
  ws.onopen = () => {
    const hello = client.start();
    ws.send(hello.toJs());
    hello.destroy();
    publish(true);
  };
  ws.onmessage = (ev) => { queue.push(new Uint8Array(ev.data)); pump(); };
  ws.onclose = (ev) => {
    const finish = () => {
      if (!client.ended()) client.lost(ev.reason || `closed (code ${ev.code})`);
      publish(true);
    };
    if (pumping || queue.length) setTimeout(() => ws.onclose(ev), 20); else finish();
  };
  ws.onerror = () => {};   // onclose follows with the code
}

self.onmessage = (ev) => {
  const m = ev.data;
  if (m.type === "start") start(m);
  else if (!client) return;
  else if (m.type === "buttons") { client.press(m.buttons); sendAll(); }
  else if (m.type === "chat") {
    const why = client.say(m.text);
    sendAll();
    if (why) post({ type: "notice", text: `chat not sent: ${why}` });
  } else if (m.type === "leave") { client.leave(); sendAll(); publish(true); }
};
