// Probe: the floor under any gateway's GET miss here: one store fetch of a presigned URL, its body
// and headers passed through, nothing checked or signed in the worker (BENCHMARKS.md, "CPU per
// request"). FLOOR_URL is the presigned URL, base64url without padding (ab.mjs's variables
// cannot carry `:` or `=`); bench/probes/floor-url.mjs prints it.
//   AB_VARS="FLOOR_URL=$(node bench/probes/floor-url.mjs obj-1k)" node bench/ab.mjs "/bench/obj-1k?token=..." 6 5 floor=bench/probes/fetch-floor.mjs peer=peer
let url;
export default { async fetch(req, env) {
  url ??= atob(env.FLOOR_URL.replace(/-/g, "+").replace(/_/g, "/"));
  const r = await fetch(url);
  return new Response(r.body, { status: r.status, headers: r.headers });
} };
