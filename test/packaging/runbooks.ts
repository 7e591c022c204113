/** The runbooks page (docs/runbooks.md): its sections and their anchors, as Git hosts link them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './tools.ts';

export const RUNBOOKS = join(ROOT, 'docs', 'runbooks.md');

/** GitHub/GitLab heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/** The headings (`## ` and deeper) of docs/runbooks.md, outside code blocks. */
export function runbookHeadings(text = readFileSync(RUNBOOKS, 'utf8')): string[] {
  let fenced = false;
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = fenced ? null : /^#{2,6} (.+)$/.exec(line);
    if (m?.[1]) out.push(m[1]);
  }
  return out;
}

export function runbookAnchors(): string[] {
  return runbookHeadings().map(anchorOf);
}

/** The text of one `## heading` section (up to the next heading of the same level). */
export function runbookSection(heading: string, text = readFileSync(RUNBOOKS, 'utf8')): string {
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start < 0) return '';
  const next = text.indexOf('\n## ', start + 4);
  return text.slice(start, next < 0 ? undefined : next);
}
