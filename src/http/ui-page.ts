/**
 * The live web UI served at `/`: one self-contained page (HTML, CSS, plain JavaScript and inline
 * SVG; nothing to build, nothing loaded from elsewhere) that polls GET /api/job every second
 * (`?refreshMs=` changes that) and draws what Flink's dashboard shows for a running job: the
 * graph with each operator's rates, backpressure and watermark; the latency percentiles; the
 * checkpoints; the sources' partitions; the dead letters; the job's state and restarts.
 *
 * The page's script keeps no state but the last readings (for blocked-time rates and the
 * sparklines). Elements carry data-* attributes the browser test reads (test/http/ui.test.ts).
 * Written without backticks: the page lives in a String.raw template.
 */
export const uiPage = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>weir</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  :root { --bg:#f5f6f8; --panel:#fff; --ink:#1d2430; --dim:#6b7585; --line:#dde1e7; --ok:#2e9d5b; --warn:#d98b1b; --bad:#cf3d3d; --accent:#2c6cd6; }
  * { box-sizing: border-box; }
  body { margin:0; font:13px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--ink); }
  header { display:flex; align-items:center; gap:18px; padding:10px 20px; background:#1d2430; color:#fff; }
  header h1 { font-size:16px; margin:0; font-weight:600; }
  header .meta { color:#b9c2d0; }
  .badge { padding:2px 9px; border-radius:10px; font-weight:600; font-size:12px; text-transform:uppercase; letter-spacing:.04em; background:#667; }
  .badge.running { background:var(--ok); } .badge.starting,.badge.restarting,.badge.stopping { background:var(--warn); }
  .badge.failed { background:var(--bad); } .badge.finished { background:#557; }
  main { padding:14px 20px; display:grid; grid-template-columns: repeat(4, 1fr); gap:14px; }
  section { background:var(--panel); border:1px solid var(--line); border-radius:6px; padding:12px 14px; min-width:0; }
  section h2 { font-size:12px; text-transform:uppercase; letter-spacing:.06em; color:var(--dim); margin:0 0 8px; font-weight:600; }
  .wide { grid-column: 1 / -1; } .half { grid-column: span 2; }
  .kpi { font-size:22px; font-weight:600; } .kpi small { font-size:12px; color:var(--dim); font-weight:400; }
  table { border-collapse:collapse; width:100%; font-variant-numeric: tabular-nums; }
  th, td { text-align:right; padding:3px 8px; border-bottom:1px solid var(--line); white-space:nowrap; }
  th:first-child, td:first-child { text-align:left; } th { color:var(--dim); font-weight:500; }
  #graph { width:100%; overflow-x:auto; } svg text { font-family:inherit; }
  .node rect { fill:#fff; stroke:#9aa5b5; stroke-width:1.5; rx:6; }
  .node.bp-low rect { stroke:var(--warn); stroke-width:2.5; } .node.bp-high rect { stroke:var(--bad); stroke-width:3; }
  .node .title { font-weight:600; font-size:13px; } .node .sub { fill:var(--dim); font-size:11px; } .node .sub.err { fill:var(--bad); }
  .edge { fill:none; stroke:#9aa5b5; stroke-width:1.5; } .edge.exchange { stroke-dasharray:5 4; stroke:var(--accent); }
  .edge-label { fill:var(--accent); font-size:10px; }
  .spark { width:100%; height:46px; } .spark polyline { fill:none; stroke:var(--accent); stroke-width:1.5; }
  .dim { color:var(--dim); } .err { color:var(--bad); }
  footer { padding:0 20px 14px; color:var(--dim); font-size:11px; }
</style>
</head>
<body>
<header>
  <h1 id="job-name">weir</h1>
  <span id="job-state" class="badge" data-state="">…</span>
  <span class="meta" id="job-meta"></span>
  <span class="meta" style="margin-left:auto" id="updated"></span>
</header>
<main>
  <section><h2>Throughput</h2><div class="kpi" id="kpi-rate">–</div><svg class="spark" id="spark-rate" viewBox="0 0 200 46" preserveAspectRatio="none"><polyline points=""/></svg></section>
  <section><h2>End-to-end latency</h2><div class="kpi" id="kpi-latency">–</div><div class="dim" id="latency-detail"></div><svg class="spark" id="spark-latency" viewBox="0 0 200 46" preserveAspectRatio="none"><polyline points=""/></svg></section>
  <section><h2>Checkpoints</h2><div class="kpi" id="kpi-checkpoints">–</div><div class="dim" id="checkpoint-detail"></div></section>
  <section><h2>Dead letters · restarts</h2><div class="kpi" id="kpi-dead-letters" data-value="0">0</div><div class="dim" id="restart-detail"></div></section>
  <section class="wide"><h2>Job graph</h2><div id="graph"></div></section>
  <section class="wide"><h2>Operators</h2><table id="operators"><thead><tr><th>Operator</th><th>Kind</th><th>Records in</th><th>Records out</th><th>In/s</th><th>Out/s</th><th>Watermark</th><th>Watermark lag</th><th>Dead letters</th><th>Per worker (out)</th></tr></thead><tbody></tbody></table></section>
  <section class="half"><h2>Backpressure (exchange rings)</h2><table id="channels"><thead><tr><th>Exchange</th><th>From → to</th><th>Ring fill</th><th>Blocked</th><th>Blocked ms/s</th></tr></thead><tbody></tbody></table></section>
  <section class="half"><h2>Source partitions</h2><table id="sources"><thead><tr><th>Source</th><th>Partition</th><th>Worker</th><th>Records</th><th>Records/s</th><th>Lag</th></tr></thead><tbody></tbody></table></section>
  <section class="half"><h2>Checkpoint history</h2><table id="checkpoints"><thead><tr><th>Id</th><th>Completed</th><th>Duration</th><th>Alignment</th><th>Written</th><th>State</th><th>Kind</th></tr></thead><tbody></tbody></table></section>
  <section class="half"><h2>Latency buckets</h2><table id="latency-buckets"><thead><tr><th>≤</th><th>Records</th><th>Cumulative</th></tr></thead><tbody></tbody></table></section>
</main>
<footer>Polls <code>/api/job</code>; Prometheus metrics at <a href="metrics">/metrics</a>; keyed state at <code>/state/&lt;operator&gt;/&lt;state&gt;/&lt;key&gt;</code>.</footer>
<script>
(function () {
  'use strict';
  var params = new URLSearchParams(location.search);
  var refreshMs = Math.max(100, Number(params.get('refreshMs')) || 1000);
  var seq = 0;
  var previous = null;
  var rateHistory = [];
  var latencyHistory = [];
  var fmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  var fmt1 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
  var NS = 'http://www.w3.org/2000/svg';

  function $(id) { return document.getElementById(id); }
  function int(n) { return fmt.format(Math.round(n)); }
  function ms(n) { return n === undefined || n === null ? '–' : n >= 120000 ? duration(n) : n >= 1000 ? fmt1.format(n / 1000) + ' s' : fmt1.format(n) + ' ms'; }
  function bytes(n) { return n >= 1048576 ? fmt1.format(n / 1048576) + ' MiB' : n >= 1024 ? fmt1.format(n / 1024) + ' KiB' : int(n) + ' B'; }
  function time(epochMs) { return epochMs === undefined ? '–' : new Date(epochMs).toISOString().replace('T', ' ').slice(0, 23); }
  function duration(msTotal) { var s = Math.floor(msTotal / 1000); var d = Math.floor(s / 86400); var h = Math.floor(s / 3600) % 24; var m = Math.floor(s / 60) % 60; return d ? d + 'd ' + h + 'h' : (h ? h + 'h ' : '') + (h || m ? m + 'm ' : '') + (s % 60) + 's'; }
  function el(tag, attrs, text) { var e = document.createElement(tag); for (var k in attrs) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = text; return e; }
  function svg(tag, attrs, text) { var e = document.createElementNS(NS, tag); for (var k in attrs) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = text; return e; }
  function cell(row, text, cls) { var td = el('td', cls ? { 'class': cls } : {}, text); row.appendChild(td); return td; }
  function fill(tbody, rows) { tbody.replaceChildren.apply(tbody, rows); }

  function spark(id, values) {
    var line = $(id).querySelector('polyline');
    if (values.length < 2) { line.setAttribute('points', ''); return; }
    var max = Math.max.apply(null, values) || 1;
    line.setAttribute('points', values.map(function (v, i) { return (i * 200 / (values.length - 1)).toFixed(1) + ',' + (44 - v / max * 42).toFixed(1); }).join(' '));
  }

  // The rings of each exchange, summed: the fullest ring's fill and the blocked time's rate.
  function backpressure(view) {
    var m = view.metrics, byExchange = {};
    var seconds = previous ? (view.atMs - previous.atMs) / 1000 : 0;
    m.channels.forEach(function (c, i) {
      var b = byExchange[c.exchange] || (byExchange[c.exchange] = { fill: 0, blockedMs: 0, blockedPerSec: 0 });
      b.fill = Math.max(b.fill, c.occupancy);
      b.blockedMs += c.blockedMs;
      var before = previous && previous.metrics.channels[i];
      c.blockedPerSec = seconds > 0 && before ? Math.max(0, (c.blockedMs - before.blockedMs) / seconds) : 0;
      b.blockedPerSec += c.blockedPerSec;
    });
    return byExchange;
  }

  function level(b) { return !b ? 'ok' : b.fill > 0.5 || b.blockedPerSec > 100 ? 'high' : b.fill > 0.1 || b.blockedPerSec > 10 ? 'low' : 'ok'; }

  function drawGraph(view, pressure) {
    var nodes = view.graph.nodes, ops = view.metrics.operators, depth = [], column = {};
    nodes.forEach(function (n) { depth[n.id] = n.inputs.length ? 1 + Math.max.apply(null, n.inputs.map(function (i) { return depth[i]; })) : 0; });
    var W = 230, H = 104, GX = 46, GY = 18, pos = [];
    nodes.forEach(function (n) { var d = depth[n.id]; var row = column[d] = (column[d] || 0) + 1; pos[n.id] = { x: 10 + d * (W + GX), y: 10 + (row - 1) * (H + GY) }; });
    var cols = Math.max.apply(null, depth) + 1, rows = Math.max.apply(null, Object.keys(column).map(function (k) { return column[k]; }));
    var width = cols * (W + GX) - GX + 20, height = rows * (H + GY) - GY + 20;
    // Drawn at its size when it fits, scaled down to the panel's width when it does not.
    var root = svg('svg', { viewBox: '0 0 ' + width + ' ' + height, style: 'width:100%;max-width:' + width + 'px;height:auto', role: 'img', 'aria-label': 'job graph' });
    nodes.forEach(function (n) {
      n.inputs.forEach(function (i) {
        var a = pos[i], b = pos[n.id], x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2, mx = (x1 + x2) / 2;
        var exchange = nodes[i].exchange;
        root.appendChild(svg('path', { 'class': 'edge' + (exchange ? ' exchange' : ''), d: 'M' + x1 + ',' + y1 + ' C' + mx + ',' + y1 + ' ' + mx + ',' + y2 + ' ' + x2 + ',' + y2 }));
        if (exchange) root.appendChild(svg('text', { 'class': 'edge-label', x: mx - 14, y: (y1 + y2) / 2 - 4 }, 'HASH'));
      });
    });
    nodes.forEach(function (n) {
      var op = ops[n.id], p = pos[n.id], b = n.exchange ? pressure[n.name] : undefined;
      var g = svg('g', { 'class': 'node bp-' + level(b), 'data-operator': n.name, transform: 'translate(' + p.x + ',' + p.y + ')' });
      g.appendChild(svg('rect', { width: W, height: H }));
      g.appendChild(svg('text', { 'class': 'title', x: 10, y: 19 }, n.name));
      g.appendChild(svg('text', { 'class': 'sub', x: 10, y: 35 }, n.kind + (n.sinkKind ? ' · ' + n.sinkKind : '') + (n.exchange ? ' · exchange' : '')));
      g.appendChild(svg('text', { 'class': 'rate', x: 10, y: 55 }, 'in ' + int(op.recordsInPerSec) + '/s · out ' + int(op.recordsOutPerSec) + '/s'));
      g.appendChild(svg('text', { 'class': 'sub watermark', x: 10, y: 73 }, op.watermarkMs === undefined ? 'watermark –' : 'wm ' + time(op.watermarkMs).slice(11) + ' · lag ' + ms(op.watermarkLagMs)));
      g.appendChild(svg('text', { 'class': 'sub backpressure' + (op.deadLetters ? ' err' : ''), x: 10, y: 91 }, b ? 'ring fill ' + fmt1.format(b.fill * 100) + ' % · blocked ' + int(b.blockedPerSec) + ' ms/s' : op.deadLetters ? int(op.deadLetters) + ' dead letters' : ''));
      root.appendChild(g);
    });
    $('graph').replaceChildren(root);
  }

  function render(view) {
    var m = view.metrics, pressure = backpressure(view);
    document.title = view.name + ' · ' + m.state + ' · weir';
    $('job-name').textContent = view.name;
    var state = $('job-state'); state.textContent = m.state; state.className = 'badge ' + m.state; state.setAttribute('data-state', m.state);
    $('job-meta').textContent = view.mode + ' · parallelism ' + view.parallelism + ' · up ' + duration(m.runMs || 0) + ' · started in ' + ms(m.startupMs);
    var sourceRate = m.operators.filter(function (o) { return o.kind === 'source'; }).reduce(function (a, o) { return a + o.recordsOutPerSec; }, 0);
    $('kpi-rate').innerHTML = ''; $('kpi-rate').append(int(sourceRate), el('small', {}, ' records/s from the sources'));
    rateHistory.push(sourceRate); if (rateHistory.length > 120) rateHistory.shift(); spark('spark-rate', rateHistory);

    var lat = m.latency, k = $('kpi-latency');
    k.setAttribute('data-count', lat.count);
    k.replaceChildren('p99 ', el('span', { 'data-percentile': 'p99' }, ms(lat.p99Ms)));
    $('latency-detail').replaceChildren('p50 ', el('span', { 'data-percentile': 'p50' }, ms(lat.p50Ms)), ' · p90 ', el('span', { 'data-percentile': 'p90' }, ms(lat.p90Ms)), ' · ', el('span', { 'data-latency-count': '' }, int(lat.count)), ' records · source creation → sink');
    if (lat.p99Ms !== undefined) { latencyHistory.push(lat.p99Ms); if (latencyHistory.length > 120) latencyHistory.shift(); spark('spark-latency', latencyHistory); }
    // Buckets from the first holding records to the one where every record is counted; per bucket, and the cumulative share.
    var total = lat.count || 1, below = 0, rowsOf = [];
    lat.buckets.forEach(function (b) {
      var inBucket = b.count - below;
      if ((inBucket > 0 || rowsOf.length > 0) && below < lat.count) { var tr = el('tr'); cell(tr, b.leMs === null ? '+∞' : ms(b.leMs)); cell(tr, int(inBucket)); cell(tr, fmt1.format(b.count / total * 100) + ' %'); rowsOf.push(tr); }
      below = b.count;
    });
    fill($('latency-buckets').tBodies[0], rowsOf);

    var c = m.checkpoints;
    $('kpi-checkpoints').replaceChildren(c ? el('span', { 'data-checkpoints-completed': '' }, int(c.completed)) : 'off', el('small', {}, c ? ' completed' : ' (checkpointIntervalMs not set)'));
    $('checkpoint-detail').textContent = c && c.completed ? 'last #' + c.lastCompletedId + ': ' + ms(c.lastDurationMs) + ', alignment ' + ms(c.lastAlignmentMs) + ', ' + bytes(c.lastBytes) + ' written, state ' + bytes(c.lastStateBytes) : '';
    fill($('checkpoints').tBodies[0], (c ? c.history.slice().reverse() : []).map(function (h) {
      var tr = el('tr', { 'data-checkpoint': h.id }); cell(tr, '#' + h.id); cell(tr, time(h.completedAtMs).slice(11)); cell(tr, ms(h.durationMs)); cell(tr, ms(h.alignmentMs)); cell(tr, bytes(h.bytes)); cell(tr, bytes(h.stateBytes)); cell(tr, h.incremental ? 'incremental' : 'full'); return tr;
    }));

    var dl = $('kpi-dead-letters'); dl.textContent = int(m.deadLetters); dl.setAttribute('data-value', m.deadLetters);
    var restarts = m.restarts || [];
    $('restart-detail').replaceChildren(el('span', { 'data-restarts': restarts.length }, restarts.length + ' restart' + (restarts.length === 1 ? '' : 's')), restarts.length ? ' · last: ' + restarts[restarts.length - 1].code + ' ' + restarts[restarts.length - 1].cause : '');

    drawGraph(view, pressure);
    fill($('operators').tBodies[0], m.operators.map(function (o) {
      var tr = el('tr', { 'data-operator': o.name });
      cell(tr, o.name); cell(tr, o.kind, 'dim');
      cell(tr, int(o.recordsIn), 'records-in'); cell(tr, int(o.recordsOut), 'records-out');
      cell(tr, int(o.recordsInPerSec), 'in-rate'); cell(tr, int(o.recordsOutPerSec), 'out-rate');
      cell(tr, o.watermarkMs === undefined ? '–' : time(o.watermarkMs), 'watermark').setAttribute('data-ms', o.watermarkMs === undefined ? '' : o.watermarkMs);
      cell(tr, ms(o.watermarkLagMs), 'watermark-lag');
      cell(tr, int(o.deadLetters), 'dead-letters' + (o.deadLetters ? ' err' : ''));
      cell(tr, o.perWorker.map(function (w) { return int(w.recordsOut); }).join(' / '), 'dim');
      return tr;
    }));
    fill($('channels').tBodies[0], m.channels.map(function (ch) {
      var tr = el('tr', { 'data-exchange': ch.exchange }); cell(tr, ch.exchange); cell(tr, ch.from + ' → ' + ch.to); cell(tr, fmt1.format(ch.occupancy * 100) + ' %'); cell(tr, ms(ch.blockedMs)); cell(tr, int(ch.blockedPerSec)); return tr;
    }));
    fill($('sources').tBodies[0], m.sources.map(function (s) {
      var tr = el('tr', { 'data-source': s.source, 'data-partition': s.partition }); cell(tr, s.source); cell(tr, s.partition); cell(tr, s.worker); cell(tr, int(s.records)); cell(tr, int(s.recordsPerSec)); cell(tr, s.lag === undefined ? '–' : int(s.lag)); return tr;
    }));
    previous = view;
  }

  function poll() {
    fetch('api/job', { cache: 'no-store' }).then(function (res) {
      if (!res.ok) throw new Error('HTTP ' + res.status);
      return res.json();
    }).then(function (view) {
      render(view);
      seq++;
      document.body.setAttribute('data-seq', seq);
      $('updated').textContent = 'updated ' + new Date(view.atMs).toLocaleTimeString();
      $('updated').className = 'meta';
    }).catch(function (err) {
      // The job ended (its endpoint closed) or the network failed: keep the last picture, say so.
      $('updated').textContent = 'not updating: ' + err.message;
      $('updated').className = 'meta err';
    }).then(function () { setTimeout(poll, refreshMs); });
  }
  poll();
})();
</script>
</body>
</html>
`;
