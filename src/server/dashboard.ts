/**
 * The dashboard served at `/`: one self-contained HTML page (no external assets, so it works
 * offline on a factory network). It connects to `/ws` (passing `?token=` from its own URL), and
 * draws the live event view from `frame` messages, the current prediction with a confidence
 * timeline, detected gestures (`gesture` messages) on an event-time timeline under the ground
 * truth (the predictions' `truth`, when replaying labels), per-layer firing rates and pipeline
 * health from `status` messages.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>spikeline</title>
<style>
  :root { --bg:#0f1419; --panel:#182029; --text:#d8e0e8; --dim:#7d8b99; --accent:#4fc3f7; --ok:#66bb6a; --warn:#ffa726; --bad:#ef5350; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, sans-serif; background:var(--bg); color:var(--text); }
  header { display:flex; align-items:center; gap:16px; padding:10px 18px; background:var(--panel); border-bottom:1px solid #253140; }
  header h1 { font-size:17px; margin:0; font-weight:600; }
  #conn { font-size:12px; padding:2px 8px; border-radius:10px; background:#333; }
  #conn.up { background:var(--ok); color:#000; } #conn.down { background:var(--bad); color:#000; }
  main { display:grid; grid-template-columns: minmax(280px, 1fr) minmax(320px, 1.4fr); gap:14px; padding:14px; }
  section { background:var(--panel); border-radius:8px; padding:12px 14px; }
  h2 { font-size:12px; text-transform:uppercase; letter-spacing:.06em; color:var(--dim); margin:0 0 8px; font-weight:600; }
  #events { width:100%; image-rendering:pixelated; background:#000; border-radius:4px; aspect-ratio:1; }
  #label { font-size:34px; font-weight:700; color:var(--accent); min-height:44px; }
  #confidence { font-size:15px; color:var(--dim); }
  #timeline { width:100%; height:140px; }
  #probs div, #layers div { display:grid; grid-template-columns: 120px 1fr 64px; align-items:center; gap:8px; font-size:12px; margin:2px 0; }
  .bar { height:10px; background:#253140; border-radius:3px; overflow:hidden; }
  .bar i { display:block; height:100%; background:var(--accent); }
  #layers .bar i { background:var(--warn); }
  table { width:100%; border-collapse:collapse; font-size:13px; }
  td { padding:3px 0; } td:last-child { text-align:right; font-variant-numeric:tabular-nums; }
  .state-running { color:var(--ok); } .state-degraded, .state-starting { color:var(--warn); } .state-stopping, .state-stopped { color:var(--bad); }
  #gaps { font-size:12px; color:var(--warn); }
  #gesture { font-size:26px; font-weight:700; color:var(--ok); min-height:36px; }
  #gesture-timeline { width:100%; height:64px; }
  #gesture-list { font-size:12px; color:var(--dim); }
  @media (max-width: 800px) { main { grid-template-columns: 1fr; } }
</style>
</head>
<body>
<header><h1>spikeline</h1><span id="pipeline"></span><select id="camera" data-testid="camera-picker" hidden></select><span id="conn">connecting</span></header>
<main>
  <div>
    <section><h2>Live events</h2><canvas id="events" width="128" height="128"></canvas>
      <div id="frame-info" style="font-size:12px;color:var(--dim)">waiting for previews</div></section>
    <section style="margin-top:14px"><h2>Health</h2>
      <table>
        <tr><td>Pipeline</td><td id="state">-</td></tr>
        <tr><td>Source</td><td id="source-state">-</td></tr>
        <tr><td>Event rate</td><td id="rate">-</td></tr>
        <tr><td>Events received / dropped</td><td id="events-count">-</td></tr>
        <tr><td>Malformed packets / reconnects</td><td id="malformed">-</td></tr>
        <tr><td>Latency (last)</td><td id="latency">-</td></tr>
        <tr><td>Model</td><td id="model">-</td></tr>
        <tr><td>Dashboard clients</td><td id="clients">-</td></tr>
        <tr><td>Messages lost by this page</td><td id="lost">0</td></tr>
      </table>
      <div id="gaps"></div>
    </section>
  </div>
  <div>
    <section><h2>Prediction</h2>
      <div id="label" data-testid="prediction-label">-</div>
      <div id="confidence">no prediction yet</div>
      <div style="font-size:12px;color:var(--dim)">predictions received: <span id="prediction-count" data-testid="prediction-count">0</span></div>
      <canvas id="timeline" width="800" height="140"></canvas>
      <div id="probs"></div>
    </section>
    <section style="margin-top:14px"><h2>Gestures</h2>
      <div id="gesture" data-testid="gesture-current">-</div>
      <div style="font-size:12px;color:var(--dim)">gestures detected: <span id="gesture-count" data-testid="gesture-count">0</span>
        \u00b7 last 30 s of event time: ground truth (top), detected (bottom)</div>
      <canvas id="gesture-timeline" width="800" height="64" data-gestures="0" data-truth="0"></canvas>
      <div id="gesture-list"></div>
    </section>
    <section style="margin-top:14px"><h2>Firing rate per layer</h2><div id="layers"></div>
      <div id="energy" style="font-size:12px;color:var(--dim);margin-top:6px"></div></section>
  </div>
</main>
<script>
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const COLORS = ['#4fc3f7','#ffb74d','#81c784','#e57373','#ba68c8','#fff176','#4db6ac','#f06292','#a1887f','#90a4ae','#aed581','#7986cb'];
  const HISTORY = 200;
  const history = [];
  let classes = [];
  let predictions = 0;
  // spikeline gateway relays a whole line: messages name their camera, the page shows one.
  let camera = new URLSearchParams(location.search).get('camera');
  function addCamera(c) {
    const sel = $('camera');
    if (!c || [...sel.options].some((o) => o.value === c)) return;
    const o = document.createElement('option'); o.value = o.textContent = c; sel.appendChild(o);
    sel.hidden = false;
    if (!camera) camera = c;
    sel.value = camera;
  }
  let retryMs = 500;
  // Event-time timeline: detected gestures by id, ground-truth spans from the predictions' truth.
  const TIMELINE_US = 30e6;
  const gestures = new Map();
  const truthSpans = [];
  let nowUs = 0;
  let lastPredEndUs = null;

  function text(id, value) { $(id).textContent = value; }
  function fmt(n) { return n >= 1e6 ? (n / 1e6).toFixed(2) + ' M' : n >= 1e3 ? (n / 1e3).toFixed(1) + ' k' : String(Math.round(n)); }
  function bars(container, rows, max) {
    const el = $(container);
    while (el.children.length > rows.length) el.lastChild.remove();
    rows.forEach((r, i) => {
      let row = el.children[i];
      if (!row) {
        row = document.createElement('div');
        row.innerHTML = '<span></span><span class="bar"><i></i></span><span></span>';
        el.appendChild(row);
      }
      row.children[0].textContent = r.name;
      row.children[1].firstChild.style.width = Math.min(100, (100 * r.value) / (max || 1)) + '%';
      row.children[2].textContent = r.label;
    });
  }

  function drawTimeline() {
    const c = $('timeline'), g = c.getContext('2d');
    g.clearRect(0, 0, c.width, c.height);
    g.strokeStyle = '#253140';
    for (let k = 0; k <= 4; k++) { const y = c.height - (k / 4) * (c.height - 10) - 5; g.beginPath(); g.moveTo(0, y); g.lineTo(c.width, y); g.stroke(); }
    const dx = c.width / HISTORY;
    history.forEach((h, i) => {
      g.fillStyle = COLORS[h.classId % COLORS.length];
      const y = c.height - h.confidence * (c.height - 10) - 5;
      g.fillRect(i * dx, y, Math.max(2, dx), c.height - y);
    });
  }

  function classColor(label) { const i = classes.indexOf(label); return COLORS[(i < 0 ? 0 : i) % COLORS.length]; }

  function drawGestures() {
    const c = $('gesture-timeline'), g = c.getContext('2d');
    g.clearRect(0, 0, c.width, c.height);
    const x = (t) => ((t - (nowUs - TIMELINE_US)) / TIMELINE_US) * c.width;
    const lane = (spans, y, h) => {
      let drawn = 0;
      for (const s of spans) {
        const end = s.endUs ?? nowUs;
        if (end < nowUs - TIMELINE_US) continue;
        const x0 = Math.max(0, x(s.startUs)), x1 = Math.max(x0 + 2, x(end));
        g.fillStyle = classColor(s.label); g.fillRect(x0, y, x1 - x0, h);
        g.fillStyle = '#000'; g.font = '11px system-ui'; g.fillText(s.label, x0 + 3, y + h - 6, Math.max(0, x1 - x0 - 4));
        drawn++;
      }
      return drawn;
    };
    c.dataset.truth = lane(truthSpans, 2, 28);
    c.dataset.gestures = lane([...gestures.values()], 34, 28);
  }

  function drawFrame(m) {
    const c = $('events');
    if (c.width !== m.width || c.height !== m.height) { c.width = m.width; c.height = m.height; }
    const g = c.getContext('2d');
    const img = g.createImageData(m.width, m.height);
    const raw = atob(m.data);
    for (let i = 0; i < raw.length; i++) {
      let v = raw.charCodeAt(i); if (v > 127) v -= 256;
      const a = Math.min(255, Math.abs(v) * 64), o = i * 4;
      if (v > 0) { img.data[o] = a; img.data[o + 1] = a; img.data[o + 2] = 255; }
      else if (v < 0) { img.data[o] = 255; img.data[o + 1] = a >> 1; img.data[o + 2] = 0; }
      img.data[o + 3] = 255;
    }
    g.putImageData(img, 0, 0);
    text('frame-info', m.events + ' events, t = ' + (m.window.startUs / 1e6).toFixed(3) + ' s');
  }

  // Messages only update state; drawing happens at most once per animation frame, so a busy
  // pipeline (hundreds of messages per second) cannot saturate the page.
  const latest = { prediction: null, firing: null, status: null, frame: null, gesture: null };
  let scheduled = false;
  function schedule() { if (!scheduled) { scheduled = true; requestAnimationFrame(render); } }

  function render() {
    scheduled = false;
    const p = latest.prediction, f = latest.firing, s = latest.status, fr = latest.frame, ge = latest.gesture;
    latest.prediction = latest.firing = latest.status = latest.frame = latest.gesture = null;
    if (p || ge) drawGestures();
    if (ge) {
      text('gesture-count', [...gestures.values()].length);
      const active = [...gestures.values()].filter((x) => x.endUs === null).pop();
      text('gesture', active ? active.label + ' \u00b7 ' + (100 * active.confidence).toFixed(0) + ' %' : '-');
      const el = $('gesture-list');
      el.textContent = '';
      for (const x of [...gestures.values()].slice(-5).reverse()) {
        const row = document.createElement('div');
        const t0 = new Date(x.startUs / 1000);
        row.textContent = x.label + ' \u00b7 ' + (x.endUs === null ? 'since ' : 'at ') + (x.startUs > 1e12 ? t0.toLocaleTimeString() : (x.startUs / 1e6).toFixed(1) + ' s') +
          (x.endUs === null ? '' : ' for ' + ((x.endUs - x.startUs) / 1e6).toFixed(1) + ' s') + ' \u00b7 ' + (100 * x.confidence).toFixed(0) + ' %';
        el.appendChild(row);
      }
    }
    if (p) {
      text('prediction-count', predictions);
      text('label', p.label);
      text('confidence', (100 * p.confidence).toFixed(1) + ' % confidence' + (p.truth ? ' \u00b7 truth: ' + p.truth : ''));
      if (p.latencyMs !== null) text('latency', p.latencyMs.toFixed(2) + ' ms (inference ' + p.inferenceMs.toFixed(2) + ' ms)');
      drawTimeline();
      bars('probs', p.probabilities.map((v, i) => ({ name: classes[i] || String(i), value: v, label: (100 * v).toFixed(1) + ' %' })), 1);
    }
    if (f) {
      const max = Math.max(0.05, ...f.layers.map((l) => l.rate));
      bars('layers', f.layers.map((l) => ({ name: l.layer, value: l.rate, label: l.rate.toFixed(3) })), max);
      text('energy', 'SynOps per step: ' + fmt(f.synops) + ' \u00b7 energy per step: ' + (f.energyPJ / 1e6).toFixed(3) + ' \u00b5J');
    }
    if (s) {
      const el = $('state'); el.textContent = s.state; el.className = 'state-' + s.state;
      text('source-state', s.source.name + ': ' + s.source.state);
      text('rate', fmt(s.eventRate) + 'ev/s');
      text('events-count', fmt(s.source.eventsReceived) + ' / ' + fmt(s.source.eventsDropped));
      text('malformed', s.source.malformedPackets + ' / ' + s.source.reconnects);
      text('clients', s.clients);
      if (s.droppedForYou !== undefined) text('lost', s.droppedForYou);
    }
    if (fr) drawFrame(fr);
  }

  const handlers = {
    hello(m) {
      classes = m.classes;
      text('pipeline', m.pipeline + ' \u00b7 ' + m.mode + ' mode');
      text('model', m.model.name + ' (' + m.model.backend + ', ' + m.model.height + 'x' + m.model.width + ', ' + m.model.stepUs / 1000 + ' ms steps)');
      if (!m.previews) text('frame-info', 'previews disabled in this pipeline');
    },
    prediction(m) {
      predictions++;
      nowUs = Math.max(nowUs, m.window.endUs);
      if (m.truth) {
        const last = truthSpans[truthSpans.length - 1];
        if (last && last.label === m.truth && last.endUs === lastPredEndUs) last.endUs = m.window.endUs;
        else truthSpans.push({ label: m.truth, startUs: lastPredEndUs ?? m.window.startUs, endUs: m.window.endUs });
        if (truthSpans.length > 200) truthSpans.shift();
      }
      lastPredEndUs = m.window.endUs;
      history.push({ classId: m.classId, confidence: m.confidence });
      if (history.length > HISTORY) history.shift();
      latest.prediction = m; schedule();
    },
    gesture(m) {
      const x = gestures.get(m.id) ?? { label: m.label, startUs: m.startUs, endUs: null, confidence: m.confidence };
      if (m.phase === 'end') { x.endUs = m.endUs; x.confidence = m.confidence; }
      gestures.set(m.id, x);
      if (gestures.size > 200) gestures.delete(gestures.keys().next().value);
      latest.gesture = m; schedule();
    },
    firing(m) { latest.firing = m; schedule(); },
    status(m) { latest.status = m; schedule(); },
    frame(m) { latest.frame = m; schedule(); },
    gap(m) { text('gaps', 'stream gap on ' + m.source + ': ' + (m.durationMs / 1000).toFixed(1) + ' s (' + m.reason + ') at ' + new Date(m.time).toLocaleTimeString()); },
    pong() {},
  };

  function connect() {
    const token = new URLSearchParams(location.search).get('token');
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws' + (token ? '?token=' + encodeURIComponent(token) : '');
    const ws = new WebSocket(url);
    ws.onopen = () => { retryMs = 500; const c = $('conn'); c.textContent = 'live'; c.className = 'up'; };
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      (m.cameras || []).forEach(addCamera);
      if (m.camera) { addCamera(m.camera); if (m.camera !== camera) return; }
      const h = handlers[m.type]; if (h) h(m);
    };
    ws.onclose = () => {
      const c = $('conn'); c.textContent = 'disconnected, retrying'; c.className = 'down';
      setTimeout(connect, retryMs); retryMs = Math.min(10000, retryMs * 2);
    };
  }
  $('camera').onchange = (e) => { camera = e.target.value; history.length = 0; predictions = 0; drawTimeline(); };
  drawTimeline();
  connect();
})();
</script>
</body>
</html>
`;
