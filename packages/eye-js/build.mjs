// Builds the package: the widget's types (the repository's loader.d.ts, one source of truth) are
// copied next to the code, then `tsc --strict` compiles src/ into dist/ (ES module + .d.ts).
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
rmSync(join(here, "dist"), { recursive: true, force: true });
copyFileSync(join(root, "loader.d.ts"), join(here, "src", "loader.d.ts"));
execFileSync(join(root, "node_modules", ".bin", "tsc"), ["-p", here], { stdio: "inherit" });
mkdirSync(join(here, "dist"), { recursive: true });
copyFileSync(join(root, "loader.d.ts"), join(here, "dist", "loader.d.ts"));
