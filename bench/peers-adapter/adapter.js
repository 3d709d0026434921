// Episcope's parquet reader (crates/episcope-bench-wasm over episcope-core's parquet_io, arrow-rs in wasm) as a
// contender of the peers harness (../shared/bench/peers). Contract: see the harness's examples/ours-adapter.template.js.
//
// options.workers (default 2):
//   N >= 1  a pool of N Web Workers made in init (untimed), each with its own instance of the same wasm module.
//           decode(): the footer is parsed once here (plan_parts), the (row group, column) units are split into N
//           balanced plans, each worker gets exactly its byte ranges, decodes them and reduces them to partial sums or
//           per-dimension moments; merge_parts (Chan et al.) gives the summary.
//           Bytes: the worker with the most bytes gets the input ArrayBuffer itself (transferred, no copy); each other
//           worker gets only its ranges, copied into a staging ArrayBuffer that is transferred to it and back with its
//           answer, so it is reused from rep to rep (a fresh ArrayBuffer.slice of ~120 MB cost 55-500 ms here, mostly
//           first-touch page faults; a copy into already-touched memory costs ~25 ms). Each worker copies its ranges
//           into its wasm memory once (unavoidable: wasm cannot address a JS buffer) and decodes there.
//   0       everything on the page's thread (decode_all / state_stats): no worker, no postMessage.
// The summary carries where the time went (phases_ms, and each worker's copy_in/decode in part_timings_ms); the
// harness keeps these as summary_extra.
import initWasm, * as ours from './pkg/episcope_bench_wasm.js'

export const info = { library: 'episcope (episcope-core parquet_io over arrow-rs 60.1, wasm32, opt-level 3)' }
export const tasks = ['all', 'stats']

let pool = []
let nextId = 1

function startWorker() {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })
  const handle = { worker, call: null, staging: null }
  const pending = new Map()
  worker.onmessage = ({ data }) => {
    const job = pending.get(data.id)
    if (!job) return
    pending.delete(data.id)
    if (data.error) job.reject(new Error(data.error))
    else job.resolve(data)
  }
  worker.onerror = e => {
    for (const job of pending.values()) job.reject(new Error(`worker error: ${e.message}`))
    pending.clear()
  }
  const call = (message, transfer = []) => new Promise((resolve, reject) => {
    const id = nextId++
    pending.set(id, { resolve, reject })
    worker.postMessage({ ...message, id }, transfer)
  })
  handle.call = call
  return handle
}

export async function init({ options = {} } = {}) {
  await initWasm() // the page's own instance: footer, plan and merge
  const count = options.workers ?? 2
  pool = Array.from({ length: count }, startWorker)
  await Promise.all(pool.map(w => w.call({ type: 'init' })))
  info.workers = count
  info.crossOriginIsolated = globalThis.crossOriginIsolated === true
}

// TIMED
export async function decode(arrayBuffer, { task }) {
  const t0 = performance.now()
  const file = new Uint8Array(arrayBuffer)
  if (pool.length === 0) {
    const summary = JSON.parse(task === 'stats' ? ours.state_stats(file) : ours.decode_all(file))
    summary.phases_ms = { total: performance.now() - t0 }
    return summary
  }
  const plans = JSON.parse(ours.plan_parts(file, task, pool.length))
  const t1 = performance.now()
  const busy = plans.map((plan, i) => ({ plan, worker: pool[i] })).filter(({ plan }) => plan.reads.length > 0)
  const held = ({ plan }) => plan.ranges.reduce((n, [s, e]) => n + (e - s), 0)
  // The worker holding the most bytes takes the buffer itself; slice for the others first (slicing needs it attached).
  busy.sort((a, b) => held(b) - held(a))
  const jobs = []
  for (let i = busy.length - 1; i >= 0; i--) {
    const { plan, worker } = busy[i]
    let pieces, transfer
    let returnBuffer = false
    if (i === 0) {
      pieces = plan.ranges.map(([s, e]) => new Uint8Array(arrayBuffer, s, e - s))
      transfer = [arrayBuffer]
    } else {
      const need = held(busy[i])
      if (!worker.staging || worker.staging.byteLength < need) worker.staging = new ArrayBuffer(need)
      const staging = worker.staging
      worker.staging = null // transferred; comes back with the answer
      const view = new Uint8Array(staging)
      let at = 0
      pieces = plan.ranges.map(([s, e]) => {
        view.set(new Uint8Array(arrayBuffer, s, e - s), at)
        const piece = new Uint8Array(staging, at, e - s)
        at += e - s
        return piece
      })
      transfer = [staging]
      returnBuffer = true
    }
    const message = { type: 'decode', task, plan: JSON.stringify(plan), pieces, offsets: plan.ranges.map(([s]) => s), fileSize: file.byteLength, returnBuffer }
    jobs.push(worker.call(message, transfer).then(answer => {
      if (answer.staging) worker.staging = answer.staging
      return answer
    }))
  }
  const t2 = performance.now() // slicing done, messages posted
  const parts = await Promise.all(jobs)
  const t3 = performance.now()
  const summary = JSON.parse(ours.merge_parts(task, `[${parts.map(p => p.partial).join(',')}]`))
  const t4 = performance.now()
  summary.phases_ms = { plan: t1 - t0, stage_and_post: t2 - t1, workers: t3 - t2, merge: t4 - t3, total: t4 - t0 }
  summary.worker_wall_ms = parts.map(p => p.wall_ms)
  return summary
}

// UNTIMED: the result already is the summary (computed from the decoded arrays inside decode)
export function summarize(result) { return result }

export function dispose() {}
