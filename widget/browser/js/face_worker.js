/*
 * Eye face worker (module worker): runs Human (@vladmandic/human) on the tfjs wasm backend,
 * off the exam page's main thread. The Python widget decides what the numbers mean.
 *
 * in : {type: "init", human, models, wasm, objects, gaze, liveness}
 *        URLs of human.esm.js, the models folder, the wasm folder; which extra models to load:
 *        objects (centernet, COCO classes), gaze (iris), liveness (antispoof + liveness)
 *      {type: "detect", id, bitmap, embed, objects}
 *        an ImageBitmap (transferred); embed: compute embeddings; objects: run the object model
 * out: {type: "ready", backend, ms} | {type: "error", id?, message}
 *      {type: "result", id, ms, width, height,
 *        faces: [{score, box: [x, y, w, h] (0..1), yaw, pitch, roll (degrees),
 *                 embedding: Float32Array | null, real, live (0..1 or -1 when not run),
 *                 gaze: [x, y] | null (iris offset from the eye centre, in eye widths)}],
 *        objects: [{label, score, box: [x, y, w, h] (0..1)}] | null (null: not run this frame)}
 */
let human = null;
let extras = { objects: false, gaze: false, liveness: false };

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
  object: { enabled: false, minConfidence: 0.2, maxDetected: 10 },
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

/* Where the iris sits in each eye, along the eye's corner-to-corner axis (x) and across it (y),
 * in eye widths, averaged over both eyes. Human's mesh: iris centres 468 (eye 362–263) and
 * 473 (eye 33–133); both axes point to the image's right. */
function gaze(mesh) {
  if (!mesh || mesh.length < 478) return null;
  const eye = (from, to, iris) => {
    const a = mesh[from], b = mesh[to], c = mesh[iris];
    const ex = b[0] - a[0], ey = b[1] - a[1];
    const w2 = ex * ex + ey * ey;
    if (!(w2 > 0)) return null;
    const dx = c[0] - (a[0] + b[0]) / 2, dy = c[1] - (a[1] + b[1]) / 2;
    return [(dx * ex + dy * ey) / w2, (dy * ex - dx * ey) / w2];
  };
  const one = eye(33, 133, 473), two = eye(362, 263, 468);
  if (!one || !two) return null;
  return [(one[0] + two[0]) / 2, (one[1] + two[1]) / 2];
}

async function init(msg) {
  const started = performance.now();
  const module = await import(msg.human);
  const Human = module.Human || module.default;
  extras = { objects: !!msg.objects, gaze: !!msg.gaze, liveness: !!msg.liveness };
  const config = structuredClone(CONFIG);
  config.object.enabled = extras.objects;
  config.face.iris.enabled = extras.gaze;
  config.face.antispoof.enabled = extras.liveness;
  config.face.liveness.enabled = extras.liveness;
  human = new Human({ ...config, modelBasePath: msg.models, wasmPath: msg.wasm });
  await human.load();
  await human.warmup();
  postMessage({ type: "ready", backend: human.tf.getBackend(), ms: performance.now() - started });
}

async function detect(msg) {
  const started = performance.now();
  const { bitmap } = msg;
  const width = bitmap.width, height = bitmap.height;
  const objects = extras.objects && !!msg.objects;
  try {
    const result = await human.detect(bitmap, {
      face: { description: { enabled: !!msg.embed } },
      object: { enabled: objects },
    });
    const faces = result.face.map((f) => {
      const angle = f.rotation && f.rotation.angle ? f.rotation.angle : { yaw: 0, pitch: 0, roll: 0 };
      return {
        score: f.score,
        box: f.boxRaw,
        yaw: angle.yaw * DEG,
        pitch: angle.pitch * DEG,
        roll: angle.roll * DEG,
        embedding: msg.embed && f.embedding && f.embedding.length ? Float32Array.from(f.embedding) : null,
        real: extras.liveness && typeof f.real === "number" ? f.real : -1,
        live: extras.liveness && typeof f.live === "number" ? f.live : -1,
        gaze: extras.gaze ? gaze(f.mesh) : null,
      };
    });
    const found = objects ? result.object.map((o) => ({ label: o.label, score: o.score, box: o.boxRaw })) : null;
    const transfer = faces.filter((f) => f.embedding).map((f) => f.embedding.buffer);
    postMessage({ type: "result", id: msg.id, ms: performance.now() - started, width, height, faces, objects: found }, transfer);
  } finally {
    bitmap.close();
  }
}

onmessage = (event) => {
  const msg = event.data;
  const run = msg.type === "init" ? init(msg) : detect(msg);
  run.catch((e) => postMessage({ type: "error", id: msg.id, message: String(e && e.stack || e) }));
};
