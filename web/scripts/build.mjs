// Bundles src/ into dist/: content-hashed JS and CSS under dist/assets (served at /app/assets/...),
// cytoscape in its own chunk loaded by the graph page only, and dist/index.html (served at /).
// Deterministic: the same sources give the same bytes (no timestamps; esbuild's content hashes).
import { build } from "esbuild";
import { mkdirSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(web, "dist");
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, "assets"), { recursive: true });

const result = await build({
  absWorkingDir: web,
  entryPoints: ["src/main.ts"],
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "browser",
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  outdir: "dist/assets",
  entryNames: "[name]-[hash]",
  chunkNames: "chunk-[hash]",
  assetNames: "[name]-[hash]",
  minify: true,
  sourcemap: false,
  legalComments: "linked",
  charset: "utf8",
  metafile: true,
  logLevel: "warning",
  define: { "process.env.NODE_ENV": '"production"' },
});

const outputs = Object.entries(result.metafile.outputs);
const entry = outputs.find(([, o]) => o.entryPoint === "src/main.ts" && !o.cssBundle ? true : o.entryPoint === "src/main.ts");
if (!entry) throw new Error("no entry output");
const [jsPath, jsMeta] = entry;
const cssPath = jsMeta.cssBundle;
if (!cssPath) throw new Error("no CSS bundle");
const url = (p) => `/app/${relative(dist, join(web, p)).split("\\").join("/")}`;

// The page, on one line: its head names the hashed CSS and JS; the app replaces the boot line.
const boot = "Loading… · Chargement… · Cargando…";
const noscript = "This application needs JavaScript. The same data is available through the hub's gRPC API and its open-data export.";
const head = [
  ["meta", { charset: "utf-8" }],
  ["meta", { name: "viewport", content: "width=device-width, initial-scale=1" }],
  ["title", null, "Capacity hub"],
  ["meta", { name: "description", content: "Migration capacity-development needs and offers, matched and explained: the connection hub of paragraph 43 of the Global Compact for Migration." }],
  ["meta", { name: "referrer", content: "no-referrer" }],
  ["link", { rel: "icon", href: "data:," }],
  ["link", { rel: "stylesheet", href: url(cssPath) }],
  ["script", { type: "module", src: url(jsPath) }, ""],
];
const escape = (v) => String(v).replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
const tag = ([name, attrs, text]) =>
  `<${name}${Object.entries(attrs ?? {}).map(([k, v]) => ` ${k}="${escape(v)}"`).join("")}>${text === undefined ? "" : `${escape(text)}</${name}>`}`;
const body = `<div id="app"><p class="boot">${boot}</p></div><noscript><p class="boot">${escape(noscript)}</p></noscript>`;
const html = `<!doctype html><html lang="en"><head>${head.map(tag).join("")}</head><body>${body}</body></html>\n`;
writeFileSync(join(dist, "index.html"), html);

// Sizes, for the report and CI logs.
const rows = [];
for (const [p] of outputs) {
  const bytes = readFileSync(join(web, p));
  rows.push([p.replace(/^dist\//, ""), bytes.length, gzipSync(bytes, { level: 9 }).length]);
}
const ib = Buffer.from(html);
rows.push(["index.html", ib.length, gzipSync(ib, { level: 9 }).length]);
rows.sort((a, b) => a[0].localeCompare(b[0]));
for (const [p, raw, gz] of rows) console.log(`${p.padEnd(40)} ${String(raw).padStart(9)} B  gzip ${String(gz).padStart(8)} B`);
