/**
 * Eye proctoring widget — types for `loader.js` (tests/unit/test_types.py checks them against widget/).
 * Reference it with `/// <reference path="loader.d.ts" />` or copy it into your project.
 */

export type WidgetState = "loaded" | "initializing" | "active" | "ended";

export type ErrorCode =
  | "INVALID_CONFIG"
  | "INVALID_API_KEY"
  | "DOMAIN_NOT_REGISTERED"
  | "PERMISSION_DENIED"
  | "SYSTEM_CHECK_FAILED"
  | "NETWORK_ERROR"
  | "ALREADY_ACTIVE"
  | "INVALID_LAUNCH_TOKEN";

/** What `init()` rejects with. */
export interface EyeError extends Error {
  code: ErrorCode;
  /** Names of the config fields (or checks) that failed. */
  fields: string[];
  /** Field → what was wrong with it. */
  details: Record<string, string>;
}

/** What `LoadProctormeWidget()` rejects with. */
export interface EyeLoadError extends Error {
  /** e.g. "browser check", "network: loading the Python runtime", "starting the widget". */
  stage: string;
}

export interface Features {
  aiProctoring?: boolean;
  facialRecognition?: boolean;
  tabMonitoring?: boolean;
  fullscreen?: boolean;
  periodicSnapshots?: boolean;
  /** Off by default: the candidate shares their entire screen; flags then carry a screen JPEG. */
  screenMonitoring?: boolean;
  multipleScreens?: boolean;
  clipboard?: boolean;
  /** Off by default: phones, books, laptops, screens in view → PROHIBITED_OBJECT. */
  objectDetection?: boolean;
  /** Off by default: eyes off the screen while the head faces it → GAZE_AWAY. */
  gazeTracking?: boolean;
  /** Off by default: a photo or a screen instead of a live face → SPOOF_SUSPECTED. */
  livenessCheck?: boolean;
  /** Off by default: a photo ID held to the camera before STARTED → ID_VERIFIED (and ID_MISMATCH). */
  idVerification?: boolean;
}

/** The object model's (COCO) names that `thresholds.prohibitedObjects` accepts. */
export type ObjectLabel =
  | "person" | "bicycle" | "car" | "motorcycle" | "airplane" | "bus" | "train" | "truck" | "boat"
  | "traffic light" | "fire hydrant" | "stop sign" | "parking meter" | "bench" | "bird" | "cat" | "dog"
  | "horse" | "sheep" | "cow" | "elephant" | "bear" | "zebra" | "giraffe" | "backpack" | "umbrella"
  | "handbag" | "tie" | "suitcase" | "frisbee" | "skis" | "snowboard" | "sports ball" | "kite"
  | "baseball bat" | "baseball glove" | "skateboard" | "surfboard" | "tennis racket" | "bottle"
  | "wine glass" | "cup" | "fork" | "knife" | "spoon" | "bowl" | "banana" | "apple" | "sandwich"
  | "orange" | "broccoli" | "carrot" | "hot dog" | "pizza" | "donut" | "cake" | "chair" | "couch"
  | "potted plant" | "bed" | "dining table" | "toilet" | "tv" | "laptop" | "mouse" | "remote"
  | "keyboard" | "cell phone" | "microwave" | "oven" | "toaster" | "sink" | "refrigerator" | "book"
  | "clock" | "vase" | "scissors" | "teddy bear" | "hair drier" | "toothbrush";

export interface Thresholds {
  faceAbsenceSeconds?: number;
  multipleFaceSeconds?: number;
  faceMismatchSeconds?: number;
  faceMisalignmentSeconds?: number;
  faceCooldownSeconds?: number;
  faceMatchThreshold?: number;
  maxYawDegrees?: number;
  maxPitchDegrees?: number;
  maxCentreOffset?: number;
  soundMarginDb?: number;
  soundMinSeconds?: number;
  soundCooldownSeconds?: number;
  /** 0–1: a window narrower or lower than this share of the screen is small (default 0.8). */
  minWindowShare?: number;
  windowResizeSeconds?: number;
  /** 0–1: object model score from which a prohibited object counts (default 0.4). */
  objectMinScore?: number;
  objectSeconds?: number;
  objectCooldownSeconds?: number;
  /** Seconds between object-model passes (default 3). */
  objectIntervalSeconds?: number;
  /** Which objects are prohibited (default: cell phone, book, laptop, tv, remote, keyboard, mouse). */
  prohibitedObjects?: ObjectLabel[];
  /** Iris shift from the calibrated centre, in eye widths, left/right (default 0.12). */
  maxGazeOffset?: number;
  maxGazeOffsetVertical?: number;
  gazeAwaySeconds?: number;
  gazeCooldownSeconds?: number;
  /** 0–1: antispoof score below which a face looks like a reproduction (default 0.3). */
  minAntispoof?: number;
  /** 0–1: liveness score below which a face looks like a still picture (default 0.3). */
  minLiveness?: number;
  spoofSeconds?: number;
  spoofCooldownSeconds?: number;
}

export interface WidgetConfig {
  apiKey: string;
  assessmentId: string;
  assessmentTitle: string;
  candidateId: string;
  candidateEmail: string;
  candidateFirstName: string;
  candidateLastName: string;
  institutionName: string;
  /** Seconds; proctoring ends by itself this long after STARTED. */
  examDuration: number;
  candidateImageUrl?: string;
  containerId?: string;
  /** BCP 47 tag of the candidate's language (`"es"`, `"pt-BR"`, `"ar"`); default: the best match of
   *  `navigator.languages`, else English. An unknown one falls back with a console warning (docs/languages.md). */
  language?: string;
  /** Your institution's privacy policy (http or https): the consent notice links to it. */
  privacyUrl?: string;
  /** Required by keys made with `--require-launch-token`: minted per exam start by your platform's server. */
  launchToken?: string;
  features?: Features;
  /** Seconds between periodic snapshots (randomized ±30%). */
  snapshotInterval?: number;
  thresholds?: Thresholds;
}

export type FlagType =
  | "TAB_NOT_FOCUS"
  | "EXIT_FULLSCREEN"
  | "FACE_ABSENCE"
  | "MULTIPLE_FACE"
  | "FACE_MISMATCH"
  | "FACE_MISALIGNMENT"
  | "SOUND_DETECTED"
  | "PERIODIC_SNAPSHOT"
  | "SUSPICIOUS_ACTIVITY"
  | "DEVICE_LOST"
  | "SCREEN_SHARE_STOPPED"
  | "MULTIPLE_SCREENS"
  | "CLIPBOARD"
  | "WINDOW_RESIZED"
  | "PROHIBITED_OBJECT"
  | "GAZE_AWAY"
  | "SPOOF_SUSPECTED"
  | "ID_MISMATCH";

export interface FlagData<T extends FlagType = FlagType> {
  examId: string;
  candidateId: string;
  sessionId: string;
  type: T;
  description: string;
  /** ISO-8601 UTC. */
  createdAt: string;
  details: Record<string, unknown>;
}

export interface FlagDataWithFile<T extends FlagType = FlagType> extends FlagData<T> {
  /** `image/jpeg` for face flags and snapshots, `audio/wav` for SOUND_DETECTED. */
  mediaFile: File;
}

/** A flag that carries a JPEG of the shared screen when `features.screenMonitoring` is on. */
export type FlagDataWithScreen<T extends FlagType = FlagType> = FlagData<T> & { mediaFile?: File };

export interface SystemCheckItem {
  name: "browser" | "webcam" | "microphone" | "screen" | "internetSpeed";
  status: "success" | "failed" | "default";
  finished: boolean;
  [extra: string]: unknown;
}

export interface EventPayloads {
  SYSTEM_CHECK_STARTED: undefined;
  SYSTEM_CHECK_COMPLETED: { success: boolean; timestamp: string; data: SystemCheckItem[] };
  SET_CONFIG: { config: Omit<WidgetConfig, "apiKey"> };
  STARTED: { sessionId: string; startedAt: string; resumed: boolean };
  TAB_FOCUS_CHANGE: { focused: boolean };
  TAB_NOT_FOCUS: FlagDataWithScreen<"TAB_NOT_FOCUS">;
  FULLSCREEN_CHANGE: { fullscreen: boolean };
  EXIT_FULLSCREEN: FlagDataWithScreen<"EXIT_FULLSCREEN">;
  FACE_ABSENCE: FlagDataWithFile<"FACE_ABSENCE">;
  MULTIPLE_FACE: FlagDataWithFile<"MULTIPLE_FACE">;
  FACE_MISMATCH: FlagDataWithFile<"FACE_MISMATCH">;
  FACE_MISALIGNMENT: FlagDataWithFile<"FACE_MISALIGNMENT">;
  SOUND_DETECTED: FlagDataWithFile<"SOUND_DETECTED">;
  PERIODIC_SNAPSHOT: FlagDataWithFile<"PERIODIC_SNAPSHOT"> & { details: { source: "camera" | "screen" } };
  SUSPICIOUS_ACTIVITY: FlagData<"SUSPICIOUS_ACTIVITY"> & { details: { types: FlagType[] } };
  END_PROCTORING: { reason: "manual" | "time_up" | "error" | "ended_by_server" | "proctor"; endedAt: string };
  DEVICE_LOST: FlagData<"DEVICE_LOST"> & { details: { device: "camera" | "microphone" } };
  NETWORK_OFFLINE: { online: false; timestamp: string };
  NETWORK_ONLINE: { online: true; timestamp: string; offlineMs: number };
  SCREEN_SHARE_STOPPED: FlagData<"SCREEN_SHARE_STOPPED"> & { details: { stops: number } };
  MULTIPLE_SCREENS: FlagDataWithScreen<"MULTIPLE_SCREENS"> & {
    details: { isExtended: true; screens?: { label: string; width: number; height: number; primary: boolean }[] };
  };
  CLIPBOARD: FlagDataWithScreen<"CLIPBOARD"> & { details: { action: "copy" | "cut" | "paste"; length: number } };
  WINDOW_RESIZED: FlagDataWithScreen<"WINDOW_RESIZED"> & { details: { share: number; minShare: number; seconds: number } };
  PROHIBITED_OBJECT: FlagDataWithFile<"PROHIBITED_OBJECT"> & { details: { objects: { label: ObjectLabel; score: number }[] } };
  GAZE_AWAY: FlagDataWithFile<"GAZE_AWAY"> & {
    details: { direction: "left" | "right" | "up" | "down"; offset: [number, number]; threshold: [number, number] };
  };
  SPOOF_SUSPECTED: FlagDataWithFile<"SPOOF_SUSPECTED"> & {
    details: {
      antispoof: number | null;
      liveness: number | null;
      reasons: ("antispoof" | "liveness" | "device")[];
      device?: { label: "cell phone" | "tv" | "laptop"; score: number };
    };
  };
  ID_VERIFIED: { match: boolean; similarity: number | null; threshold: number; tries: number; timestamp: string; mediaFile?: File };
  ID_MISMATCH: FlagDataWithFile<"ID_MISMATCH"> & {
    details: { similarity: number | null; threshold: number; tries: number; problem: string | null };
  };
  /** A live proctor's message, shown to the candidate as text (docs/live.md). `from` is "" for "your proctor". */
  PROCTOR_MESSAGE: { messageId: string; text: string; from: string; timestamp: string };
  /** A live proctor paused the exam: the page is covered until PROCTORING_RESUMED — stop your exam timer. */
  PROCTORING_PAUSED: { reason: string; timestamp: string };
  PROCTORING_RESUMED: { pausedMs: number; timestamp: string };
  /** The candidate answered a proctor's message (a line of text, stored on the session). */
  PROCTOR_REPLY: { messageId: string; text: string; timestamp: string };
  /** A proctor asked for a picture now: the camera's JPEG, else the shared screen's (`source`). */
  CHECK_IN: { source: "camera" | "screen" | "none"; timestamp: string; mediaFile?: File };
}

export type EventName = keyof EventPayloads;

/** Any event as a discriminated union: `{ name: "STARTED", data: {...} } | ...`. */
export type EyeEvent = { [K in EventName]: { name: K; data: EventPayloads[K] } }[EventName];

export type Listener<K extends EventName> = EventPayloads[K] extends undefined
  ? () => void
  : (data: EventPayloads[K]) => void | Promise<void>;

export interface ProctorWidget {
  readonly state: WidgetState;
  /** Registers a listener; returns a function that removes it. Unknown names throw TypeError. */
  on<K extends EventName>(event: K, callback: Listener<K>): () => void;
  off<K extends EventName>(event: K, callback: Listener<K>): void;
  /** Resolves after STARTED; rejects with an EyeError. */
  init(config: WidgetConfig): Promise<EventPayloads["STARTED"]>;
  /** Irreversible and idempotent; resolves with the END_PROCTORING payload (null if nothing was active). */
  endProctoring(): Promise<EventPayloads["END_PROCTORING"] | null>;
  resetSessionListeners(): void;
  /** Figures for benchmarks and support (a plain object); not an event source. */
  diagnostics(): Record<string, unknown>;
  /** The setup check before exam day (docs/check.md): no session, nothing recorded; device checks
   *  after a notice the candidate allows. Also caches what an exam here needs and stores the
   *  start-up snapshot. Rejects only for bad options (INVALID_CONFIG) or during an exam (ALREADY_ACTIVE). */
  checkSystem(options?: CheckOptions): Promise<CheckResults>;
}

export interface CheckOptions {
  /** BCP 47 tag; default: the best match of navigator.languages, else English. */
  language?: string;
  /** The exam's features: they decide which devices are tested and which models are cached. */
  features?: Features;
  /** Override what the features imply (camera: a camera-analysis feature or snapshots; microphone:
   *  aiProctoring; screen: screenMonitoring). */
  camera?: boolean;
  microphone?: boolean;
  screen?: boolean;
}

export type CheckName = "browser" | "network" | "camera" | "microphone" | "screen" | "download";

export interface CheckResult {
  name: CheckName;
  /** The check's name in the candidate's language. */
  label: string;
  /** "default": not asked for. */
  status: "success" | "failed" | "default";
  /** What was measured, in English, for support. */
  detail: string;
  /** What the candidate can do, in their language ("" unless failed). */
  fix: string;
}

/** One result per check, in the order of CheckName; `code` packs them for support (`eye check-code`). */
export interface CheckResults extends Array<CheckResult> {
  code: string;
}

export interface LoadOptions {
  onProgress?: (fraction: number, stage: "runtime" | "python" | "widget" | "ready") => void;
}

declare global {
  interface Window {
    LoadEyeWidget(options?: LoadOptions): Promise<ProctorWidget>;
    /** The same function as LoadEyeWidget, under the name older vendor pages use. */
    LoadProctormeWidget(options?: LoadOptions): Promise<ProctorWidget>;
  }
  function LoadEyeWidget(options?: LoadOptions): Promise<ProctorWidget>;
  function LoadProctormeWidget(options?: LoadOptions): Promise<ProctorWidget>;
}
