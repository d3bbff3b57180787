// A bundler user's code, type-checked with `tsc --strict` against the npm package's built types.
import { loadEye } from "../../packages/eye-js/dist/index.js";
import type { EyeError, FlagDataWithFile, ProctorWidget, WidgetConfig } from "../../packages/eye-js/dist/index.js";

export async function start(config: WidgetConfig): Promise<string> {
  const widget: ProctorWidget = await loadEye("https://eye.example.edu", { onProgress: (f, stage) => console.log(f, stage) });
  widget.on("SOUND_DETECTED", async (flag: FlagDataWithFile<"SOUND_DETECTED">) => { await flag.mediaFile.arrayBuffer(); });
  widget.on("CLIPBOARD", (flag) => console.log(flag.details.action, flag.details.length));
  try {
    return (await widget.init(config)).sessionId;
  } catch (e) {
    return (e as EyeError).code;
  }
}

// @ts-expect-error the URL is required
loadEye();
