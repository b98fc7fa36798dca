// live.js: the change feed as it happens (GET /v1/events/stream), so that a
// view can say that what it shows has changed since it was drawn.  fetch()
// with a stream reader rather than EventSource: EventSource cannot send the
// token in a header, and the token never goes into a URL.  The stream starts
// at ?after=now and resumes with Last-Event-ID after a drop, so nothing is
// counted twice or missed; a team token hears of its own team's events only.
import { token } from './auth.js';

let ctrl = null;
let last = 0;
let pause = 1000;
let onEvent = null;

// Follows the stream while signed in; cb(event) for each event.
export function start(cb) {
  stop();
  onEvent = cb;
  last = 0;
  pause = 1000;
  connect();
}

export function stop() {
  if (ctrl) ctrl.abort();
  ctrl = null;
  onEvent = null;
}

// One SSE block ("id: N", "event: T", "data: JSON" lines): the event, or null (a comment).
function parse(block) {
  const ev = { id: 0, type: '', data: null };
  for (const line of block.split('\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const v = line.slice(i + 1).replace(/^ /, '');
    const k = line.slice(0, i);
    if (k === 'id') ev.id = Number(v);
    else if (k === 'event') ev.type = v;
    else if (k === 'data') {
      try {
        ev.data = JSON.parse(v);
      } catch {
        ev.data = null;
      }
    }
  }
  return ev.id > 0 ? ev : null;
}

async function connect() {
  const secret = token();
  if (!secret || !onEvent) return;
  const c = new AbortController();
  ctrl = c;
  const headers = { Accept: 'text/event-stream', Authorization: `Bearer ${secret}` };
  if (last > 0) headers['Last-Event-ID'] = String(last);
  try {
    const r = await fetch(last > 0 ? '/v1/events/stream' : '/v1/events/stream?after=now', {
      headers, credentials: 'omit', cache: 'no-store', signal: c.signal,
    });
    // A refusal other than "too many" or "stopping" will not change by retrying.
    if (!r.ok && r.status !== 429 && r.status !== 503) return;
    if (r.ok) {
      pause = 1000;
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value.replace(/\r\n/g, '\n');
        let k;
        while ((k = buf.indexOf('\n\n')) >= 0) {
          const ev = parse(buf.slice(0, k));
          buf = buf.slice(k + 2);
          if (ev && ev.id > last) {
            last = ev.id;
            if (onEvent) onEvent(ev);
          }
        }
      }
    }
  } catch {
    if (c.signal.aborted) return;
  }
  if (ctrl !== c) return;
  // Dropped (grantd restarted, the network): again after a pause that doubles to 30 s.
  setTimeout(() => { if (ctrl === c) connect(); }, pause);
  pause = Math.min(pause * 2, 30000);
}
