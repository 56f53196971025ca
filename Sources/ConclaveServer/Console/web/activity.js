// Who is typing, thinking or working in the open channel (ephemeral `status.updated` events),
// shown as one polite live region under the messages; and the caller's own "typing" status,
// sent at most every few seconds while the composer has text.
import { h } from './dom.js';
import { cleanName } from './text.js';

const TYPING_EVERY_MS = 4000;
const TYPING_TTL_S = 6;
const VERBS = { typing: 'typing', thinking: 'thinking', working: 'working' };

export class ActivityLine {
  constructor({ channelId, context, sendStatus }) {
    this.channelId = channelId;
    this.context = context;
    this.sendStatus = sendStatus;
    this.active = new Map();
    this.asked = new Set();
    this.lastTyping = 0;
    this.element = h('p', { class: 'activity', role: 'status', 'aria-live': 'polite' });
  }

  // A status of someone else in this channel; `idle` (or its expiry) removes it.
  update(data) {
    if (data.channel_id !== this.channelId || data.principal_id === this.context.me.id) return;
    clearTimeout(this.active.get(data.principal_id)?.timer);
    this.active.delete(data.principal_id);
    const until = data.expires_at ? Date.parse(data.expires_at) : NaN;
    if (data.state !== 'idle' && VERBS[data.state] && until > Date.now()) {
      // The server clears it too; the timer covers a clearing event that never came.
      const timer = setTimeout(() => this.update({ ...data, state: 'idle' }), Math.min(until - Date.now(), 120000));
      this.active.set(data.principal_id, { state: data.state, text: data.text, timer });
      // Someone who joined since the members were read (a new agent): read them again, once.
      if (!this.context.members.has(data.principal_id) && !this.asked.has(data.principal_id)) {
        this.asked.add(data.principal_id);
        this.context.reloadMembers?.().then(() => this.render(), () => {});
      }
    }
    this.render();
  }

  // A message from someone ends their status here at once.
  messageFrom(principalId) {
    if (this.active.has(principalId)) this.update({ channel_id: this.channelId, principal_id: principalId, state: 'idle' });
  }

  render() {
    const name = (id) => cleanName(this.context.members.get(id)?.name || 'Someone');
    const parts = [...this.active.entries()].map(([id, s]) => `${name(id)} is ${VERBS[s.state]}${s.text ? `: ${cleanName(s.text)}` : '…'}`);
    this.element.textContent = parts.slice(0, 3).join(' · ') + (parts.length > 3 ? ` · and ${parts.length - 3} more` : '');
  }

  // Called on each keystroke in the composer.
  typing(hasText) {
    if (!hasText || Date.now() - this.lastTyping < TYPING_EVERY_MS) return;
    this.lastTyping = Date.now();
    // Best effort: a refused status (rate limit, a viewer) changes nothing the person sees.
    this.sendStatus({ state: 'typing', ttl_s: TYPING_TTL_S }).catch(() => {});
  }

  sent() {
    this.lastTyping = 0;
  }

  detach() {
    for (const { timer } of this.active.values()) clearTimeout(timer);
    this.active.clear();
  }
}
