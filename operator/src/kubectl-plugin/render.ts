/**
 * Output as kubectl prints it: tables in kubectl's tabwriter layout (upper-case headers, columns
 * padded by 3 spaces, nothing truncated), ages as kubectl's HumanDuration, `-o json|yaml` for
 * scripts. Colour only where a person is watching: `util.styleText` checks that stdout is a TTY
 * and honours NO_COLOR / FORCE_COLOR.
 */
import { styleText } from 'node:util';
import { dump } from 'js-yaml';
import { humanDuration } from '../util/duration.ts';

type Style = Parameters<typeof styleText>[0];

export interface Out {
  write(text: string): void;
  /** Colours `text` when the stream is a terminal (and NO_COLOR is unset). */
  paint(style: Style, text: string): string;
}

export function stdout(): Out {
  return {
    write: (text) => void process.stdout.write(text),
    paint: (style, text) => styleText(style, text, { stream: process.stdout }),
  };
}

/** Colour of a phase or state word (kubectl's own tables have none; these are the words to scan for). */
export function stateStyle(state: string | undefined): Style | undefined {
  switch (state) {
    case 'Failed':
    case 'Blocked':
    case 'DecommissionFailed':
      return 'red';
    case 'Succeeded':
    case 'Active':
    case 'Decommissioned':
      return 'green';
    case 'Running':
    case 'AwaitingApproval':
    case 'Moving':
    case 'DecommissionPending':
      return 'yellow';
    default:
      return undefined;
  }
}

export const colourState = (out: Out, state: string | undefined): string => {
  const text = state ?? '<none>';
  const style = stateStyle(state);
  return style ? out.paint(style, text) : text;
};

/** A cell: its text, and how it is shown (coloured) if that differs. */
export type Cell = string | { text: string; shown: string };

const textOf = (c: Cell): string => (typeof c === 'string' ? c : c.text);
const shownOf = (c: Cell): string => (typeof c === 'string' ? c : c.shown);

/** One table as kubectl's tabwriter lays it out (min width 6, padding 3). Empty cells print as `<none>`. */
export function table(headers: string[], rows: Cell[][]): string {
  const cells = rows.map((r) => r.map((c) => (textOf(c) === '' ? '<none>' : c)));
  const widths = headers.map((h, i) => Math.max(6 - 3, h.length, ...cells.map((r) => textOf(r[i] ?? '').length)));
  const line = (r: Cell[]): string =>
    r
      .map((c, i) => (i === r.length - 1 ? shownOf(c) : shownOf(c) + ' '.repeat((widths[i] ?? 0) - textOf(c).length + 3)))
      .join('')
      .trimEnd();
  return [line(headers.map((h) => h.toUpperCase())), ...cells.map(line)].join('\n') + '\n';
}

/** `-o json` / `-o yaml` of any value, as kubectl indents them. */
export function serialize(value: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(value, null, 4)}\n` : dump(value, { noRefs: true, lineWidth: -1 });
}

/** Age of an RFC 3339 time ("" when absent). */
export function age(iso: string | Date | undefined, now: number): string {
  if (iso === undefined) return '';
  const t = iso instanceof Date ? iso.getTime() : Date.parse(iso);
  return Number.isNaN(t) ? '' : humanDuration(now - t);
}

/** When a future instant comes: `in 25s`, or `now` once it has passed ("" when absent). */
export function until(iso: string | undefined, now: number): string {
  if (iso === undefined) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  return t <= now ? 'now' : `in ${humanDuration(t - now)}`;
}

/** One line of free text for a table cell (errors can span lines). */
export const oneLine = (s: string | undefined): string => (s ?? '').replace(/\s*\n\s*/g, ' ').trim();

/** A next step as a command that works as printed: `kubectl occupier -n <ns> <args>`. */
export const hint = (namespace: string, args: string): string => `kubectl occupier -n ${namespace} ${args}`;
