// Episcope's service worker: caches the app shell and the bundled examples so the page works
// offline after the first visit. Network first (always the newest build when online), cache as
// the fallback. It only ever sees requests to Episcope's own origin: local datasets are read
// from File objects and never fetched.
const CACHE = 'episcope-v1';
const SHELL = [
  './', 'index.html', 'main.css', 'boot.js', 'episcope.svg', 'icons/episcope.svg',
  'episcope-web.js', 'episcope-web_bg.wasm',
  'episcope-worker_loader.js', 'episcope-worker.js', 'episcope-worker_bg.wasm',
  'examples/index.json',
];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(SHELL);
    // The bundled examples, listed by examples/index.json.
    const index = await (await fetch('examples/index.json')).json();
    const files = index.examples.flatMap((e) => e.files.map((f) => `examples/${e.id}/${f.path}`));
    await cache.addAll(files);
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

// A 206 answer for `range` (`bytes=a-b`, `bytes=a-`, `bytes=-n`) out of a cached whole file, so
// videos still seek offline.
async function rangeResponse(cached, range) {
  const body = await cached.arrayBuffer();
  const match = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  if (!match) return new Response(null, { status: 416 });
  let start = match[1] === '' ? Math.max(0, body.byteLength - Number(match[2])) : Number(match[1]);
  let end = match[1] !== '' && match[2] !== '' ? Math.min(Number(match[2]), body.byteLength - 1) : body.byteLength - 1;
  if (start > end) return new Response(null, { status: 416, headers: { 'Content-Range': `bytes */${body.byteLength}` } });
  return new Response(body.slice(start, end + 1), {
    status: 206,
    headers: {
      'Content-Type': cached.headers.get('Content-Type') || 'application/octet-stream',
      'Content-Range': `bytes ${start}-${end}/${body.byteLength}`,
      'Content-Length': String(end + 1 - start),
      'Accept-Ranges': 'bytes',
    },
  });
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  const range = request.headers.get('range');
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const response = await fetch(request);
      // Only whole files are cached (a partial answer cannot be).
      if (response.status === 200 && !range) cache.put(request, response.clone());
      return response;
    } catch (offline) {
      const cached = await cache.match(request, { ignoreSearch: true });
      if (cached && range) return rangeResponse(cached, range);
      if (cached) return cached;
      throw offline;
    }
  })());
});
