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

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const response = await fetch(request);
      if (response.ok) cache.put(request, response.clone());
      return response;
    } catch (offline) {
      const cached = await cache.match(request, { ignoreSearch: true });
      if (cached) return cached;
      throw offline;
    }
  })());
});
