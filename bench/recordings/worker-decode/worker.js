// Runs in a Web Worker, as the web app's parsing worker does: load the wasm, warm up, measure.
importScripts("episcope_bench_wasm.js");
const params = new URLSearchParams(self.location.search);
const messages = Number(params.get("messages") || 100000);
const joints = Number(params.get("joints") || 7);
wasm_bindgen("episcope_bench_wasm_bg.wasm").then(() => {
  wasm_bindgen.joint_state_decode_rate(1000, joints, 3);
  postMessage(wasm_bindgen.joint_state_decode_rate(messages, joints, 10));
});
