// Probe: what queueMicrotask costs in workerd, against awaiting resolved promises (BENCHMARKS.md, "CPU per request").
//   node bench/ab.mjs / 4 3 none=bench/probes/queue-microtask.mjs:N=0 qm50=bench/probes/queue-microtask.mjs:N=50 p50=bench/probes/queue-microtask.mjs:P=50
export default { async fetch(req, env) {
  const n = Number(env.N || 0);
  if (n) await new Promise((resolve) => { let left = n; const f = () => { if (--left === 0) resolve(); else queueMicrotask(f); }; queueMicrotask(f); });
  if (env.P) { for (let i = 0; i < Number(env.P); i++) await Promise.resolve(i); }
  return new Response("hello");
} };
