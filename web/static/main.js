// riscade's page, main thread: keys in, pictures out. The game (Pyodide, the websocket, the
// simulation) runs in worker.js; this thread draws its latest view every animation frame.
"use strict";
(() => {
  const params = new URLSearchParams(location.search);
  const intParam = (k) => (params.has(k) && /^\d{1,15}$/.test(params.get(k)) ? Number(params.get(k)) : -1);
  const BUTTONS = { ArrowUp: 1, KeyW: 1, ArrowDown: 2, KeyS: 2, ArrowLeft: 4, KeyA: 4,
                    ArrowRight: 8, KeyD: 8, Space: 16 };
  const SHAPE = { 1: "circle", 2: "square", 3: "triangle", 4: "diamond" };
  // What a kind looks like when no mod styled it: [shape, colour, size in world units].
  const DEFAULT_LOOK = { 1: ["circle", "#4fc3f7", 1.6], 2: ["circle", "#f7c948", 1.0],
                         3: ["circle", "#ffffff", 0.5] };
  const FIXED_ONE = 256;
  const MARGIN = 20;  // pixels around the arena, so names at its edges show
  const $ = (id) => document.getElementById(id);
  const canvas = $("arena"), ctx = canvas.getContext("2d");

  let name = params.get("name") || localStorage.getItem("riscade.name");
  if (!name) name = `guest${Math.floor(Math.random() * 9000 + 1000)}`;
  if (params.has("name")) localStorage.setItem("riscade.name", name);
  // The server's token for this name (Welcome.token): a return within its grace period plays
  // as the same player. Kept per server and name, as `riscade connect` keeps it.
  const tokenKey = `riscade.token.${location.host}.${name}`;
  const kept = localStorage.getItem(tokenKey) || "";
  const token = /^[!-~]{1,64}$/.test(kept) ? kept : "";

  let status = { state: "loading", tick: null, ticks: 0, desyncs: 0, state_hash: null,
                 player_id: null, mods: [], mod_bytes_received: 0, mods_from_cache: 0 };
  let view = null, viewText = "null", dirty = true, drawn = null;
  let fps = 0, frames = 0, fpsSince = performance.now();
  let held = 0;
  const rings = [];   // sounds of recent ticks, drawn as fading rings where they played
  const RING_MS = 400;

  const worker = new Worker("/static/worker.js", { type: "module" });
  worker.onmessage = (ev) => {
    const m = ev.data;
    if (m.type === "update") {
      status = m.status;
      if (m.view !== viewText) {
        viewText = m.view;
        view = JSON.parse(m.view);
        dirty = true;
        const now = performance.now();
        if (view) for (const snd of view.sounds) rings.push({ ...snd, at: now });
      }
      for (const line of m.chat) addChat(line);
      showState();
    } else if (m.type === "phase") {
      status = { ...status, state: m.state };
      setState(m.state, m.detail);
    } else if (m.type === "fatal") {
      status = { ...status, state: "ended", ended: m.reason };
      showState();
    } else if (m.type === "token") {
      localStorage.setItem(tokenKey, m.token);
    } else if (m.type === "notice") {
      addChat({ notice: m.text });
    }
  };
  worker.postMessage({ type: "start", name, token, bot: intParam("bot"), ticks: intParam("ticks") });

  // --- status ----------------------------------------------------------------------------
  const LABEL = { connecting: "connecting", joining: "joining", downloading: "downloading",
                  syncing: "joining", playing: "in game", desync: "desync: resyncing",
                  ended: "disconnected", loading: "loading" };
  function setState(state, detail) {
    const el = $("state");
    el.dataset.state = state;
    el.textContent = LABEL[state] || state;
    $("detail").textContent = detail || "";
  }
  function showState() {
    const s = status;
    let detail = "";
    if (s.state === "playing" || s.state === "desync") {
      detail = `${name} (player ${s.player_id})` + (s.resyncs ? `, resynced ${s.resyncs}x` : "");
    } else if (s.state === "ended") detail = s.ended || "";
    setState(s.state, detail);
    const dl = $("download");
    const downloading = s.state === "downloading" || s.state === "syncing";
    dl.hidden = !downloading;
    if (downloading && s.downloads) {
      const done = s.downloads.filter((d) => d.done).length;
      $("download-title").textContent = s.state === "syncing"
        ? "Mods ready; receiving the world..."
        : `Downloading mods: ${done} of ${s.downloads.length}, ${s.mod_bytes_received} bytes`;
      $("download-bar").style.width = `${s.downloads.length ? (100 * done) / s.downloads.length : 100}%`;
      $("download-list").replaceChildren(...s.downloads.map((d) => {
        const li = document.createElement("li");
        li.className = d.done ? "done" : "";
        const how = !d.done ? "waiting" : d.state === "cache" ? "from cache"
          : `${d.bytes} bytes`;
        li.textContent = `${d.name} (${d.size} bytes): ${how}`;
        return li;
      }));
    }
    $("ended").hidden = s.state !== "ended";
    if (s.state === "ended") $("ended-reason").textContent = s.ended || "disconnected";
  }
  $("rejoin").onclick = () => location.reload();

  // --- chat ------------------------------------------------------------------------------
  function addChat(line) {
    const li = document.createElement("li");
    if (line.notice) { li.className = "notice"; li.textContent = line.notice; }
    else if (line.server) { li.className = "private"; li.textContent = `[server to you] ${line.text}`; }
    else if (line.mod) {
      li.className = line.private ? "mod private" : "mod";
      li.textContent = `[${line.mod}${line.private ? " to you" : ""}] ${line.text}`;
    } else li.textContent = `<${line.name || "p" + line.player}> ${line.text}`;
    const box = $("chat");
    box.append(li);
    while (box.children.length > 200) box.firstChild.remove();
    box.scrollTop = box.scrollHeight;
  }
  const chatInput = $("chat-input");
  $("chat-form").onsubmit = (ev) => {
    ev.preventDefault();
    const text = chatInput.value.trim();
    if (text) worker.postMessage({ type: "chat", text });
    chatInput.value = "";
    chatInput.blur();
    canvas.focus();
  };
  chatInput.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") { chatInput.blur(); canvas.focus(); }
  });

  // --- keys ------------------------------------------------------------------------------
  function setHeld(next) {
    if (next !== held) { held = next; worker.postMessage({ type: "buttons", buttons: held }); }
  }
  addEventListener("keydown", (ev) => {
    if (document.activeElement === chatInput) return;
    if (ev.key === "Enter") { ev.preventDefault(); setHeld(0); chatInput.focus(); return; }
    const bit = BUTTONS[ev.code];
    if (bit) { ev.preventDefault(); setHeld(held | bit); }
  });
  addEventListener("keyup", (ev) => {
    const bit = BUTTONS[ev.code];
    if (bit) setHeld(held & ~bit);
  });
  addEventListener("blur", () => setHeld(0));
  addEventListener("pagehide", () => worker.postMessage({ type: "leave" }));
  canvas.focus();

  // --- drawing ---------------------------------------------------------------------------
  function geometry() {
    if (!view) return null;
    const s = Math.min((canvas.width - 2 * MARGIN) / view.width,
                       (canvas.height - 2 * MARGIN) / view.height);
    return { s, ox: (canvas.width - view.width * s) / 2, oy: (canvas.height - view.height * s) / 2 };
  }
  function toScreen(x, y) {
    const g = geometry();
    return g ? [g.ox + x * g.s, g.oy + y * g.s] : null;
  }
  const hex = (rgb) => `#${rgb.toString(16).padStart(6, "0")}`;
  function lookOf(kinds, kind) {
    const k = kinds.get(kind);
    const d = DEFAULT_LOOK[kind] || ["square", "#b0b8c8", 1.0];
    if (!k) return { shape: d[0], colour: d[1], size: d[2] * FIXED_ONE, label: "" };
    return { shape: SHAPE[k.shape] || d[0], colour: k.shape ? hex(k.rgb) : d[1],
             size: k.size || d[2] * FIXED_ONE, label: k.label };
  }
  function shape(kind, x, y, r) {
    ctx.beginPath();
    if (kind === "circle") ctx.arc(x, y, r, 0, 2 * Math.PI);
    else if (kind === "square") ctx.rect(x - r, y - r, 2 * r, 2 * r);
    else if (kind === "triangle") { ctx.moveTo(x, y - r); ctx.lineTo(x + r, y + r); ctx.lineTo(x - r, y + r); ctx.closePath(); }
    else { ctx.moveTo(x, y - r); ctx.lineTo(x + r, y); ctx.lineTo(x, y + r); ctx.lineTo(x - r, y); ctx.closePath(); }
  }
  function draw(withRings = true) {
    ctx.fillStyle = "#0b0d12";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    drawn = view;
    if (!view) return;
    const g = geometry();
    ctx.fillStyle = "#151a26";
    ctx.fillRect(g.ox, g.oy, view.width * g.s, view.height * g.s);
    ctx.strokeStyle = "#1d2435";
    ctx.lineWidth = 1;
    for (let u = 0; u <= view.width; u += 10 * FIXED_ONE) {
      ctx.beginPath(); ctx.moveTo(g.ox + u * g.s, g.oy); ctx.lineTo(g.ox + u * g.s, g.oy + view.height * g.s); ctx.stroke();
    }
    for (let u = 0; u <= view.height; u += 10 * FIXED_ONE) {
      ctx.beginPath(); ctx.moveTo(g.ox, g.oy + u * g.s); ctx.lineTo(g.ox + view.width * g.s, g.oy + u * g.s); ctx.stroke();
    }
    const kinds = new Map(view.kinds.map((k) => [k.kind, k]));
    const names = new Map(view.players.map((p) => [p.entity, p]));
    ctx.textAlign = "center";
    ctx.font = "12px system-ui, sans-serif";
    for (const e of view.entities) {
      const look = lookOf(kinds, e.kind);
      const [x, y] = toScreen(e.x, e.y);
      const r = Math.max(3, (look.size * g.s) / 2);
      ctx.fillStyle = look.colour;
      shape(look.shape, x, y, r);
      ctx.fill();
      const player = names.get(e.id);
      if (player && player.player === view.me) {
        ctx.strokeStyle = "#ffffff"; ctx.lineWidth = 2; shape(look.shape, x, y, r + 3); ctx.stroke();
      }
      ctx.fillStyle = "#dfe6f3";
      if (player) ctx.fillText(`${player.name} ${e.score}`, x, y - r - 5);
      if (e.label) ctx.fillText(e.label, x, y + r + 13);
    }
    const now = performance.now();
    while (rings.length && now - rings[0].at > RING_MS) rings.shift();
    for (const ring of withRings ? rings : []) {
      const age = (now - ring.at) / RING_MS;
      const [x, y] = toScreen(ring.x, ring.y);
      ctx.strokeStyle = `rgba(247, 201, 72, ${1 - age})`;
      ctx.lineWidth = 2;
      ctx.beginPath(); ctx.arc(x, y, 6 + 24 * age, 0, 2 * Math.PI); ctx.stroke();
    }
  }
  function sidePanel() {
    if (!view) return;
    const names = new Map(view.players.map((p) => [p.player, p.name]));
    const board = view.scoreboard;
    $("score-title").textContent = board ? board.title : "Scores";
    const rows = board ? board.rows
      : view.players.map((p) => ({ player: p.player, score: (view.entities.find((e) => e.id === p.entity) || {}).score || 0 }));
    $("scores").replaceChildren(...rows.map((r) => {
      const li = document.createElement("li");
      li.textContent = `${names.get(r.player) || "p" + r.player}: ${r.score}`;
      if (r.player === view.me) li.className = "me";
      return li;
    }));
    const mine = view.hud.find((h) => h.player === view.me);
    $("hud").replaceChildren(...(mine ? mine.lines : []).map((text) => {
      const li = document.createElement("li"); li.textContent = text; return li;
    }));
  }
  function debug() {
    const s = status;
    $("debug").textContent = [
      `tick ${s.tick ?? "-"}  hash ${s.state_hash ? s.state_hash.slice(0, 12) : "-"}`,
      `sim ${s.sim_ms != null ? s.sim_ms.toFixed(2) : "-"} ms/tick  ${fps} fps`,
      `ticks ${s.ticks}  desyncs ${s.desyncs}  mods ${s.mods.length}`,
    ].join("\n");
  }
  function frame(now) {
    frames += 1;
    if (now - fpsSince >= 1000) { fps = Math.round((frames * 1000) / (now - fpsSince)); frames = 0; fpsSince = now; }
    if (dirty) { draw(); sidePanel(); dirty = false; } else if (rings.length) draw();
    debug();
    requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);

  // What the page itself fetched (the worker counts its own in status.load.transfer).
  function transferred() {
    const entries = [...performance.getEntriesByType("navigation"),
                     ...performance.getEntriesByType("resource")];
    return { network_bytes: entries.reduce((n, e) => n + (e.transferSize || 0), 0),
             file_bytes: entries.reduce((n, e) => n + (e.decodedBodySize || 0), 0),
             files: entries.length };
  }

  // For tools and tests: the client's figures, the view, world -> canvas pixels.
  window.riscade = {
    status: () => ({ ...status, fps, name, page: transferred() }),
    view: () => view,
    toScreen,
    // The view drawn now (without the fleeting sound rings) and the canvas as a PNG.
    capture: () => { draw(false); return { view: drawn, png: canvas.toDataURL("image/png") }; },
    press: (buttons) => setHeld(buttons),
  };
})();
