// dronewarn operator picture: an offline Leaflet map (no tiles: Natural Earth borders and the
// node's zones come from the node), live tracks over a WebSocket of batched deltas, warnings
// in and out with acknowledgement, link health, and replay of the stored history.
// Everything is served by the node itself; the page contacts no other host.

const CLASS_COLOURS = {
  shahed: "#ff4d3d", gerbera: "#ff7a3d", jet_drone: "#ff3d8b", multirotor: "#ffb020",
  unknown: "#f0e040", crewed: "#4aa8ff", bird_clutter: "#7f8c99",
};
const TRAIL_POINTS = 40;
const state = {
  me: null, node: null, fields: null, flags: null,
  tracks: new Map(),          // id -> row (array)
  trails: new Map(),          // id -> [[lat, lon], ...]
  warnings: [], links: null, timeS: null,
  selected: null, selectedWarning: null, mode: "live",
  replay: { first: null, last: null, t: null, playing: false, frames: [], loadedTo: -Infinity, loading: false },
  socket: null,
};
// measurements the browser tests and the bench read
const stats = { draws: [], applies: [], batches: 0, bytes: 0, errors: 0, replayFrames: 0 };
window.dronewarn = { state, stats };

const $ = (id) => document.getElementById(id);
const F = {};  // field name -> index in a row

function utc(s, withDate = false) {
  if (s === null || s === undefined || !Number.isFinite(s)) return "--:--:--";
  const iso = new Date(s * 1000).toISOString();
  return withDate ? iso.slice(0, 19).replace("T", " ") + "Z" : iso.slice(11, 19);
}
function mmss(seconds) {
  if (seconds === null || !Number.isFinite(seconds)) return "–";
  const sign = seconds < 0 ? "-" : "";
  const a = Math.abs(Math.round(seconds));
  return `${sign}${Math.floor(a / 60)}:${String(a % 60).padStart(2, "0")}`;
}
function toast(text) {
  const el = $("toast");
  el.textContent = text; el.hidden = false;
  clearTimeout(toast.timer); toast.timer = setTimeout(() => { el.hidden = true; }, 3500);
}
function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

async function api(path, options = {}) {
  const response = await fetch(path, {
    credentials: "same-origin",
    headers: options.body ? { "Content-Type": "application/json" } : {},
    ...options,
  });
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch (e) { /* not JSON */ }
    const error = new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
    error.status = response.status;
    throw error;
  }
  return response.json();
}

// ---------------------------------------------------------------- login

async function boot() {
  try {
    state.me = await api("/api/me");
  } catch (e) {
    if (e.status === 401) return showLogin();
    throw e;
  }
  $("login").hidden = true;
  $("user").textContent = `${state.me.user} (${state.me.role})`;
  $("logout").hidden = false;
  await start();
}

function showLogin() {
  $("login").hidden = false;
  $("login-node").textContent = "Operator picture: log in";
  $("login-form").onsubmit = async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    try {
      await api("/api/login", { method: "POST", body: JSON.stringify({ name: form.get("name"), password: form.get("password") }) });
      $("login-error").textContent = "";
      await boot();
    } catch (e) {
      $("login-error").textContent = e.message;
    }
  };
}

$("logout").onclick = async () => {
  await api("/api/logout", { method: "POST" });
  location.reload();
};

// ---------------------------------------------------------------- the map

let map, trackLayer, entryLayer;

async function start() {
  state.node = await api("/api/node");
  state.fields = state.node.track_fields;
  state.fields.forEach((name, i) => { F[name] = i; });
  state.flags = state.node.track_flags;
  const label = state.node.name ? `${state.node.node_id} · ${state.node.name}` : state.node.node_id;
  $("node-name").textContent = `dronewarn · ${label}`;
  document.title = `dronewarn · ${label}`;
  map = L.map("map", { preferCanvas: true, zoomSnap: 0.25, worldCopyJump: false })
    .setView(state.node.centre, 6.75);
  map.attributionControl.addAttribution("Borders: Natural Earth (public domain)");
  L.geoJSON(state.node.map, {
    style: (feature) => areaStyle(feature.properties.kind),
    onEachFeature: (feature, layer) => layer.bindTooltip(feature.properties.id, { sticky: true }),
  }).addTo(map);
  for (const sensor of state.node.sensors) {
    if (sensor.lat_deg === null) continue;
    L.circleMarker([sensor.lat_deg, sensor.lon_deg], { radius: 4, color: "#9fb3c8", weight: 1, fillOpacity: 0.8 })
      .bindTooltip(`${sensor.sensor_id} (${sensor.kind})`).addTo(map);
    if (sensor.range_m) {
      L.circle([sensor.lat_deg, sensor.lon_deg], { radius: sensor.range_m, color: "#9fb3c8", weight: 0.5, opacity: 0.35, fill: false, interactive: false }).addTo(map);
    }
  }
  window.dronewarn.map = map;
  entryLayer = L.layerGroup().addTo(map);
  trackLayer = new TrackLayer().addTo(map);
  window.dronewarn.trackLayer = trackLayer;
  map.on("click", (event) => {
    const id = trackLayer.hit(event.containerPoint);
    select(id);
  });
  $("all-paths").onchange = () => trackLayer.redraw();
  setupTabs();
  setupReplay();
  connect();
}

function areaStyle(kind) {
  if (kind === "own") return { color: "#7fb0d8", weight: 1.5, fillColor: "#1c3a55", fillOpacity: 0.55 };
  if (kind === "zone") return { color: "#ffb020", weight: 1, dashArray: "5 4", fillColor: "#ffb020", fillOpacity: 0.06 };
  return { color: "#50657a", weight: 1, fillColor: "#17293a", fillOpacity: 0.6 };
}

// Spherical Mercator world pixels at a zoom: the same projection as Leaflet's default CRS
// (EPSG:3857), done here so that trail points are projected once per zoom level, not per draw.
function worldPixels(point, zoom, scale) {
  const lat = Math.max(-85.0511287798, Math.min(85.0511287798, point.lat)) * Math.PI / 180;
  point.x = scale * (point.lon + 180) / 360;
  point.y = scale * (0.5 - Math.log(Math.tan(Math.PI / 4 + lat / 2)) / (2 * Math.PI));
  point.z = zoom;
}

// One canvas for every track: symbols, trails, predicted paths and corridors are drawn in a
// single pass per animation frame (1,000 tracks stay well inside a frame's budget).
const TrackLayer = L.Layer.extend({
  onAdd(m) {
    this._canvas = L.DomUtil.create("canvas", "leaflet-zoom-hide");
    m.getPanes().overlayPane.appendChild(this._canvas);
    m.on("moveend zoomend resize viewreset", this._reset, this);
    m.on("zoomstart", () => { this._canvas.style.visibility = "hidden"; });
    m.on("zoomend", () => { this._canvas.style.visibility = "visible"; });
    this._reset();
  },
  onRemove(m) {
    this._canvas.remove();
    m.off("moveend zoomend resize viewreset", this._reset, this);
  },
  _reset() {
    const size = this._map.getSize();
    const ratio = window.devicePixelRatio || 1;
    this._canvas.width = size.x * ratio; this._canvas.height = size.y * ratio;
    this._canvas.style.width = `${size.x}px`; this._canvas.style.height = `${size.y}px`;
    L.DomUtil.setPosition(this._canvas, this._map.containerPointToLayerPoint([0, 0]));
    this._ratio = ratio;
    this.redraw();
  },
  redraw() {
    if (this._frame) return this;
    this._frame = requestAnimationFrame(() => { this._frame = null; this._draw(); });
    return this;
  },
  hit(point) {
    let best = null, bestD = 12 * 12;
    for (const [id, p] of this._screen || []) {
      const d = (p.x - point.x) ** 2 + (p.y - point.y) ** 2;
      if (d < bestD) { bestD = d; best = id; }
    }
    return best;
  },
  _draw() {
    if (!this._map) return;
    const started = performance.now();
    const m = this._map, ctx = this._canvas.getContext("2d");
    ctx.setTransform(this._ratio, 0, 0, this._ratio, 0, 0);
    ctx.clearRect(0, 0, this._canvas.width, this._canvas.height);
    const bounds = m.getBounds().pad(0.2);
    const allPaths = $("all-paths").checked;
    const zoom = m.getZoom();
    const metresPerPixel = 40075016.686 * Math.cos(m.getCenter().lat * Math.PI / 180) / (256 * 2 ** zoom);
    const screen = new Map();
    const flags = state.flags;
    // trails: points cached in world pixels per zoom level; a pan is one offset per draw
    const z = zoom, scale = 256 * 2 ** z;
    const pane = m._getMapPanePos(), origin = m.getPixelOrigin();
    const offX = pane.x - origin.x, offY = pane.y - origin.y;
    const view = m.getSize();
    ctx.lineWidth = 1;
    ctx.strokeStyle = "rgba(200, 215, 230, 0.45)";
    ctx.beginPath();
    for (const [id, trail] of state.trails) {
      if (trail.length < 2 || !state.tracks.has(id)) continue;
      for (const point of trail) if (point.z !== z) worldPixels(point, z, scale);
      const head = trail[trail.length - 1];
      const hx = head.x + offX, hy = head.y + offY;
      if (hx < -200 || hy < -200 || hx > view.x + 200 || hy > view.y + 200) continue;
      ctx.moveTo(trail[0].x + offX, trail[0].y + offY);
      for (let i = 1; i < trail.length; i++) ctx.lineTo(trail[i].x + offX, trail[i].y + offY);
    }
    ctx.stroke();
    // predicted paths with their uncertainty corridors
    for (const row of state.tracks.values()) {
      const id = row[F.id];
      const warned = row[F.flags] & flags.warned;
      if (row[F.lead_lat_deg] === null || !(allPaths || warned || id === state.selected)) continue;
      const a = m.latLngToContainerPoint([row[F.lat_deg], row[F.lon_deg]]);
      const b = m.latLngToContainerPoint([row[F.lead_lat_deg], row[F.lead_lon_deg]]);
      const dx = b.x - a.x, dy = b.y - a.y, len = Math.hypot(dx, dy) || 1;
      const nx = -dy / len, ny = dx / len;
      const w0 = Math.max(1, (row[F.sigma_m] || 0) / metresPerPixel);
      const w1 = Math.max(2, (row[F.lead_sigma_m] || 0) / metresPerPixel);
      ctx.fillStyle = warned ? "rgba(255, 77, 61, 0.16)" : "rgba(240, 224, 64, 0.12)";
      ctx.beginPath();
      ctx.moveTo(a.x + nx * w0, a.y + ny * w0); ctx.lineTo(b.x + nx * w1, b.y + ny * w1);
      ctx.lineTo(b.x - nx * w1, b.y - ny * w1); ctx.lineTo(a.x - nx * w0, a.y - ny * w0);
      ctx.closePath(); ctx.fill();
      ctx.strokeStyle = warned ? "rgba(255, 77, 61, 0.9)" : "rgba(240, 224, 64, 0.7)";
      ctx.setLineDash([6, 4]);
      ctx.beginPath(); ctx.moveTo(a.x, a.y); ctx.lineTo(b.x, b.y); ctx.stroke();
      ctx.setLineDash([]);
    }
    // symbols
    ctx.font = "11px system-ui, sans-serif";
    for (const row of state.tracks.values()) {
      const lat = row[F.lat_deg], lon = row[F.lon_deg];
      if (!bounds.contains([lat, lon])) continue;
      const id = row[F.id], f = row[F.flags];
      const p = m.latLngToContainerPoint([lat, lon]);
      screen.set(id, p);
      const colour = f & flags.cooperative ? CLASS_COLOURS.crewed : (CLASS_COLOURS[row[F.object_class]] || CLASS_COLOURS.unknown);
      ctx.globalAlpha = f & flags.coasting ? 0.5 : 1.0;
      ctx.strokeStyle = colour; ctx.fillStyle = colour; ctx.lineWidth = 2;
      if (f & flags.partner) {           // a partner's track: hollow diamond
        ctx.strokeStyle = f & flags.warned ? "#ff4d3d" : "#c08cff";
        ctx.beginPath(); ctx.moveTo(p.x, p.y - 6); ctx.lineTo(p.x + 6, p.y); ctx.lineTo(p.x, p.y + 6); ctx.lineTo(p.x - 6, p.y); ctx.closePath(); ctx.stroke();
      } else {
        ctx.beginPath(); ctx.arc(p.x, p.y, f & flags.warned ? 6 : 4.5, 0, 2 * Math.PI); ctx.fill();
        // course stick
        const c = (row[F.course_deg] || 0) * Math.PI / 180;
        ctx.beginPath(); ctx.moveTo(p.x, p.y); ctx.lineTo(p.x + 14 * Math.sin(c), p.y - 14 * Math.cos(c)); ctx.stroke();
      }
      if (id === state.selected) {
        ctx.strokeStyle = "#ffffff"; ctx.lineWidth = 1.5;
        ctx.beginPath(); ctx.arc(p.x, p.y, 10, 0, 2 * Math.PI); ctx.stroke();
      }
      if (zoom >= 8 || id === state.selected || f & flags.warned) {
        ctx.fillStyle = "#d8e2ea";
        ctx.fillText(id, p.x + 8, p.y - 8);
      }
    }
    ctx.globalAlpha = 1.0;
    this._screen = screen;
    stats.draws.push(performance.now() - started);
    if (stats.draws.length > 2000) stats.draws.splice(0, 1000);
  },
});

// ---------------------------------------------------------------- picture updates

function applyRows(upsert, remove, reset) {
  const started = performance.now();
  if (reset) { state.tracks.clear(); state.trails.clear(); }
  for (const id of remove) { state.tracks.delete(id); state.trails.delete(id); }
  for (const row of upsert) {
    const id = row[F.id];
    state.tracks.set(id, row);
    let trail = state.trails.get(id);
    if (!trail) { trail = []; state.trails.set(id, trail); }
    const last = trail[trail.length - 1];
    if (!last || last.lat !== row[F.lat_deg] || last.lon !== row[F.lon_deg]) {
      trail.push({ lat: row[F.lat_deg], lon: row[F.lon_deg], z: -1, x: 0, y: 0 });
      if (trail.length > TRAIL_POINTS) trail.shift();
    }
  }
  stats.applies.push(performance.now() - started);
  if (stats.applies.length > 2000) stats.applies.splice(0, 1000);
  $("counts").textContent = `${state.tracks.size} tracks`;
  if (state.selected) showTrack(state.selected);
  trackLayer.redraw();
}

function setTime(seconds) {
  state.timeS = seconds;
  $("clock").textContent = utc(seconds, true);
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/api/stream`);
  state.socket = socket;
  socket.onmessage = (event) => {
    stats.batches += 1;
    stats.bytes += event.data.length;
    const message = JSON.parse(event.data);
    if (message.type !== "batch") return;
    if (message.links) { state.links = message.links; renderPartners(); }
    if (state.mode !== "live") {
      if (message.warnings) state.liveWarnings = message.warnings;
      return;
    }
    if (message.time_s !== null) setTime(message.time_s);
    if (message.upsert) applyRows(message.upsert, message.remove, message.reset);
    if (message.warnings) { state.warnings = message.warnings; renderWarnings(); }
  };
  socket.onclose = (event) => {
    if (event.code === 4401) return showLogin();
    setTimeout(connect, 2000);  // the node restarted or the line dropped: reconnect
  };
}

// ---------------------------------------------------------------- warnings

function renderWarnings() {
  const canAct = state.me && state.me.role !== "viewer";
  const lists = { in: $("warnings-in"), out: $("warnings-out") };
  const html = { in: [], out: [] };
  let open = 0;
  for (const w of state.warnings) {
    if (w.open) open += 1;
    const toEntry = w.entry && state.timeS !== null ? w.entry.time_s - state.timeS : null;
    const ack = w.acknowledged_s !== null
      ? `<span class="ack yes">✓ acknowledged by ${escapeHtml(w.direction === "out" ? w.partner : "us")} ${utc(w.acknowledged_s)}</span>`
      : `<span class="ack no">${w.direction === "out" ? "awaiting acknowledgement" : "not acknowledged"}</span>`;
    const rating = w.rating ? ` · rated <b>${escapeHtml(w.rating.replace("_", " "))}</b>` : "";
    let buttons = "";
    if (canAct && state.mode === "live") {
      if (w.direction === "in") {
        buttons = `<div class="w-actions">
          <button type="button" data-act="acknowledge" data-id="${escapeHtml(w.warning_id)}" ${w.acknowledged_s !== null ? "disabled" : ""}>Acknowledge</button>
          <button type="button" data-act="useful" data-id="${escapeHtml(w.warning_id)}">Useful</button>
          <button type="button" data-act="false_alarm" data-id="${escapeHtml(w.warning_id)}">False alarm</button></div>`;
      } else if (w.open) {
        buttons = `<div class="w-actions">
          <button type="button" data-act="confirm" data-id="${escapeHtml(w.warning_id)}">Confirm</button>
          <button type="button" data-act="suppress" data-id="${escapeHtml(w.warning_id)}">Suppress</button></div>`;
      }
    }
    const entry = w.entry
      ? `entry ${utc(w.entry.time_s)} (${toEntry !== null && toEntry > 0 ? "in " + mmss(toEntry) : "passed"}) · p ${(w.probability * 100).toFixed(0)} %`
      : "no entry predicted";
    const grade = w.grade === "watch" ? "watch" : "warning";
    html[w.direction].push(`<li class="${w.open ? "open" : "closed"} ${grade} p${w.priority}${w.warning_id === state.selectedWarning ? " selected" : ""}" data-warning="${escapeHtml(w.warning_id)}" data-direction="${w.direction}" data-grade="${grade}">
      <div class="w-head"><span><b class="grade">${grade === "watch" ? "WATCH" : "WARNING"}</b> <b>${escapeHtml(w.direction === "in" ? "from " + w.partner : "to " + w.partner)}</b> · ${escapeHtml(w.track_id)} · ${escapeHtml(w.object_class)}${w.area ? " · " + escapeHtml(w.area) : ""}</span><span class="state">${escapeHtml(w.state)}</span></div>
      <div>${entry} · lead ${mmss(w.lead_s)} · P${w.priority} · ${w.messages} msg</div>
      <div>${ack}${rating}</div>${buttons}</li>`);
  }
  lists.in.innerHTML = html.in.join("") || "<li class=\"closed\">none</li>";
  lists.out.innerHTML = html.out.join("") || "<li class=\"closed\">none</li>";
  $("warn-count").textContent = open ? `(${open} open)` : "";
  drawSelectedWarning();
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-act]");
  if (button) {
    event.stopPropagation();
    await act(button.dataset.act, button.dataset.id);
    return;
  }
  const item = event.target.closest("li[data-warning]");
  if (item) {
    state.selectedWarning = item.dataset.warning;
    renderWarnings();
    const w = state.warnings.find((x) => x.warning_id === item.dataset.warning);
    if (w && w.position && w.position.lat_deg !== null) map.panTo([w.position.lat_deg, w.position.lon_deg]);
  }
});

async function act(kind, warningId) {
  const path = `/api/warnings/${encodeURIComponent(warningId)}`;
  try {
    if (kind === "acknowledge") await api(`${path}/acknowledge`, { method: "POST" });
    else if (kind === "useful" || kind === "false_alarm") await api(`${path}/rate`, { method: "POST", body: JSON.stringify({ rating: kind }) });
    else {
      const reason = prompt(kind === "confirm" ? "Why confirm?" : "Why suppress? (the partner hears CANCELLED)");
      if (!reason) return;
      await api(`${path}/${kind}`, { method: "POST", body: JSON.stringify({ reason }) });
    }
    toast(`${kind.replace("_", " ")}: done`);
  } catch (e) {
    toast(`${kind}: ${e.message}`);
  }
}

function drawSelectedWarning() {
  entryLayer.clearLayers();
  const w = state.warnings.find((x) => x.warning_id === state.selectedWarning);
  if (!w || !w.entry) return;
  const e = w.entry;
  const sigma = Math.max(e.sigma_major_m || 0, 500);
  L.circle([e.point.lat_deg, e.point.lon_deg], { radius: 2 * sigma, color: "#ff4d3d", weight: 1.5, fillOpacity: 0.1 })
    .bindTooltip(`${w.warning_id}: entry ${utc(e.time_s)} (2σ)`).addTo(entryLayer);
  if (w.position && w.position.lat_deg !== null) {
    L.polyline([[w.position.lat_deg, w.position.lon_deg], [e.point.lat_deg, e.point.lon_deg]], { color: "#ff4d3d", weight: 1.5, dashArray: "4 4" }).addTo(entryLayer);
  }
}

// ---------------------------------------------------------------- partners and track

function renderPartners() {
  const links = state.links;
  if (!links) return;
  const now = links.wall_s;
  const items = Object.entries(links.partners).map(([partner, s]) => {
    const lastIn = s.last_message_in_s !== null ? now - s.last_message_in_s : null;
    const lastAck = s.last_ack_s !== null && s.last_ack_s > 0 ? now - s.last_ack_s : null;
    let health = "ok";
    if (s.consecutive_failures > 0 || s.pending > 50) health = "warn";
    if (s.consecutive_failures >= 5 || (lastIn !== null && lastIn > 30)) health = "bad";
    return `<li data-partner="${escapeHtml(partner)}"><b><span class="dot ${health}"></span>${escapeHtml(partner)}</b>
      <table class="kv">
      <tr><td>sent / acknowledged</td><td>${s.sent} / ${s.acked}</td></tr>
      <tr><td>pending · retried · rejected</td><td>${s.pending} · ${s.retried} · ${s.rejected}</td></tr>
      <tr><td>received</td><td>${s.received}</td></tr>
      <tr><td>last ack · last message in</td><td>${lastAck === null ? "–" : lastAck.toFixed(0) + " s ago"} · ${lastIn === null ? "–" : lastIn.toFixed(0) + " s ago"}</td></tr>
      <tr><td>failures in a row</td><td>${s.consecutive_failures}${s.last_failure ? " (" + escapeHtml(s.last_failure) + ")" : ""}</td></tr>
      </table></li>`;
  });
  $("partners").innerHTML = items.join("") || "<li>no partner link</li>";
}

function select(id) {
  state.selected = id;
  if (id) { showTrack(id); showTab("track"); }
  trackLayer.redraw();
}

function showTrack(id) {
  const row = state.tracks.get(id);
  if (!row) { $("track-detail").textContent = `${id}: no longer in the picture.`; return; }
  const kv = [
    ["track", row[F.id]], ["class", `${row[F.object_class]} (${(row[F.class_confidence] * 100).toFixed(0)} %)`],
    ["position", `${row[F.lat_deg].toFixed(4)}, ${row[F.lon_deg].toFixed(4)}`],
    ["height", row[F.alt_m] === null ? "unknown" : `${row[F.alt_m]} m`],
    ["course · speed", `${row[F.course_deg]}° · ${(row[F.speed_mps] * 3.6).toFixed(0)} km/h`],
    ["accuracy (1σ)", row[F.sigma_m] === null ? "–" : `${row[F.sigma_m]} m`],
    ["flags", Object.entries(state.flags).filter(([, bit]) => row[F.flags] & bit).map(([n]) => n).join(", ") || "–"],
  ];
  $("track-detail").innerHTML = `<table class="kv">${kv.map(([k, v]) => `<tr><td>${k}</td><td>${escapeHtml(v)}</td></tr>`).join("")}</table>`;
}

function setupTabs() {
  for (const button of document.querySelectorAll(".tabs button")) button.onclick = () => showTab(button.dataset.tab);
}
function showTab(name) {
  for (const button of document.querySelectorAll(".tabs button")) button.classList.toggle("active", button.dataset.tab === name);
  for (const tab of document.querySelectorAll(".tab")) tab.hidden = tab.id !== `tab-${name}`;
}

// ---------------------------------------------------------------- replay

function setupReplay() {
  $("go-live").onclick = goLive;
  $("go-replay").onclick = goReplay;
  $("play").onclick = () => { state.replay.playing = !state.replay.playing; $("play").textContent = state.replay.playing ? "❚❚" : "▶"; };
  $("seek").oninput = () => seek(Number($("seek").value));
}

async function goReplay() {
  const span = await api("/api/history/span");
  if (span.first_s === null) { toast("no history yet"); return; }
  const r = state.replay;
  Object.assign(r, { first: span.first_s, last: span.last_s, frames: [], loadedTo: -Infinity, playing: true });
  state.mode = "replay";
  $("mode").textContent = "REPLAY"; $("mode").className = "mode replay";
  $("go-live").classList.remove("active"); $("go-replay").classList.add("active");
  for (const id of ["play", "speed", "seek"]) $(id).disabled = false;
  $("play").textContent = "❚❚";
  $("seek").min = Math.floor(r.first); $("seek").max = Math.ceil(r.last);
  await seek(r.first);
  let last = performance.now();
  const tick = async (now) => {
    if (state.mode !== "replay") return;
    const dt = (now - last) / 1000; last = now;
    if (r.playing && !r.loading) {
      const t = Math.min(r.t + dt * Number($("speed").value), r.last);
      await showReplayTime(t);
      if (t >= r.last) { r.playing = false; $("play").textContent = "▶"; }
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

function goLive() {
  state.mode = "live";
  $("mode").textContent = "LIVE"; $("mode").className = "mode live";
  $("go-live").classList.add("active"); $("go-replay").classList.remove("active");
  for (const id of ["play", "speed", "seek"]) $(id).disabled = true;
  $("replay-time").textContent = "";
  state.socket.close();  // reconnects and starts from a full picture
  if (state.liveWarnings) { state.warnings = state.liveWarnings; renderWarnings(); }
}

async function seek(t) {
  const r = state.replay;
  r.frames = []; r.loadedTo = -Infinity;
  state.tracks.clear(); state.trails.clear();
  await showReplayTime(t);
}

const CHUNK_S = 1800;

async function loadFrames(from) {
  const r = state.replay;
  r.loading = true;
  try {
    const start = r.loadedTo === -Infinity ? from - 300 : r.loadedTo;
    const end = Math.max(start, from) + CHUNK_S;
    const got = await api(`/api/history?start_s=${start}&end_s=${end}`);
    r.frames.push(...got.frames);
    r.loadedTo = got.frames.length >= 2000 ? got.frames[got.frames.length - 1].time_s + 1e-3 : end;
  } finally {
    r.loading = false;
  }
}

async function showReplayTime(t) {
  const r = state.replay;
  if (r.loadedTo < Math.min(t + 60, r.last + 1)) await loadFrames(t);
  r.t = t;
  // the last frame at or before t, and those before it for the trails
  let index = -1;
  for (let i = 0; i < r.frames.length && r.frames[i].time_s <= t; i++) index = i;
  if (index < 0) return;
  if (index > 400) { r.frames.splice(0, index - 400); index = 400; }
  const frame = r.frames[index];
  if (r.shown === frame) return;
  r.shown = frame;
  stats.replayFrames += 1;
  state.tracks.clear(); state.trails.clear();
  const from = Math.max(0, index - TRAIL_POINTS + 1);
  for (let i = from; i <= index; i++) applyRows(r.frames[i].tracks, [], false);
  const live = new Set(frame.tracks.map((row) => row[F.id]));
  for (const id of [...state.tracks.keys()]) if (!live.has(id)) { state.tracks.delete(id); state.trails.delete(id); }
  setTime(frame.time_s);
  $("seek").value = Math.round(t);
  $("replay-time").textContent = utc(t, true);
  $("counts").textContent = `${state.tracks.size} tracks`;
  trackLayer.redraw();
  if (!r.warningsAt || Math.abs(r.warningsAt - t) > 5) {
    r.warningsAt = t;
    const got = await api(`/api/warnings?at_s=${t}`);
    state.warnings = got.warnings;
    renderWarnings();
  }
}

window.addEventListener("error", () => { stats.errors += 1; });
boot();
