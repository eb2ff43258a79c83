// The dashboard's page: static HTML and a small script that subscribes to /events (server-sent
// events: every upsert the job emits, after a snapshot of the current ones) and redraws the three
// figures as they arrive. No framework, no build step.
export const dashboardPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>weir · live shop dashboard</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }
  h1 { font-size: 1.3rem; }
  .figures { display: flex; gap: 2rem; flex-wrap: wrap; }
  .figure { border: 1px solid #ccc; border-radius: 6px; padding: 1rem 1.5rem; min-width: 14rem; }
  .number { font-size: 2.2rem; font-variant-numeric: tabular-nums; }
  .small { color: #666; font-size: 0.85rem; }
  table { border-collapse: collapse; }
  td, th { padding: 0.15rem 0.8rem 0.15rem 0; text-align: left; font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<h1>Shop, live <span id="status" class="small">connecting</span></h1>
<p class="small">updates received: <span id="updates">0</span></p>
<div class="figures">
  <div class="figure">
    <div>Active users (10 s)</div>
    <div class="number" id="active-users">–</div>
    <div class="small" id="active-window"></div>
    <ol class="small" id="active-history" reversed></ol>
  </div>
  <div class="figure">
    <div>Top products, last 5 minutes</div>
    <table><thead><tr><th>#</th><th>product</th><th>events</th></tr></thead><tbody id="top-products"></tbody></table>
    <div class="small" id="top-window"></div>
  </div>
  <div class="figure">
    <div>Revenue today</div>
    <div class="number" id="revenue">–</div>
    <div class="small"><span id="purchases">0</span> purchases</div>
  </div>
</div>
<script>
const figures = new Map();
let updates = 0;
const time = (ms) => new Date(ms).toISOString().slice(11, 19);
const text = (id, value) => { document.getElementById(id).textContent = String(value); };

function render() {
  const active = [...figures].filter(([k]) => k.startsWith('active-users/')).map(([, v]) => v).sort((a, b) => b.start - a.start);
  if (active.length > 0) {
    text('active-users', active[0].users);
    text('active-window', time(active[0].start) + '–' + time(active[0].end));
    document.getElementById('active-history').innerHTML = active.slice(1, 7).map((w) => '<li>' + time(w.start) + ': ' + w.users + '</li>').join('');
  }
  const top = figures.get('top-products');
  if (top) {
    document.getElementById('top-products').innerHTML = top.ranking
      .map((r) => '<tr><td>' + r.rank + '</td><td class="product">' + r.key + '</td><td class="count">' + r.value + '</td></tr>')
      .join('');
    text('top-window', time(top.start) + '–' + time(top.end));
  }
  const days = [...figures].filter(([k]) => k.startsWith('revenue/')).map(([, v]) => v).sort((a, b) => b.day - a.day);
  if (days.length > 0) {
    text('revenue', days[0].revenue);
    text('purchases', days[0].purchases);
  }
  text('updates', updates);
}

let pending = false;
function upsert(u) {
  figures.set(u.key, u.value);
  updates++;
  // Redraw at most once a frame, however many upserts arrive.
  if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; render(); }); }
}

const events = new EventSource('/events');
events.addEventListener('upsert', (e) => upsert(JSON.parse(e.data)));
events.addEventListener('open', () => text('status', 'live'));
events.addEventListener('end', (e) => { text('status', JSON.parse(e.data).failed ? 'failed' : 'ended'); render(); events.close(); });
</script>
</body>
</html>
`;
