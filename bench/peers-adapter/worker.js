// One decode worker of the Episcope contender (see adapter.js): its own instance of the wasm module; decodes the plan
// it is sent from the byte pieces it is sent (views on transferred ArrayBuffers) and answers with a partial result.
import initWasm, * as ours from './pkg/episcope_bench_wasm.js'

self.onmessage = async ({ data }) => {
  const { id } = data
  try {
    if (data.type === 'init') {
      await initWasm()
      self.postMessage({ id })
      return
    }
    const t0 = performance.now()
    const partial = ours.decode_part(data.pieces, new Float64Array(data.offsets), data.fileSize, data.task, data.plan)
    const wall_ms = performance.now() - t0
    // A staging buffer goes back to the page for the next decode; the page's own input buffer is just dropped.
    const staging = data.returnBuffer && data.pieces.length ? data.pieces[0].buffer : null
    self.postMessage({ id, partial, wall_ms, staging }, staging ? [staging] : [])
  } catch (e) {
    self.postMessage({ id, error: String((e && (e.stack || e.message)) || e) })
  }
}
