// The worker's JavaScript entry: hands each event to the wasm module's handlers
// (src/worker/mod.rs, `fetch` and `#[event(scheduled)]`, as worker-build bundles them
// into build/index.js) with no per-request object around them. worker-build's own default export
// constructs a WorkerEntrypoint and wraps it and each of its methods in Proxies on every request;
// here the handlers are called directly (BENCHMARKS.md, "The entry path"). What its wrapper adds
// is kept: a trap (a Rust panic) marks the instance broken, and the next event resets it.
import Gateway from "../../build/index.js";

const state = globalThis.__worker_init_state;
const { fetch: wasmFetch, scheduled: wasmScheduled } = Gateway.prototype;
if (!state || typeof wasmFetch !== "function" || typeof wasmScheduled !== "function") {
  throw new Error("bagroom: build/index.js is not the worker-build output src/worker/index.mjs expects");
}

function trap(e) {
  if (e instanceof WebAssembly.RuntimeError) state.criticalError = true;
  throw e;
}

function call(handler, event, env, ctx) {
  // constructing worker-build's entrypoint resets a broken instance (its `checkReinitialize`);
  // should that fail, the call below reports the broken instance as an error answer
  if (state.criticalError) {
    try {
      new Gateway(ctx, env);
    } catch (e) {
      console.error("bagroom: resetting the wasm instance failed", e);
    }
  }
  try {
    return handler.call({ env, ctx }, event).catch(trap);
  } catch (e) {
    return trap(e);
  }
}

export default {
  fetch(request, env, ctx) {
    return call(wasmFetch, request, env, ctx);
  },
  scheduled(controller, env, ctx) {
    return call(wasmScheduled, controller, env, ctx);
  },
};
