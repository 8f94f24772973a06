// Uppy test page (bundled at test time by esbuild into .bagroom/uppy-page/): stock @uppy/core,
// @uppy/dashboard and @uppy/aws-s3 pointed at bagroom as if it were Companion. The page's own URL
// carries ?gateway=<origin>&token=<token>; the token rides in the path (/t/<token>/s3/...).
import Uppy from "@uppy/core";
import Dashboard from "@uppy/dashboard";
import AwsS3 from "@uppy/aws-s3";
import "@uppy/core/css/style.min.css";
import "@uppy/dashboard/css/style.min.css";

const q = new URLSearchParams(location.search);
const gateway = q.get("gateway");
const token = q.get("token");

const uppy = new Uppy({ autoProceed: false, debug: false })
  .use(Dashboard, { target: "#dashboard", inline: true, height: 420, proudlyDisplayPoweredByUppy: false })
  .use(AwsS3, { shouldUseMultipart: true, limit: 3, companionEndpoint: `${gateway}/t/${token}` });

const out = document.getElementById("result");
window.__uppy = uppy;
window.__events = [];
uppy.on("upload-success", (file, response) => window.__events.push({ type: "upload-success", name: file.name, response: JSON.parse(JSON.stringify(response || {})) }));
uppy.on("upload-error", (file, error) => window.__events.push({ type: "upload-error", name: file && file.name, message: String(error && error.message) }));
uppy.on("complete", (result) => {
  const summary = {
    successful: result.successful.map((f) => ({ name: f.name, size: f.size, location: f.response && f.response.body && f.response.body.location, key: f.s3Multipart && f.s3Multipart.key })),
    failed: result.failed.map((f) => ({ name: f.name, error: String(f.error) })),
  };
  window.__result = summary;
  out.textContent = JSON.stringify(summary, null, 2);
});
