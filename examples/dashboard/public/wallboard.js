import { createClient } from '@ssekit/client';

// Only the current value of each sensor matters here, so the page reads `/current`, a
// latest-value topic: on connect (and on every reconnect) the hub sends each sensor's newest
// value at once, and a page that cannot keep up (a background tab, a phone on a bad network)
// gets only the newest values when it reads again, never a backlog and never cut off.
const $ = (selector) => document.querySelector(selector);
const newest = {};
const stats = { received: 0, stale: 0, reconnects: 0 };

function show(current) {
  stats.received += 1;
  // Per sensor, values arrive newest last: an older one would be a stale value shown.
  if (newest[current.sensor] !== undefined && current.seq <= newest[current.sensor]) {
    stats.stale += 1;
  } else {
    newest[current.sensor] = current.seq;
    const card = $(`[data-sensor="${current.sensor}"]`);
    card.querySelector('.value span').textContent = current.value.toFixed(1);
    card.querySelector('.seq span').textContent = `#${current.seq}`;
  }
  $('#received').textContent = stats.received;
  $('#stale').textContent = stats.stale;
}

const client = createClient('/current', { maxRetryDelay: 5000 });
client.on('current', show);

let wasOpen = false;
client.subscribe(() => {
  if (client.state === 'open') {
    if (wasOpen) stats.reconnects += 1;
    wasOpen = true;
    $('#reconnects').textContent = stats.reconnects;
    document.body.dataset.state = 'live';
    $('#connection-text').textContent = 'Live';
  } else if (client.state === 'closed') {
    document.body.dataset.state = 'closed';
    $('#connection-text').textContent = 'Disconnected';
  } else if (wasOpen) {
    document.body.dataset.state = 'reconnecting';
    $('#connection-text').textContent = 'Reconnecting…';
  }
});
