// A platform's backend typed by the types openapi-typescript makes from Eye's OpenAPI document
// (tests/unit/test_platform_types.py generates ./platform-api.d.ts and compiles this with --strict).
import type { components, paths } from "./platform-api";

type Page = paths["/api/v1/sessions"]["get"]["responses"][200]["content"]["application/json"];
type Query = NonNullable<paths["/api/v1/sessions"]["get"]["parameters"]["query"]>;
type Session = components["schemas"]["SessionSummary"];
type ErrorBody = components["schemas"]["ErrorBody"];
type Verdict = components["schemas"]["VerdictIn"]["verdict"];

export async function allSessions(eyeUrl: string, secretKey: string, assessmentId: string): Promise<Session[]> {
  const sessions: Session[] = [];
  let cursor: string | null = null;
  do {
    const query: Query = { assessmentId, limit: 100, ...(cursor ? { cursor } : {}) };
    const search = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
    const answer = await fetch(`${eyeUrl}/api/v1/sessions?${search}`, { headers: { Authorization: `Bearer ${secretKey}` } });
    if (!answer.ok) {
      const error = (await answer.json()) as ErrorBody;
      throw new Error(`${error.code}: ${error.message}`);
    }
    const page = (await answer.json()) as Page;
    sessions.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return sessions;
}

export function lowest(sessions: Session[]): number {
  return Math.min(...sessions.map((s) => s.integrityScore));
}

export function decided(record: components["schemas"]["SessionRecord"]): string[] {
  return record.flags.flatMap((f) => (f.verdict ? [`${f.id}: ${f.verdict.verdict} by ${f.verdict.by ?? "?"}`] : []));
}

export const dismiss: Verdict = "dismiss";
// The types are strict: each of these lines must be an error, or tsc fails on the unused directive.
// @ts-expect-error a verdict is confirm or dismiss
export const maybe: Verdict = "maybe";
// @ts-expect-error integrityScore is a number
export const score: Session["integrityScore"] = "87";
// @ts-expect-error a session has no such field
export function nope(s: Session): unknown { return s.password; }
