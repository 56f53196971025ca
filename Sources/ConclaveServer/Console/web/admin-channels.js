// Channels (admins and owners): create, rename and set the topic, delete. The API has no archive:
// deleting is what exists, and it removes the messages too, so it asks first.
import { api, listAll } from './api.js';
import { button, field, h, replace, toast } from './dom.js';
import { cleanName, cleanText } from './text.js';
import { confirmDialog, describeError, errorBox, formDialog } from './dialogs.js';
import { actions, dataTable, when } from './tables.js';

const NAME_PATTERN = '[a-z0-9_\\-]{1,80}';
const NAME_HINT = 'Lower-case letters, digits, - and _; up to 80.';

export async function renderChannels(panel, context) {
  const base = `/api/v1/workspaces/${context.workspace.id}/channels`;
  const channels = (await listAll(base)).filter((channel) => channel.kind === 'channel');
  const rerender = () => renderChannels(panel, context);

  const name = h('input', { name: 'name', id: 'channel-name', required: true, maxlength: 80, pattern: NAME_PATTERN, autocomplete: 'off' });
  const topic = h('input', { name: 'topic', id: 'channel-topic', maxlength: 250, autocomplete: 'off' });
  const isPrivate = h('input', { type: 'checkbox', name: 'private', id: 'channel-private' });
  const errors = errorBox();
  const form = h('form', { class: 'inline-form admin-form', 'aria-label': 'Create a channel', on: { submit: async (event) => {
    event.preventDefault();
    errors.textContent = '';
    try {
      await api('POST', base, { name: name.value.trim(), private: isPrivate.checked, topic: topic.value.trim() || null });
      toast(`#${name.value.trim()} created.`);
      await rerender();
    } catch (error) {
      errors.textContent = describeError(error);
    }
  } } },
  field('Channel name', name, NAME_HINT), field('Topic (optional)', topic),
  h('label', { class: 'check', for: isPrivate.id }, isPrivate, ' Private'),
  h('button', { type: 'submit', class: 'primary', id: 'create-channel' }, 'Create channel'));

  function edit(channel) {
    const newName = h('input', { name: 'name', required: true, maxlength: 80, pattern: NAME_PATTERN, autocomplete: 'off', value: channel.name });
    const newTopic = h('input', { name: 'topic', maxlength: 250, autocomplete: 'off', value: channel.topic });
    formDialog(`Edit #${cleanName(channel.name)}`, [field('Name', newName, NAME_HINT), field('Topic', newTopic, 'Empty clears it.')], async () => {
      const body = { topic: newTopic.value.trim() };
      if (newName.value.trim() !== channel.name) body.name = newName.value.trim();
      await api('PATCH', `/api/v1/channels/${channel.id}`, body);
      toast('Channel updated.');
      await rerender();
    });
  }

  function remove(channel) {
    confirmDialog(`Delete #${cleanName(channel.name)}?`, 'The channel and all of its messages are deleted for everyone. This cannot be undone.', 'Delete channel', async () => {
      await api('DELETE', `/api/v1/channels/${channel.id}`);
      toast(`#${cleanName(channel.name)} deleted.`);
      await rerender();
    });
  }

  replace(panel,
    h('h2', {}, 'Channels'),
    h('p', { class: 'hint' }, 'Listed: every public channel, and the private channels you belong to. There is no archive: a channel is kept or deleted.'),
    form, errors,
    dataTable('Channels', [
      { label: 'Name', cell: (c) => `#${cleanName(c.name)}` },
      { label: 'Visibility', cell: (c) => (c.private ? 'Private' : 'Public') },
      { label: 'Topic', cell: (c) => cleanText(c.topic) },
      { label: 'Created', cell: (c) => when(c.created_at) },
      { label: 'Actions', cell: (c) => actions(
        button('Edit', () => edit(c), { class: 'link-button', 'aria-label': `Edit #${cleanName(c.name)}` }),
        button('Delete', () => remove(c), { class: 'link-button danger', 'aria-label': `Delete #${cleanName(c.name)}` })) },
    ], channels, 'No channels yet.'));
}
