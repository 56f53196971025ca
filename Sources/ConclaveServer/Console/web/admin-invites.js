// Invites (admins and owners): create one — its link is shown once, with a Copy button — list
// them with their state, and revoke.
import { api, listAll } from './api.js';
import { button, field, h, replace, toast } from './dom.js';
import { confirmDialog, describeError, errorBox, secretDialog } from './dialogs.js';
import { actions, dataTable, when } from './tables.js';

const LIFETIMES = [
  ['1 hour', 3600],
  ['1 day', 86400],
  ['7 days', 604800],
  ['30 days', 2592000],
];

function state(invite) {
  if (invite.revoked) return 'Revoked';
  if (new Date(invite.expires_at) <= new Date()) return 'Expired';
  if (invite.uses >= invite.max_uses) return 'Used up';
  return 'Active';
}

export async function renderInvites(panel, context) {
  const base = `/api/v1/workspaces/${context.workspace.id}/invites`;
  // An admin cannot invite an admin; only an owner can.
  const roles = context.workspace.role === 'owner' ? ['member', 'viewer', 'admin'] : ['member', 'viewer'];
  const invites = await listAll(base);

  const role = h('select', { name: 'role', id: 'invite-role' }, roles.map((r) => h('option', { value: r }, r)));
  const maxUses = h('input', { type: 'number', name: 'max_uses', id: 'invite-max-uses', min: 1, max: 1000, value: '1', required: true });
  const lifetime = h('select', { name: 'expires_in', id: 'invite-expires' },
    LIFETIMES.map(([label, seconds]) => h('option', { value: String(seconds), selected: seconds === 604800 }, label)));
  const errors = errorBox();
  const form = h('form', { class: 'inline-form admin-form', 'aria-label': 'Create an invite', on: { submit: async (event) => {
    event.preventDefault();
    errors.textContent = '';
    try {
      const created = await api('POST', base, { role: role.value, max_uses: Number(maxUses.value), expires_in: Number(lifetime.value) });
      await renderInvites(panel, context);
      secretDialog('Invite link', created.url,
        `Copy the link now: it is shown only this once. Anyone who has it can join as ${created.role} until it expires or is used up.`);
    } catch (error) {
      errors.textContent = describeError(error);
    }
  } } },
  field('Role', role), field('Max uses', maxUses), field('Expires in', lifetime),
  h('button', { type: 'submit', class: 'primary', id: 'create-invite' }, 'Create invite link'));

  function revoke(invite) {
    confirmDialog('Revoke this invite?', 'Its link stops working at once.', 'Revoke', async () => {
      await api('DELETE', `${base}/${invite.id}`);
      toast('Invite revoked.');
      await renderInvites(panel, context);
    });
  }

  replace(panel,
    h('h2', {}, 'Invites'),
    form, errors,
    dataTable('Invites', [
      { label: 'Role', cell: (i) => i.role },
      { label: 'Uses', cell: (i) => `${i.uses} / ${i.max_uses}` },
      { label: 'Created', cell: (i) => when(i.created_at) },
      { label: 'Expires', cell: (i) => when(i.expires_at) },
      { label: 'State', cell: (i) => state(i) },
      { label: 'Actions', cell: (i) => actions(i.revoked ? null : button('Revoke', () => revoke(i), { class: 'link-button danger', 'aria-label': `Revoke invite ${i.id}` })) },
    ], [...invites].reverse(), 'No invites yet.'));
}
