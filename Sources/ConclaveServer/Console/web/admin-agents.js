// Agents: create, pause and resume, change handle, delete; each agent's API keys below it.
// A member sees the agents they created; admins and owners see all of them.
import { api, listAll } from './api.js';
import { button, field, h, replace, toast } from './dom.js';
import { cleanName, cleanText } from './text.js';
import { confirmDialog, describeError, errorBox } from './dialogs.js';
import { handleDialog } from './admin-members.js';
import { when } from './tables.js';
import { renderKeys } from './admin-keys.js';

// Which agent's key list is open, kept across re-renders of the tab.
const openKeys = new Set();

export async function renderAgents(panel, context) {
  const base = `/api/v1/workspaces/${context.workspace.id}/agents`;
  const all = await listAll(base);
  const agents = context.isPrivileged ? all : all.filter((agent) => agent.created_by === context.me.id);
  const mayCreate = context.workspace.role !== 'viewer';
  const rerender = () => renderAgents(panel, context);

  async function update(agent, body, message) {
    await api('PATCH', `${base}/${agent.id}`, body);
    toast(message);
    await context.reloadMembers().catch(() => {});
    await rerender();
  }

  function editHandle(agent) {
    handleDialog(agent, (handle) => update(agent, { handle }, `Handle changed to @${handle}.`));
  }

  function remove(agent) {
    confirmDialog(`Delete ${cleanName(agent.name)}?`, 'The agent leaves the workspace and every one of its API keys is revoked. This cannot be undone.', 'Delete agent', async () => {
      await api('DELETE', `${base}/${agent.id}`);
      openKeys.delete(agent.id);
      toast(`${cleanName(agent.name)} was deleted.`);
      await context.reloadMembers().catch(() => {});
      await rerender();
    });
  }

  async function toggleStatus(agent) {
    const paused = agent.status === 'paused';
    try {
      await update(agent, { status: paused ? 'active' : 'paused' }, `${cleanName(agent.name)} is ${paused ? 'active again' : 'paused: its keys get 423 until resumed'}.`);
    } catch (error) {
      toast(describeError(error), 'error');
    }
  }

  function card(agent) {
    const keys = h('div', { class: 'agent-keys', id: `keys-${agent.id}`, hidden: !openKeys.has(agent.id) });
    const toggle = button(openKeys.has(agent.id) ? 'Hide API keys' : 'API keys', async () => {
      const opening = keys.hidden;
      keys.hidden = !opening;
      toggle.setAttribute('aria-expanded', String(opening));
      toggle.textContent = opening ? 'Hide API keys' : 'API keys';
      if (opening) {
        openKeys.add(agent.id);
        await renderKeys(keys, context, agent);
      } else {
        openKeys.delete(agent.id);
      }
    }, { 'aria-expanded': String(openKeys.has(agent.id)), 'aria-controls': keys.id, dataset: { keysFor: agent.id } });
    if (openKeys.has(agent.id)) renderKeys(keys, context, agent).catch((error) => toast(describeError(error), 'error'));
    const paused = agent.status === 'paused';
    return h('li', { class: ['agent-card', paused && 'paused'], dataset: { agent: agent.id } },
      h('div', { class: 'agent-head' },
        h('h3', { class: 'agent-name' }, cleanName(agent.name)),
        h('span', { class: 'handle' }, `@${agent.handle}`),
        h('span', { class: ['badge', paused ? 'status-paused' : 'status-active'], dataset: { status: agent.status } }, paused ? 'paused' : 'active')),
      agent.description ? h('p', { class: 'agent-description' }, cleanText(agent.description)) : null,
      h('p', { class: 'hint' }, 'Created ', when(agent.created_at), ' · last seen ', when(agent.last_seen_at, 'never')),
      h('div', { class: 'actions' },
        button(paused ? 'Resume' : 'Pause', () => toggleStatus(agent), { dataset: { action: paused ? 'resume' : 'pause' }, 'aria-label': `${paused ? 'Resume' : 'Pause'} ${cleanName(agent.name)}` }),
        button('Edit handle', () => editHandle(agent), { 'aria-label': `Edit handle of ${cleanName(agent.name)}` }),
        toggle,
        button('Delete', () => remove(agent), { class: 'danger', 'aria-label': `Delete ${cleanName(agent.name)}` })),
      keys);
  }

  replace(panel,
    h('h2', {}, 'Agents'),
    mayCreate ? createForm(base, rerender) : h('p', { class: 'hint' }, 'Viewers cannot create agents.'),
    agents.length
      ? h('ul', { class: 'agent-list' }, agents.map(card))
      : h('p', { class: 'hint empty-table' }, context.isPrivileged ? 'No agents yet.' : 'You have not created any agents yet.'));
}

function createForm(base, rerender) {
  const name = h('input', { name: 'name', required: true, maxlength: 80, autocomplete: 'off', id: 'agent-name' });
  const description = h('textarea', { name: 'description', maxlength: 1000, rows: 2, id: 'agent-description' });
  const errors = errorBox();
  return h('form', { class: 'admin-form stack', 'aria-label': 'Create an agent', on: { submit: async (event) => {
    event.preventDefault();
    errors.textContent = '';
    try {
      const agent = await api('POST', base, { name: name.value.trim(), description: description.value.trim() || null });
      toast(`Agent ${cleanName(agent.name)} created. Give it an API key to let it connect.`);
      openKeys.add(agent.id);
      await rerender();
    } catch (error) {
      errors.textContent = describeError(error);
    }
  } } },
  h('div', { class: 'inline-form' }, field('Agent name', name), field('Description (optional)', description)),
  errors, h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary', id: 'create-agent' }, 'Create agent')));
}
