// A web developer's exam page, type-checked against loader.d.ts with `tsc --strict`.
import type { EyeError, EyeEvent, FlagDataWithFile, ProctorWidget, WidgetConfig } from "../../loader";

async function startExam(): Promise<void> {
  const widget: ProctorWidget = await window.LoadProctormeWidget({
    onProgress: (fraction, stage) => console.log(Math.round(fraction * 100), stage.toUpperCase()),
  });
  const off = widget.on("MULTIPLE_FACE", (flag) => {
    const file: File = flag.mediaFile;
    const faces = flag.details["faces"];
    console.log(flag.type === "MULTIPLE_FACE", file.type, faces, flag.createdAt.endsWith("Z"));
  });
  widget.on("SOUND_DETECTED", async (flag: FlagDataWithFile<"SOUND_DETECTED">) => {
    await flag.mediaFile.arrayBuffer();
  });
  widget.on("SYSTEM_CHECK_STARTED", () => console.log("checking"));
  widget.on("SUSPICIOUS_ACTIVITY", (flag) => console.log(flag.details.types.join(",")));
  widget.on("END_PROCTORING", (data) => console.log(data.reason === "time_up", data.endedAt));
  widget.on("STARTED", ({ sessionId, resumed }) => console.log(sessionId, resumed));
  off();
  const same: ProctorWidget = await LoadEyeWidget();  // the current name; LoadProctormeWidget is the same function
  const figures: Record<string, unknown> = same.diagnostics();
  console.log(figures["state"]);

  const config: WidgetConfig = {
    apiKey: "eye_key", assessmentId: "a1", assessmentTitle: "Algebra", candidateId: "c1",
    candidateEmail: "c1@example.edu", candidateFirstName: "Ada", candidateLastName: "Lovelace",
    institutionName: "Example", examDuration: 3600, features: { aiProctoring: false }, thresholds: { faceAbsenceSeconds: 5 },
    launchToken: "eyJh.c2ln",
  };
  try {
    const started = await widget.init(config);
    console.log(started.sessionId);
  } catch (e) {
    const err = e as EyeError;
    if (err.code === "INVALID_CONFIG") console.log(err.fields.join(", "), err.details["candidateEmail"]);
  }
  const ended = await widget.endProctoring();
  console.log(ended?.reason, widget.state === "ended");

  // @ts-expect-error: unknown event names are refused at compile time too
  widget.on("STARTD", () => {});
  // @ts-expect-error: a FACE_ABSENCE payload has no `faces` field at top level
  widget.on("FACE_ABSENCE", (flag) => console.log(flag.faces));
  // @ts-expect-error: examDuration is a number of seconds
  const bad: WidgetConfig = { ...config, examDuration: "1h" };
  console.log(bad);
  // @ts-expect-error: state is read-only
  widget.state = "active";
}

function describe(event: EyeEvent): string {
  switch (event.name) {
    case "TAB_FOCUS_CHANGE":
      return event.data.focused ? "back" : "away";
    case "FACE_MISMATCH":
      return event.data.mediaFile.name;
    case "NETWORK_ONLINE":
      return `${event.data.offlineMs} ms offline`;
    default:
      return event.name;
  }
}

void startExam;
void describe;
