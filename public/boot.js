// Boots the wasm app. A file (not inline) so the Content-Security-Policy needs no 'unsafe-inline'.
// Paths are relative to this file, so the app works from any sub-path.
import init from './episcope-web.js';
await init({ module_or_path: new URL('./episcope-web_bg.wasm', import.meta.url) });
