// The message composer: Enter sends, Shift+Enter adds a line, and `@` offers the workspace's
// members and agents by handle (a listbox the keyboard drives, announced to screen readers).
import { h, uid } from './dom.js';
import { cleanName } from './text.js';

const MENTION_BEFORE_CARET = /(^|[\s(])@([a-z0-9._-]{0,32})$/i;
const MAX_SUGGESTIONS = 8;

export class Composer {
  constructor({ label, placeholder, members, onSend, onTyping, disabledReason }) {
    this.members = members;
    this.onSend = onSend;
    this.onTyping = onTyping;
    this.listId = uid('mentions');
    this.input = h('textarea', {
      rows: 1, class: 'composer-input', placeholder, 'aria-label': label, maxlength: 40000,
      'aria-autocomplete': 'list', 'aria-controls': this.listId,
      disabled: !!disabledReason,
      on: { keydown: (event) => this.keydown(event), input: () => { this.suggest(); this.onTyping?.(this.input.value.trim() !== ''); }, blur: () => setTimeout(() => this.close(), 150) },
    });
    this.list = h('ul', { id: this.listId, role: 'listbox', class: 'mention-list', hidden: true, 'aria-label': 'Mention suggestions' });
    this.sendButton = h('button', { type: 'submit', class: 'primary', disabled: !!disabledReason }, 'Send');
    this.element = h('form', { class: 'composer', on: { submit: (event) => { event.preventDefault(); this.send(); } } },
      disabledReason ? h('p', { class: 'hint' }, disabledReason) : null,
      h('div', { class: 'composer-row' }, this.input, this.sendButton), this.list);
    this.matches = [];
    this.active = -1;
  }

  focus() {
    this.input.focus();
  }

  async send() {
    const text = this.input.value;
    if (!text.trim() || this.sending) return;
    this.sending = true;
    this.sendButton.disabled = true;
    try {
      // The text leaves the box only once the server has it: a failed send loses nothing.
      if (await this.onSend(text)) this.input.value = '';
    } finally {
      this.sending = false;
      this.sendButton.disabled = false;
      this.input.focus();
    }
  }

  keydown(event) {
    if (!this.list.hidden && this.matches.length) {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        const step = event.key === 'ArrowDown' ? 1 : -1;
        this.highlight((this.active + step + this.matches.length) % this.matches.length);
        return;
      }
      if (event.key === 'Enter' || event.key === 'Tab') {
        event.preventDefault();
        this.pick(this.matches[Math.max(this.active, 0)]);
        return;
      }
      if (event.key === 'Escape') {
        event.preventDefault();
        this.close();
        return;
      }
    }
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.send();
    }
  }

  query() {
    const before = this.input.value.slice(0, this.input.selectionStart);
    const match = MENTION_BEFORE_CARET.exec(before);
    return match ? match[2].toLowerCase() : null;
  }

  suggest() {
    const query = this.query();
    if (query === null) {
      this.close();
      return;
    }
    this.matches = [...this.members().values()]
      .filter((m) => m.handle && (m.handle.startsWith(query) || cleanName(m.name).toLowerCase().startsWith(query)))
      .sort((a, b) => a.handle.localeCompare(b.handle))
      .slice(0, MAX_SUGGESTIONS);
    if (!this.matches.length) {
      this.close();
      return;
    }
    this.list.replaceChildren(...this.matches.map((member, index) => h('li', {
      id: `${this.listId}-${index}`, role: 'option', class: 'mention-option', 'aria-selected': 'false',
      on: { mousedown: (event) => { event.preventDefault(); this.pick(member); } },
    }, h('span', { class: 'handle' }, `@${member.handle}`), ' ', h('span', { class: 'name' }, cleanName(member.name)),
    member.kind === 'agent' ? h('span', { class: 'badge agent-badge' }, 'agent') : null)));
    this.list.hidden = false;
    this.highlight(0);
  }

  highlight(index) {
    this.active = index;
    [...this.list.children].forEach((item, i) => item.setAttribute('aria-selected', String(i === index)));
    this.input.setAttribute('aria-activedescendant', `${this.listId}-${index}`);
  }

  pick(member) {
    const caret = this.input.selectionStart;
    const before = this.input.value.slice(0, caret).replace(/@([a-z0-9._-]{0,32})$/i, `@${member.handle} `);
    this.input.value = before + this.input.value.slice(caret);
    this.input.setSelectionRange(before.length, before.length);
    this.close();
    this.input.focus();
  }

  close() {
    this.list.hidden = true;
    this.matches = [];
    this.active = -1;
    this.input.removeAttribute('aria-activedescendant');
  }
}
