// The demo page: session summary, uploads (drop or pick, many at once), resume after reload,
// the files in the token's scope with share links, downloads and previews.
import { api, token, authHeaders, errorFrom, plainMessage, retryable, hasDotSegment, fmtBytes, fmtDuration, fmtDate, keyPath, typeOf, previewKind, ApiError } from "./api.js";
import { Upload, resolveMethod, METHOD_LABEL, pendingUploads, dropPending, sameFile, listedParts, PARALLEL_PARTS } from "./transfer.js";

const $ = (sel, root = document) => root.querySelector(sel);
let session = null;
const uploads = new Set();

/** Build an element: h("button.btn", { type: "button", onclick }, "text", child...). */
function h(tag, attrs = {}, ...children) {
  if (attrs instanceof Node || typeof attrs === "string" || Array.isArray(attrs)) {
    children.unshift(attrs);
    attrs = {};
  }
  const [name, ...classes] = tag.split(".");
  const el = document.createElement(name);
  if (classes.length) el.className = classes.join(" ");
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c != null && c !== false) el.append(c);
  return el;
}

function announce(msg) {
  const live = $("#live");
  live.textContent = "";
  setTimeout(() => { live.textContent = msg; }, 30);
}

function banner(msg, kind = "error") {
  const b = $("#banner");
  b.textContent = msg;
  b.className = `banner ${kind}`;
  b.hidden = !msg;
}

// ---------------------------------------------------------------------------------------------
// Session

function can(m) {
  return session && session.methods.includes(m);
}

function describeSession() {
  const s = session;
  const where = s.scope.kind === "exact" ? `${s.bucket}/${s.scope.value}` : `${s.bucket}/${s.scope.value}`;
  const left = s.expires_at ? s.expires_at - Date.now() / 1000 : Infinity;
  const exp = !isFinite(left) ? "" : left > 0 ? ` · link valid for ${fmtDuration(left)}` : " · link expired";
  const verbs = [["GET", "download"], ["PUT", "upload"], ["LIST", "list"], ["SHARE", "share"], ["DELETE", "delete"]]
    .filter(([m]) => s.methods.includes(m)).map(([, v]) => v);
  $("#session").textContent = `${where} · you can ${verbs.join(", ") || "do nothing"}${exp}`;
  if (left <= 0) banner(plainMessage(new ApiError({ status: 403, code: "AccessDenied", message: "token expired" })));
}

function maxBytes() {
  const v = [session.max_bytes, session.max_upload_bytes].filter((x) => typeof x === "number");
  return v.length ? Math.min(...v) : null;
}

function describeLimits() {
  const s = session, bits = [];
  const max = maxBytes();
  if (max != null) bits.push(`Up to ${fmtBytes(max)} per file.`);
  if ((s.content_types || []).length) bits.push(`Allowed types: ${s.content_types.join(", ")}.`);
  if (s.no_overwrite) bits.push("Existing files cannot be replaced.");
  $("#limits").textContent = bits.join(" ");
  $("#auto-hint").textContent = `one request; multipart above ${fmtBytes(s.multipart_threshold)}`;
  $("#mp-hint").textContent = `${fmtBytes(s.part_size)} parts, ${PARALLEL_PARTS} at a time; resumable after a reload`;
  if (s.content_types && s.content_types.length) $("#file-input").accept = s.content_types.join(",");
}

// ---------------------------------------------------------------------------------------------
// Upload options

/** Can the browser send bytes straight to the store? Not when the gateway's store has no S3
 * endpoint to presign for (an R2 binding): the session says `direct_uploads: false`. */
function directOk() { return session.direct_uploads !== false; }

function route() { return directOk() ? document.querySelector('input[name="route"]:checked').value : "edge"; }
function kind() { return document.querySelector('input[name="kind"]:checked').value; }

function syncOptions() {
  if (!directOk()) {
    const direct = document.querySelector('input[name="route"][value="direct"]');
    direct.disabled = true;
    direct.checked = false;
    document.querySelector('input[name="route"][value="edge"]').checked = true;
    $("#route-direct-label").classList.add("disabled");
    $("#route-note").textContent = "This gateway keeps files in a storage binding the browser cannot reach: every upload goes through the edge.";
    $("#route-note").hidden = false;
  }
  const post = document.querySelector('input[name="kind"][value="post"]');
  const postOk = route() === "direct" && session.post_policy;
  post.disabled = !postOk;
  $("#kind-post-label").classList.toggle("disabled", !postOk);
  if (!postOk && post.checked) document.querySelector('input[name="kind"][value="auto"]').checked = true;
  const small = resolveMethod(session, route(), kind(), 0);
  const big = resolveMethod(session, route(), kind(), session.multipart_threshold + 1);
  $("#method-note").textContent = small === big
    ? `Files go as ${METHOD_LABEL[small]}.`
    : `Files up to ${fmtBytes(session.multipart_threshold)} go as ${METHOD_LABEL[small]}; bigger ones as ${METHOD_LABEL[big]}.`;
}

// ---------------------------------------------------------------------------------------------
// Upload queue

function addFiles(files) {
  if (!session) return;
  const pending = pendingUploads(session.bucket);
  for (const file of files) {
    const resume = pending.find((p) => sameFile(p, file));
    const up = new Upload(file, { session, method: resolveMethod(session, route(), kind(), file.size), resume, onChange: changed });
    if (resume) removeResumeItem(resume.uploadId);
    uploads.add(up);
    $("#queue").prepend(renderItem(up));
  }
  pump();
}

/** Start queued uploads, a few files at a time (each multipart file also sends parts in parallel). */
const MAX_ACTIVE_FILES = 3;
function pump() {
  let active = [...uploads].filter((u) => u.state === "uploading" || u.state === "completing").length;
  for (const u of uploads) {
    if (active >= MAX_ACTIVE_FILES) break;
    if (u.state === "queued" && !u.started) {
      u.started = true;
      active++;
      u.start();
    }
  }
}

function changed(up) {
  render(up);
  if (["done", "failed", "cancelled"].includes(up.state)) queueMicrotask(pump);
}

function renderItem(up) {
  const id = `up-${Math.random().toString(36).slice(2, 10)}`;
  const bar = h("progress", { id: `${id}-bar`, max: up.total || 1, value: 0 });
  const label = h("label.visually-hidden", { for: `${id}-bar` }, `Progress of ${up.file.name}`);
  const stats = h("p.stats", { id: `${id}-stats` });
  const status = h("p.status", { role: "status" });
  const cancel = h("button.btn.small", { type: "button", onclick: () => up.cancel() }, "Cancel");
  const retry = h("button.btn.small.primary", { type: "button", hidden: true, onclick: () => { up.start(); cancel.focus(); } }, "Retry");
  cancel.setAttribute("aria-label", `Cancel ${up.file.name}`);
  retry.setAttribute("aria-label", `Retry ${up.file.name}`);
  const li = h("li.item", { "data-state": up.state, "data-name": up.file.name },
    h("div.item-head",
      h("span.name", { title: up.file.name }, up.file.name),
      h("span.size", {}, fmtBytes(up.total))),
    label, bar, stats, status,
    h("div.item-actions", cancel, retry));
  up.el = { li, bar, stats, status, cancel, retry };
  render(up);
  return li;
}

let renderQueued = new Set(), rafPending = false;
function render(up) {
  renderQueued.add(up);
  if (rafPending) return;
  rafPending = true;
  requestAnimationFrame(() => {
    rafPending = false;
    const batch = renderQueued;
    renderQueued = new Set();
    for (const u of batch) paint(u);
  });
}

function paint(up) {
  if (!up.el) return;
  const { li, bar, stats, status, cancel, retry } = up.el;
  const prev = li.dataset.state;
  li.dataset.state = up.state;
  bar.max = up.total || 1;
  bar.value = up.state === "done" ? bar.max : up.loaded;
  const how = METHOD_LABEL[up.method] + (up.parts ? ` · part ${up.parts.done} of ${up.parts.total} done` + (up.parts.resumed ? ` (${up.parts.resumed} from before)` : "") : "");
  if (up.state === "uploading" || up.state === "completing") {
    const sp = up.speed();
    const left = sp > 0 ? fmtDuration((up.total - up.loaded) / sp) : "–";
    stats.textContent = `${fmtBytes(up.loaded)} of ${fmtBytes(up.total)} · ${sp > 0 ? fmtBytes(sp) + "/s" : "–"} · ${left} left`;
    status.textContent = up.state === "completing" ? "Finishing…" : `Uploading: ${how}`;
  } else if (up.state === "done") {
    stats.textContent = `${fmtBytes(up.total)} uploaded`;
    status.textContent = `Done: ${how.replace(/ · part .*/, "")} → ${up.result && up.result.key ? up.result.key : ""}`;
  } else if (up.state === "failed") {
    stats.textContent = `${fmtBytes(up.loaded)} of ${fmtBytes(up.total)}`;
    status.textContent = plainMessage(up.error, { session, direct: up.direct, file: up.file });
  } else if (up.state === "cancelled") {
    stats.textContent = `${fmtBytes(up.loaded)} of ${fmtBytes(up.total)}`;
    status.textContent = "Cancelled.";
  } else {
    status.textContent = "Waiting…";
  }
  const active = up.state === "uploading" || up.state === "queued" || up.state === "completing";
  const hadFocus = li.contains(document.activeElement);
  cancel.hidden = !active;
  retry.hidden = !(up.state === "cancelled" || up.state === "failed" && retryable(up.error));
  if (hadFocus && document.activeElement === document.body) (retry.hidden ? li : retry).focus();
  $("#clear-done").hidden = ![...uploads].some((u) => u.state === "done" || u.state === "cancelled");
  if (prev !== up.state) {
    if (up.state === "done") { announce(`${up.file.name} uploaded.`); scheduleRefresh(); }
    if (up.state === "failed") announce(`${up.file.name} failed: ${status.textContent}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Resume offers (multipart uploads left unfinished by a reload)

function removeResumeItem(uploadId) {
  const li = document.querySelector(`#resume-list li[data-upload-id="${CSS.escape(uploadId)}"]`);
  if (li) li.remove();
  $("#resume-section").hidden = !$("#resume-list").children.length;
}

async function offerResume() {
  const list = $("#resume-list");
  list.textContent = "";
  const pending = pendingUploads(session.bucket);
  for (const p of pending) {
    const id = `resume-${p.uploadId.replace(/[^A-Za-z0-9_-]/g, "").slice(0, 24)}`;
    const info = h("span.note", {}, "Checking what the store already has…");
    const input = h("input.visually-hidden", { type: "file", id, "data-upload-id": p.uploadId });
    const msg = h("p.status", { role: "status" });
    input.addEventListener("change", () => {
      const f = input.files[0];
      input.value = "";
      if (!f) return;
      if (!sameFile(p, f)) {
        msg.textContent = `That is not the same file. Choose ${p.name} (${fmtBytes(p.size)}, last changed ${fmtDate(p.lastModified)}).`;
        return;
      }
      addFiles([f]);
    });
    const discard = h("button.btn.small", { type: "button", onclick: async () => {
      dropPending(p.uploadId);
      removeResumeItem(p.uploadId);
      announce(`Discarded the unfinished upload of ${p.name}.`);
      try { await api(`/s3/multipart/${encodeURIComponent(p.uploadId)}?${new URLSearchParams({ key: p.key })}`, { method: "DELETE" }); } catch { /* gone already */ }
    } }, "Discard");
    discard.setAttribute("aria-label", `Discard the unfinished upload of ${p.name}`);
    const li = h("li.item", { "data-upload-id": p.uploadId, "data-name": p.name },
      h("div.item-head", h("span.name", {}, p.name), h("span.size", {}, fmtBytes(p.size))),
      info, msg,
      h("div.item-actions",
        h("label.btn.small.primary.file-btn", { for: id }, `Resume: choose ${p.name} again`, input),
        discard));
    list.append(li);
    listedParts(session, p).then((parts) => {
      const total = Math.max(1, Math.ceil(p.size / p.partSize));
      const bytes = parts.reduce((a, x) => a + Number(x.Size || 0), 0);
      info.textContent = `${parts.length} of ${total} parts (${fmtBytes(bytes)}) are already in the store · started ${fmtDate(p.created)}`;
    }).catch((e) => {
      if (e instanceof ApiError && e.code === "NoSuchUpload") {
        dropPending(p.uploadId);
        removeResumeItem(p.uploadId);
      } else info.textContent = plainMessage(e, { session });
    });
  }
  $("#resume-section").hidden = !pending.length;
}

// ---------------------------------------------------------------------------------------------
// Files in scope

let cursor = null, refreshTimer = null;

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => loadFiles(true), 300);
}

async function loadFiles(reset) {
  if (!can("LIST")) {
    $("#files-status").textContent = "This link does not allow listing files.";
    return;
  }
  const status = $("#files-status");
  const tbody = $("#files tbody");
  if (reset) cursor = null;
  const q = new URLSearchParams({ prefix: session.scope.kind === "prefix" ? session.scope.value : session.scope.value, limit: "100" });
  if (cursor) q.set("cursor", cursor);
  status.textContent = "Loading…";
  try {
    const r = await api(`/api/objects?${q}`);
    // a refresh keeps the row of a file that did not change (a share link just made, an open
    // preview), so a refresh that lands while someone uses a row loses nothing of it
    const kept = new Map();
    if (reset) {
      for (const tr of tbody.querySelectorAll("tr[data-key]")) {
        const next = tr.nextElementSibling;
        kept.set(tr.dataset.stamp, next && next.classList.contains("preview-row") ? [tr, next] : [tr]);
      }
      tbody.textContent = "";
    }
    for (const o of r.objects || []) tbody.append(...(kept.get(rowStamp(o)) || [fileRow(o)]));
    cursor = r.truncated ? r.next_cursor : null;
    $("#more").hidden = !cursor;
    const n = tbody.querySelectorAll("tr[data-key]").length;
    status.textContent = n ? `${n} file${n === 1 ? "" : "s"}${cursor ? " so far" : ""}.` : "No files yet.";
    $("#files").hidden = !n;
  } catch (e) {
    status.textContent = plainMessage(e, { session });
  }
}

function displayName(key) {
  const s = session.scope;
  return s.kind === "prefix" && key.startsWith(s.value) && key.length > s.value.length ? key.slice(s.value.length) : key;
}

/** What identifies a listed file's version: its row is kept across refreshes while this holds. */
function rowStamp(o) {
  return [o.key, o.size, o.last_modified, o.etag].join("\n");
}

const TTLS = [["3600", "1 hour"], ["86400", "1 day"], ["604800", "7 days"]];

function fileRow(o) {
  const name = displayName(o.key);
  const type = typeOf(o.key);
  const pk = previewKind(type);
  const uid = Math.random().toString(36).slice(2, 10);
  const ttl = h("select", { id: `ttl-${uid}` }, TTLS.map(([v, t]) => h("option", { value: v }, t)));
  const out = h("input.link", { type: "text", readOnly: true, id: `link-${uid}`, hidden: true, "aria-label": `Share link for ${name}` });
  const copy = h("button.btn.small", { type: "button", hidden: true }, "Copy");
  const dl = h("a.btn.small", { hidden: true, download: name.split("/").pop(), rel: "noreferrer" }, "Download");
  const note = h("span.note.share-note", { role: "status" });
  const make = h("button.btn.small.primary", { type: "button" }, "Get link");
  make.setAttribute("aria-label", `Get a share link for ${name}`);
  copy.setAttribute("aria-label", `Copy the share link for ${name}`);
  dl.setAttribute("aria-label", `Download ${name}`);
  make.addEventListener("click", async () => {
    make.disabled = true;
    note.textContent = "Making a link…";
    try {
      const r = await api("/api/share", { method: "POST", body: { key: o.key, ttl_seconds: Number(ttl.value), methods: ["GET", "HEAD"] } });
      out.value = r.share_url;
      out.hidden = false;
      copy.hidden = false;
      dl.href = r.download_url || r.share_url;
      dl.hidden = false;
      const wanted = Date.now() / 1000 + Number(ttl.value);
      note.textContent = !r.expires_at ? ""
        : r.expires_at < wanted - 60 ? `Works until ${fmtDate(r.expires_at * 1000)}: a shared link cannot outlive your own.`
        : `Works until ${fmtDate(r.expires_at * 1000)}.`;
      make.textContent = "New link";
      make.setAttribute("aria-label", `Make a new share link for ${name}`);
      out.focus();
      out.select();
    } catch (e) {
      note.textContent = plainMessage(e, { session });
    } finally {
      make.disabled = false;
    }
  });
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(out.value);
    } catch {
      out.select();
      document.execCommand && document.execCommand("copy");
    }
    copy.textContent = "Copied";
    announce("Link copied.");
    setTimeout(() => { copy.textContent = "Copy"; }, 2000);
  });
  let previewRow = null;
  const preview = pk ? h("button.btn.small", { type: "button", "aria-expanded": "false" }, "Preview") : null;
  // a key no URL can name (a . or .. segment): listed, but nothing is offered on it
  const unreachable = hasDotSegment(o.key);
  // Delete, for a link that allows it: a second click within a few seconds confirms
  const del = can("DELETE") && !unreachable ? h("button.btn.small", { type: "button" }, "Delete") : null;
  if (del) {
    del.setAttribute("aria-label", `Delete ${name}`);
    let armed = null;
    del.addEventListener("click", async () => {
      if (!armed) {
        del.textContent = "Click again to delete";
        armed = setTimeout(() => { armed = null; del.textContent = "Delete"; }, 4000);
        return;
      }
      clearTimeout(armed);
      armed = null;
      del.disabled = true;
      note.textContent = "Deleting…";
      try {
        await api(`/${encodeURIComponent(session.bucket)}/${keyPath(o.key)}`, { method: "DELETE" });
        announce(`${name} deleted.`);
        tr.remove();
        const n = $("#files tbody").children.length;
        $("#files-status").textContent = n ? `${n} file${n === 1 ? "" : "s"}${cursor ? " so far" : ""}.` : "No files yet.";
        $("#files").hidden = !n;
      } catch (e) {
        note.textContent = plainMessage(e, { session });
        del.disabled = false;
        del.textContent = "Delete";
      }
    });
  }
  const shareCell = unreachable
    ? h("div.share", h("span.note", {}, "This name has a . or .. part: no link can reach it."))
    : h("div.share",
      h("label.inline", { for: ttl.id }, h("span", {}, "Link for"), ttl),
      make, preview, out, copy, dl, del, note);
  const tr = h("tr", { "data-key": o.key, "data-stamp": rowStamp(o) },
    h("td", { "data-label": "Name" }, h("span.name", { title: o.key }, name)),
    h("td.num", { "data-label": "Size" }, fmtBytes(o.size)),
    h("td", { "data-label": "Type" }, type ? [type.split("/")[0] + "/", h("wbr"), type.split("/").slice(1).join("/")] : "–"),
    h("td", { "data-label": "Modified" }, o.last_modified ? h("time", { datetime: new Date(o.last_modified).toISOString() }, fmtDate(o.last_modified)) : "–"),
    h("td", { "data-label": "Share and view" }, shareCell));
  if (preview) {
    preview.setAttribute("aria-label", `Preview ${name}`);
    preview.addEventListener("click", async () => {
      if (previewRow) {
        const img = previewRow.querySelector("img");
        if (img) URL.revokeObjectURL(img.src);
        previewRow.remove();
        previewRow = null;
        preview.setAttribute("aria-expanded", "false");
        return;
      }
      const cell = h("td.preview", { colSpan: 5 }, h("p.note", {}, "Loading preview…"));
      previewRow = h("tr.preview-row", {}, cell);
      tr.after(previewRow);
      preview.setAttribute("aria-expanded", "true");
      cell.replaceChildren(await previewOf(o, name, pk));
    });
  }
  return tr;
}

async function previewOf(o, name, pk) {
  if (pk === "image" && o.size > 25 * 1024 * 1024) return h("p.note", {}, "Too big to preview here; download it instead.");
  const headers = { ...authHeaders() };
  if (pk === "text") headers.Range = "bytes=0-65535";
  try {
    const r = await fetch(`/${encodeURIComponent(session.bucket)}/${keyPath(o.key)}`, { headers, cache: "no-store" });
    if (!r.ok) {
      return h("p.note", {}, plainMessage(errorFrom(r.status, await r.text()), { session }));
    }
    if (pk === "image") {
      const url = URL.createObjectURL(await r.blob());
      return h("img", { src: url, alt: `Preview of ${name}` });
    }
    const text = await r.text();
    return h("pre", { tabindex: "0", "aria-label": `Contents of ${name}` }, text + (o.size > 65536 ? "\n…" : ""));
  } catch {
    return h("p.note", {}, "Could not load the preview.");
  }
}

// ---------------------------------------------------------------------------------------------
// Start

function wireDrop() {
  const drop = $("#drop");
  const input = $("#file-input");
  input.addEventListener("change", () => { addFiles([...input.files]); input.value = ""; });
  ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => {
    e.preventDefault();
    drop.classList.add("over");
  }));
  ["dragleave", "dragend"].forEach((t) => drop.addEventListener(t, (e) => {
    if (!drop.contains(e.relatedTarget)) drop.classList.remove("over");
  }));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const files = [...(e.dataTransfer && e.dataTransfer.files ? e.dataTransfer.files : [])];
    if (files.length) addFiles(files);
  });
  // A file dropped outside the zone must not navigate away from the page (and its uploads).
  window.addEventListener("dragover", (e) => e.preventDefault());
  window.addEventListener("drop", (e) => e.preventDefault());
  window.addEventListener("beforeunload", (e) => {
    if ([...uploads].some((u) => u.state === "uploading" || u.state === "completing")) e.preventDefault();
  });
}

async function main() {
  if (!token) {
    $("#session").textContent = "No access link.";
    banner("This page needs an access link. Open it with the full link you were given (it ends in ?token=…).");
    return;
  }
  try {
    session = await api("/api/session");
  } catch (e) {
    $("#session").textContent = "No access.";
    banner(plainMessage(e, {}));
    return;
  }
  describeSession();
  setInterval(describeSession, 30_000);
  if (can("PUT")) {
    $("#upload-section").hidden = false;
    describeLimits();
    document.querySelectorAll('input[name="route"], input[name="kind"]').forEach((r) => r.addEventListener("change", syncOptions));
    syncOptions();
    wireDrop();
    offerResume();
  }
  $("#clear-done").addEventListener("click", () => {
    for (const u of [...uploads]) {
      if (u.state === "done" || u.state === "cancelled") { u.el.li.remove(); uploads.delete(u); }
    }
    $("#clear-done").hidden = true;
    $("#file-input").focus();
  });
  $("#files-section").hidden = false;
  $("#refresh").addEventListener("click", () => loadFiles(true));
  $("#more").addEventListener("click", () => loadFiles(false));
  await loadFiles(true);
  document.body.dataset.ready = "true";
}

main();
