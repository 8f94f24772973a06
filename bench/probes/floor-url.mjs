// The presigned store URL bench/probes/fetch-floor.mjs fetches, base64url: the store and
// credentials of `PROFILE_KEEP_STORE=1 bench/profile.sh` (PROFILE_STORE_PORT, bench/run.sh's keys).
//   node bench/probes/floor-url.mjs GET obj-1k
//   node bench/probes/floor-url.mjs PUT up/floor-1m.bin
import { AwsClient } from "aws4fetch";
const [method = "GET", key = "obj-1k"] = process.argv.slice(2);
const port = process.env.PROFILE_STORE_PORT || 28433;
const c = new AwsClient({ accessKeyId: process.env.STORE_ACCESS_KEY_ID, secretAccessKey: process.env.STORE_SECRET_ACCESS_KEY, service: "s3", region: "us-east-1" });
const u = new URL(`http://127.0.0.1:${port}/bench/${key}`);
u.searchParams.set("X-Amz-Expires", "604800");
const signed = await c.sign(u.toString(), { method, aws: { signQuery: true } });
process.stdout.write(Buffer.from(signed.url).toString("base64url"));
