// Regenerates src/gen from the hub's protos (../proto) and the vendored google/rpc protos
// (./proto) with buf and protoc-gen-es, both from npm: no network, no protoc.
import { execFileSync } from "node:child_process";
import { rmSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
const buf = join(web, "node_modules", ".bin", "buf");
rmSync(join(web, "src", "gen"), { recursive: true, force: true });
mkdirSync(join(web, "src", "gen"), { recursive: true });
for (const input of ["../proto", "proto"]) {
  execFileSync(buf, ["generate", input, "--template", "buf.gen.yaml"], { cwd: web, stdio: "inherit" });
}
console.log("generated src/gen");
