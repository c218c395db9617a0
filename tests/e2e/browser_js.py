"""Page JavaScript the browser e2e scripts run through WebDriver (execute_async_script:
the last argument is the callback). Each snippet bounds itself with a timer so a stuck
stream reports what it saw instead of hanging the session.
"""

# The navigation's protocol and URL, and the page's title.
NAVIGATION = """
const nav = performance.getEntriesByType('navigation')[0];
return {proto: nav.nextHopProtocol, url: location.href, title: document.title,
        secure: window.isSecureContext};
"""

# fetch(arguments[0]) -> status, a few headers, body text, protocol of the request.
FETCH_TEXT = """
const done = arguments[arguments.length - 1];
const url = arguments[0];
fetch(url, {cache: 'no-store'}).then(r => r.text().then(body => {
  const e = performance.getEntriesByType('resource').filter(x => x.name.endsWith(url)).pop();
  done({status: r.status, body: body, ct: r.headers.get('content-type'),
        ce: r.headers.get('content-encoding'), proto: e ? e.nextHopProtocol : null,
        encoded: e ? e.encodedBodySize : null, decoded: e ? e.decodedBodySize : null});
})).catch(err => done({error: String(err)}));
"""

# The same SSE token stream read two ways at once, as chat front ends do: an EventSource, and
# fetch() with a stream reader (which can also see Content-Encoding). Arrival times are
# Date.now() (the same clock as the upstream's time.time()).
SSE_BOTH = """
const done = arguments[arguments.length - 1];
const [esUrl, fetchUrl, limitMs] = arguments;
const out = {es: [], es_error: null, fetch: [], fetch_ce: null, fetch_error: null};
const viaEventSource = new Promise(resolve => {
  const es = new EventSource(esUrl);
  es.onmessage = e => {
    out.es.push([e.data, Date.now(), e.lastEventId]);
    if (e.data === '[DONE]') { es.close(); resolve(); }
  };
  es.onerror = () => { out.es_error = 'readyState ' + es.readyState; es.close(); resolve(); };
  setTimeout(() => { es.close(); resolve(); }, limitMs);
});
const viaFetch = (async () => {
  try {
    const r = await fetch(fetchUrl, {headers: {Accept: 'text/event-stream'}, cache: 'no-store'});
    out.fetch_ce = r.headers.get('content-encoding');
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const stop = Date.now() + limitMs;
    while (Date.now() < stop) {
      const {value, done: end} = await reader.read();
      if (end) break;
      text += value;
      let cut;
      while ((cut = text.indexOf('\\n\\n')) >= 0) {
        out.fetch.push([text.slice(0, cut), Date.now()]);
        text = text.slice(cut + 2);
      }
    }
  } catch (err) { out.fetch_error = String(err); }
})();
Promise.all([viaEventSource, viaFetch]).then(() => done(out));
"""

# A WebSocket to arguments[0]: a text message, then a binary one of arguments[1] bytes
# (a fixed pattern), each echoed back and compared byte for byte, then a clean close.
WEBSOCKET_ECHO = """
const done = arguments[arguments.length - 1];
const [url, size, limitMs] = arguments;
const out = {events: [], text_ok: false, binary_ok: false, binary_len: 0, code: null, clean: null};
const big = new Uint8Array(size);
for (let i = 0; i < size; i++) big[i] = (i * 31 + (i >> 8)) & 255;
const ws = new WebSocket(url);
ws.binaryType = 'arraybuffer';
const timer = setTimeout(() => { out.events.push('timeout'); done(out); }, limitMs);
ws.onopen = () => { out.events.push('open'); ws.send('hello through gatehouse'); };
ws.onmessage = e => {
  if (typeof e.data === 'string') {
    out.events.push('text');
    out.text_ok = e.data === 'hello through gatehouse';
    ws.send(big);
    return;
  }
  out.events.push('binary');
  const got = new Uint8Array(e.data);
  out.binary_len = got.length;
  out.binary_ok = got.length === big.length && got.every((b, i) => b === big[i]);
  ws.close(1000, 'bye');
};
ws.onerror = () => out.events.push('error');
ws.onclose = e => { out.code = e.code; out.clean = e.wasClean; clearTimeout(timer); done(out); };
"""

# Two chat-message uploads to arguments[0]: a 2 MB JSON body (Content-Length), then a streamed
# body (a ReadableStream, which Chromium sends only over HTTP/2: no length, DATA frames as the
# page produces them). Returns the upstream's answers and SHA-256 of what the page sent.
UPLOADS = """
const done = arguments[arguments.length - 1];
const url = arguments[0];
const hex = async bytes => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)))
  .map(b => b.toString(16).padStart(2, '0')).join('');
(async () => {
  const enc = new TextEncoder();
  const msg = enc.encode(JSON.stringify({model: 'gpt-test', messages: [{role: 'user',
    content: 'x'.repeat(2 * 1024 * 1024)}]}));
  const r1 = await fetch(url, {method: 'POST', body: msg, headers: {'Content-Type': 'application/json'}});
  const pieces = [];
  for (let i = 0; i < 8; i++) pieces.push(enc.encode('piece ' + i + ' ' + 'y'.repeat(30000) + '\\n'));
  let i = 0;
  const stream = new ReadableStream({async pull(ctrl) {
    if (i < pieces.length) { await new Promise(res => setTimeout(res, 20)); ctrl.enqueue(pieces[i++]); }
    else ctrl.close();
  }});
  const r2 = await fetch(url, {method: 'POST', body: stream, duplex: 'half',
                              headers: {'Content-Type': 'text/plain'}});
  const all = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) { all.set(p, at); at += p.length; }
  done({fixed: {status: r1.status, seen: await r1.json(), sha: await hex(msg), length: msg.length},
        streamed: {status: r2.status, seen: await r2.json(), sha: await hex(all), length: all.length}});
})().catch(err => done({error: String(err)}));
"""

# "Stop generating": read arguments[1] events of the stream at arguments[0], then abort the
# fetch (an RST_STREAM over h2). Returns how many were read and when (Date.now()) it aborted.
SSE_ABORT = """
const done = arguments[arguments.length - 1];
const [url, want, limitMs] = arguments;
const ctrl = new AbortController();
const timer = setTimeout(() => ctrl.abort(), limitMs);
(async () => {
  const r = await fetch(url, {signal: ctrl.signal, cache: 'no-store'});
  const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
  let text = '', events = 0;
  while (events < want) {
    const {value, done: end} = await reader.read();
    if (end) break;
    text += value;
    events = text.split('\\n\\n').length - 1;
  }
  const at = Date.now();
  ctrl.abort();
  clearTimeout(timer);
  done({events: events, aborted_at: at});
})().catch(err => done({error: String(err)}));
"""

# A chat session's two streams at once on one connection: an EventSource token stream
# (arguments[1]) and a WebSocket (arguments[0]) that sends a message for every token and
# expects its echo. Returns the events with times and the echoes seen.
SSE_WITH_WEBSOCKET = """
const done = arguments[arguments.length - 1];
const [wsUrl, sseUrl, limitMs] = arguments;
const out = {events: [], echoes: [], sent: 0, error: null};
const ws = new WebSocket(wsUrl);
const timer = setTimeout(() => { out.error = 'timeout'; finish(); }, limitMs);
let es = null;
function finish() { clearTimeout(timer); if (es) es.close(); ws.close(1000); done(out); }
ws.onmessage = e => { out.echoes.push(e.data); };
ws.onerror = () => { out.error = 'websocket error'; finish(); };
ws.onopen = () => {
  es = new EventSource(sseUrl);
  es.onmessage = e => {
    out.events.push([e.data, Date.now()]);
    if (e.data === '[DONE]') { es.close(); setTimeout(finish, 300); return; }
    ws.send('ack ' + e.lastEventId); out.sent++;
  };
  es.onerror = () => { out.error = 'eventsource error'; finish(); };
};
"""
