// A scrolling list of messages — a channel's top level or one thread — that loads the newest page
// first and earlier pages on scroll, and applies live events idempotently (keyed by message id and
// ordered by seq), so a replayed or repeated event never shows a message twice.
import { api } from './api.js';
import { button, formatTime, h, toast } from './dom.js';
import { cleanName, renderMessageText } from './text.js';
import { describeError } from './dialogs.js';
import { renderApproval } from './approval.js';

const PAGE = 50;
const LONG_TEXT = 1500;
// The reactions offered on every message; others shown as they arrive.
const QUICK_REACTIONS = ['👍', '❤️', '😄', '🎉', '👀'];

export class MessageList {
  constructor({ channel, threadId = null, context, label, onOpenThread, onChange }) {
    this.channel = channel;
    this.threadId = threadId;
    this.context = context;
    this.onOpenThread = onOpenThread;
    this.onChange = onChange;
    this.messages = new Map();
    this.nodes = new Map();
    this.oldestSeq = null;
    this.exhausted = false;
    this.list = h('div', { class: 'message-items' });
    this.older = h('p', { class: 'older hint', hidden: true }, 'Loading earlier messages…');
    this.element = h('section', {
      class: 'messages', role: 'log', 'aria-label': label, 'aria-live': 'polite', tabindex: '0',
      on: { scroll: () => this.scrolled() },
    }, this.older, this.list);
  }

  belongs(message) {
    if (message.channel_id !== this.channel.id) return false;
    return this.threadId ? message.id === this.threadId || message.thread_id === this.threadId : !message.thread_id;
  }

  query(extra) {
    const params = new URLSearchParams({ order: 'desc', limit: String(PAGE), ...extra });
    if (this.threadId) params.set('thread_id', this.threadId);
    return `/api/v1/channels/${this.channel.id}/messages?${params}`;
  }

  async loadLatest() {
    this.element.setAttribute('aria-busy', 'true');
    try {
      const page = await api('GET', this.query({}));
      this.take(page);
      this.scrollToEnd();
      // A page made mostly of thread replies may leave the top level short: fill the view.
      while (!this.exhausted && !this.threadId && this.element.scrollHeight <= this.element.clientHeight + 40) {
        if (!(await this.loadEarlier())) break;
      }
    } finally {
      this.element.setAttribute('aria-busy', 'false');
    }
  }

  async loadEarlier() {
    if (this.exhausted || this.loading || this.oldestSeq === null) return false;
    this.loading = true;
    this.older.hidden = false;
    const before = this.element.scrollHeight - this.element.scrollTop;
    try {
      const page = await api('GET', this.query({ before_seq: String(this.oldestSeq) }));
      this.take(page);
      this.element.scrollTop = this.element.scrollHeight - before;
      return page.data.length > 0;
    } catch (error) {
      toast(error.message, 'error');
      return false;
    } finally {
      this.loading = false;
      this.older.hidden = true;
    }
  }

  take(page) {
    for (const message of page.data) {
      if (this.oldestSeq === null || message.seq < this.oldestSeq) this.oldestSeq = message.seq;
      if (this.belongs(message)) this.upsert(message, { quiet: true });
    }
    if (!page.next_cursor || page.data.length === 0) this.exhausted = true;
  }

  scrolled() {
    if (this.element.scrollTop < 120) this.loadEarlier();
  }

  nearEnd() {
    return this.element.scrollHeight - this.element.scrollTop - this.element.clientHeight < 80;
  }

  scrollToEnd() {
    this.element.scrollTop = this.element.scrollHeight;
  }

  latestSeq() {
    let latest = 0;
    for (const message of this.messages.values()) latest = Math.max(latest, message.seq);
    return latest;
  }

  // Inserts a new message in seq order or re-renders a known one; an older copy never replaces a
  // newer one (an event replayed after a resume carries the same or an earlier state).
  upsert(message, { quiet = false } = {}) {
    if (!this.belongs(message)) return;
    const known = this.messages.get(message.id);
    if (known && (known.edited_at || '') > (message.edited_at || '') && !message.deleted) return;
    if (known?.deleted && !message.deleted) return;
    // Event data carries no `me` (it goes to every reader): keep what this reader knew.
    if (known && (message.reactions || []).some((r) => r.me === undefined)) {
      const mine = new Set((known.reactions || []).filter((r) => r.me).map((r) => r.emoji));
      message = { ...message, reactions: message.reactions.map((r) => ({ ...r, me: r.me ?? mine.has(r.emoji) })) };
    }
    // Reading the scroll position forces a layout: only live messages need it, not a page load.
    const stick = !quiet && this.nearEnd();
    this.messages.set(message.id, message);
    const node = this.render(message);
    const old = this.nodes.get(message.id);
    if (old) {
      old.replaceWith(node);
    } else {
      let next = null;
      for (const candidate of this.list.children) {
        if (Number(candidate.dataset.seq) > message.seq) {
          next = candidate;
          break;
        }
      }
      this.list.insertBefore(node, next);
    }
    this.nodes.set(message.id, node);
    if (stick) this.scrollToEnd();
    this.onChange?.();
  }

  // A reaction.added / reaction.removed event: the count is the server's after the change, so
  // applying one twice (a replay) leaves the same state.
  reactionChanged(event, data) {
    const message = this.messages.get(data.message_id);
    if (!message || message.deleted || typeof data.emoji !== 'string') return;
    const reactions = (message.reactions || []).map((r) => ({ ...r }));
    let entry = reactions.find((r) => r.emoji === data.emoji);
    if (!entry) {
      entry = { emoji: data.emoji, count: 0, me: false };
      reactions.push(entry);
    }
    entry.count = data.count;
    if (data.principal_id === this.context.me.id) entry.me = event === 'reaction.added';
    this.upsert({ ...message, reactions: reactions.filter((r) => r.count > 0) }, { quiet: true });
  }

  // A message.delta of a streamed reply: applied only where the text so far ends (offsets count
  // code points), so a repeat changes nothing; a gap waits for the final, which has it all.
  deltaReceived(data) {
    const message = this.messages.get(data.message_id);
    if (!message?.streaming || typeof data.append !== 'string') return;
    if (data.offset !== [...(message.text || '')].length) return;
    this.upsert({ ...message, text: (message.text || '') + data.append });
  }

  async toggleReaction(message, emoji) {
    const current = this.messages.get(message.id) || message;
    const mine = (current.reactions || []).some((r) => r.emoji === emoji && r.me);
    try {
      const result = await api(mine ? 'DELETE' : 'PUT', `/api/v1/messages/${message.id}/reactions/${encodeURIComponent(emoji)}`);
      const latest = this.messages.get(message.id) || current;
      const others = (latest.reactions || []).filter((r) => r.emoji !== emoji);
      const reactions = (latest.reactions || []).some((r) => r.emoji === emoji)
        ? (latest.reactions || []).map((r) => (r.emoji === emoji ? result : r))
        : [...others, result];
      this.upsert({ ...latest, reactions: reactions.filter((r) => r.count > 0) }, { quiet: true });
      this.nodes.get(message.id)?.querySelector(`.reaction[data-emoji="${CSS.escape(emoji)}"]`)?.focus();
    } catch (error) {
      toast(error.describe?.() || error.message, 'error');
    }
  }

  renderReactions(message) {
    if (message.deleted) return null;
    const chips = (message.reactions || []).map((r) => button(`${r.emoji} ${r.count}`, () => this.toggleReaction(message, r.emoji), {
      class: ['reaction', r.me && 'mine'], dataset: { emoji: r.emoji },
      'aria-pressed': String(Boolean(r.me)),
      'aria-label': `${r.emoji} ${r.count}${r.me ? ', you reacted' : ''}`,
      disabled: !this.context.canWrite,
    }));
    return chips.length ? h('div', { class: 'reactions', role: 'group', 'aria-label': 'Reactions' }, chips) : null;
  }

  // "React" in a message's actions opens a row of quick reactions (one tab stop until asked).
  reactionPicker(message) {
    const shown = new Set((message.reactions || []).map((r) => r.emoji));
    const picks = h('div', { class: 'reaction-picker', role: 'group', 'aria-label': 'Add a reaction', hidden: true },
      QUICK_REACTIONS.filter((e) => !shown.has(e)).map((emoji) => button(emoji, () => this.toggleReaction(message, emoji), {
        class: 'reaction add-reaction', dataset: { emoji }, 'aria-label': `React with ${emoji}`,
      })));
    const toggle = button('React', () => {
      const open = toggle.getAttribute('aria-expanded') !== 'true';
      picks.hidden = !open;
      toggle.setAttribute('aria-expanded', String(open));
      if (open) picks.querySelector('button')?.focus();
    }, { class: 'link-button react-button', 'aria-expanded': 'false', 'aria-label': 'Add a reaction' });
    return [toggle, picks];
  }

  replyAdded(reply) {
    const root = this.messages.get(reply.thread_id);
    if (!root) return;
    this.seenReplies ??= new Set();
    if (this.seenReplies.has(reply.id)) return;
    this.seenReplies.add(reply.id);
    this.upsert({ ...root, reply_count: (root.reply_count || 0) + 1 }, { quiet: true });
  }

  senderLabel(sender) {
    const member = this.context.members.get(sender?.id);
    if (!member) return { name: sender?.kind === 'agent' ? 'Removed agent' : 'Former member', handle: null };
    return { name: cleanName(member.name), handle: member.handle };
  }

  render(message) {
    const me = this.context.me.id;
    const own = message.sender?.id === me;
    const agent = message.sender?.kind === 'agent';
    const mentionsMe = (message.mentions || []).includes(me);
    const who = this.senderLabel(message.sender);
    const header = h('header', { class: 'message-header' },
      h('span', { class: 'sender' }, who.name),
      who.handle ? h('span', { class: 'handle' }, `@${who.handle}`) : null,
      agent ? h('span', { class: 'badge agent-badge', title: 'Sent by an AI agent' }, 'agent') : null,
      message.kind === 'notice' ? h('span', { class: 'badge notice-badge' }, 'notice') : null,
      message.streaming && !message.deleted ? h('span', { class: 'badge streaming-badge' }, 'writing…') : null,
      h('time', { datetime: message.created_at, title: new Date(message.created_at).toLocaleString() }, formatTime(message.created_at)),
      message.edited_at && !message.deleted ? h('span', { class: 'edited' }, '(edited)') : null);
    let body;
    if (message.deleted) {
      body = h('div', { class: 'body deleted-text' }, 'This message was deleted.');
    } else {
      const text = message.text || '';
      const long = text.length > LONG_TEXT;
      // A very long message shows its start until asked: laying out 40,000 characters for every
      // list update would stall the page, and a wall of text must not push the room out of view.
      const renderBody = (full) => renderMessageText(full || !long ? text : `${text.slice(0, LONG_TEXT)}…`, { members: this.context.members, selfId: me });
      body = h('div', { class: 'body', dir: 'auto' }, renderBody(false));
      if (long) {
        const inner = body;
        const toggle = button('Show more', () => {
          const expand = toggle.getAttribute('aria-expanded') !== 'true';
          inner.replaceChildren(...renderBody(expand));
          toggle.textContent = expand ? 'Show less' : 'Show more';
          toggle.setAttribute('aria-expanded', String(expand));
        }, { class: 'link-button', 'aria-expanded': 'false' });
        body = h('div', {}, inner, toggle);
      }
    }
    const actions = h('div', { class: 'actions' });
    if (!this.threadId && !message.deleted && this.onOpenThread) {
      const replies = message.reply_count || 0;
      actions.append(button(replies ? `${replies} ${replies === 1 ? 'reply' : 'replies'}` : 'Reply in thread',
        () => this.onOpenThread(message), { class: 'link-button thread-button', 'aria-label': replies ? `Open thread, ${replies} replies` : 'Reply in thread' }));
    }
    if (!message.deleted && this.context.canWrite) actions.append(...this.reactionPicker(message));
    if (own && !message.deleted && !message.streaming && this.context.canWrite) {
      actions.append(button('Edit', () => this.edit(message), { class: 'link-button', 'aria-label': 'Edit message' }));
    }
    if ((own || this.context.isPrivileged) && !message.deleted) {
      actions.append(button('Delete', () => this.remove(message), { class: 'link-button danger', 'aria-label': 'Delete message' }));
    }
    return h('article', {
      class: ['message', agent && 'from-agent', message.kind === 'notice' && 'notice', message.deleted && 'deleted', mentionsMe && 'mentions-me', own && 'own'],
      dataset: { id: message.id, seq: String(message.seq) },
      'aria-label': `${who.name}${agent ? ' (agent)' : ''}, ${formatTime(message.created_at)}`,
    }, header, body, renderApproval(message, { me, members: this.context.members, onAnswered: (answered) => this.upsert(answered) }),
    this.renderReactions(message), actions);
  }

  edit(message) {
    const node = this.nodes.get(message.id);
    const input = h('textarea', { class: 'edit-input', 'aria-label': 'Edit message', maxlength: 40000, value: message.text });
    const save = async () => {
      try {
        this.upsert(await api('PATCH', `/api/v1/messages/${message.id}`, { text: input.value }));
      } catch (error) {
        toast(describeError(error), 'error');
      }
    };
    const form = h('form', { class: 'edit-form', on: { submit: (event) => { event.preventDefault(); save(); } } },
      input, h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Save'),
        button('Cancel', () => this.upsert(this.messages.get(message.id)), { class: 'secondary' })));
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.upsert(this.messages.get(message.id));
      if (event.key === 'Enter' && !event.shiftKey) {
        event.preventDefault();
        save();
      }
    });
    node.querySelector('.body')?.replaceWith(form);
    input.focus();
  }

  async remove(message) {
    // A native confirm dialog: keyboard-accessible and impossible for message content to restyle.
    if (!window.confirm('Delete this message? Its text is erased for everyone.')) return;
    try {
      await api('DELETE', `/api/v1/messages/${message.id}`);
      this.upsert({ ...message, deleted: true, text: '' });
    } catch (error) {
      toast(describeError(error), 'error');
    }
  }
}
