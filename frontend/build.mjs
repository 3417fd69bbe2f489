// Build the panel bundle that Home Assistant serves, and record what it was built from.
//
//   node build.mjs              type-check, bundle into custom_components/spark_control/frontend/,
//                               write build.json (sha256 of every source and of the bundle)
//   node build.mjs --out DIR    bundle into DIR only (tests compare it with the committed file)
//
// The output is byte-identical for identical sources, so a test can tell a stale bundle.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const HERE = dirname(fileURLToPath(import.meta.url));
const TARGET = resolve(HERE, "..", "custom_components", "spark_control", "frontend");
const BUNDLE = "spark-control-panel.js";
const LIMIT_GZIP = 150 * 1024;

function sources(dir = HERE) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...sources(path));
    else found.push(relative(HERE, path).split("\\").join("/"));
  }
  return found.sort();
}

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

const args = process.argv.slice(2);
const outIndex = args.indexOf("--out");
const outDir = outIndex >= 0 ? resolve(args[outIndex + 1]) : TARGET;

if (outIndex < 0) {
  // esbuild strips types without checking them; tsc checks them (it emits nothing).
  execFileSync(join(HERE, "node_modules", ".bin", "tsc"), ["-p", join(HERE, "tsconfig.json")], {
    stdio: "inherit",
  });
}

const result = await esbuild.build({
  entryPoints: [join(HERE, "src", "panel.ts")],
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2021",
  legalComments: "eof",
  charset: "utf8",
  write: false,
  logLevel: "warning",
});
const bytes = result.outputFiles[0].contents;
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, BUNDLE), bytes);
const gzip = gzipSync(bytes, { level: 9 }).length;
console.log(`panel bundle: ${bytes.length} bytes, ${gzip} bytes gzipped (limit ${LIMIT_GZIP})`);
if (gzip > LIMIT_GZIP) {
  console.error("panel bundle: over the gzipped size limit");
  process.exit(1);
}
if (outIndex < 0) {
  const info = {
    comment: "Written by frontend/build.mjs; tests/frontend checks it against the sources.",
    sources: Object.fromEntries(sources().map((p) => [p, sha256(readFileSync(join(HERE, p)))])),
    bundle: { file: BUNDLE, sha256: sha256(bytes), bytes: bytes.length, gzip_bytes: gzip },
  };
  writeFileSync(join(TARGET, "build.json"), JSON.stringify(info, null, 2) + "\n");
}
