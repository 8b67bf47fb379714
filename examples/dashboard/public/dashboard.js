import { createClient } from '@ssekit/client';
import uPlot from '/vendor/uplot/uPlot.esm.js';

const WINDOW = 240; // readings on screen: one minute at four a second
const SENSORS = {
  temperature: { color: '#e4572e' },
  humidity: { color: '#2e86de' },
  power: { color: '#8e44ad' },
};

const $ = (selector) => document.querySelector(selector);
const times = [];
const series = { temperature: [], humidity: [], power: [] };
const charts = {};
const stats = {
  first: undefined,
  last: undefined,
  received: 0,
  gaps: 0,
  duplicates: 0,
  reconnects: 0,
};
let drawScheduled = false;

for (const [sensor, { color }] of Object.entries(SENSORS)) {
  const box = $(`[data-sensor="${sensor}"] .chart`);
  charts[sensor] = new uPlot(
    {
      width: box.clientWidth,
      height: 180,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: true } },
      axes: [
        { stroke: '#6b7385', grid: { stroke: '#eef1f6' } },
        { stroke: '#6b7385', grid: { stroke: '#eef1f6' }, size: 44 },
      ],
      series: [{}, { stroke: color, width: 2, fill: `${color}1a` }],
    },
    [[], []],
    box,
  );
}
addEventListener('resize', () => {
  for (const [sensor, chart] of Object.entries(charts)) {
    chart.setSize({ width: $(`[data-sensor="${sensor}"] .chart`).clientWidth, height: 180 });
  }
});

function showConnection(state, text) {
  document.body.dataset.state = state;
  $('#connection-text').textContent = text;
}

function notice(text) {
  $('#notice').hidden = false;
  $('#notice').textContent = text;
}

function add(reading) {
  if (stats.last !== undefined && reading.seq <= stats.last) {
    stats.duplicates += 1;
    return;
  }
  if (stats.last !== undefined && reading.seq !== stats.last + 1) stats.gaps += 1;
  stats.first ??= reading.seq;
  stats.last = reading.seq;
  stats.received += 1;
  times.push(reading.time / 1000);
  for (const sensor of Object.keys(series)) series[sensor].push(reading[sensor]);
  if (times.length > WINDOW) {
    times.shift();
    for (const values of Object.values(series)) values.shift();
  }
  scheduleDraw();
}

/** Many readings can arrive at once (a replay): draw once per frame, not once per reading. */
function scheduleDraw() {
  if (drawScheduled) return;
  drawScheduled = true;
  requestAnimationFrame(() => {
    drawScheduled = false;
    for (const [sensor, chart] of Object.entries(charts)) {
      chart.setData([times, series[sensor]]);
      $(`[data-sensor="${sensor}"] .value span`).textContent =
        series[sensor].at(-1)?.toFixed(1) ?? '–';
    }
    $('#first-seq').textContent = stats.first === undefined ? '–' : `#${stats.first}`;
    $('#last-seq').textContent = stats.last === undefined ? '–' : `#${stats.last}`;
    $('#received').textContent = stats.received;
    $('#gaps').textContent = stats.gaps;
    $('#duplicates').textContent = stats.duplicates;
    $('#reconnects').textContent = stats.reconnects;
  });
}

function forgetHistory() {
  times.length = 0;
  for (const values of Object.values(series)) values.length = 0;
  Object.assign(stats, { first: undefined, last: undefined, received: 0, gaps: 0, duplicates: 0 });
}

// Draw the last minute at once, then stream from the newest reading we drew: the hub replays
// whatever was published in between, and after a lost connection whatever we missed.
const snapshot = await (await fetch('/readings')).json();
for (const reading of snapshot.readings) add(reading);
const client = createClient('/events', {
  lastEventId: snapshot.lastId,
  // A deploy takes seconds: come back within 5 s of it, whatever the backoff reached meanwhile.
  maxRetryDelay: 5000,
  // The server no longer has the readings after our last id (it restarted, or we were away
  // longer than its history): start over rather than draw a line across the hole.
  onReset: () => {
    forgetHistory();
    notice(
      'The server could not replay what you missed (it restarted, or you were away too long). Showing fresh data.',
    );
    scheduleDraw();
  },
});
client.on('reading', add);

let wasOpen = false;
client.subscribe(() => {
  if (client.state === 'open') {
    if (wasOpen) stats.reconnects += 1;
    wasOpen = true;
    showConnection('live', 'Live');
    scheduleDraw();
  } else if (client.state === 'closed') showConnection('closed', 'Disconnected');
  else if (wasOpen) showConnection('reconnecting', 'Reconnecting…');
});
