// The chat view: channels and DMs with unread and mention counts, the open channel, a thread
// panel, and the composer. Live events arrive from the shared stream (app.js → handleEvent).
import { api, listAll } from './api.js';
import { button, field, h, replace, toast } from './dom.js';
import { cleanName } from './text.js';
import { Composer } from './composer.js';
import { MessageList } from './messages.js';
import { ActivityLine } from './activity.js';
import { describeError, formDialog } from './dialogs.js';

export class ChatView {
  constructor(main, context) {
    this.main = main;
    this.context = context;
    this.channels = new Map();
    this.current = null;
    this.list = null;
    this.thread = null;
    this.readTimer = null;
    this.onFocus = () => this.markRead();
    window.addEventListener('focus', this.onFocus);
  }

  detach() {
    this.activity?.detach();
    window.removeEventListener('focus', this.onFocus);
    clearTimeout(this.readTimer);
  }

  get workspaceId() {
    return this.context.workspace.id;
  }

  canWrite() {
    return this.context.workspace.role !== 'viewer';
  }

  async open() {
    this.sidebar = h('nav', { class: 'sidebar', 'aria-label': 'Channels and direct messages' });
    this.pane = h('section', { class: 'channel-pane', 'aria-label': 'Channel' });
    this.threadPane = h('aside', { class: 'thread-pane', 'aria-label': 'Thread', hidden: true });
    replace(this.main, h('div', { class: 'chat' }, this.sidebar, this.pane, this.threadPane));
    await this.loadChannels();
    const first = [...this.channels.values()].find((c) => c.is_member && c.kind !== 'dm') || [...this.channels.values()].find((c) => c.is_member);
    if (first) await this.select(first.id);
    else replace(this.pane, h('div', { class: 'empty' }, h('h1', {}, 'No channels yet'), h('p', {}, 'Create a channel or join one from the list.')));
  }

  async loadChannels() {
    const channels = await listAll(`/api/v1/workspaces/${this.workspaceId}/channels`);
    // Older servers list channels without read state: ask per channel (bounded) instead.
    await Promise.all(channels.filter((c) => c.is_member === undefined).slice(0, 100).map(async (c) => {
      try {
        Object.assign(c, await api('GET', `/api/v1/channels/${c.id}`));
      } catch {
        c.is_member = false;
      }
    }));
    this.channels = new Map(channels.map((c) => [c.id, c]));
    this.renderSidebar();
  }

  channelName(channel) {
    if (channel.kind !== 'dm') return `#${cleanName(channel.name)}`;
    const others = (channel.member_ids || []).filter((id) => id !== this.context.me.id)
      .map((id) => this.context.members.get(id)).filter(Boolean).map((m) => cleanName(m.name));
    return others.length ? others.join(', ') : cleanName(channel.name || 'Direct message');
  }

  renderSidebar() {
    const all = [...this.channels.values()];
    const item = (channel) => {
      const unread = channel.is_member ? channel.unread_count || 0 : 0;
      const mentions = channel.is_member ? channel.mention_count || 0 : 0;
      const name = this.channelName(channel);
      const label = [name, channel.private ? 'private' : null, unread ? `${unread} unread` : null, mentions ? `${mentions} mentions` : null].filter(Boolean).join(', ');
      return h('li', {}, h('button', {
        type: 'button', class: ['channel-link', channel.id === this.current?.id && 'active', unread && 'unread'],
        'aria-current': channel.id === this.current?.id ? 'true' : null, 'aria-label': label,
        dataset: { channelId: channel.id }, on: { click: () => this.select(channel.id) },
      }, h('span', { class: 'channel-name' }, name, channel.private && channel.kind !== 'dm' ? ' 🔒' : ''),
      mentions ? h('span', { class: 'badge mention-badge', 'aria-hidden': 'true' }, `@${mentions}`) : null,
      // The server counts up to 1,000 unread messages; past that it is "a lot", not a number.
      unread ? h('span', { class: 'badge unread-badge', 'aria-hidden': 'true' }, unread >= 1000 ? '999+' : String(unread)) : null));
    };
    const joined = all.filter((c) => c.is_member && c.kind !== 'dm').sort((a, b) => a.name.localeCompare(b.name));
    const dms = all.filter((c) => c.kind === 'dm');
    const joinable = all.filter((c) => !c.is_member && c.kind !== 'dm');
    replace(this.sidebar,
      h('h2', { class: 'sidebar-title' }, cleanName(this.context.workspace.name)),
      h('div', { class: 'sidebar-section' }, h('h3', { id: 'channels-heading' }, 'Channels'),
        h('ul', { 'aria-labelledby': 'channels-heading' }, joined.map(item)),
        this.canWrite() ? button('New channel', () => this.createChannel(), { class: 'link-button', id: 'new-channel' }) : null),
      h('div', { class: 'sidebar-section' }, h('h3', { id: 'dms-heading' }, 'Direct messages'),
        h('ul', { 'aria-labelledby': 'dms-heading' }, dms.map(item)),
        this.canWrite() ? button('New direct message', () => this.createDM(), { class: 'link-button', id: 'new-dm' }) : null),
      joinable.length ? h('div', { class: 'sidebar-section' }, h('h3', { id: 'browse-heading' }, 'Other channels'),
        h('ul', { 'aria-labelledby': 'browse-heading' }, joinable.map(item))) : null);
  }

  async select(channelId) {
    const channel = this.channels.get(channelId);
    if (!channel) return;
    this.current = channel;
    this.closeThread();
    this.renderSidebar();
    const header = h('header', { class: 'channel-header' },
      h('h1', { id: 'channel-title' }, this.channelName(channel)),
      channel.topic ? h('p', { class: 'topic', dir: 'auto' }, cleanName(channel.topic)) : null);
    if (!channel.is_member) {
      replace(this.pane, header, h('div', { class: 'empty' }, h('p', {}, 'You are not a member of this channel.'),
        button('Join channel', async () => {
          try {
            await api('POST', `/api/v1/channels/${channel.id}/join`);
            await this.loadChannels();
            await this.select(channel.id);
          } catch (error) {
            toast(describeError(error), 'error');
          }
        }, { class: 'primary', id: 'join-channel' })));
      return;
    }
    const context = { ...this.context, canWrite: this.canWrite() };
    this.activity?.detach();
    this.activity = new ActivityLine({
      channelId: channel.id, context: this.context,
      sendStatus: (body) => api('POST', `/api/v1/channels/${channel.id}/status`, body),
    });
    this.list = new MessageList({
      channel, context, label: `Messages in ${this.channelName(channel)}`,
      onOpenThread: (message) => this.openThread(message), onChange: () => this.scheduleRead(),
    });
    this.composer = new Composer({
      label: `Message ${this.channelName(channel)}`, placeholder: `Message ${this.channelName(channel)}`,
      members: () => this.context.members, onSend: (text) => this.send(text, null),
      onTyping: this.canWrite() ? (hasText) => this.activity?.typing(hasText) : null,
      disabledReason: this.canWrite() ? null : 'You can read this channel but, as a viewer, not post in it.',
    });
    replace(this.pane, header, this.list.element, this.activity.element, this.composer.element);
    try {
      await this.list.loadLatest();
    } catch (error) {
      toast(error.message, 'error');
    }
    this.scheduleRead();
    this.composer.focus();
  }

  async send(text, threadId) {
    const channel = this.current;
    try {
      const body = { text, client_msg_id: crypto.randomUUID() };
      if (threadId) body.thread_id = threadId;
      const message = await api('POST', `/api/v1/channels/${channel.id}/messages`, body);
      this.activity?.sent();
      this.apply(message);
      if (threadId) this.list?.replyAdded(message);
      return true;
    } catch (error) {
      toast(`Not sent: ${describeError(error)}`, 'error');
      return false;
    }
  }

  openThread(root) {
    this.threadRoot = root;
    this.thread = new MessageList({ channel: this.current, threadId: root.id, context: { ...this.context, canWrite: this.canWrite() }, label: 'Thread messages' });
    const composer = new Composer({
      label: 'Reply in thread', placeholder: 'Reply…', members: () => this.context.members,
      onSend: (text) => this.send(text, root.id),
      disabledReason: this.canWrite() ? null : 'Viewers cannot reply.',
    });
    replace(this.threadPane,
      h('header', { class: 'thread-header' }, h('h2', { id: 'thread-title' }, 'Thread'),
        button('Close thread', () => this.closeThread(), { class: 'secondary', id: 'close-thread' })),
      this.thread.element, composer.element);
    this.threadPane.hidden = false;
    this.thread.loadLatest().catch((error) => toast(error.message, 'error'));
    composer.focus();
  }

  closeThread() {
    this.thread = null;
    this.threadRoot = null;
    this.threadPane.hidden = true;
    this.threadPane.replaceChildren();
  }

  apply(message) {
    this.list?.upsert(message);
    this.thread?.upsert(message);
  }

  scheduleRead() {
    clearTimeout(this.readTimer);
    this.readTimer = setTimeout(() => this.markRead(), 400);
  }

  async markRead() {
    const channel = this.current;
    if (!channel?.is_member || !this.list || document.hidden || !document.hasFocus()) return;
    const seq = Math.max(this.list.latestSeq(), this.thread?.latestSeq() || 0);
    if (!seq || seq <= (channel.last_read_seq || 0)) return;
    try {
      await api('POST', `/api/v1/channels/${channel.id}/read`, { seq });
      channel.last_read_seq = seq;
      channel.unread_count = 0;
      channel.mention_count = 0;
      this.renderSidebar();
    } catch {
      // A marker that could not move is retried with the next message or focus.
    }
  }

  handleEvent(frame) {
    const data = frame.data || {};
    switch (frame.event) {
      case 'message.created': {
        const channel = this.channels.get(data.channel_id);
        if (this.current?.id === data.channel_id) {
          this.apply(data);
          if (data.thread_id) this.list?.replyAdded(data);
          this.activity?.messageFrom(data.sender?.id);
        }
        if (!channel) {
          this.loadChannels().catch(() => {});
          break;
        }
        // Seq only grows within a channel: an event at or below the newest one seen is a replay.
        if (data.seq <= (channel.last_seq || 0)) break;
        channel.last_seq = data.seq;
        if (data.sender?.id !== this.context.me.id && !(this.current?.id === data.channel_id && document.hasFocus())) {
          channel.unread_count = (channel.unread_count || 0) + 1;
          if (frame.mentioned) channel.mention_count = (channel.mention_count || 0) + 1;
          this.renderSidebar();
        }
        break;
      }
      case 'message.updated':
      case 'message.deleted':
        if (this.current?.id === data.channel_id) this.apply(data);
        break;
      case 'reaction.added':
      case 'reaction.removed':
        if (this.current?.id === data.channel_id) {
          this.list?.reactionChanged(frame.event, data);
          this.thread?.reactionChanged(frame.event, data);
        }
        break;
      case 'status.updated':
        if (this.current?.id === data.channel_id) this.activity?.update(data);
        break;
      case 'read.updated': {
        const channel = this.channels.get(data.channel_id);
        if (channel && data.last_read_seq >= (channel.last_seq || 0)) {
          channel.unread_count = 0;
          channel.mention_count = 0;
          this.renderSidebar();
        }
        break;
      }
      case 'channel.created':
      case 'channel.updated':
      case 'member.joined':
      case 'member.left':
        this.loadChannels().then(() => {
          if (frame.event === 'channel.updated' && data.deleted && this.current?.id === data.id) this.open();
        }).catch(() => {});
        break;
      default:
        break;
    }
  }

  // After a resume the server could not serve, refetch what is on screen.
  async resync() {
    await this.loadChannels();
    if (this.current) await this.select(this.current.id);
  }

  createChannel() {
    const name = h('input', { name: 'name', required: true, maxlength: 80, autocomplete: 'off' });
    const priv = h('input', { type: 'checkbox', name: 'private' });
    // The channel opens after the dialog has closed, so focus lands in its composer.
    formDialog('New channel', [field('Name', name), h('label', { class: 'check' }, priv, ' Private (invite only)')],
      () => api('POST', `/api/v1/workspaces/${this.workspaceId}/channels`, { name: name.value.trim(), private: priv.checked }),
      { submitLabel: 'Create', then: (channel) => this.openCreated(channel) });
  }

  createDM() {
    const options = [...this.context.members.values()].filter((m) => m.id !== this.context.me.id);
    const select = h('select', { multiple: true, size: Math.min(8, Math.max(3, options.length)) },
      options.map((m) => h('option', { value: m.id }, `${cleanName(m.name)} (@${m.handle})${m.kind === 'agent' ? ' — agent' : ''}`)));
    formDialog('New direct message', [field('People and agents', select, 'Choose one or more (Ctrl or Shift to select several).')],
      () => api('POST', `/api/v1/workspaces/${this.workspaceId}/dms`, { member_ids: [...select.selectedOptions].map((o) => o.value) }),
      { submitLabel: 'Open', then: (channel) => this.openCreated(channel) });
  }

  async openCreated(channel) {
    try {
      await this.loadChannels();
      if (!this.channels.has(channel.id)) this.channels.set(channel.id, { ...channel, is_member: true });
      await this.select(channel.id);
    } catch (error) {
      toast(describeError(error), 'error');
    }
  }
}
