/*
 * Eye face worker (module worker): runs Human (@vladmandic/human) on the tfjs wasm backend,
 * off the exam page's main thread. The Python widget decides what the numbers mean.
 *
 * in : {type: "init", human, models, wasm}           URLs of human.esm.js, the models folder, the wasm folder
 *      {type: "detect", id, bitmap, embed}           an ImageBitmap (transferred); embed: compute embeddings
 * out: {type: "ready", backend, ms} | {type: "error", id?, message}
 *      {type: "result", id, ms, width, height, faces: [{score, box: [x, y, w, h] (0..1),
 *        yaw, pitch, roll (degrees), embedding: Float32Array | null}]}
 */
let human = null;

const CONFIG = {
  backend: "wasm",
  debug: false,
  async: true,
  warmup: "none",
  cacheSensitivity: 0,
  filter: { enabled: false },
  gesture: { enabled: false },
  body: { enabled: false },
  hand: { enabled: false },
  object: { enabled: false },
  segmentation: { enabled: false },
  face: {
    enabled: true,
    detector: { rotation: false, maxDetected: 5, minConfidence: 0.4, return: false },
    mesh: { enabled: true },
    attention: { enabled: false },
    iris: { enabled: false },
    emotion: { enabled: false },
    antispoof: { enabled: false },
    liveness: { enabled: false },
    description: { enabled: true },
  },
};

const DEG = 180 / Math.PI;

async function init(msg) {
  const started = performance.now();
  const module = await import(msg.human);
  const Human = module.Human || module.default;
  human = new Human({ ...CONFIG, modelBasePath: msg.models, wasmPath: msg.wasm });
  await human.load();
  await human.warmup();
  postMessage({ type: "ready", backend: human.tf.getBackend(), ms: performance.now() - started });
}

async function detect(msg) {
  const started = performance.now();
  const { bitmap } = msg;
  const width = bitmap.width, height = bitmap.height;
  try {
    const result = await human.detect(bitmap, { face: { description: { enabled: !!msg.embed } } });
    const faces = result.face.map((f) => {
      const angle = f.rotation && f.rotation.angle ? f.rotation.angle : { yaw: 0, pitch: 0, roll: 0 };
      return {
        score: f.score,
        box: f.boxRaw,
        yaw: angle.yaw * DEG,
        pitch: angle.pitch * DEG,
        roll: angle.roll * DEG,
        embedding: msg.embed && f.embedding && f.embedding.length ? Float32Array.from(f.embedding) : null,
      };
    });
    const transfer = faces.filter((f) => f.embedding).map((f) => f.embedding.buffer);
    postMessage({ type: "result", id: msg.id, ms: performance.now() - started, width, height, faces }, transfer);
  } finally {
    bitmap.close();
  }
}

onmessage = (event) => {
  const msg = event.data;
  const run = msg.type === "init" ? init(msg) : detect(msg);
  run.catch((e) => postMessage({ type: "error", id: msg.id, message: String(e && e.stack || e) }));
};
