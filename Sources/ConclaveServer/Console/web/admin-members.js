// Members and roles: who is in the workspace, their role (changeable per the rules of
// PATCH /members), their handle, and removal.
import { api, listAll } from './api.js';
import { button, field, h, replace, toast } from './dom.js';
import { cleanName } from './text.js';
import { confirmDialog, describeError, formDialog } from './dialogs.js';
import { actions, dataTable, when } from './tables.js';

const PERSON_ROLES = ['owner', 'admin', 'member', 'viewer'];

// Owners set any person's role; admins move members and viewers between those two roles.
// An agent's role is never changed.
function assignableRoles(myRole, member) {
  if (member.kind === 'agent') return [];
  if (myRole === 'owner') return PERSON_ROLES;
  if (myRole === 'admin' && (member.role === 'member' || member.role === 'viewer')) return ['member', 'viewer'];
  return [];
}

// Owners remove anyone; admins remove members, viewers and agents. Leaving is not offered here.
function mayRemove(myRole, member, me) {
  if (member.id === me.id) return false;
  if (myRole === 'owner') return true;
  return myRole === 'admin' && ['member', 'viewer', 'agent'].includes(member.role);
}

// Anyone changes their own handle; admins and owners anyone's (an agent's creator does it in Agents).
function mayEditHandle(context, member) {
  return member.id === context.me.id || context.isPrivileged;
}

// Asks for a new @handle (a member's here, an agent's in Agents); save(handle) may throw.
export function handleDialog(principal, save) {
  const input = h('input', { name: 'handle', required: true, maxlength: 32, pattern: '[a-z0-9][a-z0-9._\\-]{0,31}', autocomplete: 'off', value: principal.handle });
  formDialog(`Handle of ${cleanName(principal.name)}`, [field('Handle', input, 'Lower-case letters, digits, dot, dash and underscore; up to 32.')],
    () => save(input.value.trim()));
}

export async function renderMembers(panel, context) {
  const base = `/api/v1/workspaces/${context.workspace.id}/members`;
  const myRole = context.workspace.role;
  const members = await listAll(base);

  async function changed(message) {
    toast(message);
    await context.reloadMembers().catch(() => {});
    await renderMembers(panel, context);
  }

  function roleCell(member) {
    const roles = assignableRoles(myRole, member);
    if (!roles.length) return member.role;
    return h('select', { 'aria-label': `Role of ${cleanName(member.name)}`, dataset: { role: member.id }, on: { change: async (event) => {
      const role = event.target.value;
      try {
        await api('PATCH', `${base}/${member.id}`, { role });
        await changed(`${cleanName(member.name)} is now ${role}.`);
      } catch (error) {
        event.target.value = member.role;
        toast(describeError(error), 'error');
      }
    } } }, roles.map((role) => h('option', { value: role, selected: role === member.role }, role)));
  }

  function editHandle(member) {
    handleDialog(member, async (handle) => {
      await api('PATCH', `${base}/${member.id}`, { handle });
      await changed(`Handle changed to @${handle}.`);
    });
  }

  function remove(member) {
    confirmDialog(`Remove ${cleanName(member.name)}?`,
      `${cleanName(member.name)} loses access to this workspace${member.kind === 'agent' ? ' and its keys stop working here' : ''}.`,
      'Remove', async () => {
        await api('DELETE', `${base}/${member.id}`);
        await changed(`${cleanName(member.name)} was removed.`);
      });
  }

  replace(panel,
    h('h2', {}, 'Members'),
    dataTable('Workspace members', [
      { label: 'Name', cell: (m) => [cleanName(m.name), m.kind === 'agent' ? h('span', { class: 'badge agent-badge' }, 'agent') : null, m.id === context.me.id ? h('span', { class: 'badge' }, 'you') : null] },
      { label: 'Handle', cell: (m) => `@${m.handle}` },
      { label: 'Kind', cell: (m) => (m.kind === 'agent' ? 'Agent' : 'Person') },
      { label: 'Role', cell: roleCell },
      { label: 'Joined', cell: (m) => when(m.joined_at) },
      { label: 'Actions', cell: (m) => actions(
        mayEditHandle(context, m) ? button('Edit handle', () => editHandle(m), { class: 'link-button', 'aria-label': `Edit handle of ${cleanName(m.name)}` }) : null,
        mayRemove(myRole, m, context.me) ? button('Remove', () => remove(m), { class: 'link-button danger', 'aria-label': `Remove ${cleanName(m.name)}` }) : null) },
    ], members, 'No members.'));
}
