// Message text as a small, safe subset of Markdown: emphasis, inline and block code, links
// (http and https only, opened with rel="noopener noreferrer") and mentions. Everything else is
// text. Nothing here creates HTML from a string; every node is built element by element.
import { h } from './dom.js';

// Bidirectional overrides and isolates let a sender reorder what a reader sees ("gpj.exe"):
// they are dropped from text. Names also lose invisible characters that spoof another name.
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g;
const INVISIBLE = /[\u200B-\u200D\u2060-\u2064\uFEFF\u00AD\u180E\u034F\u115F\u1160\u3164\uFFA0]/g;
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

export function cleanText(text) {
  return String(text ?? '').replace(BIDI_CONTROLS, '').replace(CONTROL, '');
}

export function cleanName(name) {
  const cleaned = cleanText(name).replace(INVISIBLE, '').replace(/\s+/g, ' ').trim();
  return cleaned.length > 80 ? `${cleaned.slice(0, 80)}…` : cleaned || '(no name)';
}

export function safeLink(href) {
  try {
    const url = new URL(href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

const INLINE = new RegExp(
  [
    '`([^`\\n]{1,1000})`',                                  // 1 code
    '\\*\\*([^*\\n]{1,1000})\\*\\*',                         // 2 strong
    '(?<![\\w*])\\*([^*\\s][^*\\n]{0,999})\\*(?![\\w*])',    // 3 em
    '(?<![\\w_])_([^_\\s][^_\\n]{0,999})_(?![\\w_])',        // 4 em
    '\\[([^\\]\\n]{1,300})\\]\\(([^)\\s]{1,2000})\\)',       // 5, 6 link
    '(https?:\\/\\/[^\\s<>"\'`]{1,2000})',                   // 7 bare URL
    '<@((?:usr|agt)_[A-Za-z0-9_-]{1,64})>',                 // 8 mention
  ].join('|'),
  'g',
);

function link(label, href) {
  const safe = safeLink(href);
  if (!safe) return document.createTextNode(label === href ? href : `${label} (${href})`);
  return h('a', { href: safe, rel: 'noopener noreferrer', target: '_blank', referrerpolicy: 'no-referrer' }, label);
}

function inline(text, context) {
  const out = [];
  let last = 0;
  INLINE.lastIndex = 0;
  for (let match = INLINE.exec(text); match; match = INLINE.exec(text)) {
    if (match.index > last) out.push(text.slice(last, match.index));
    let end = INLINE.lastIndex;
    if (match[1] !== undefined) out.push(h('code', {}, match[1]));
    else if (match[2] !== undefined) out.push(h('strong', {}, match[2]));
    else if (match[3] !== undefined) out.push(h('em', {}, match[3]));
    else if (match[4] !== undefined) out.push(h('em', {}, match[4]));
    else if (match[5] !== undefined) out.push(link(match[5], match[6]));
    else if (match[7] !== undefined) {
      // Trailing punctuation belongs to the sentence, not the URL.
      let url = match[7];
      const trimmed = url.replace(/[.,;:!?)\]]+$/, '');
      end -= url.length - trimmed.length;
      url = trimmed;
      out.push(link(url, url));
      INLINE.lastIndex = end;
    } else if (match[8] !== undefined) out.push(mention(match[8], context));
    last = end;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function mention(id, context) {
  const member = context?.members?.get(id);
  const label = member ? `@${member.handle || cleanName(member.name)}` : '@unknown';
  const self = context?.selfId === id;
  return h('span', { class: ['mention', self && 'mention-self'], title: member ? cleanName(member.name) : id }, label);
}

// Renders message text into block elements: paragraphs and fenced code blocks.
export function renderMessageText(raw, context) {
  const text = cleanText(raw);
  const blocks = [];
  const parts = text.split(/^```[^\n]*\n?/m);
  parts.forEach((part, index) => {
    if (index % 2 === 1) {
      blocks.push(h('pre', {}, h('code', {}, part.replace(/\n$/, ''))));
      return;
    }
    for (const paragraph of part.split(/\n{2,}/)) {
      if (!paragraph.trim()) continue;
      const lines = paragraph.split('\n');
      const children = [];
      lines.forEach((line, lineIndex) => {
        if (lineIndex > 0) children.push(h('br'));
        children.push(...inline(line, context));
      });
      blocks.push(h('p', {}, children));
    }
  });
  return blocks;
}
